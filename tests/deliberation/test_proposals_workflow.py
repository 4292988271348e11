"""The proposals' workflow, versions, diff, restore, comments and the demo seed, through the
real operations and pages."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pycrdt
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from assembly.models import Subgroup
from decisions.demo import DEMO_PROPOSAL
from deliberation import drafts
from deliberation.demo_followup import PROPOSALS as FOLLOWED
from deliberation.models import (
    DraftComment,
    DraftVersion,
    Proposal,
    ProposalStatus,
    ProposalTransition,
    VersionKind,
)
from deliberation.proposals import (
    do_comment,
    do_create_proposal,
    do_freeze,
    do_named_version,
    do_resolve,
    do_restore_version,
    do_transition,
)
from tests import factories

pytestmark = pytest.mark.django_db

S = ProposalStatus
ANCHOR = {"start": {"type": None, "tname": "default", "item": {"client": 1, "clock": 4},
                    "assoc": 0},
          "end": {"type": None, "tname": "default", "item": {"client": 1, "clock": 9},
                  "assoc": -1}}


@pytest.fixture
def people(assembly: Any) -> dict[str, User]:
    member = factories.make_titulaire(assembly, display_name="Zoé M.")
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Amandine R.")
    dccu = factories.UserFactory(roles=[Role.DCCU])
    other = factories.make_titulaire(assembly)
    substitute = factories.make_substitute(assembly, factories.seat(assembly))
    subgroup = factories.make_subgroup(assembly, members=[member], facilitators=[facilitator])
    return {"member": member, "facilitator": facilitator, "dccu": dccu, "other": other,
            "substitute": substitute, "subgroup": subgroup}


@pytest.fixture
def proposal(people: dict[str, Any]) -> Proposal:
    return do_create_proposal(people["member"], people["subgroup"], "Un minibus le mardi")


def type_in(proposal: Proposal, user: User, text: str) -> None:
    """A writer types a paragraph at the end of the draft (as the socket would store it)."""
    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(text)]))
    drafts.append(proposal.draft.pk, [(doc.get_update(before), user.pk)], known_authors=set())


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- Creation and workflow -------------------------------------------------------------------


def test_a_new_proposal_starts_from_the_template_as_version_one(proposal: Proposal) -> None:
    assert proposal.status == S.DRAFT and not proposal.draft.frozen
    text = drafts.doc_text(drafts.load(proposal.draft.pk).doc)
    assert text.startswith("## ") and text.count("## ") == 4
    version = DraftVersion.objects.get(draft=proposal.draft)
    assert version.number == 1 and version.kind == VersionKind.NAMED and version.text == text


def test_someone_outside_the_subgroup_cannot_start_a_proposal(people: dict[str, Any]) -> None:
    with pytest.raises(PermissionDenied):
        do_create_proposal(people["other"], people["subgroup"], "Autre")
    with pytest.raises(ValidationError):
        do_create_proposal(people["member"], people["subgroup"], "   ")


def test_submitting_freezes_the_draft_and_going_back_to_draft_reopens_it(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    member, facilitator = people["member"], people["facilitator"]
    do_transition(member, proposal, S.REVIEW, note="Prêt à relire")
    with pytest.raises(PermissionDenied):  # only a facilitator submits
        do_transition(member, proposal, S.SUBMITTED)
    proposal = do_transition(facilitator, proposal, S.SUBMITTED)
    proposal.draft.refresh_from_db()
    assert proposal.draft.frozen
    assert not proposal.get_abilities(member)["edit"]
    proposal = do_transition(facilitator, proposal, S.REVIEW)
    proposal.draft.refresh_from_db()
    assert not proposal.draft.frozen
    log = list(ProposalTransition.objects.filter(proposal=proposal)
               .values_list("from_status", "to_status", "by", "note"))
    assert log == [(S.DRAFT, S.REVIEW, member.pk, "Prêt à relire"),
                   (S.REVIEW, S.SUBMITTED, facilitator.pk, ""),
                   (S.SUBMITTED, S.REVIEW, facilitator.pk, "")]
    kinds = list(proposal.draft.versions.values_list("kind", flat=True))
    assert kinds == [VersionKind.NAMED, VersionKind.STATUS, VersionKind.STATUS, VersionKind.STATUS]


def test_a_not_retained_proposal_goes_back_to_draft_open(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    facilitator = people["facilitator"]
    for status in (S.REVIEW, S.SUBMITTED, S.NOT_RETAINED):
        proposal = do_transition(facilitator, proposal, status)
    proposal.draft.refresh_from_db()
    assert proposal.draft.frozen
    proposal = do_transition(facilitator, proposal, S.DRAFT)
    proposal.draft.refresh_from_db()
    assert not proposal.draft.frozen


def test_only_the_dccu_carries_an_adopted_proposal_further(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    facilitator, dccu = people["facilitator"], people["dccu"]
    for status in (S.REVIEW, S.SUBMITTED, S.ADOPTED):
        proposal = do_transition(facilitator, proposal, status)
    with pytest.raises(PermissionDenied):
        do_transition(facilitator, proposal, S.TRANSMITTED)
    for status in (S.TRANSMITTED, S.ANSWERED, S.FOLLOW_UP):
        proposal = do_transition(dccu, proposal, status)
    assert proposal.status == S.FOLLOW_UP


def test_a_transition_the_workflow_does_not_have_is_refused_in_french(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as error:
        do_transition(people["dccu"], proposal, S.ADOPTED)
    assert "ne peut pas devenir" in error.value.messages[0]
    response = login(people["member"]).post(
        f"/propositions/{proposal.pk}/statut/", {"to": S.ADOPTED}, follow=True)
    assert "ne peut pas devenir" in response.content.decode()


def test_the_status_change_shows_on_the_page_with_its_note(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    client = login(people["member"])
    response = client.post(f"/propositions/{proposal.pk}/statut/",
                           {"to": S.REVIEW, "note": "On relit <jeudi>"}, follow=True)
    html = response.content.decode()
    assert "La proposition est maintenant" in html
    assert "On relit &lt;jeudi&gt;" in html


def test_a_facilitator_freezes_and_reopens_and_writers_lose_and_regain_editing(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        do_freeze(people["member"], proposal, True)
    do_freeze(people["facilitator"], proposal, True)
    client = login(people["member"])
    assert 'data-can-edit="false"' in client.get(f"/propositions/{proposal.pk}/").content.decode()
    do_freeze(people["facilitator"], proposal, False)
    assert 'data-can-edit="true"' in client.get(f"/propositions/{proposal.pk}/").content.decode()


# --- Versions, diff, restore -----------------------------------------------------------------


def test_restoring_makes_a_new_version_equal_to_the_old_and_keeps_the_history(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    member = people["member"]
    type_in(proposal, member, "Un minibus relie les hameaux au marché.")
    named = do_named_version(member, proposal, "Avant la plénière")
    assert named is not None and list(named.authors.all()) == [member]
    type_in(proposal, member, "Le coût est de 40 000 euros par an.")
    current = do_named_version(member, proposal, "Avec le coût")
    assert current is not None
    before = {v.number: (v.text, bytes(v.state)) for v in DraftVersion.objects.filter(
        draft=proposal.draft)}

    client = login(member)
    response = client.post(f"/propositions/{proposal.pk}/versions/{named.number}/restaurer/",
                           {"confirm": "1"})
    assert response.status_code == 302
    restored = DraftVersion.objects.filter(draft=proposal.draft).order_by("-number").first()
    assert restored is not None and restored.kind == VersionKind.RESTORE
    assert restored.number == current.number + 1
    assert restored.text == named.text
    assert drafts.doc_text(drafts.load(proposal.draft.pk).doc) == named.text
    after = {v.number: (v.text, bytes(v.state)) for v in DraftVersion.objects.filter(
        draft=proposal.draft, number__lte=current.number)}
    assert after == before


def test_restore_needs_the_confirmation_box(proposal: Proposal, people: dict[str, Any]) -> None:
    response = login(people["member"]).post(
        f"/propositions/{proposal.pk}/versions/1/restaurer/", follow=True)
    assert "Cochez la case" in response.content.decode()
    assert proposal.draft.versions.count() == 1


def test_a_frozen_draft_is_restored_by_a_facilitator_only(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    do_freeze(people["facilitator"], proposal, True)
    with pytest.raises(PermissionDenied):
        do_restore_version(people["member"], proposal, 1)
    response = login(people["member"]).post(
        f"/propositions/{proposal.pk}/versions/1/restaurer/", {"confirm": "1"})
    assert response.status_code == 403
    assert do_restore_version(people["facilitator"], proposal, 1).kind == VersionKind.RESTORE


def test_the_diff_shows_the_formatted_text_with_the_changed_words_marked(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    member = people["member"]
    type_in(proposal, member, "Le bus passe à 7 heures.")
    type_in(proposal, member, "Ligne supprimée ensuite.")
    first = do_named_version(member, proposal, "Un")
    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    last = len(fragment.children) - 1
    del fragment.children[last]
    fragment.children[last - 1].children[0].insert(0, "Demain, ")
    fragment.children.insert(0, pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText("Ajout <b>")]))
    drafts.append(proposal.draft.pk, [(doc.get_update(before), member.pk)], known_authors=set())
    second = do_named_version(member, proposal, "Deux")
    assert first and second
    html = login(people["substitute"]).get(
        f"/propositions/{proposal.pk}/versions/comparer/?de={first.number}&a={second.number}"
    ).content.decode()
    assert '<p><del class="diff-block">Ligne supprimée ensuite.</del></p>' in html
    assert '<p><ins class="diff-block">Ajout &lt;b&gt;</ins></p>' in html
    assert "<p><ins>Demain, </ins>Le bus passe à 7 heures.</p>" in html
    assert "<h3>Constat</h3>" in html  # unchanged, and rendered as a heading, not « ## »
    assert "##" not in html


def test_the_versions_page_lists_authors_and_names_a_version(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    member = people["member"]
    type_in(proposal, member, "Texte.")
    client = login(member)
    response = client.post(f"/propositions/{proposal.pk}/versions/", {"name": "Pour jeudi"},
                           follow=True)
    html = response.content.decode()
    assert "Pour jeudi" in html and "Zoé M." in html
    assert login(people["substitute"]).post(
        f"/propositions/{proposal.pk}/versions/", {"name": "x"}).status_code == 403
    version = login(people["substitute"]).get(f"/propositions/{proposal.pk}/versions/2/")
    assert version.status_code == 200 and "Texte." in version.content.decode()
    assert "restaurer" not in version.content.decode()


# --- Comments ---------------------------------------------------------------------------------


def post_json(client: Client, url: str, data: Any) -> Any:
    return client.post(url, data, content_type="application/json")


def test_comments_are_created_answered_resolved_and_listed(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    url = f"/propositions/{proposal.pk}/commentaires/"
    member, agent = login(people["member"]), login(people["facilitator"])
    created = post_json(member, url, {"body": "  <b>Précisons</b> le coût.  ",
                                      "anchor": ANCHOR, "quote": "minibus"})
    assert created.status_code == 201
    thread = created.json()
    assert thread["body"] == "<b>Précisons</b> le coût." and thread["anchor"] == ANCHOR
    assert thread["author"] == "Zoé M." and thread["author_is_me"]
    reply = post_json(agent, url, {"body": "D'accord.", "parent": thread["id"]})
    assert reply.status_code == 201 and "anchor" not in reply.json()
    # A reply to a reply is refused: threads are one level deep.
    nested = post_json(agent, url, {"body": "Et ?", "parent": reply.json()["id"]})
    assert nested.status_code == 400
    assert nested.json()["error"] == "Le commentaire auquel vous répondez n'existe plus."
    resolved = post_json(agent, f"{url}{thread['id']}/resolu/", {"resolved": True})
    assert resolved.status_code == 200
    # The facilitator's name says what she is (accounts.names): a member cannot type that.
    assert resolved.json()["resolved"]
    assert resolved.json()["resolved_by"] == "Amandine R. (animation)"
    assert reply.json()["author"] == "Amandine R. (animation)"
    listing = member.get(url).json()["comments"]
    assert len(listing) == 1 and listing[0]["resolved"]
    assert [r["body"] for r in listing[0]["replies"]] == ["D'accord."]
    assert not listing[0]["replies"][0]["author_is_me"]
    reopened = post_json(member, f"{url}{thread['id']}/resolu/", {"resolved": False})
    assert not reopened.json()["resolved"] and reopened.json()["resolved_by"] is None


@pytest.mark.parametrize(("payload", "message"), [
    ({"body": "   "}, "Écrivez quelque chose dans votre commentaire."),
    ({"body": "x" * 5001}, "Votre commentaire est trop long (5000 caractères au plus)."),
    ({"body": "Ok", "anchor": {"start": 1, "end": 2}},
     "Le passage commenté est introuvable. Sélectionnez-le à nouveau."),
    ({"body": "Ok", "anchor": {"start": {"x": "y" * 3000}, "end": {}}},
     "Le passage commenté est introuvable. Sélectionnez-le à nouveau."),
    ({"body": "Ok", "parent": 999999}, "Le commentaire auquel vous répondez n'existe plus."),
])
def test_invalid_comments_are_refused_with_a_french_message(
    proposal: Proposal, people: dict[str, Any], payload: dict[str, Any], message: str
) -> None:
    response = post_json(login(people["member"]), f"/propositions/{proposal.pk}/commentaires/",
                         payload)
    assert response.status_code == 400
    assert response.json() == {"error": message}
    assert not DraftComment.objects.exists()


def test_a_reply_must_belong_to_the_same_draft(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    other = do_create_proposal(people["member"], people["subgroup"], "Autre proposition")
    foreign = do_comment(people["member"], other, "Ailleurs", anchor=ANCHOR)
    with pytest.raises(ValidationError):
        do_comment(people["member"], proposal, "Réponse", parent=foreign.pk)


def test_readers_who_may_not_comment_cannot_resolve(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    comment = do_comment(people["member"], proposal, "À voir", anchor=ANCHOR)
    with pytest.raises(PermissionDenied):
        do_resolve(people["substitute"], comment, True)
    response = post_json(login(people["substitute"]),
                         f"/propositions/{proposal.pk}/commentaires/{comment.pk}/resolu/",
                         {"resolved": True})
    assert response.status_code == 403 and response.json()["error"]


def test_an_erased_commenter_shows_under_their_pseudonym(
    proposal: Proposal, people: dict[str, Any]
) -> None:
    from gdpr.erasure import erase_person

    do_comment(people["member"], proposal, "Je propose le mardi.", anchor=ANCHOR)
    erase_person(people["member"], reason="test")
    people["member"].refresh_from_db()
    listing = login(people["facilitator"]).get(
        f"/propositions/{proposal.pk}/commentaires/").json()["comments"]
    assert listing[0]["author"] == people["member"].pseudonym
    assert listing[0]["body"] == "Je propose le mardi."


# --- The demo seed ----------------------------------------------------------------------------


def test_seed_demo_gives_each_subgroup_one_templated_proposal_and_is_idempotent(
    settings: Any,
) -> None:
    settings.AGORA_DEMO = True
    call_command("seed_demo", stdout=StringIO())
    subgroups = list(Subgroup.objects.all())
    assert len(subgroups) == 6
    # Besides them, the demo's proposal submitted to the plenary's vote (decisions.demo) and
    # the adopted ones the Département answered (deliberation.demo_followup).
    followed = [spec["title"] for spec in FOLLOWED]
    templated = Proposal.objects.exclude(title=DEMO_PROPOSAL).exclude(title__in=followed)
    for subgroup in subgroups:
        proposal = templated.get(subgroup=subgroup)
        assert proposal.title == f"Proposition du sous-groupe {subgroup.name}"
        text = drafts.doc_text(drafts.load(proposal.draft.pk).doc)
        assert text.count("## ") == 4
    call_command("seed_demo", stdout=StringIO())
    assert templated.count() == 6 and Proposal.objects.count() == 7 + len(followed)
    assert DraftVersion.objects.filter(draft__proposal__in=templated).count() == 6
