"""The institution comes first: ``assembly`` is what the other apps are built on.

Its core (the structure, its rules, the draws, the indemnity and deadline rules) knows
nothing of the apps built on it (proposals, conversations, the library); they listen to
``assembly.signals``. The institution's life (sessions with their call and documents,
attendance from the call, receipts through the library's upload door, the session
documents' editor) uses those apps, but only inside the functions that need them: importing
``assembly`` never loads them, so they may import it at module level without a cycle.
"""

from __future__ import annotations

import ast

from tests.imports import ROOT, imports_of

BUILT_ON_IT = {"deliberation", "forums", "documents"}
CORE = ("models.py", "models_draws.py", "actions.py", "roles.py", "signals.py", "draws.py",
        "deadlines.py", "indemnities.py", "csv_import.py", "invitations.py")


def test_the_assembly_core_imports_none_of_the_apps_built_on_it() -> None:
    offenders = [
        found for found in imports_of("assembly", BUILT_ON_IT)
        if found.split(":")[0].removeprefix("assembly/") in CORE
    ]
    assert not offenders, f"assembly's core imports apps built on it: {offenders}"


def test_no_assembly_module_loads_them_at_import_time() -> None:
    offenders = []
    for path in sorted((ROOT / "assembly").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.ImportFrom) and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            offenders += [
                f"{path.relative_to(ROOT)}:{node.lineno} {module}"
                for module in modules
                if module.split(".")[0] in BUILT_ON_IT
            ]
    assert not offenders, f"assembly loads apps built on it when imported: {offenders}"
