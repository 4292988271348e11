"""Count a closed vote again from its stored ballots and print the result."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from decisions.actions import recount
from decisions.models import Vote, VoteStatus


class Command(BaseCommand):
    help = "Recount a vote from its stored ballots; says whether it equals the stored result."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("vote", help="the vote's id")
        parser.add_argument("--json", action="store_true", help="print the count as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        vote = Vote.objects.select_related("mandate__assembly").filter(pk=options["vote"]).first()
        if vote is None:
            raise CommandError("No such vote.")
        if vote.status != VoteStatus.CLOSED:
            raise CommandError("The vote is not closed: its ballots are not counted yet.")
        counted = recount(vote)
        same = counted == vote.result
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {"result": counted, "equals_stored": same}, ensure_ascii=False, sort_keys=True
                )
            )
        else:
            self.stdout.write(f"{vote.question}")
            self.stdout.write(
                f"ballots: {counted['ballots']} / {counted['eligible']} "
                f"(quorum {counted['quorum_needed']}: "
                f"{'reached' if counted['quorum_reached'] else 'not reached'})"
            )
            for option in counted["options"]:
                detail = (
                    option.get("count")
                    if "count" in option
                    else f"majority grade {option['majority_grade']}, rank {option['rank']}"
                )
                self.stdout.write(f"  {option['label']}: {detail}")
            self.stdout.write(f"adopted: {counted['adopted']}")
            self.stdout.write(
                "equals the stored result" if same else "DIFFERS from the stored result"
            )
        if not same:
            raise CommandError("The recount differs from the stored result.")
