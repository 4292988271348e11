"""The institution comes first: ``assembly`` knows nothing of the apps built on it
(proposals, conversations, the library); they listen to ``assembly.signals``."""

from __future__ import annotations

from tests.imports import imports_of


def test_assembly_imports_none_of_the_apps_built_on_it() -> None:
    offenders = imports_of("assembly", {"deliberation", "forums", "documents"})
    assert not offenders, f"assembly imports apps built on it: {offenders}"
