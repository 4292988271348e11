"""Remove expired Janus tokens (they are also swept whenever someone joins a call)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from calls import janus


class Command(BaseCommand):
    help = "Removes the Janus tokens whose expiry has passed."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = sum(server.sweep_expired_tokens() for server in janus.clients())
        self.stdout.write(f"{removed} expired Janus token(s) removed")
