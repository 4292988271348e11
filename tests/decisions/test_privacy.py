"""Privacy of the decisions: the access copy holds public ballots and never a secret one's
content; erasure keeps amendments and minority views under the pseudonym and replaces the
person's names others wrote in them."""

from __future__ import annotations

from typing import Any

import pytest

from decisions.actions import (
    do_cast_ballot,
    do_close_vote,
    do_create_vote,
    do_open_vote,
    do_write_minority_view,
)
from decisions.amendments import do_file_amendment
from decisions.models import Amendment, MinorityView, Participation, Vote
from gdpr.access_copy import items_for
from gdpr.erasure import erase_person
from gdpr.registry import get_declaration
from tests.decisions.world import Plenary, make_plenary


@pytest.fixture
def plenary(db: Any) -> Plenary:
    return make_plenary()


def _vote(p: Plenary, secret: bool) -> Vote:
    return do_open_vote(p.dccu, do_create_vote(p.dccu, p.mandate, "Q ?", "majorite", secret=secret))


def test_the_access_copy_has_public_ballots_but_not_what_a_secret_ballot_said(
    plenary: Plenary,
) -> None:
    member = plenary.members[2]
    public, secret = _vote(plenary, False), _vote(plenary, True)
    contre_public = str(public.options.get(code="contre").pk)
    do_cast_ballot(member, public, {"choice": contre_public})
    do_cast_ballot(member, secret, {"choice": str(secret.options.get(code="pour").pk)})
    declaration = get_declaration(Participation)
    assert declaration is not None
    items = {
        str(
            item.get("vote", {}).get("id")
            if isinstance(item.get("vote"), dict)
            else item.get("vote")
        ): item
        for item in items_for(declaration, member)
    }
    assert len(items) == 2
    contents = [item.get("content") for item in items.values()]
    assert {"choice": contre_public} in contents
    assert None in contents  # the secret one: that they voted, nothing more
    assert str(secret.options.get(code="pour").pk) not in repr(list(items.values()))


def test_erasure_keeps_amendments_and_views_under_the_pseudonym_and_scrubs_names(
    plenary: Plenary, django_capture_on_commit_callbacks: Any
) -> None:
    sylvie, other = plenary.members[3], plenary.members[4]
    amendment = do_file_amendment(
        sylvie, plenary.proposal, "supprimer", "le mardi matin", "", "Tous les jours."
    )
    vote = _vote(plenary, False)
    contre = str(vote.options.get(code="contre").pk)
    do_cast_ballot(sylvie, vote, {"choice": contre})
    do_cast_ballot(other, vote, {"choice": contre})
    do_close_vote(plenary.dccu, vote)
    do_write_minority_view(sylvie, vote, "Trop cher.")
    name = f"{sylvie.first_name} {sylvie.last_name}"
    theirs = do_write_minority_view(other, vote, f"Comme {name}, je trouve cela trop cher.")
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(sylvie, reason="test")
    sylvie.refresh_from_db()
    kept = Amendment.objects.get(pk=amendment.pk)
    assert kept.author_id == sylvie.pk and kept.rationale == "Tous les jours."
    assert MinorityView.objects.filter(vote=vote, author=sylvie).exists()
    text = MinorityView.objects.get(pk=theirs.pk).text
    assert name not in text and sylvie.pseudonym in text
