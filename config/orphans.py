"""What the orphan-file sweeps of the apps share: walking a storage, and their command.

Each app that stores files (the library, the conversations) finds the names no row refers
to in its own ``orphans.py``; the walk and the ``<app>_orphans`` command are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


def walk(storage: Any, directory: str) -> Iterator[str]:
    """Every stored name under ``directory`` (which ends with "/"), depth first."""
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for name in files:
        yield f"{directory}{name}"
    for sub in directories:
        yield from walk(storage, f"{directory}{sub}/")


Sweep = Callable[..., list[str]]


class OrphansCommand(BaseCommand):
    """List the orphans older than the grace period; ``--delete`` removes them."""

    grace: timedelta
    find: Sweep
    delete: Sweep

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--delete", action="store_true", help="Delete them (default: list).")
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=int(self.grace.total_seconds() // 60),
            help="Leave files younger than this alone (an upload may still be committing).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        grace = timedelta(minutes=options["grace_minutes"])
        sweep = type(self).delete if options["delete"] else type(self).find
        names = sweep(grace=grace)
        for name in names:
            self.stdout.write(name)
        verb = "deleted" if options["delete"] else "found"
        self.stdout.write(f"{len(names)} orphan file(s) {verb}.")
