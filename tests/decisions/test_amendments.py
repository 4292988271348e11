"""Amendments in plenary: filing, the subgroup's answer, the amended text with its history,
the plenary's vote on a maintained one."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from decisions.actions import do_cast_ballot, do_close_vote, do_open_vote
from decisions.amendments import (
    do_answer_amendment,
    do_contest_amendment,
    do_file_amendment,
    do_put_amendment_to_vote,
)
from decisions.models import AmendmentStatus
from deliberation import drafts
from deliberation.models import DraftVersion
from tests.decisions.world import SENTENCE, Plenary, make_plenary


@pytest.fixture
def plenary(db: Any) -> Plenary:
    return make_plenary()


def text_of(plenary: Plenary) -> str:
    return drafts.doc_text(drafts.load(plenary.proposal.draft.pk).doc)


def test_full_members_file_amendments_on_a_submitted_proposal(plenary: Plenary) -> None:
    amendment = do_file_amendment(
        plenary.members[4],
        plenary.proposal,
        "remplacer",
        "le mardi matin",
        "le mardi et le samedi matin",
        "Le samedi, c'est jour de marché aussi.",
    )
    assert (amendment.number, amendment.status) == (1, AmendmentStatus.FILED)
    second = do_file_amendment(
        plenary.members[3], plenary.proposal, "supprimer", "Un minibus", "", "Un bus suffit."
    )
    assert second.number == 2
    for outsider in (plenary.substitute, plenary.facilitator):
        with pytest.raises(PermissionDenied):
            do_file_amendment(outsider, plenary.proposal, "supprimer", "Un minibus", "", "Non.")


@pytest.mark.parametrize(
    ("quote", "message"),
    [
        ("le jeudi soir", "n'est pas dans le texte"),
        ("", "Copiez le passage"),
    ],
)
def test_a_passage_that_is_not_in_the_text_is_refused(
    plenary: Plenary, quote: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        do_file_amendment(plenary.members[4], plenary.proposal, "remplacer", quote, "x", "y")


def test_an_accepted_amendment_goes_into_the_text_as_a_named_version(plenary: Plenary) -> None:
    amendment = do_file_amendment(
        plenary.members[4],
        plenary.proposal,
        "remplacer",
        "le mardi matin",
        "le mardi et le samedi matin",
        "Marché.",
    )
    with pytest.raises(PermissionDenied):  # not one of the subgroup's writers
        do_answer_amendment(plenary.members[4], amendment, "accept")
    amendment = do_answer_amendment(plenary.facilitator, amendment, "accept", "Bonne idée.")
    assert amendment.status == AmendmentStatus.ACCEPTED
    assert "au marché le mardi et le samedi matin." in text_of(plenary)
    version = DraftVersion.objects.get(
        draft=plenary.proposal.draft, number=amendment.version_number
    )
    assert version.name == "Amendement n° 1"
    assert "samedi" in version.text
    with pytest.raises(PermissionDenied):  # answered once
        do_answer_amendment(plenary.facilitator, amendment, "reject", "Non.")


def test_add_and_merge(plenary: Plenary) -> None:
    add = do_file_amendment(
        plenary.members[2], plenary.proposal, "ajouter", "au marché", "de Revel", "Préciser."
    )
    do_answer_amendment(plenary.members[0], add, "merge", merged_text="au marché de plein vent")
    assert "relie les hameaux au marché de plein vent le mardi" in text_of(plenary)


def test_rejection_needs_a_reason_then_the_author_may_maintain_it_for_a_vote(
    plenary: Plenary,
) -> None:
    amendment = do_file_amendment(
        plenary.members[4], plenary.proposal, "supprimer", " le mardi matin", "", "Tous les jours."
    )
    with pytest.raises(ValidationError, match="pourquoi"):
        do_answer_amendment(plenary.facilitator, amendment, "reject", "")
    do_answer_amendment(plenary.facilitator, amendment, "reject", "Le mardi est le jour du marché.")
    with pytest.raises(PermissionDenied):
        do_contest_amendment(plenary.members[3], amendment)
    amendment = do_contest_amendment(plenary.members[4], amendment)
    assert amendment.status == AmendmentStatus.CONTESTED
    vote = do_open_vote(
        plenary.facilitator, do_put_amendment_to_vote(plenary.facilitator, amendment)
    )
    assert vote.amendment == amendment and vote.question.startswith("Amendement n° 1 à")
    pour = str(vote.options.get(code="pour").pk)
    for member in plenary.members[:4]:
        do_cast_ballot(member, vote, {"choice": pour})
    do_close_vote(plenary.facilitator, vote)
    amendment.refresh_from_db()
    assert amendment.status == AmendmentStatus.ADOPTED
    assert SENTENCE.replace(" le mardi matin", "") in text_of(plenary)
    assert amendment.version_number is not None
