"""List the conversations' stored files that no attachment refers to; delete them with --delete."""

from __future__ import annotations

from config.orphans import OrphansCommand
from forums.orphans import GRACE, delete_orphans, find_orphans


class Command(OrphansCommand):
    help = (
        "List the files of the conversations' storage (voice messages, attachments) that no "
        f"message refers to any more (older than {GRACE}); --delete removes them."
    )
    grace = GRACE
    find = staticmethod(find_orphans)
    delete = staticmethod(delete_orphans)
