"""Print the current two-factor code of the seeded demo staff accounts."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.demo import current_demo_code


class Command(BaseCommand):
    help = "Print the current TOTP code of the published demo secret (demo mode only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.AGORA_DEMO:
            raise CommandError("Refused: AGORA_DEMO is off, there is no demo secret here.")
        self.stdout.write(current_demo_code())
