"""Pending suggestions in a draft: shown in versions and the change view, left out of the
exports, in the suggester's access copy, under their pseudonym after erasure; the
abilities say who may suggest."""

from __future__ import annotations

import json
import re
from typing import Any

import pycrdt
import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from deliberation import drafts
from deliberation.export import proposal_blocks
from deliberation.models import DraftVersion, Proposal, VersionKind
from deliberation.privacy import export_drafts
from deliberation.proposals import do_create_proposal
from tests import factories

pytestmark = pytest.mark.django_db
AT = "2026-12-07T02:00:00.000Z"


@pytest.fixture
def people(assembly: Any) -> dict[str, Any]:
    people: dict[str, Any] = {
        "member": factories.make_titulaire(assembly),
        "reader": factories.make_titulaire(assembly, display_name="Lucie R."),
        "substitute": factories.make_substitute(assembly, factories.seat(assembly)),
        "agent": factories.UserFactory(roles=[Role.AGENT]),
    }
    people["subgroup"] = factories.make_subgroup(assembly, members=[people["member"]])
    return people


@pytest.fixture
def proposal(people: dict[str, Any]) -> Proposal:
    return do_create_proposal(people["member"], people["subgroup"], "Un minibus le mardi")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def suggest(proposal: Proposal, author: User) -> None:
    """The author's suggestion, as the editor writes it: « Constat » struck through, « Nos
    constats » added, stored as an update of theirs."""
    draft_id = proposal.draft.pk
    doc = drafts.load(draft_id).doc
    before = doc.get_state()
    heading = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment).children[0].children[0]
    length = len("".join(part for part, _ in heading.diff()))
    mark = {"author": str(author.pk), "at": AT}
    with doc.transaction():
        heading.format(0, length, {"deletion": mark})
        heading.insert(length, "Nos constats", {"insertion": mark})
    drafts.append(draft_id, [(doc.get_update(before), author.pk)], known_authors=set())


@pytest.mark.parametrize("allowed", [False, True])
def test_readers_may_suggest_only_where_the_subgroup_allows_it(
    allowed: bool, people: dict[str, Any], proposal: Proposal
) -> None:
    people["subgroup"].reader_suggestions = allowed
    people["subgroup"].save()
    proposal = Proposal.objects.get(pk=proposal.pk)
    assert proposal.get_abilities(people["member"])["suggest"] is True
    for role in ("reader", "substitute", "agent"):
        abilities = proposal.get_abilities(people[role])
        assert abilities["edit"] is False and abilities["suggest"] is allowed
    page = login(people["reader"]).get(f"/propositions/{proposal.pk}/").content.decode()
    assert f'data-suggest-only="{str(allowed).lower()}"' in page


def test_suggestions_show_in_versions_and_the_change_view_not_in_exports(
    people: dict[str, Any], proposal: Proposal
) -> None:
    heading = proposal_blocks(proposal)[0].plain()
    suggest(proposal, people["reader"])
    drafts.create_version(proposal.draft.pk, VersionKind.NAMED, name="Avec la suggestion")
    number = DraftVersion.objects.filter(draft=proposal.draft).order_by("-number")[0].number
    client = login(people["member"])
    version = client.get(f"/propositions/{proposal.pk}/versions/{number}/").content.decode()
    assert re.search(r'<ins class="suggestion suggestion--insertion">Nos constats</ins>', version)
    assert f'<del class="suggestion suggestion--deletion">{heading}</del>' in version
    diff = client.get(
        f"/propositions/{proposal.pk}/versions/comparer/?de=1&a={number}"
    ).content.decode()
    assert "Nos constats" in diff and "<ins>" in diff
    # The page names who suggested (the editor colours their suggestions).
    page = client.get(f"/propositions/{proposal.pk}/").content.decode()
    people_json = json.loads(re.search(r'id="draft-people"[^>]*>(.*?)</script>', page)[1])
    assert people_json[str(people["reader"].pk)]["name"] == people["reader"].public_name
    # Exports: the text as decided, without the pending suggestion.
    exported = proposal_blocks(proposal)[0].plain()
    assert exported == heading


def test_the_access_copy_lists_ones_pending_suggestions(
    people: dict[str, Any], proposal: Proposal
) -> None:
    suggest(proposal, people["reader"])
    rows = list(export_drafts(people["reader"]))
    assert [s["kind"] for s in rows[0]["snapshot"]] == ["deletion", "insertion"]
    assert rows[0]["snapshot"][1]["text"] == "Nos constats"
    assert all(r["snapshot"] == [] for r in export_drafts(people["member"]))


def test_after_erasure_a_suggestion_shows_under_the_pseudonym(
    people: dict[str, Any], proposal: Proposal
) -> None:
    from gdpr.erasure import erase_person

    suggest(proposal, people["reader"])
    erase_person(people["reader"])
    reader = User.objects.get(pk=people["reader"].pk)
    page = login(people["member"]).get(f"/propositions/{proposal.pk}/").content.decode()
    people_json = json.loads(re.search(r'id="draft-people"[^>]*>(.*?)</script>', page)[1])
    name = people_json[str(reader.pk)]["name"]
    assert name == reader.public_name and "Lucie" not in name
