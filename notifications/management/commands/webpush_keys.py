"""Print a fresh VAPID key pair for web push (docs/deploy.md, « Notifications sur téléphone »)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from notifications.webpush import new_key_pair


class Command(BaseCommand):
    help = "Print a new VAPID key pair, as environment variables, to turn web push on."

    def handle(self, *args: Any, **options: Any) -> None:
        public, private = new_key_pair()
        self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={public}")
        self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={private}")
        self.stderr.write(
            "Keep the private key secret, and keep it: a new pair cuts every device off "
            "until its owner ticks the box again."
        )
