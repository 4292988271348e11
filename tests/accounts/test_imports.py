"""``accounts`` keeps people and login: it imports no domain app, at module level or in a
function. What it needs from them is handed to it (``accounts.roles``'s registry, filled by
``assembly`` and ``realtime`` in their ``AppConfig.ready()``)."""

from __future__ import annotations

from pathlib import Path

from tests.imports import imported_modules, imports_of

DOMAIN_APPS = {"deliberation", "assembly", "forums", "documents", "gdpr", "realtime"}


def test_accounts_imports_no_domain_app() -> None:
    offenders = imports_of("accounts", DOMAIN_APPS)
    assert not offenders, f"accounts imports domain apps: {offenders}"


def test_the_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import importlib\ndef f():\n    from assembly.models import Membership\n"
        "    import forums\n    importlib.import_module('gdpr.x')\n"
    )
    assert [name for _line, name in imported_modules(module)] == [
        "importlib", "assembly.models", "forums", "gdpr.x"
    ]
