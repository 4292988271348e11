"""What several test modules share lives in a conftest.py (fixtures) or a helper module,
never in one of them: a test module imported by another runs its fixtures twice, hides
them behind `noqa: F401`, and breaks when it is renamed or moved."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _is_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def test_no_test_module_imports_another() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
                if node.level:  # from . import test_x, from .test_x import y
                    names += [alias.name for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            if any(_is_test_module(name) for name in names if name):
                offenders.append(f"{path.relative_to(TESTS.parent)}:{node.lineno}")
    assert not offenders, f"test modules imported by others (move to conftest.py): {offenders}"
