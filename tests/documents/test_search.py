"""Library search (documents/search.py): French words, filters, excerpts, who sees what.

Runs on SQLite (Python search) and on PostgreSQL (agora_french + GIN index):

    .venv/bin/pytest tests/documents/test_search.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h6search \\
        .venv/bin/pytest tests/documents/test_search.py
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from documents import search as library_search
from documents.models import (
    Audience,
    ContributorType,
    Document,
    DocumentFile,
    DocumentKind,
    DocumentStatus,
    Theme,
)
from documents.search import reindex, search
from tests import factories

pytestmark = pytest.mark.django_db


def make_document(
    title: str,
    *,
    summary: str = "",
    body: str = "",
    file_text: str | None = None,
    status: str = DocumentStatus.PUBLISHED,
    audience: str = Audience.ASSEMBLY,
    kind: str = DocumentKind.SHEET,
    contributor: User | None = None,
    contributor_type: str = ContributorType.PROVIDER,
    mandates: list[Any] = (),  # type: ignore[assignment]
    themes: list[Theme] = (),  # type: ignore[assignment]
) -> Document:
    document = Document.objects.create(
        title=title,
        summary=summary,
        body=body,
        kind=kind,
        status=status,
        audience=audience,
        contributor=contributor,
        contributor_type=contributor_type,
        published_at=timezone.now() if status == DocumentStatus.PUBLISHED else None,
    )
    document.mandates.set(mandates)
    document.themes.set(themes)
    if file_text is not None:
        DocumentFile.objects.create(
            document=document,
            version=1,
            storage_name=uuid.uuid4().hex,
            original_name="document.pdf",
            size=len(file_text),
            mime_type="application/pdf",
            sha256=hashlib.sha256(file_text.encode()).hexdigest(),
            text=file_text,
        )
    reindex(document)
    document.refresh_from_db()
    return document


def titles(user: Any, query: str, **filters: Any) -> list[str]:
    results, total = search(user, query, **filters)
    assert total >= len(results)
    return [result.document.title for result in results]


@pytest.fixture
def agent(db: Any) -> User:
    return factories.UserFactory(email="agent@example.org", roles=[Role.AGENT])


@pytest.fixture
def facilitator(db: Any) -> User:
    return factories.UserFactory(email="facilitation@example.org", roles=[Role.FACILITATEUR])


# --- search_text ---------------------------------------------------------------------------------


def test_reindex_keeps_plain_text_of_every_part() -> None:
    document = make_document(
        "Mobilité rurale",
        summary="Un résumé.",
        body="<p>Les lignes de <strong>bus</strong> &amp; les cars</p><p>Transport</p>",
        file_text="Texte extrait\x07 du\x0cPDF",
    )
    text = document.search_text
    assert text.startswith("Mobilité rurale\n\nUn résumé.")
    assert "Les lignes de bus & les cars\nTransport" in text
    assert "<strong>" not in text and "<p>" not in text
    assert "document.pdf" in text and "Texte extrait du PDF" in text
    assert "\x07" not in text and "\x0c" not in text


def test_reindex_uses_the_current_file_only_and_caps_the_text(monkeypatch: Any) -> None:
    document = make_document("Rapport", file_text="ancienne version")
    DocumentFile.objects.create(
        document=document,
        version=2,
        storage_name=uuid.uuid4().hex,
        original_name="v2.pdf",
        size=1,
        mime_type="application/pdf",
        sha256="0" * 64,
        text="nouvelle version " * 50,
    )
    monkeypatch.setattr(library_search, "MAX_TEXT", 300)
    reindex(document)
    document.refresh_from_db()
    assert "ancienne" not in document.search_text
    assert "nouvelle version" in document.search_text
    assert len(document.search_text) <= 300


# --- French --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    ["démocratie", "democratie", "DÉMOCRATIE", "Démocraties", "democraties", "démocratiques"],
)
def test_accents_case_and_plurals_both_ways(member: User, query: str) -> None:
    make_document("Les démocraties locales en Europe")
    make_document("Un DEMOCRATIQUE débat", summary="sans accents ni pluriel")
    make_document("Budget participatif")
    assert sorted(titles(member, query)) == [
        "Les démocraties locales en Europe",
        "Un DEMOCRATIQUE débat",
    ]


def test_every_word_must_match_and_stop_words_are_ignored(member: User) -> None:
    make_document("Les transports en commun", summary="Bus et cars du Département")
    make_document("Transports scolaires")
    assert titles(member, "transport bus") == ["Les transports en commun"]
    assert sorted(titles(member, "le transport à")) == [
        "Les transports en commun",
        "Transports scolaires",
    ]
    assert titles(member, "transports -bus") == ["Transports scolaires"]


def test_a_quoted_phrase_needs_its_words_in_a_row(member: User) -> None:
    make_document("Budget participatif du Département")
    make_document("Participatif, le budget ?", summary="Un budget dit participatif.")
    assert titles(member, '"budget participatif"') == ["Budget participatif du Département"]
    assert len(titles(member, "budget participatif")) == 2
    make_document("Un budget", summary="rien de participatif ici, vraiment pas")
    assert "Un budget" not in titles(member, '"budget participatif"')


@pytest.mark.parametrize("query", ["", "   ", "\n\t", "le la de", '""', "-", "« »"])
def test_an_empty_query_finds_nothing_without_error(member: User, query: str) -> None:
    make_document("Le la de")
    assert search(member, query) == ([], 0)


def test_a_very_long_or_hostile_query_is_harmless(member: User) -> None:
    make_document("Démocratie locale")
    results, total = search(member, "démocraties " * 20_000 + "introuvable")
    assert total == 1 and results[0].document.title == "Démocratie locale"
    for hostile in (
        "'; DROP TABLE documents_document; --",
        "démocratie' OR 1=1 --",
        "démocratie & | ! <-> :* ( ) \\ %",
        '"unclosed démocratie',
        "démocratie\x00",
    ):
        search(member, hostile)  # no error
    assert Document.objects.count() == 1


# --- Where the words are -------------------------------------------------------------------------


def test_a_word_only_in_the_files_text_is_found(member: User) -> None:
    make_document(
        "Compte rendu",
        kind=DocumentKind.FILE,
        file_text="Page 3 : la péréquation départementale expliquée.",
    )
    make_document("Autre chose")
    results, total = search(member, "perequation")
    assert total == 1
    assert results[0].document.title == "Compte rendu"
    assert "<mark>péréquation</mark>" in results[0].excerpt


def test_a_title_hit_ranks_above_a_body_only_hit(member: User) -> None:
    body_only = make_document(
        "Note de synthèse",
        body="<p>" + "La mobilité, encore la mobilité, toujours la mobilité. " * 20 + "</p>",
    )
    in_title = make_document("Mobilité rurale", summary="Un résumé court.")
    results, total = search(member, "mobilités")
    assert total == 2
    assert [r.document for r in results] == [in_title, body_only]
    assert results[0].rank > results[1].rank


# --- Excerpts ------------------------------------------------------------------------------------


def test_excerpts_are_escaped_with_marks_around_the_hits(member: User) -> None:
    make_document(
        '<script>alert("titre")</script> Démocratie',
        summary='Un texte <img src=x onerror=alert(1)> sur la démocratie & les "élus".',
    )
    results, _total = search(member, "democratie")
    [result] = results
    for html in (result.excerpt, result.title_html):
        assert "<script" not in html and "<img" not in html
        assert html.count("<mark>") == html.count("</mark>") >= 1
        stripped = html.replace("<mark>", "").replace("</mark>", "")
        assert "<" not in stripped and ">" not in stripped
    assert "<mark>Démocratie</mark>" in result.title_html
    assert "&lt;script&gt;" in result.title_html
    assert "<mark>démocratie</mark>" in result.excerpt
    assert "&lt;img src=x onerror=alert(1)&gt;" in result.excerpt
    assert "&amp;" in result.excerpt


def test_the_excerpt_shows_the_words_around_a_hit_deep_in_the_text(member: User) -> None:
    text = "Introduction générale. " * 200 + "Le covoiturage solidaire arrive. " + "Fin. " * 200
    make_document("Rapport annuel", file_text=text)
    [result], _total = search(member, "covoiturage")
    assert "<mark>covoiturage</mark> solidaire" in result.excerpt
    assert len(result.excerpt) < 600


# --- Who sees what -------------------------------------------------------------------------------


def test_a_member_never_finds_staff_only_proposed_or_declined_documents(
    assembly: Assembly, member: User, agent: User, facilitator: User
) -> None:
    other = factories.make_titulaire(assembly, email="autre@example.org")
    make_document("Citoyenneté publiée")
    make_document("Citoyenneté interne", audience=Audience.STAFF)
    make_document(
        "Citoyenneté proposée",
        status=DocumentStatus.PROPOSED,
        contributor=other,
        contributor_type=ContributorType.MEMBER,
    )
    make_document("Citoyenneté refusée", status=DocumentStatus.DECLINED, contributor=other)
    make_document("Citoyenneté retirée", status=DocumentStatus.WITHDRAWN, contributor=other)
    make_document("Citoyenneté archivée", status=DocumentStatus.ARCHIVED)

    results, total = search(member, "citoyenneté")
    assert total == 2
    assert sorted(r.document.title for r in results) == [
        "Citoyenneté archivée",
        "Citoyenneté publiée",
    ]
    # Staff read the staff-only one; moderators also see what awaits them.
    assert "Citoyenneté interne" in titles(agent, "citoyenneté")
    assert "Citoyenneté proposée" not in titles(agent, "citoyenneté")
    assert "Citoyenneté proposée" in titles(facilitator, "citoyenneté")
    # The author finds their own proposals, whatever their status.
    assert sorted(titles(other, "citoyenneté")) == sorted(
        [
            "Citoyenneté archivée",
            "Citoyenneté proposée",
            "Citoyenneté publiée",
            "Citoyenneté refusée",
            "Citoyenneté retirée",
        ]
    )


def test_an_anonymous_visitor_only_finds_public_documents(member: User) -> None:
    make_document("Laïcité pour tous", audience=Audience.PUBLIC)
    make_document("Laïcité en assemblée", audience=Audience.ASSEMBLY)
    make_document("Laïcité interne", audience=Audience.STAFF)
    make_document(
        "Laïcité proposée",
        audience=Audience.PUBLIC,
        status=DocumentStatus.PROPOSED,
        contributor=member,
    )
    assert titles(AnonymousUser(), "laicite") == ["Laïcité pour tous"]
    assert search(AnonymousUser(), "laïcité")[1] == 1


# --- Filters and pages ---------------------------------------------------------------------------


def test_filters_by_mandate_kind_contributor_type_and_theme(
    assembly: Assembly, member: User
) -> None:
    mandate = factories.make_mandate(assembly)
    other_mandate = factories.make_mandate(assembly, title="Autre mandat")
    theme = Theme.objects.create(name="Santé", slug="sante")
    make_document(
        "Santé A",
        kind=DocumentKind.LINK,
        mandates=[mandate],
        themes=[theme],
        contributor_type=ContributorType.SERVICE,
    )
    make_document("Santé B", kind=DocumentKind.SHEET, mandates=[other_mandate])
    make_document("Santé C", kind=DocumentKind.LINK, contributor_type=ContributorType.MEMBER)

    assert titles(member, "santé", mandate=mandate) == ["Santé A"]
    assert titles(member, "santé", mandate=mandate.pk) == ["Santé A"]
    assert sorted(titles(member, "santé", kind=DocumentKind.LINK)) == ["Santé A", "Santé C"]
    assert titles(member, "santé", contributor_type=ContributorType.MEMBER) == ["Santé C"]
    assert titles(member, "santé", theme=theme) == ["Santé A"]
    assert titles(member, "santé", theme="sante") == ["Santé A"]
    assert titles(member, "santé", kind=DocumentKind.LINK, mandate=other_mandate) == []
    # A malformed filter value matches nothing, without an error.
    assert search(member, "santé", mandate="pas-un-uuid") == ([], 0)


def test_pages_and_total(member: User) -> None:
    for i in range(7):
        make_document(f"Écologie {i}")
    first, total = search(member, "écologie", limit=3)
    second, total_again = search(member, "ecologie", limit=3, offset=3)
    last, _total = search(member, "ecologie", limit=3, offset=6)
    beyond, total_beyond = search(member, "ecologie", limit=3, offset=30)
    assert total == total_again == total_beyond == 7
    assert (len(first), len(second), len(last), len(beyond)) == (3, 3, 1, 0)
    seen = [r.document.pk for r in first + second + last]
    assert len(set(seen)) == 7
    assert len(search(member, "ecologie", limit=10_000)[0]) == 7


def test_postgresql_uses_the_gin_index() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    make_document("Démocratie")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    query = Document.objects.filter(library_search._matches("démocratie"))
    assert "document_search_vector" in query.explain()
