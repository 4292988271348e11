"""Report what the declared retentions make due, carry it out with --apply, or schedule it."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from gdpr.retention import BATCH_SIZE, do_run_retention, ensure_scheduled


class ProgressBar:
    """A one-line bar on a terminal, redrawn at most ten times a second."""

    width = 30

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.last_draw = 0.0
        self.label = ""

    def __call__(self, label: str, done: int, total: int) -> None:
        now = time.monotonic()
        finished = total == 0 or done >= total
        if label == self.label and not finished and now - self.last_draw < 0.1:
            return
        if label != self.label and self.label:
            self.stream.write("\n")
        self.label, self.last_draw = label, now
        filled = self.width if total == 0 else min(self.width, self.width * done // total)
        percent = 100 if total == 0 else min(100, 100 * done // total)
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{label:<32} [{bar}] {percent:3d}% {done:,}/{total:,}")
        self.stream.flush()

    def close(self) -> None:
        if self.label:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = (
        "Report what each personal-data declaration has due under its retention (dry run, "
        "the default), or delete / anonymise / erase it with --apply. --schedule queues the "
        "daily run instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--apply", action="store_true", help="Carry out the retention (default: dry run)."
        )
        parser.add_argument(
            "--schedule",
            action="store_true",
            help="Make sure exactly one future daily run (03:00, Paris) is queued, then exit.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=BATCH_SIZE,
            help=f"Rows per batch (default {BATCH_SIZE}).",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="No progress bar, even on a terminal."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            if options["apply"]:
                raise CommandError("--schedule queues the daily run; use it without --apply.")
            schedule = ensure_scheduled()
            when = timezone.localtime(schedule.run_after).strftime("%Y-%m-%d %H:%M %Z")
            if schedule.created:
                self.stdout.write(f"Next retention run queued for {when}.")
            else:
                self.stdout.write(f"Next retention run already queued for {when}.")
            if schedule.removed_duplicates:
                self.stdout.write(f"Removed {schedule.removed_duplicates} duplicate run(s).")
            return
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")

        stream = sys.stderr
        bar = None
        if not options["no_progress"] and stream.isatty():
            bar = ProgressBar(stream)
        try:
            run = do_run_retention(
                None,
                apply=options["apply"],
                trigger="command",
                batch_size=options["batch_size"],
                progress=bar,
            )
        finally:
            if bar is not None:
                bar.close()

        self.stdout.write(
            f"{'Retention applied' if run.applied else 'Dry run: nothing changed'} "
            f"(run #{run.pk})."
        )
        header = f"{'model':<32} {'action':<17} {'due':>10} {'processed':>10}"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for line in run.summary:
            status = f"  ERROR {line['error']}" if line["error"] else ""
            self.stdout.write(
                f"{line['model']:<32} {line['action']:<17} {line['due']:>10,} "
                f"{line['processed']:>10,}{status}"
            )
        if not run.applied and any(line["due"] for line in run.summary):
            self.stdout.write("Run again with --apply to carry it out.")
        if run.error:
            raise CommandError(f"Retention failed for: {run.error} (see the log).")
