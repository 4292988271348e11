"""The proposal page's « En plénière » card (amendments and votes), without the
proposals' views knowing the decisions app."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("decisions/_proposal_card.html")
def plenary_card(proposal: Any) -> dict[str, Any]:
    return {
        "proposal": proposal,
        "amendments_count": proposal.amendments.count(),
        "votes": list(proposal.votes.order_by("-created_at")[:5]),
    }
