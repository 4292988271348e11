"""Daily housekeeping of the rights workflow: remind the DPD of deadlines, expire old copies.

Run it once a day (cron or a systemd timer), or queue it for the worker with
``--enqueue``. Both are idempotent: a request is reminded at most once a day.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from gdpr.access_copy import expire_access_copies
from gdpr.rights import REMINDER_DAYS, send_due_reminders


class Command(BaseCommand):
    help = (
        "Email the DPD about data-protection requests due within N days (once a day each) "
        "and delete access copies past their time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, default=REMINDER_DAYS,
            help="Remind about requests due within this many days (default: %(default)s).",
        )
        parser.add_argument(
            "--base-url", default="",
            help="The platform's address, for links in the email (e.g. https://agora.cd31.fr).",
        )
        parser.add_argument(
            "--enqueue", action="store_true",
            help="Queue the work for the background worker instead of doing it now.",
        )

    def handle(self, *args: Any, days: int, base_url: str, enqueue: bool, **options: Any) -> None:
        if enqueue:
            from gdpr.tasks import rights_housekeeping_task

            result = rights_housekeeping_task.enqueue()
            self.stdout.write(f"Queued: {result.id}")
            return
        reminded = send_due_reminders(days=days, base_url=base_url)
        expired = expire_access_copies()
        self.stdout.write(
            f"Requests reminded: {reminded}. Access copies expired: {expired}."
        )
