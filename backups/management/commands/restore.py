"""Disaster recovery: restore a backup into the configured (empty) database and folders."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups import archive, restore
from backups.crypto import BackupError


class Command(BaseCommand):
    help = (
        "Restore an archive into the database of the settings (PostgreSQL: an empty database "
        "made with createdb; SQLite: no file yet) and into MEDIA_ROOT and PRIVATE_ROOT (with "
        "no file yet), then check counts, schema and files. docs/deploy.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path)
        parser.add_argument("--jobs", type=int, default=2, help="pg_restore --jobs (2).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            key = archive.backup_key()
            with tempfile.TemporaryDirectory(prefix="agora-restore-") as work:
                report = restore.restore(
                    options["archive"], key, work=Path(work), jobs=options["jobs"]
                )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines:
            self.stdout.write(line)
        seconds = time.monotonic() - started
        if not report.ok:
            raise CommandError(
                f"Restored with {len(report.problems)} mismatch(es) ({seconds:.1f} s): "
                "read them before opening the site."
            )
        self.stdout.write(f"Restore done and checked in {seconds:.1f} s.")
