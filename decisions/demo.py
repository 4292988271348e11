"""The demo's open vote (``seed_demo``): a majority judgment in the plenary on a demo
proposal, so that a newcomer can vote at once from the members' home."""

from __future__ import annotations

from typing import Any

DEMO_PROPOSAL = "Des navettes vers les marchés de plein vent"
DEMO_QUESTION = "Quelle version de « Des navettes vers les marchés de plein vent » retenir ?"
DEMO_OPTIONS = [
    "Une navette le jour du marché, réservée la veille",
    "Une navette régulière chaque matin, sans réservation",
]
DEMO_TEXT = (
    "Relier chaque semaine les hameaux du canton au marché de plein vent le plus proche, "
    "par une navette du Département."
)


def ensure_demo_vote(mandate: Any) -> int:
    """Idempotent: the proposal (submitted to the plenary) and its vote, opened once."""
    from assembly.models import Subgroup
    from decisions.actions import do_create_vote, do_open_vote
    from decisions.models import Vote
    from deliberation.models import Proposal, ProposalStatus
    from deliberation.proposals import do_create_proposal, do_transition

    proposal = Proposal.objects.filter(mandate=mandate, title=DEMO_PROPOSAL).first()
    if proposal is None:
        subgroup = Subgroup.objects.filter(mandate=mandate).order_by("name").first()
        if subgroup is None:
            return 0
        proposal = do_create_proposal(None, subgroup, DEMO_PROPOSAL)
        _write(proposal)
        do_transition(None, proposal, ProposalStatus.REVIEW)
        proposal = do_transition(None, proposal, ProposalStatus.SUBMITTED)
    if Vote.objects.filter(proposal=proposal).exists():
        return 0
    vote = do_create_vote(
        None,
        mandate,
        DEMO_QUESTION,
        "jugement",
        options=DEMO_OPTIONS,
        secret=True,
        proposal=proposal,
    )
    do_open_vote(None, vote)
    return 1


def _write(proposal: Any) -> None:
    import pycrdt

    from deliberation import drafts

    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(DEMO_TEXT)]))
    drafts.append(proposal.draft.pk, [(doc.get_update(before), None)], known_authors=set())
