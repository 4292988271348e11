"""List the conversations' stored files that no attachment refers to; delete them with --delete."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from forums.orphans import GRACE, delete_orphans, find_orphans


class Command(BaseCommand):
    help = (
        "List the files of the conversations' storage (voice messages, attachments) that no "
        "message refers to any more "
        f"(older than {GRACE}); --delete removes them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="Delete them (default: list).")
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=int(GRACE.total_seconds() // 60),
            help="Leave files younger than this alone (an upload may still be committing).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        grace = timedelta(minutes=options["grace_minutes"])
        names = delete_orphans(grace=grace) if options["delete"] else find_orphans(grace=grace)
        for name in names:
            self.stdout.write(name)
        verb = "deleted" if options["delete"] else "found"
        self.stdout.write(f"{len(names)} orphan file(s) {verb}.")
