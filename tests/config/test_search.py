"""The one search (config/search.py): who finds what, role by role; French words; marks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from config.search import search_everything
from deliberation.proposals import do_create_proposal
from documents import search as library
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [
    "titulaire_in",
    "titulaire_out",
    "remplacant",
    "facilitateur_of",
    "facilitateur_other",
    "agent",
    "dccu",
    "dpd",
    "comite_suivi",
    "no_role",
]
ASSEMBLY = {
    "titulaire_in",
    "titulaire_out",
    "remplacant",
    "facilitateur_of",
    "facilitateur_other",
    "agent",
    "dccu",
    "comite_suivi",
}
STAFF = {"facilitateur_of", "facilitateur_other", "agent", "dccu"}

# What each thing is, and who may read it (docs/permissions.md).
EXPECTED = {
    "subgroup message": {"titulaire_in", "facilitateur_of", "dccu"},
    "plenary message": ASSEMBLY,
    "staff message": STAFF,
    "direct message": {"titulaire_in", "facilitateur_of"},
    "hidden message": set(),
    "assembly document": ASSEMBLY,
    "staff document": STAFF,
    "proposed document": {"facilitateur_of", "facilitateur_other", "dccu", "titulaire_in"},
    "proposal": ASSEMBLY,
}


@pytest.fixture
def world(assembly: Any) -> dict[str, Any]:
    people: dict[str, User] = {}
    people["titulaire_in"] = factories.make_titulaire(assembly, display_name="Chloélise Bernard")
    people["titulaire_out"] = factories.make_titulaire(
        assembly, display_name="Marcellin Quenouillère"
    )
    people["remplacant"] = factories.make_substitute(assembly, factories.seat(assembly))
    for role in ("facilitateur_of", "facilitateur_other"):
        people[role] = factories.UserFactory(roles=[Role.FACILITATEUR])
    for role in ("agent", "dccu", "dpd", "comite_suivi"):
        user = factories.UserFactory(roles=[Role(role)])
        if role in {"dccu", "dpd"}:
            enrol_demo_totp(user)
        people[role] = user
    people["no_role"] = factories.UserFactory()
    subgroup = factories.make_subgroup(
        assembly, members=[people["titulaire_in"]], facilitators=[people["facilitateur_of"]]
    )
    mandate = subgroup.mandate
    a, f = people["titulaire_in"], people["facilitateur_of"]
    factories.send(a, factories.room_of(subgroup), "subgroup message: minibus du vieillissement")
    factories.send(a, factories.plenary_room(mandate), "plenary message: le minibus")
    factories.send(f, factories.staff_room(mandate), "staff message: minibus en équipe")
    factories.send(f, factories.direct_room(a, f), "direct message: minibus entre nous")
    hidden = factories.send(a, factories.room_of(subgroup), "hidden message: minibus caché")
    type(hidden).objects.filter(pk=hidden.pk).update(hidden_at=timezone.now())
    for title, audience, status, contributor in (
        ("assembly document", "assemblee", "publie", None),
        ("staff document", "equipe", "publie", None),
        ("proposed document", "assemblee", "propose", a),
    ):
        document = factories.DocumentFactory(
            title=f"{title}: le minibus",
            audience=audience,
            status=status,
            contributor=contributor,
            mandates=[mandate],
        )
        library.reindex(document)
    do_create_proposal(None, subgroup, "proposal: un minibus le mardi")
    return {"people": people, "subgroup": subgroup}


def _found(groups: Any) -> set[str]:
    """The labels (« plenary message »…) of everything in the results, and the totals."""
    labels = set()
    for group in groups:
        for hit in group.hits:
            text = str(hit.title) + str(hit.excerpt)
            text = text.replace("<mark>", "").replace("</mark>", "")
            labels |= {label for label in EXPECTED if label in text}
        assert group.total == len(group.hits)  # few results: every one is on the page
    return labels


@pytest.mark.parametrize("role", ROLES)
def test_each_role_finds_exactly_what_it_may_read(role: str, world: dict[str, Any]) -> None:
    user = world["people"][role]
    found = _found(search_everything(user, "minibus"))
    assert found == {label for label, readers in EXPECTED.items() if role in readers}


@pytest.mark.parametrize("role", ["titulaire_out", "dpd", "no_role", "remplacant"])
def test_the_page_never_shows_nor_counts_what_one_may_not_read(
    role: str, world: dict[str, Any]
) -> None:
    client = Client()
    client.force_login(world["people"][role])
    response = client.get("/recherche/", {"q": "minibus"})
    assert response.status_code == 200
    page = response.content.decode()
    for label in (
        "subgroup message",
        "direct message",
        "hidden message",
        "staff document",
        "proposed document",
        "staff message",
    ):
        assert label not in page
    counts = {group.kind: group.total for group, _title in response.context["groups"]}
    expected_messages = 1 if role in ASSEMBLY else 0
    assert counts["messages"] == expected_messages


def test_anonymous_visitors_are_sent_to_the_login(world: dict[str, Any]) -> None:
    response = Client().get("/recherche/", {"q": "minibus"})
    assert response.status_code == 302
    assert "/comptes/login/" in response["Location"]


def test_people_are_found_by_the_start_of_their_name_without_accents(world: dict[str, Any]) -> None:
    people = world["people"]
    groups = search_everything(people["facilitateur_of"], "chloel", kind="people")
    assert [str(hit.title) for hit in groups[0].hits] == ["<mark>Chloélise</mark> Bernard"]
    # Anyone one may write to is found: Marcellin shares the plenary with the facilitator
    # (forums.views.people_i_share_a_room_with); the DPD shares no room with him: not found,
    # not counted.
    assert search_everything(people["facilitateur_of"], "quenouill", kind="people")[0].total == 1
    assert search_everything(people["dpd"], "quenouill", kind="people")[0].total == 0
    # Nobody finds anyone when they share no room.
    assert search_everything(people["no_role"], "chloel", kind="people")[0].total == 0


def test_french_words_are_read_the_library_way(world: dict[str, Any]) -> None:
    member = world["people"]["titulaire_in"]
    messages = search_everything(member, "vieillir", kind="messages")[0]
    assert messages.total == 1
    assert "<mark>vieillissement</mark>" in str(messages.hits[0].excerpt)
    proposals = search_everything(member, "MARDIS", kind="proposals")[0]
    assert proposals.total == 1
    assert "<mark>mardi</mark>" in str(proposals.hits[0].title)


def test_the_text_of_a_proposal_is_searched(world: dict[str, Any]) -> None:
    member = world["people"]["titulaire_in"]
    # The template's « Constats » heading is in the draft's first version.
    assert search_everything(member, "constats", kind="proposals")[0].total == 1


def test_a_theme_keeps_documents_only_and_filters_them(world: dict[str, Any]) -> None:
    from documents.models import Document

    member = world["people"]["titulaire_in"]
    theme = factories.ThemeFactory(name="Transports", slug="transports")
    Document.objects.get(title__startswith="assembly document").themes.set([theme])
    groups = search_everything(member, "minibus", theme=theme)
    assert [g.kind for g in groups] == ["documents"]
    assert _found(groups) == {"assembly document"}


def test_the_library_search_page_has_the_theme_filter_of_the_browse_page(
    world: dict[str, Any],
) -> None:
    from documents.models import Document

    client = Client()
    client.force_login(world["people"]["titulaire_in"])
    theme = factories.ThemeFactory(name="Transports", slug="transports")
    Document.objects.get(title__startswith="staff document").themes.set([theme])
    Document.objects.get(title__startswith="assembly document").themes.set([theme])
    response = client.get("/bibliotheque/recherche/", {"q": "minibus", "theme": "transports"})
    page = response.content.decode()
    assert 'name="theme"' in page
    assert "assembly document" in page
    assert "proposed document" not in page  # theirs, but not of this theme
    assert "staff document" not in page  # of the theme, but not theirs to read


# --- The highlighter -------------------------------------------------------------------------


def test_highlighting_keeps_the_spaces_between_words() -> None:
    parsed = library.parse_query("être aidant")
    assert str(library.highlight("Être aidant au quotidien", parsed)) == (
        "<mark>Être</mark> <mark>aidant</mark> au quotidien"
    )
    excerpt = str(library.excerpt("Le guide pour être aidant au quotidien.", parsed))
    assert "<mark>être</mark> <mark>aidant</mark> au quotidien" in excerpt


def test_highlighting_escapes_the_text() -> None:
    parsed = library.parse_query("script")
    assert str(library.highlight("<script>alert(1)</script>", parsed)) == (
        "&lt;<mark>script</mark>&gt;alert(1)&lt;/<mark>script</mark>&gt;"
    )


CSS = Path(__file__).resolve().parents[2] / "static/css"


@pytest.mark.parametrize(
    "selector",
    [".doc-row__title a", ".search-hit__title a", ".search-hit__excerpt", ".search-excerpt"],
)
def test_no_highlighted_text_is_laid_out_as_flex(selector: str) -> None:
    """A flex box makes each <mark> an item and drops the spaces between them (the bug:
    « êtreaidantau quotidien »)."""
    import re

    for sheet in CSS.glob("*.css"):
        for rule in re.finditer(r"([^{}]+)\{([^}]*)\}", sheet.read_text()):
            selectors = [s.strip() for s in rule.group(1).split(",")]
            if selector in selectors:
                assert not re.search(r"display:\s*(inline-)?(flex|grid)", rule.group(2)), (
                    sheet.name,
                    rule.group(0),
                )


def test_a_proposal_excerpt_reads_as_text(world: dict[str, Any]) -> None:
    member = world["people"]["titulaire_in"]
    [hit] = search_everything(member, "constat", kind="proposals")[0].hits
    assert "#" not in str(hit.excerpt) and "<mark>Constat</mark>" in str(hit.excerpt)


def test_a_message_excerpt_reads_as_shown_without_its_markers(world: dict[str, Any]) -> None:
    member = world["people"]["titulaire_in"]
    room = factories.room_of(world["subgroup"])
    factories.send(member, room, "Il faut **plus de minibus** le _samedi_")
    hits = search_everything(member, "samedi", kind="messages")[0].hits
    [excerpt] = [str(hit.excerpt) for hit in hits if "samedi" in str(hit.excerpt)]
    assert "**" not in excerpt and "_" not in excerpt
    assert "plus de minibus le <mark>samedi</mark>" in excerpt


def test_a_person_found_leads_to_a_conversation_with_them(world: dict[str, Any]) -> None:
    member = world["people"]["titulaire_in"]
    [hit] = search_everything(member, "Quenouill", kind="people")[0].hits
    other = world["people"]["titulaire_out"]
    assert hit.url == f"/discussions/nouvelle/?avec={other.pk}"
