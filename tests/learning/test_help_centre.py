"""The help centre: its guides for each role, the glossary, the « ? » links, the search's
« Aide » group and the printable PDFs (read back with poppler, as a person would print)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from config.search import search_everything
from learning.glossary import TERMS
from learning.guides import GUIDES, SCREENS_DIR, get_guide, guides_for
from tests import factories

MEMBER_GUIDES = {"ecrire-discussion", "message-vocal", "co-ecrire-proposition",
                 "pleniere-audio", "proposer-document", "mes-donnees"}
# Every picture together stays small enough for a phone on a slow line.
SCREENS_BUDGET = 3 * 1024 * 1024


def _client(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _staff(role: Role) -> User:
    user = factories.UserFactory(roles=[role])
    if role in {Role.DCCU, Role.DPD}:
        enrol_demo_totp(user)
    return user


def _poppler(tool: str, pdf: bytes, tmp_path: Path) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{tool} missing: .ci/run installs poppler-utils")
        pytest.skip(f"no {tool} on this machine (apt-get install poppler-utils)")
    file = tmp_path / "guide.pdf"
    file.write_bytes(pdf)
    done = subprocess.run([path, str(file), "-"] if tool == "pdftotext" else [path, str(file)],  # noqa: S603
                          check=True, capture_output=True, text=True, timeout=30)
    return done.stdout


# --- The registry ------------------------------------------------------------------------


def test_each_guide_has_short_numbered_steps_each_with_a_described_screenshot() -> None:
    assert len({guide.slug for guide in GUIDES}) == len(GUIDES)
    assert MEMBER_GUIDES <= {guide.slug for guide in GUIDES}
    for guide in GUIDES:
        assert 2 <= len(guide.steps) <= 6, guide.slug
        for step in guide.steps:
            assert step.title and step.text, guide.slug
            assert len(step.alt) >= 20, (guide.slug, step.title)
            # Plain French: short sentences.
            for sentence in re.split(r"[.:!?]\s", step.text):
                assert len(sentence.split()) <= 25, (guide.slug, sentence)


def test_every_screenshot_a_guide_shows_is_in_the_repository_and_small() -> None:
    shown = {step.image for guide in GUIDES for step in guide.steps}
    missing = sorted(name for name in shown if not (SCREENS_DIR / name).exists())
    assert not missing, f"run AGORA_UPDATE_SCREENSHOTS=1 (docs/help.md): {missing}"
    assert sum((SCREENS_DIR / name).stat().st_size for name in shown) < SCREENS_BUDGET


def test_glossary_links_in_guides_point_to_words_of_the_glossary() -> None:
    anchors = {term.anchor for term in TERMS}
    for guide in GUIDES:
        for step in guide.steps:
            for anchor in re.findall(r"\(glossaire:([\w-]+)\)", " ".join(step.paragraphs)):
                assert anchor in anchors, (guide.slug, anchor)


@pytest.mark.parametrize(
    ("role", "sees", "does_not_see"),
    [
        ("titulaire", MEMBER_GUIDES, {"repondre-demande-rgpd", "animer-sous-groupe"}),
        ("remplacant", {"ecrire-discussion", "mes-donnees"}, {"co-ecrire-proposition"}),
        ("facilitateur", {"animer-sous-groupe", "valider-presences"}, {"repondre-demande-rgpd"}),
        ("dccu", {"animer-sous-groupe", "repondre-demande-rgpd"}, set()),
        ("dpd", {"repondre-demande-rgpd", "mes-donnees"}, {"ecrire-discussion"}),
        ("no_role", {"mes-donnees"}, {"ecrire-discussion"}),
    ],
)
def test_guides_shown_depend_on_the_role(
    assembly: Any, role: str, sees: set[str], does_not_see: set[str]
) -> None:
    if role == "titulaire":
        person = factories.make_titulaire(assembly)
    elif role == "remplacant":
        person = factories.make_substitute(assembly, factories.seat(assembly))
    elif role == "no_role":
        person = factories.UserFactory()
    else:
        person = _staff(Role(role))
    slugs = {guide.slug for guide in guides_for(person)}
    assert sees <= slugs and not (does_not_see & slugs)
    text = _text(_client(person).get("/aide/"))
    for slug in sees:
        guide = get_guide(slug)
        assert guide is not None and guide.title in text
    for slug in does_not_see:
        guide = get_guide(slug)
        assert guide is not None and guide.title not in text


# --- The pages ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/aide/", "/aide/glossaire/", "/aide/ecrire-discussion/",
     "/aide/ecrire-discussion/pas-a-pas.pdf", "/aide/aide-memoire.pdf"],
)
def test_anonymous_visitors_are_asked_to_log_in(url: str) -> None:
    response = Client().get(url)
    assert response.status_code == 302 and "/comptes/login/" in response["Location"]


def test_a_guide_shows_its_steps_with_pictures_and_their_alt_text(member_client: Client) -> None:
    response = member_client.get("/aide/message-vocal/")
    html = response.content.decode()
    assert response.status_code == 200
    guide = get_guide("message-vocal")
    assert guide is not None
    for step in guide.steps:
        assert step.title in html
        assert f'src="/static/learning/screens/{step.image}"' in html
        assert f'alt="{step.alt}"' in html.replace("&#x27;", "'")
    assert 'href="/aide/message-vocal/pas-a-pas.pdf"' in html


def test_any_logged_in_person_may_open_a_guide_not_meant_for_their_role(
    member_client: Client,
) -> None:
    assert member_client.get("/aide/repondre-demande-rgpd/").status_code == 200
    assert member_client.get("/aide/nexiste-pas/").status_code == 404
    assert member_client.get("/aide/nexiste-pas/pas-a-pas.pdf").status_code == 404


def test_glossary_lists_each_word_with_an_anchor_guides_link_to(member_client: Client) -> None:
    html = member_client.get("/aide/glossaire/").content.decode()
    assert "<dl" in html
    for anchor in ["saisine", "pleniere", "interpleniere", "sous-groupe", "titulaire",
                   "remplacant", "dccu", "dpd", "facilitateur", "note-de-cadrage", "synthese",
                   "comite-de-suivi", "tirage-au-sort", "indemnite"]:
        assert f'id="{anchor}"' in html
    guide_html = member_client.get("/aide/ecrire-discussion/").content.decode()
    assert 'href="/aide/glossaire/#sous-groupe"' in guide_html


def test_pages_link_to_their_guide_with_a_named_question_mark(member_client: Client) -> None:
    for url, title in [
        ("/mes-donnees/", "Mes données"),
        ("/discussions/", "Écrire dans ma discussion"),
        ("/bibliotheque/", "Proposer un document"),
        ("/propositions/", "Co-écrire une proposition"),
    ]:
        html = member_client.get(url).content.decode().replace("&#x27;", "'")
        assert f'aria-label="Aide : {title}"' in html, url


# --- The search ---------------------------------------------------------------------------


def test_header_search_finds_guides_and_glossary_words(member: User) -> None:
    groups = {group.kind: group for group in search_everything(member, "message vocal")}
    assert "/aide/message-vocal/" in [hit.url for hit in groups["help"].hits]
    groups = {group.kind: group for group in search_everything(member, "saisine")}
    assert "/aide/glossaire/#saisine" in [hit.url for hit in groups["help"].hits]


def test_search_page_shows_the_help_group(member_client: Client) -> None:
    text = _text(member_client.get("/recherche/?q=enregistrer+vocal"))
    assert "Aide" in text and "Enregistrer un message vocal" in text


def test_search_shows_only_the_guides_for_ones_role(assembly: Any) -> None:
    dpd = _staff(Role.DPD)
    urls = [hit.url for group in search_everything(dpd, "demande") for hit in group.hits]
    assert "/aide/repondre-demande-rgpd/" in urls
    member = factories.make_titulaire(assembly)
    urls = [hit.url for group in search_everything(member, "demande") for hit in group.hits]
    assert "/aide/repondre-demande-rgpd/" not in urls


# --- The printable PDFs -------------------------------------------------------------------


def test_step_by_step_pdf_holds_the_guides_french_text(
    member_client: Client, tmp_path: Path
) -> None:
    response = member_client.get("/aide/co-ecrire-proposition/pas-a-pas.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(_poppler("pdftotext", response.content, tmp_path).split())
    assert "Pas à pas : Co-écrire une proposition" in text
    guide = get_guide("co-ecrire-proposition")
    assert guide is not None
    for number, step in enumerate(guide.steps, start=1):
        assert " ".join(f"{number}. {step.title}".split()) in text
    assert "chaque mot est gardé tout de suite" in text


def test_aide_memoire_is_one_a4_page_with_every_guide_of_the_role(
    member_client: Client, tmp_path: Path
) -> None:
    response = member_client.get("/aide/aide-memoire.pdf")
    info = _poppler("pdfinfo", response.content, tmp_path)
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert "595.28 x 841.89" in info or "595.276 x 841.89" in info  # A4, in points
    text = " ".join(_poppler("pdftotext", response.content, tmp_path).split())
    assert "Aide-mémoire" in text
    for slug in MEMBER_GUIDES:
        guide = get_guide(slug)
        assert guide is not None and guide.title in text


def test_empty_member_pages_say_what_to_do(member_client: Client) -> None:
    rooms = _text(member_client.get("/discussions/")).replace("’", "'")
    assert "Vous n'êtes pas encore dans un groupe" in rooms
    assert "touchez « Nouvelle conversation »" in rooms
    proposals = _text(member_client.get("/propositions/")).replace("’", "'")
    assert "Les propositions s'écrivent dans les sous-groupes" in proposals
    library = _text(member_client.get("/bibliotheque/"))
    assert "Partagez le premier avec « Partager un document »" in library
    filtered = _text(member_client.get("/bibliotheque/?kind=video"))
    assert "Aucun document ne correspond à ces filtres" in filtered
