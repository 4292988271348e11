"""Pass the seat offers left unanswered past their deadline to the next substitute now,
or queue the hourly run (--schedule)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from assembly.actions import do_expire_seat_offers
from assembly.seats import ensure_offers_job_scheduled


class Command(BaseCommand):
    help = (
        "Offer to the next substitute every seat whose offer was not answered in time. "
        "--schedule queues the hourly run on the background worker instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule", action="store_true",
            help="Make sure exactly one future run is queued, then exit.",
        )

    def handle(self, *args: Any, schedule: bool, **options: Any) -> None:
        if schedule:
            when = ensure_offers_job_scheduled()
            self.stdout.write(f"Next check: {when.isoformat() if when else 'not scheduled'}")
            return
        self.stdout.write(f"Offers passed on: {len(do_expire_seat_offers())}")
