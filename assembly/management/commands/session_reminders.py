"""Send the due J-7 and J-1 reminders of the sessions now, or queue their daily run (--schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assembly.convocations import ensure_reminders_scheduled, send_reminders


class Command(BaseCommand):
    help = (
        "Email the reminders of the sessions (7 days and 1 day before) to the people convened "
        "who did not decline; each reminder goes once. --schedule queues the daily run "
        "(09:00, Paris) on the background worker instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule", action="store_true",
            help="Make sure exactly one future daily run is queued, then exit.",
        )

    def handle(self, *args: Any, schedule: bool, **options: Any) -> None:
        if schedule:
            when = ensure_reminders_scheduled()
            self.stdout.write(f"Next reminders: {when.isoformat() if when else 'not scheduled'}")
            return
        self.stdout.write(f"Reminders sent: {send_reminders()}")
