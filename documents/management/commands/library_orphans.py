"""List the library's stored files that no file version refers to; delete them with --delete."""

from __future__ import annotations

from config.orphans import OrphansCommand
from documents.orphans import GRACE, delete_orphans, find_orphans


class Command(OrphansCommand):
    help = (
        "List the files of the library's storage that no document refers to any more "
        f"(older than {GRACE}); --delete removes them."
    )
    grace = GRACE
    find = staticmethod(find_orphans)
    delete = staticmethod(delete_orphans)
