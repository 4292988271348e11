"""The restore drill: restore a backup into a fresh database and folder, and check it."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups import archive, restore
from backups.crypto import BackupError


class Command(BaseCommand):
    help = (
        "Restore the newest backup (or the one given) into a database and a folder of its own, "
        "check row counts, schema, files, and a sample of library files, drafts and messages "
        "against the live site, then drop them. Exits with 1 on any mismatch."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", nargs="?", type=Path, help="Default: the newest.")
        parser.add_argument("--directory", type=Path, help="Where archives are (BACKUP_DIR).")
        parser.add_argument("--sample", type=int, default=20, help="Rows per sample (20).")
        parser.add_argument("--jobs", type=int, default=1, help="pg_restore --jobs (1).")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        try:
            path = options["archive"] or archive.newest_archive(
                options["directory"] or Path(settings.BACKUP_DIR)
            )
            key = archive.backup_key()
            with tempfile.TemporaryDirectory(prefix="agora-drill-") as work:
                report = restore.drill(
                    path, key, work=Path(work), sample=options["sample"], jobs=options["jobs"]
                )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines:
            self.stdout.write(line)
        seconds = time.monotonic() - started
        if not report.ok:
            raise CommandError(
                f"Restore drill FAILED: {len(report.problems)} mismatch(es) ({seconds:.1f} s)."
            )
        self.stdout.write(f"Restore drill passed in {seconds:.1f} s.")
