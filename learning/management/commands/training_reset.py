"""Wipe the training instance and seed the demo again now, or queue the nightly run
(--schedule). Refused unless AGORA_TRAINING_MODE is on."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from learning.training import TrainingModeOff, do_training_reset, ensure_reset_scheduled


class Command(BaseCommand):
    help = (
        "Training mode only: delete every piece of data (accounts, messages, drafts, files) "
        "but the reference data, then run seed_demo. --schedule queues the nightly run "
        "(03:30, Paris) on the background worker instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule", action="store_true",
            help="Make sure exactly one future nightly run is queued, then exit.",
        )
        parser.add_argument(
            "--password", default="",
            help="Password of the demo accounts (default: seed_demo's, or "
                 "AGORA_TRAINING_PASSWORD for the nightly run).",
        )

    def handle(self, *args: Any, schedule: bool, password: str, **options: Any) -> None:
        try:
            if schedule:
                when = ensure_reset_scheduled()
                shown = when.isoformat() if when else "not scheduled"
                self.stdout.write(f"Next training reset: {shown}")
                return
            summary = do_training_reset(password=password)
        except TrainingModeOff as error:
            raise CommandError(str(error)) from error
        self.stdout.write(summary)
        self.stdout.write("Training data wiped and seeded again.")
