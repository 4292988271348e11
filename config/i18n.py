"""Compile gettext catalogues without GNU gettext, so a fresh machine needs only Python.

Usage: ``python -m config.i18n compile locale/fr/LC_MESSAGES/django.po``
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib  # type: ignore[import-untyped]


def compile_po(po_path: Path) -> Path:
    catalogue = polib.pofile(str(po_path))
    mo_path = po_path.with_suffix(".mo")
    catalogue.save_as_mofile(str(mo_path))
    return mo_path


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "compile":
        print(__doc__, file=sys.stderr)
        return 2
    for name in argv[1:]:
        print(f"compiled {compile_po(Path(name))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
