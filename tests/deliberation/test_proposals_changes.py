"""Readable changes to a proposal: the rendered change view, the default comparison, the
title edited by its writers, the template's prompts and the frozen draft's banner."""

from __future__ import annotations

import json
import re
from typing import Any

import pycrdt
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from deliberation import drafts
from deliberation.models import DraftVersion, Proposal, ProposalStatus
from deliberation.proposals import (
    do_create_proposal,
    do_freeze,
    do_named_version,
    do_rename_proposal,
    do_transition,
)
from deliberation.render import changes_html
from deliberation.views_proposals import default_comparison
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(assembly: Any) -> dict[str, Any]:
    people: dict[str, Any] = {
        "member": factories.make_titulaire(assembly, display_name="Zoé M."),
        "other_member": factories.make_titulaire(assembly),
        "substitute": factories.make_substitute(assembly, factories.seat(assembly)),
        "facilitator": factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Amandine R."),
        "other_facilitator": factories.UserFactory(roles=[Role.FACILITATEUR]),
        "agent": factories.UserFactory(roles=[Role.AGENT]),
        "comite_suivi": factories.UserFactory(roles=[Role.COMITE_SUIVI]),
        "dccu": factories.UserFactory(roles=[Role.DCCU]),
        "dpd": factories.UserFactory(roles=[Role.DPD]),
    }
    enrol_demo_totp(people["dccu"])
    enrol_demo_totp(people["dpd"])
    people["subgroup"] = factories.make_subgroup(
        assembly, members=[people["member"]], facilitators=[people["facilitator"]]
    )
    return people


@pytest.fixture
def proposal(people: dict[str, Any]) -> Proposal:
    return do_create_proposal(people["member"], people["subgroup"], "Un minibus le mardi")


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def doc_of(*blocks: Any) -> pycrdt.Doc:
    doc = drafts.new_doc()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    with doc.transaction():
        for block in blocks:
            fragment.children.append(block)
    return doc


def build(*paragraphs: list[tuple[str, dict[str, Any]]]) -> pycrdt.Doc:
    doc = drafts.new_doc()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    with doc.transaction():
        for runs in paragraphs:
            text = pycrdt.XmlText()
            fragment.children.append(pycrdt.XmlElement("paragraph", {}, [text]))
            for chunk, marks in runs:
                text.insert(len(text), chunk, marks or None)
    return doc


# --- The change view ------------------------------------------------------------------------


def test_changed_words_are_marked_inside_their_formatting() -> None:
    old = build([("Le bus passe le ", {}), ("mardi", {"bold": True}), (".", {})])
    new = build([("Le minibus passe le ", {}), ("mardi matin", {"bold": True}), (".", {})])
    html, changed = changes_html(old, new)
    assert changed
    assert str(html) == (
        "<p>Le <del>bus</del><ins>minibus</ins> passe le <strong>mardi</strong>"
        "<ins><strong> matin</strong></ins>.</p>"
    )


def test_the_same_text_is_no_change_and_text_is_escaped() -> None:
    doc = build([("<script>", {})])
    html, changed = changes_html(doc, build([("<script>", {})]))
    assert not changed and str(html) == "<p>&lt;script&gt;</p>"
    html, changed = changes_html(doc, build([("<b>", {})]))
    assert changed and "<b>" not in str(html).replace("&lt;b&gt;", "")


def test_a_list_item_added_is_marked_inside_the_list() -> None:
    def bullets(*items: str) -> pycrdt.Doc:
        return doc_of(
            pycrdt.XmlElement(
                "bulletList",
                {},
                [
                    pycrdt.XmlElement(
                        "listItem", {}, [pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(item)])]
                    )
                    for item in items
                ],
            )
        )

    html, _changed = changes_html(bullets("un", "deux"), bullets("un", "deux", "trois"))
    assert str(html) == (
        "<ul><li><p>un</p></li><li><p>deux</p></li>"
        '<li><ins class="diff-block"><p>trois</p></ins></li></ul>'
    )


def test_the_default_comparison_is_the_last_two_different_versions(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    member = people["member"]
    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText("Ajout.")]))
    drafts.append(proposal.draft.pk, [(doc.get_update(before), member.pk)], known_authors=set())
    do_named_version(member, proposal, "Avec l'ajout")  # version 2, a new text
    do_transition(member, proposal, ProposalStatus.REVIEW)  # version 3, the same text
    versions = list(DraftVersion.objects.filter(draft=proposal.draft).order_by("-number"))
    assert [v.number for v in versions] == [3, 2, 1]
    assert default_comparison(versions) == (1, 3)
    page = login(member).get(f"/propositions/{proposal.pk}/versions/").content.decode()
    assert '<option value="1" selected>' in page and '<option value="3" selected>' in page


# --- The title ------------------------------------------------------------------------------

RENAMERS = {"member", "facilitator", "dccu"}


@pytest.mark.parametrize(
    "role",
    [
        "member",
        "other_member",
        "substitute",
        "facilitator",
        "other_facilitator",
        "agent",
        "comite_suivi",
        "dccu",
        "dpd",
    ],
)
def test_only_the_writers_change_the_title(
    role: str, proposal: Proposal, people: dict[str, Any]
) -> None:
    response = login(people[role]).post(
        f"/propositions/{proposal.pk}/titre/", {"title": "  Un minibus   le jeudi "}
    )
    proposal.refresh_from_db()
    if role in RENAMERS:
        assert response.status_code == 302
        assert proposal.title == "Un minibus le jeudi"
    else:
        assert response.status_code == (404 if role == "dpd" else 403)
        assert proposal.title == "Un minibus le mardi"
    page = login(people[role]).get(f"/propositions/{proposal.pk}/")
    if role != "dpd":
        assert ("proposal-new-title" in page.content.decode()) == (role in RENAMERS)


def test_a_frozen_draft_keeps_its_title_but_for_the_facilitators(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    do_freeze(people["facilitator"], proposal, True)
    with pytest.raises(PermissionDenied):
        do_rename_proposal(people["member"], proposal, "Autre")
    assert do_rename_proposal(people["facilitator"], proposal, "Autre").title == "Autre"
    with pytest.raises(ValidationError):
        do_rename_proposal(people["facilitator"], proposal, "   ")
    response = login(people["facilitator"]).post(
        f"/propositions/{proposal.pk}/titre/", {"title": "x" * 201}, follow=True
    )
    assert "trop long" in response.content.decode()


# --- The template's prompts and the frozen draft ---------------------------------------------


def test_a_new_draft_has_empty_paragraphs_and_the_page_gives_their_prompts(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    blocks = drafts.to_blocks(drafts.load(proposal.draft.pk).doc)
    assert [b.type for b in blocks] == ["heading", "paragraph"] * 4
    assert all(not b.plain() for b in blocks[1::2])
    page = login(people["member"]).get(f"/propositions/{proposal.pk}/").content.decode()
    found = re.search(
        r'<script id="draft-placeholders" type="application/json">(.*?)</script>', page
    )
    assert found
    prompts = json.loads(found.group(1))
    assert prompts["Constat"] == "Décrivez ce que vous avez constaté, entendu et lu…"
    assert len(prompts) == 4


def test_a_frozen_draft_says_who_froze_it_and_whom_to_ask(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    member_page = login(people["member"]).get(f"/propositions/{proposal.pk}/").content.decode()
    assert 'id="draft-frozen" class="frozen-banner" role="status" hidden' in member_page
    do_freeze(people["facilitator"], proposal, True)
    page = login(people["member"]).get(f"/propositions/{proposal.pk}/").content.decode()
    assert 'id="draft-frozen" class="frozen-banner" role="status">' in page
    assert "Gelé par Amandine R. (animation) le " in page
    assert "demandez à" in page
    do_freeze(people["facilitator"], proposal, False)
    proposal.draft.refresh_from_db()
    assert proposal.draft.frozen_by is None and proposal.draft.frozen_at is None


def test_the_editors_socket_is_told_the_stage_and_the_freeze(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    from deliberation.draft_store import DraftStore

    do_transition(people["member"], proposal, ProposalStatus.REVIEW)
    do_transition(people["facilitator"], proposal, ProposalStatus.SUBMITTED)
    extra = DraftStore().abilities(people["member"], str(proposal.draft.pk)).extra  # type: ignore[union-attr]
    assert extra["status"] == ProposalStatus.SUBMITTED and extra["frozen"]
    assert extra["frozen_note"].startswith("Gelé par Amandine R. (animation) le ")


# --- Carets ---------------------------------------------------------------------------------


def test_writers_of_the_same_draft_get_distinct_caret_colours(
    assembly: Any, people: dict[str, Any]
) -> None:
    from deliberation.proposals import WRITER_COLOURS, writer_identity

    members = [factories.make_titulaire(assembly) for _ in range(len(WRITER_COLOURS) - 1)]
    subgroup = factories.make_subgroup(assembly, members=members,
                                       facilitators=[people["facilitator"]], name="Santé")
    proposal = do_create_proposal(None, subgroup, "Des médecins")
    colours = [writer_identity(p, proposal)["color"] for p in [people["facilitator"], *members]]
    assert len(set(colours)) == len(WRITER_COLOURS)
    # Through the socket's abilities too (the identity the editor's awareness carries).
    from deliberation.draft_store import DraftStore

    identity = DraftStore().abilities(members[0], str(proposal.draft.pk)).identity  # type: ignore[union-attr]
    assert identity["color"] == writer_identity(members[0], proposal)["color"]
