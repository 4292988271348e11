"""Proposing, editing, withdrawing and moderating documents; followers' notifications."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from documents import actions
from documents.models import Document, DocumentEvent, MandateFollow
from tests import factories
from tests.documents.people import ROLES, client_for, person

MAY_PROPOSE = {"titulaire", "remplacant", "facilitateur", "agent", "dccu"}
MODERATE = {"facilitateur", "dccu"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_who_may_open_the_propose_and_moderation_pages(role: str, assembly: Assembly) -> None:
    client = client_for(person(role, assembly))
    propose = client.get("/bibliotheque/proposer/")
    moderation = client.get("/bibliotheque/moderation/")
    if role == "anonymous":
        assert propose.status_code == moderation.status_code == 302
        return
    assert propose.status_code == (200 if role in MAY_PROPOSE else 403)
    assert moderation.status_code == (200 if role in MODERATE else 403)


@pytest.mark.django_db
def test_a_member_proposes_a_link_and_a_facilitator_publishes_it(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    other = factories.make_titulaire(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    response = client_for(member).post("/bibliotheque/proposer/", {
        "kind": "lien", "title": "Le site de la CNSA", "url": "https://www.cnsa.fr/",
        "audience": "assemblee", "summary": "Pour comprendre l'APA.",
    })
    assert response.status_code == 302
    doc = Document.objects.get(title="Le site de la CNSA")
    assert doc.status == "propose" and doc.contributor == member
    assert doc.contributor_type == "membre"
    assert client_for(other).get(f"/bibliotheque/{doc.pk}/").status_code == 404
    moderation = client_for(facilitator).get("/bibliotheque/moderation/").content.decode()
    assert "Le site de la CNSA" in moderation
    assert client_for(member).post(f"/bibliotheque/{doc.pk}/publier/").status_code == 403
    assert client_for(facilitator).post(f"/bibliotheque/{doc.pk}/publier/").status_code == 302
    doc.refresh_from_db()
    assert doc.status == "publie" and doc.published_by == facilitator
    assert client_for(other).get(f"/bibliotheque/{doc.pk}/").status_code == 200
    assert list(doc.events.values_list("action", flat=True)) == ["proposed", "published"]


@pytest.mark.django_db
def test_staff_publish_directly_with_their_contributor_type(assembly: Assembly) -> None:
    for role, kind in ((Role.AGENT, "service"), (Role.FACILITATEUR, "prestataire"),
                       (Role.DCCU, "service")):
        user = factories.UserFactory(roles=[role])
        doc = actions.do_propose_document(user, kind="lien", title=f"Par {role}",
                                          url="https://example.org/")
        assert (doc.status, doc.contributor_type) == ("publie", kind)


@pytest.mark.django_db
def test_members_choose_only_the_assembly_or_public_audience(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    with pytest.raises(ValidationError):
        actions.do_propose_document(member, kind="lien", title="x", url="https://e.org",
                                    audience="equipe")
    committee = factories.UserFactory(roles=[Role.COMITE_SUIVI])
    with pytest.raises(PermissionDenied):
        actions.do_propose_document(committee, kind="lien", title="x", url="https://e.org")


@pytest.mark.django_db
@pytest.mark.parametrize("kind, fields", [
    ("lien", {"url": "javascript:alert(1)"}),
    ("lien", {}),
    ("fichier", {}),
    ("fiche", {"body": "<script>x</script>"}),
    ("bibliographie", {}),
])
def test_each_kind_needs_its_content_and_nothing_is_stored_otherwise(
    kind: str, fields: dict[str, str], assembly: Assembly,
) -> None:
    member = factories.make_titulaire(assembly)
    response = client_for(member).post("/bibliotheque/proposer/", {
        "kind": kind, "title": "Incomplet", "audience": "assemblee", **fields,
    })
    assert response.status_code == 400
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_decline_needs_a_reason_shown_and_emailed_to_the_author(
    assembly: Assembly, django_capture_on_commit_callbacks: Any,
) -> None:
    member = factories.make_titulaire(assembly, email="auteur@example.org")
    dccu = person("dccu", assembly)
    doc = actions.do_propose_document(member, kind="lien", title="Vidéo hors sujet",
                                      url="https://example.org/v")
    client = client_for(dccu)
    assert client.post(f"/bibliotheque/{doc.pk}/refuser/", {"reason": ""}).status_code == 400
    doc.refresh_from_db()
    assert doc.status == "propose"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/bibliotheque/{doc.pk}/refuser/",
                               {"reason": "Sans rapport avec la saisine."})
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == "refuse"
    assert [m.to for m in mail.outbox] == [["auteur@example.org"]]
    assert "Sans rapport avec la saisine." in mail.outbox[0].body
    page = client_for(member).get(f"/bibliotheque/{doc.pk}/").content.decode()
    assert "Sans rapport avec la saisine." in page
    assert DocumentEvent.objects.filter(document=doc, action="declined", actor=dccu).exists()


@pytest.mark.django_db
def test_author_edits_and_withdraws_and_an_edit_of_a_published_document_is_reviewed(
    assembly: Assembly,
) -> None:
    member = factories.make_titulaire(assembly)
    other = factories.make_titulaire(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    doc = actions.do_propose_document(member, kind="lien", title="Avant",
                                      url="https://example.org/")
    actions.do_publish_document(facilitator, doc)
    response = client_for(member).post(f"/bibliotheque/{doc.pk}/modifier/", {
        "title": "Après", "url": "https://example.org/nouveau", "audience": "assemblee",
    })
    assert response.status_code == 302
    doc.refresh_from_db()
    assert (doc.title, doc.status) == ("Après", "propose")
    assert client_for(other).get(f"/bibliotheque/{doc.pk}/").status_code == 404
    assert client_for(other).post(f"/bibliotheque/{doc.pk}/retirer/").status_code == 404
    assert client_for(facilitator).post(f"/bibliotheque/{doc.pk}/retirer/").status_code == 403
    assert client_for(member).post(f"/bibliotheque/{doc.pk}/retirer/").status_code == 302
    doc.refresh_from_db()
    assert doc.status == "retire"
    page = client_for(member).get("/bibliotheque/").content.decode()
    assert "Après" in page
    # Under its own name: « Mes propositions » is the assembly's proposals, elsewhere.
    assert "Mes documents non publiés" in page and "Mes propositions" not in page


@pytest.mark.django_db
def test_archive_is_for_moderators(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    doc = factories.DocumentFactory()
    assert client_for(member).post(f"/bibliotheque/{doc.pk}/archiver/").status_code == 403
    assert client_for(facilitator).post(f"/bibliotheque/{doc.pk}/archiver/").status_code == 302
    doc.refresh_from_db()
    assert doc.status == "archive"
    assert client_for(member).get(f"/bibliotheque/{doc.pk}/").status_code == 200


@pytest.mark.django_db
def test_followers_hear_of_documents_they_may_read_only(
    assembly: Assembly, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    mandate = factories.make_mandate(assembly)
    member = factories.make_titulaire(assembly, email="membre@example.org")
    agent_follower = factories.UserFactory(roles=[Role.AGENT], email="agent@example.org")
    author = factories.UserFactory(roles=[Role.AGENT])
    for user in (member, agent_follower):
        assert client_for(user).post(f"/bibliotheque/mandats/{mandate.pk}/suivre/",
                                     {"follow": "1"}).status_code == 302
    assert MandateFollow.objects.count() == 2
    sent: list[tuple[dict[str, Any], list[str]]] = []
    monkeypatch.setattr(actions, "send_event_on_commit",
                        lambda event, groups: sent.append((event.to_dict(), groups)))
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_propose_document(author, kind="lien", title="Note équipe",
                                    url="https://example.org/e", audience="equipe",
                                    mandates=[mandate])
    told = {g[0] for e, g in sent if e["type"] == "library.notification"}
    assert told == {f"user.{agent_follower.pk}"}
    assert [m.to for m in mail.outbox] == [["agent@example.org"]]
    sent.clear()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_propose_document(author, kind="lien", title="Pour tous",
                                    url="https://example.org/t", mandates=[mandate])
    told = {g[0] for e, g in sent if e["type"] == "library.notification"}
    assert told == {f"user.{member.pk}", f"user.{agent_follower.pk}"}
    # Unfollowing stops it.
    client_for(member).post(f"/bibliotheque/mandats/{mandate.pk}/suivre/", {"follow": "0"})
    assert not MandateFollow.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_a_members_proposal_notifies_nobody_until_published(
    assembly: Assembly, django_capture_on_commit_callbacks: Any,
) -> None:
    mandate = factories.make_mandate(assembly)
    follower: User = factories.make_titulaire(assembly, email="suit@example.org")
    actions.do_follow_mandate(follower, mandate)
    author = factories.make_titulaire(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    with django_capture_on_commit_callbacks(execute=True):
        doc = actions.do_propose_document(author, kind="lien", title="En attente",
                                          url="https://example.org/p", mandates=[mandate])
    assert mail.outbox == []
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_publish_document(facilitator, doc)
    assert [m.to for m in mail.outbox] == [["suit@example.org"]]
