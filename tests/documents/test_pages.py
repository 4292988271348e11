"""The library's pages, role by role: browse, a document's page and files, search, comments,
live news — a staff-only or still-proposed document never reaches a member."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from documents import actions
from documents.models import Document
from realtime.events import check_event
from tests import factories
from tests.documents.fixtures import makers
from tests.documents.people import ROLES, client_for, person

# Who reads what (docs/permissions.md, « Bibliothèque »).
READS = {
    "assemblee": {"titulaire", "remplacant", "facilitateur", "agent", "dccu", "comite_suivi"},
    "equipe": {"facilitateur", "agent", "dccu"},
    "public": set(ROLES),
    # A member's proposal, still « proposé »: its author (titulaire) and the moderators.
    "proposed": {"titulaire", "facilitateur", "dccu"},
}


def make_docs(author: User | None) -> dict[str, Document]:
    """One document per kind of visibility, each with a PDF version (no bytes needed)."""
    docs = {
        "assemblee": factories.DocumentFactory(title="Guide des membres", audience="assemblee"),
        "equipe": factories.DocumentFactory(title="Note interne équipe", audience="equipe"),
        "public": factories.DocumentFactory(title="Document public", audience="public"),
        "proposed": factories.DocumentFactory(
            title="Proposition en attente", audience="assemblee", status="propose",
            published_at=None, contributor=author, contributor_type="membre",
        ),
    }
    for doc in docs.values():
        factories.make_file(doc)
    return docs


@pytest.fixture
def world(assembly: Assembly) -> dict[str, Any]:
    people = {role: person(role, assembly) for role in ROLES}
    return {"people": people, "docs": make_docs(people["titulaire"])}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_each_role_reaches_exactly_the_documents_it_may_read(role: str,
                                                             world: dict[str, Any]) -> None:
    client = client_for(world["people"][role])
    browse = client.get("/bibliotheque/")
    assert browse.status_code == 200
    page = browse.content.decode()
    for name, doc in world["docs"].items():
        allowed = role in READS[name]
        # The document's page, its thumbnail, inline player and download: the same 404 as
        # for a missing document when one may not read it.
        answer = client.get(f"/bibliotheque/{doc.pk}/")
        assert answer.status_code == (200 if allowed else 404), (role, name)
        stored = doc.files.get()
        for suffix in ("apercu", "lecture", "telecharger"):
            url = f"/bibliotheque/{doc.pk}/fichiers/{stored.pk}/{suffix}/"
            response = client.get(url)
            if not allowed:
                assert response.status_code == 404, (role, name, suffix)
        # The list shows published documents one may read; a proposal only under
        # « Mes documents non publiés » for its author (and to moderators in the moderation page).
        listed = doc.title in page
        if name == "proposed":
            assert listed == (role == "titulaire"), role
        else:
            assert listed == allowed, (role, name)


@pytest.mark.django_db
def test_a_missing_document_answers_the_same_404(world: dict[str, Any]) -> None:
    client = client_for(world["people"]["titulaire"])
    hidden = world["docs"]["equipe"]
    missing = client.get("/bibliotheque/00000000-0000-0000-0000-000000000000/")
    refused = client.get(f"/bibliotheque/{hidden.pk}/")
    assert missing.status_code == refused.status_code == 404
    assert hidden.title not in refused.content.decode()


@pytest.mark.django_db
def test_filters_narrow_the_list_without_javascript(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    mandate = factories.make_mandate(assembly)
    theme = factories.ThemeFactory(name="Santé", slug="sante")
    factories.DocumentFactory(title="Fiche santé", kind="fiche", body="<p>x</p>",
                              mandates=[mandate], themes=[theme], contributor_type="prestataire")
    factories.DocumentFactory(title="Lien transports", kind="lien")
    client = client_for(member)
    for query in (f"mandate={mandate.pk}", "theme=sante", "kind=fiche",
                  "contributor_type=prestataire"):
        page = client.get(f"/bibliotheque/?{query}").content.decode()
        assert "Fiche santé" in page, query
        assert "Lien transports" not in page, query


@pytest.mark.django_db
def test_browse_query_count_does_not_grow_with_the_documents(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    mandate = factories.make_mandate(assembly)
    theme = factories.ThemeFactory()
    client = client_for(member)

    def count(n: int) -> int:
        for _i in range(n):
            doc = factories.DocumentFactory(mandates=[mandate], themes=[theme])
            factories.make_file(doc)
        client.get("/bibliotheque/")  # warm the session and the caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/bibliotheque/").status_code == 200
        return len(queries)

    few = count(5)
    many = count(45)  # 50 in all, over several pages
    assert many == few


@pytest.mark.django_db
def test_document_page_shows_player_preview_download_and_versions(assembly: Assembly) -> None:
    agent = factories.UserFactory(roles=[Role.AGENT])
    member = factories.make_titulaire(assembly)
    audio = factories.DocumentFactory(kind="audio", url="", contributor=agent)
    first = factories.make_file(audio, mime_type="audio/ogg", name="interview.ogg",
                                preview=False, uploaded_by=agent)
    second = factories.make_file(audio, version=2, mime_type="audio/ogg", name="v2.ogg",
                                 preview=False, uploaded_by=agent, note="Son plus clair")
    page = client_for(member).get(f"/bibliotheque/{audio.pk}/").content.decode()
    player = f'src="/bibliotheque/{audio.pk}/fichiers/{second.pk}/lecture/"'
    assert f'<audio controls preload="metadata" {player}' in page
    assert f"/fichiers/{second.pk}/telecharger/" in page
    assert f"/fichiers/{first.pk}/telecharger/" in page  # the history
    assert "Son plus clair" in page
    pdf_doc = factories.DocumentFactory(kind="fichier", url="")
    pdf_file = factories.make_file(pdf_doc)
    page = client_for(member).get(f"/bibliotheque/{pdf_doc.pk}/").content.decode()
    assert "<iframe" not in page
    assert f"/fichiers/{pdf_file.pk}/apercu/" in page
    assert f"/fichiers/{pdf_file.pk}/lecture/" in page  # « Ouvrir »


@pytest.mark.django_db
def test_link_opens_the_site_without_opener_and_sheet_body_is_sanitised(
    assembly: Assembly,
) -> None:
    member = factories.make_titulaire(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    sheet = actions.do_propose_document(
        facilitator, kind="fiche", title="La saisine",
        body='<p>Texte <strong>gras</strong></p><script>alert(1)</script><img src=x onerror=y>',
    )
    link = actions.do_propose_document(facilitator, kind="lien", title="Site",
                                       url="https://www.haute-garonne.fr/")
    page = client_for(member).get(f"/bibliotheque/{sheet.pk}/").content.decode()
    assert "<strong>gras</strong>" in page
    assert "<script>alert" not in page and "onerror" not in page
    page = client_for(member).get(f"/bibliotheque/{link.pk}/").content.decode()
    assert 'href="https://www.haute-garonne.fr/" rel="noopener noreferrer"' in page


@pytest.mark.django_db
def test_a_real_pdf_upload_is_downloadable_by_readers_only(assembly: Assembly) -> None:
    agent = factories.UserFactory(roles=[Role.AGENT])
    member = factories.make_titulaire(assembly)
    upload = SimpleUploadedFile("guide.pdf", makers.pdf("Guide de la saisine"),
                                content_type="application/pdf")
    staff_only = actions.do_propose_document(agent, kind="fichier", title="Guide",
                                             upload=upload, audience="equipe")
    stored = staff_only.files.get()
    url = f"/bibliotheque/{staff_only.pk}/fichiers/{stored.pk}/telecharger/"
    response = client_for(agent).get(url)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert client_for(member).get(url).status_code == 404


@pytest.mark.django_db
def test_publishing_sends_the_live_event_to_the_documents_audience_only(
    assembly: Assembly, monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    sent: list[tuple[dict[str, Any], list[str]]] = []
    monkeypatch.setattr(actions, "send_event_on_commit",
                        lambda event, groups: sent.append((event.to_dict(), groups)))
    agent = factories.UserFactory(roles=[Role.AGENT])
    with django_capture_on_commit_callbacks(execute=True):
        staff_doc = actions.do_propose_document(agent, kind="lien", title="Interne",
                                                url="https://example.org/a", audience="equipe")
    news = [(e, g) for e, g in sent if e["type"] == "library.published"]
    assert len(news) == 1
    event, groups = news[0]
    check_event(event)
    assert groups == ["library.equipe"]
    assert event["document"] == str(staff_doc.pk)
    # A member's proposal is not news until a moderator publishes it.
    sent.clear()
    member = factories.make_titulaire(assembly)
    with django_capture_on_commit_callbacks(execute=True):
        actions.do_propose_document(member, kind="lien", title="Ma proposition",
                                    url="https://example.org/b")
    assert not [e for e, _g in sent if e["type"].startswith("library.")]


@pytest.mark.django_db
def test_comments_reuse_the_conversations_and_follow_the_document(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    substitute = factories.make_substitute(assembly, factories.seat(assembly))
    committee = factories.UserFactory(roles=[Role.COMITE_SUIVI])
    doc = factories.DocumentFactory(title="Rapport")
    client = client_for(member)
    response = client.post(f"/bibliotheque/{doc.pk}/commenter/", {"body": "Très utile !"})
    assert response.status_code == 302
    assert "Très utile !" in client.get(f"/bibliotheque/{doc.pk}/").content.decode()
    assert "Très utile !" in client_for(substitute).get(f"/bibliotheque/{doc.pk}/").content.decode()
    # The follow-up committee reads the document but has no comment ability.
    assert client_for(committee).post(f"/bibliotheque/{doc.pk}/commenter/",
                                      {"body": "x"}).status_code == 403
    from forums.access import readable_rooms

    room = doc.room
    assert room.kind == "document"
    assert room not in readable_rooms(member)  # not listed with the conversations
    # Once the document is staff-only, its comments close to members too.
    doc.audience = "equipe"
    doc.save()
    assert room.get_abilities(member) == {"read": False, "write": False, "moderate": False}
    assert client.get(f"/forums/salle/{room.pk}/").status_code == 404


@pytest.mark.django_db
def test_search_page_lists_only_readable_documents(assembly: Assembly) -> None:
    agent = factories.UserFactory(roles=[Role.AGENT])
    member = factories.make_titulaire(assembly)
    actions.do_propose_document(agent, kind="lien", title="Démocratie locale",
                                url="https://example.org/1")
    actions.do_propose_document(agent, kind="lien", title="Démocratie interne",
                                url="https://example.org/2", audience="equipe")
    page = client_for(member).get("/bibliotheque/recherche/?q=democratie").content.decode()
    assert "locale" in page
    assert "interne" not in page


@pytest.mark.django_db
def test_paths_and_search_query_counts_do_not_grow_with_the_documents(
    assembly: Assembly,
) -> None:
    from documents.models import ReadingPath, ReadingPathItem

    member = factories.make_titulaire(assembly)
    path = ReadingPath.objects.create(title="Bienvenue", slug="bienvenue")
    client = client_for(member)

    def count(n: int) -> tuple[int, int, int]:
        start = ReadingPathItem.objects.filter(path=path).count()
        for i in range(n):
            doc = factories.DocumentFactory(title=f"Mobilité rurale {start + i}")
            factories.make_file(doc)
            ReadingPathItem.objects.create(path=path, document=doc, position=start + i)
        sizes = []
        for url in ("/bibliotheque/parcours/", "/bibliotheque/parcours/bienvenue/",
                    "/bibliotheque/recherche/?q=mobilite"):
            client.get(url)  # warm the session and the caches
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            sizes.append(len(queries))
        return sizes[0], sizes[1], sizes[2]

    assert count(5) == count(45)
