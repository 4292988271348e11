"""Regenerate the table « What is declared today » of docs/privacy.md from the declarations.

The table sits between two markers in the file; everything else is left as written.
``--check`` changes nothing and fails when the file and the declarations disagree (for CI).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from gdpr.register import DOCS_PATH, docs_table_is_current, write_docs_table


class Command(BaseCommand):
    help = "Write the register's table into docs/privacy.md (or --check that it is current)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check", action="store_true",
            help="Change nothing; exit with an error when the table is out of date.",
        )

    def handle(self, *args: Any, check: bool, **options: Any) -> None:
        if check:
            if not docs_table_is_current(DOCS_PATH):
                raise CommandError(
                    f"{DOCS_PATH} is out of date: run python manage.py gdpr_register_table"
                )
            self.stdout.write("docs/privacy.md agrees with the declarations.")
            return
        changed = write_docs_table(DOCS_PATH)
        state = "table rewritten." if changed else "already current."
        self.stdout.write(f"{DOCS_PATH}: {state}")
