"""Send the daily digest of the conversations now, or queue its daily run (--schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from forums.notifications import ensure_digest_scheduled, send_daily_digests


class Command(BaseCommand):
    help = (
        "Email the daily digest to the people who asked for it (once a day at most). "
        "--schedule queues the daily run (07:00, Paris) on the background worker instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule", action="store_true",
            help="Make sure exactly one future daily run is queued, then exit.",
        )

    def handle(self, *args: Any, schedule: bool, **options: Any) -> None:
        if schedule:
            when = ensure_digest_scheduled()
            self.stdout.write(f"Next digest: {when.isoformat() if when else 'not scheduled'}")
            return
        self.stdout.write(f"Digests sent: {send_daily_digests()}")
