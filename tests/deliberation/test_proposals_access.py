"""Who reaches the proposals pages: every role, on every page and action (docs/permissions.md,
« Propositions et brouillons »). A proposal one may not read is a 404, as if it did not exist."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Subgroup
from deliberation.models import Proposal, ProposalStatus
from deliberation.proposals import do_create_proposal
from tests import factories

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous", "titulaire_in", "titulaire_out", "remplacant", "facilitateur_of",
    "facilitateur_other", "agent", "dccu", "dpd", "comite_suivi", "no_role",
]
READERS = {"titulaire_in", "titulaire_out", "remplacant", "facilitateur_of",
           "facilitateur_other", "agent", "dccu", "comite_suivi"}
COMMENTERS = {"titulaire_in", "titulaire_out", "facilitateur_of", "facilitateur_other", "agent",
              "dccu"}
FACILITATORS = {"facilitateur_of", "dccu"}
WRITERS = {"titulaire_in", "facilitateur_of"}


@pytest.fixture
def world(assembly: Any) -> dict[str, Any]:
    people: dict[str, User | None] = {"anonymous": None}
    people["titulaire_in"] = factories.make_titulaire(assembly)
    people["titulaire_out"] = factories.make_titulaire(assembly)
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
    proposal = do_create_proposal(None, subgroup, "Un minibus le mardi")
    return {"people": people, "subgroup": subgroup, "proposal": proposal}


def client_for(world: dict[str, Any], role: str) -> Client:
    client = Client()
    person = world["people"][role]
    if person is not None:
        client.force_login(person)
    return client


def expect(role: str, allowed: set[str], ok: int = 200, refused: int = 403) -> int:
    if role == "anonymous":
        return 302
    if role not in READERS:
        return 404
    return ok if role in allowed else refused


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_documented_answer_on_every_page(
    role: str, world: dict[str, Any]
) -> None:
    client = client_for(world, role)
    proposal: Proposal = world["proposal"]
    base = f"/propositions/{proposal.pk}/"
    pages = {
        base: READERS,
        base + "projection/": FACILITATORS,
        base + "versions/": READERS,
        base + "versions/1/": READERS,
        base + "commentaires/": READERS,
    }
    for url, allowed in pages.items():
        response = client.get(url)
        assert response.status_code == expect(role, allowed), (url, response.status_code)
        if response.status_code == 302:
            assert response["Location"].startswith("/comptes/login/")
    listing = client.get("/propositions/")
    assert listing.status_code == (302 if role == "anonymous" else 200)
    if role != "anonymous":
        assert (proposal.title in listing.content.decode()) == (role in READERS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_comment_only_as_documented(role: str, world: dict[str, Any]) -> None:
    response = client_for(world, role).post(
        f"/propositions/{world['proposal'].pk}/commentaires/",
        {"body": "Précisons le coût."}, content_type="application/json",
    )
    assert response.status_code == expect(role, COMMENTERS, ok=201)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_send_for_review_only_as_documented(
    role: str, world: dict[str, Any]
) -> None:
    proposal: Proposal = world["proposal"]
    response = client_for(world, role).post(
        f"/propositions/{proposal.pk}/statut/", {"to": "relecture", "note": ""}
    )
    assert response.status_code == expect(role, WRITERS, ok=302)
    proposal.refresh_from_db()
    moved = role in WRITERS
    assert proposal.status == (ProposalStatus.REVIEW if moved else ProposalStatus.DRAFT)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_freeze_only_as_documented(role: str, world: dict[str, Any]) -> None:
    proposal: Proposal = world["proposal"]
    response = client_for(world, role).post(f"/propositions/{proposal.pk}/gel/", {"freeze": "1"})
    assert response.status_code == expect(role, FACILITATORS, ok=302)
    proposal.draft.refresh_from_db()
    assert proposal.draft.frozen == (role in FACILITATORS)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_change_the_title_only_as_documented(
    role: str, world: dict[str, Any]
) -> None:
    proposal: Proposal = world["proposal"]
    renamers = WRITERS | FACILITATORS
    response = client_for(world, role).post(f"/propositions/{proposal.pk}/titre/",
                                            {"title": "Un minibus le jeudi"})
    assert response.status_code == expect(role, renamers, ok=302)
    proposal.refresh_from_db()
    assert (proposal.title == "Un minibus le jeudi") == (role in renamers)


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_start_a_proposal_only_in_its_subgroup(
    role: str, world: dict[str, Any]
) -> None:
    subgroup: Subgroup = world["subgroup"]
    response = client_for(world, role).post(
        f"/propositions/nouvelle/{subgroup.pk}/", {"title": "Des bancs aux arrêts"}
    )
    allowed = {"titulaire_in", "facilitateur_of", "dccu"}
    if role == "anonymous":
        assert response.status_code == 302
    else:
        assert response.status_code == (302 if role in allowed else 403)
    assert Proposal.objects.filter(title="Des bancs aux arrêts").exists() == (role in allowed)


def _without_csrf(content: bytes, asked: Any) -> bytes:
    """The page minus its CSRF token (every response masks it differently) and the id
    that was asked for (the language form sends one back to the page one was on)."""
    content = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content)
    return content.replace(str(asked).encode(), b"ID")


def test_a_hidden_proposal_answers_exactly_like_a_missing_one(world: dict[str, Any]) -> None:
    client = client_for(world, "dpd")
    hidden_id = world["proposal"].pk
    for suffix in ("", "projection/", "versions/", "versions/1/", "commentaires/"):
        missing_id = uuid.uuid4()
        hidden = client.get(f"/propositions/{hidden_id}/{suffix}")
        missing = client.get(f"/propositions/{missing_id}/{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert _without_csrf(hidden.content, hidden_id) == _without_csrf(
            missing.content, missing_id
        )
    for suffix in ("statut/", "gel/", "titre/", "commentaires/"):
        missing_id = uuid.uuid4()
        hidden = client.post(f"/propositions/{hidden_id}/{suffix}")
        missing = client.post(f"/propositions/{missing_id}/{suffix}")
        assert hidden.status_code == missing.status_code == 404
        assert _without_csrf(hidden.content, hidden_id) == _without_csrf(
            missing.content, missing_id
        )


def test_the_draft_page_carries_the_editor_element_and_the_content(
    world: dict[str, Any]
) -> None:
    proposal: Proposal = world["proposal"]
    page = client_for(world, "titulaire_in").get(f"/propositions/{proposal.pk}/")
    html = page.content.decode()
    assert f'data-draft-id="{proposal.draft.pk}"' in html
    assert 'data-can-edit="true"' in html and 'data-can-comment="true"' in html
    assert 'data-mode="edit"' in html and 'data-ws-path="/ws/drafts"' in html
    assert f'data-comments-url="/propositions/{proposal.pk}/commentaires/"' in html
    assert 'id="draft-presence"' in html and 'id="draft-comments"' in html
    # The content reads without JavaScript: the template's four sections.
    for heading in ("Constat", "Proposition", "Impacts attendus", "Points de vigilance"):
        assert heading in html
    assert f"/propositions/{proposal.pk}/export.docx" in html


def _editor_text(html: str) -> dict[str, str]:
    match = re.search(
        r'<script id="draft-editor-text" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, "the editor's words are not on the page"
    return dict(json.loads(match.group(1)))


@pytest.mark.parametrize(("role", "suffix"), [("titulaire_in", ""),
                                              ("facilitateur_of", "projection/")])
def test_the_draft_pages_give_the_editor_its_words_in_french(
    world: dict[str, Any], role: str, suffix: str
) -> None:
    html = client_for(world, role).get(
        f"/propositions/{world['proposal'].pk}/{suffix}").content.decode()
    text = _editor_text(html)
    assert text["Bold"] == "Gras"
    assert text["Draft frozen by the facilitators"] == "Brouillon gelé par l’animation"
    assert "<script>" not in html  # data only: the CSP allows no inline script


def test_a_reader_gets_a_read_only_editor(world: dict[str, Any]) -> None:
    html = client_for(world, "remplacant").get(
        f"/propositions/{world['proposal'].pk}/").content.decode()
    assert 'data-can-edit="false"' in html and 'data-can-comment="false"' in html
    assert "/statut/" not in html and "/gel/" not in html


def test_projection_is_read_only_and_without_comments(world: dict[str, Any]) -> None:
    html = client_for(world, "facilitateur_of").get(
        f"/propositions/{world['proposal'].pk}/projection/").content.decode()
    assert 'data-mode="projection"' in html and 'data-can-edit="false"' in html
    assert 'id="draft-comments"' not in html


def test_members_see_their_subgroup_first_and_the_home_page_links_to_it(
    assembly: Any, world: dict[str, Any]
) -> None:
    other = factories.make_subgroup(assembly, name="Santé", members=[world["people"]
                                                                    ["titulaire_out"]])
    do_create_proposal(None, other, "Un cardiologue par mois")
    client = client_for(world, "titulaire_in")
    html = client.get("/propositions/").content.decode()
    assert html.index("Un minibus le mardi") < html.index("Un cardiologue par mois")
    assert "Mes propositions" in html
    home = client.get("/").content.decode()
    assert f"/propositions/{world['proposal'].pk}/" in home
    staff_home = client_for(world, "agent").get("/").content.decode()
    assert 'href="/propositions/"' in staff_home
