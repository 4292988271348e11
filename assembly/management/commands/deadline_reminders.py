"""Send the reminders of the sessions' documents now, or queue their daily run
(--schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assembly.deadline_reminders import (
    describe,
    ensure_reminders_scheduled,
    send_deadline_reminders,
)


class Command(BaseCommand):
    help = (
        "Remind the people responsible of the sessions' documents due soon or late (each "
        "step once). --schedule queues the daily run (08:00, Paris) on the background "
        "worker instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule", action="store_true",
            help="Make sure exactly one future daily run is queued, then exit.",
        )

    def handle(self, *args: Any, schedule: bool, **options: Any) -> None:
        if schedule:
            self.stdout.write(f"Next deadline reminders: {describe(ensure_reminders_scheduled())}")
            return
        self.stdout.write(f"Deadline reminders sent: {send_deadline_reminders()}")
