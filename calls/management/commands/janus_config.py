"""Write Janus Gateway's configuration for Agora into var/janus/etc/ (calls/mediaserver.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from calls import mediaserver


class Command(BaseCommand):
    help = "Writes Janus's configuration (HTTP API, Admin API, AudioBridge, VideoRoom, Streaming)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--http-port", type=int, default=None)
        parser.add_argument("--admin-port", type=int, default=None)
        parser.add_argument(
            "--print-command", action="store_true", help="Print the command that starts Janus."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = mediaserver.write_configuration(
            http_port=options["http_port"], admin_port=options["admin_port"]
        )
        if options["print_command"]:
            self.stdout.write(" ".join(mediaserver.command_line()))
        else:
            self.stdout.write(f"Janus configuration written to {target}")
