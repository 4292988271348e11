"""Re-run a draw from its exported inputs file and say whether it gives the published result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from assembly.draws import verify_bundle
from assembly.models_draws import Draw


class Command(BaseCommand):
    help = (
        "Re-run a draw from the file downloaded from its public verification page; compare "
        "the inputs with their hash and the result with the file's (and with the published "
        "draw when this database has it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the draw's inputs file (JSON)")
        parser.add_argument(
            "--offline", action="store_true",
            help="do not compare with the draw published in this database",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            bundle = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"Cannot read the file: {exc}") from exc
        if not isinstance(bundle, dict):
            raise CommandError("Not a draw's inputs file.")
        published = None
        draw_id = (bundle.get("inputs") or {}).get("draw")
        if not options["offline"] and draw_id:
            published = Draw.objects.filter(pk=draw_id).exclude(result=[]).first()
        outcome = verify_bundle(bundle, published)
        self.stdout.write(f"inputs sha256: {bundle.get('inputs_sha256')}")
        self.stdout.write(f"seed: {bundle.get('seed')!r}")
        self.stdout.write(
            f"algorithm: {bundle.get('algorithm')} "
            f"({bundle.get('library')} {bundle.get('library_version')})"
        )
        self.stdout.write(f"hash: {'ok' if outcome.hash_ok else 'MISMATCH'}")
        self.stdout.write(
            f"result: {'identical' if outcome.result_ok else 'DIFFERENT'} "
            f"({len(outcome.recomputed)} people re-drawn)"
            + (" — compared with the published draw" if published is not None else "")
        )
        for message in outcome.messages:
            self.stdout.write(f"  {message}")
        if not outcome.ok:
            raise CommandError("The draw could not be verified.")
        self.stdout.write(self.style.SUCCESS("The draw is verified."))
