"""Which modules a package imports, at module level or inside functions (an AST scan)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif (  # importlib.import_module("forums.x"), apps.get_model("assembly", …)
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"import_module", "get_model"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return found


def imports_of(package: str, forbidden: set[str]) -> list[str]:
    """``file:line module`` for each import of a ``forbidden`` top-level package."""
    base = ROOT / package
    return [
        f"{path.relative_to(ROOT)}:{line} {module}"
        for path in sorted(base.rglob("*.py"))
        if "migrations" not in path.parts
        for line, module in imported_modules(path)
        if module.split(".")[0] in forbidden
    ]


def project_apps() -> set[str]:
    """The project's own apps: the installed apps whose folder sits at the project's root."""
    from django.apps import apps

    root = ROOT.resolve()
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        if Path(config.path).resolve().parent == root
    }
