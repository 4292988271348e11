"""Make one encrypted backup archive, then apply the retention of archives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from backups import archive, crypto
from backups.crypto import BackupError


class Command(BaseCommand):
    help = (
        "Back up the database and the private files into one encrypted archive in BACKUP_DIR "
        "(docs/deploy.md « Backups and restore »), then delete the archives the retention "
        "does not keep."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--directory", type=Path, help="Where to write (default BACKUP_DIR).")
        parser.add_argument(
            "--no-prune", action="store_true", help="Keep every archive (no retention run)."
        )
        parser.add_argument(
            "--prune-only", action="store_true", help="Apply the retention only, no backup."
        )
        parser.add_argument(
            "--generate-key", action="store_true",
            help="Print a new key for BACKUP_KEY or a key file, and exit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["generate_key"]:
            self.stdout.write(crypto.generate_key())
            return
        directory = options["directory"] or Path(settings.BACKUP_DIR)
        try:
            if not options["prune_only"]:
                result = archive.make_backup(directory=directory)
                self.stdout.write(
                    f"Backup written: {result.path} ({result.size / 1e6:.1f} MB, "
                    f"{len(result.manifest['tables'])} tables, "
                    f"{sum(result.manifest['tables'].values())} rows, "
                    f"{len(result.manifest['files'])} files) in {result.seconds:.1f} s."
                )
            if not options["no_prune"]:
                kept, deleted = archive.prune(directory)
                self.stdout.write(
                    f"Retention ({settings.BACKUP_KEEP_DAILY} daily, "
                    f"{settings.BACKUP_KEEP_WEEKLY} weekly): {len(kept)} kept, "
                    f"{len(deleted)} deleted."
                )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
