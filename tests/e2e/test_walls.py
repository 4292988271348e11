"""The idea wall in real browsers (issue 14): two members add and group notes live, a note
moves by keyboard (« Déplacer vers… ») and by drag and drop, a facilitator runs a dot vote
and reveals it, the projection shows the result; a 390 px phone has no horizontal scroll;
axe finds nothing serious on the wall's page."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
# All three in « Habitat et maintien à domicile » in seed_demo; facilitateur1 leads it.
ALICE, BOB = "membre001@example.org", "membre014@example.org"
FACILITATOR = "facilitateur1@example.org"
ROOM = "Habitat et maintien à domicile"


def _shots(tmp_path: Path) -> Path:
    return Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path)


def _context(browser: Any, width: int = 1280, height: int = 900, **kwargs: Any) -> Any:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": height}, **kwargs
    )
    context.set_default_timeout(15_000)
    return context


def _create_wall(browser: Any, live_url: str, question: str) -> str:
    """A wall with three columns and anonymous notes allowed, created by its facilitator."""
    context = _context(browser)
    page = context.new_page()
    try:
        log_in(page, live_url, FACILITATOR)
        page.goto(live_url + "/ateliers/")
        heading = page.get_by_role("heading", name=ROOM)
        page.locator("section.workshops-room", has=heading).locator(
            'a[href*="nouveau-mur"]'
        ).click()
        page.locator("#id_question").fill(question)
        page.locator("#id_columns").fill("Constats\nIdées\nQuestions")
        page.locator('input[name="anonymous_allowed"]').check()
        page.locator("form.form button[type=submit]").click()
        page.wait_for_url(re.compile(r"/ateliers/murs/[0-9a-f-]+/$"))
        return str(page.url)
    finally:
        context.close()


@pytest.fixture
def wall_url(browser: Any, live_url: str) -> Iterator[str]:
    yield _create_wall(browser, live_url, "Comment mieux vivre chez soi en vieillissant ?")


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.locator("#wall-editor .wall-board").wait_for()


def _add_note(page: Any, text: str, column: str | None = None, anonymous: bool = False) -> None:
    page.get_by_label("Votre idée").fill(text)
    if column:
        page.locator("#wall-new-column").select_option(label=column)
    if anonymous:
        page.get_by_label(re.compile("^Note anonyme")).check()
    page.get_by_role("button", name="Ajouter la note").click()


def _note(page: Any, text: str) -> Any:
    return page.locator("li.note", has_text=text)


def _order(page: Any) -> list[str]:
    return list(page.evaluate("() => window.agoraWall.view().map((n) => n.text)"))


def test_two_members_group_notes_live_then_a_dot_vote_is_revealed_on_the_projection(
    browser: Any, live_url: str, wall_url: str, tmp_path: Path
) -> None:
    shots = _shots(tmp_path)
    contexts = [_context(browser) for _ in range(3)]
    alice, bob, facilitator = (context.new_page() for context in contexts)
    try:
        log_in(alice, live_url, ALICE)
        log_in(bob, live_url, BOB)
        log_in(facilitator, live_url, FACILITATOR)
        _open(alice, wall_url)
        _open(bob, wall_url)
        assert "Écriture ouverte" in alice.locator(".wall-banner").inner_text()

        # Two members add notes; each sees the other's live, with the author's name.
        _add_note(alice, "Adapter les salles de bain", column="Idées")
        _add_note(bob, "Trop de logements à étages sans ascenseur", column="Constats")
        _add_note(bob, "Qui finance les travaux ?", column="Questions", anonymous=True)
        _note(bob, "Adapter les salles de bain").wait_for()
        _note(alice, "Trop de logements").wait_for()
        assert "Anonyme" in _note(alice, "Qui finance").inner_text()
        # The others' new notes are announced, sparingly (one sentence for both of Bob's).
        wait_until(
            alice,
            "() => /Nouvelle note de|nouvelles notes/.test("
            "document.getElementById('wall-live').textContent)",
        )
        assert "Modifier" not in _note(alice, "Trop de logements").inner_text()

        # Alice creates a group; Bob drags Alice's note into it (pointer), Alice sees it there.
        idees = alice.locator('.wall-column[data-column="idees"]')
        idees.locator("summary", has_text="Nouveau groupe").click()
        idees.get_by_label("Nom du groupe").fill("Logement adapté")
        idees.get_by_role("button", name="Créer le groupe").click()
        group_on_bob = bob.locator(".wall-cluster", has_text="Logement adapté")
        group_on_bob.wait_for()
        _note(bob, "Adapter les salles de bain").drag_to(group_on_bob)
        alice.locator(".wall-cluster", has_text="Logement adapté").locator(
            "li.note", has_text="Adapter les salles de bain"
        ).wait_for()

        # By keyboard: « Déplacer vers… » Bob's note into the group; the focus follows it.
        move = _note(alice, "Trop de logements").get_by_role("button", name="Déplacer vers…")
        move.focus()
        alice.keyboard.press("Enter")
        select = alice.get_by_label("Déplacer vers…")
        assert select.evaluate("(el) => el === document.activeElement")
        select.select_option(label="Idées › Logement adapté")
        alice.keyboard.press("Tab")
        alice.keyboard.press("Enter")  # « Déplacer »
        wait_until(
            alice,
            "() => document.activeElement.matches('li.note') && "
            "document.activeElement.closest('.wall-cluster') !== null",
        )
        bob.locator(".wall-cluster", has_text="Logement adapté").locator(
            "li.note", has_text="Trop de logements"
        ).wait_for()
        assert _order(alice) == _order(bob)
        assert _order(alice)[:2] == [
            "Adapter les salles de bain",
            "Trop de logements à étages sans ascenseur",
        ]
        alice.screenshot(path=str(shots / "wall-desktop.png"), full_page=True)

        # The facilitator opens a vote round of 2 dots: the members' banner follows live.
        facilitator.goto(wall_url)
        facilitator.locator('input[name="dots"]').fill("2")
        facilitator.locator('button[name="action"][value="open"]').click()
        facilitator.wait_for_load_state()
        alice.locator(".wall-banner", has_text="il vous reste 2 gommettes").wait_for()
        # A change the server refuses (only facilitators change the wall during a vote): the
        # page drops its document for a fresh one, says so, and nothing of it remains.
        alice.evaluate(
            "() => { const notes = window.agoraWall.doc.getMap('notes');"
            " notes.get([...notes.keys()][0]).set('text', 'Changement refusé') }"
        )
        alice.locator(".wall-alert", has_text="Le mode du mur a changé").wait_for()
        wait_until(alice, "() => window.agoraWall.view().length === 3")
        assert _order(alice) == _order(bob)
        assert not alice.locator("li.note", has_text="Changement refusé").count()
        group_on_alice = alice.locator(".wall-cluster", has_text="Logement adapté")
        for _ in range(2):
            group_on_alice.locator(".wall-cluster__head").get_by_role(
                "button", name="Placer une gommette"
            ).click()
            alice.wait_for_timeout(300)
        alice.locator(".wall-banner", has_text="il ne vous reste plus de gommette").wait_for()
        assert (
            group_on_alice.locator(".wall-cluster__head")
            .get_by_role("button", name="Placer une gommette")
            .is_disabled()
        )
        assert "Vos gommettes : 2" in group_on_alice.locator(".wall-cluster__head").inner_text()
        _note(bob, "Qui finance").get_by_role("button", name="Placer une gommette").click()
        bob.locator(".wall-banner", has_text="il vous reste 1 gommette").wait_for()
        # Hidden until revealed: no results, no totals.
        assert alice.locator("#wall-editor .wall-live-results").is_hidden()
        assert alice.locator(".wall-cluster__total").is_hidden()

        # The projection, then the reveal: it shows the ranking live, and so does Alice's page.
        projection = contexts[2].new_page()
        projection.goto(wall_url + "projection/")
        projection.locator("#wall-editor .wall-board").wait_for()
        assert projection.locator("#wall-editor .wall-live-results").is_hidden()
        assert projection.locator("li.note", has_text="Adapter").count() == 1
        assert projection.get_by_role("button", name="Modifier").count() == 0
        facilitator.locator('button[name="action"][value="reveal"]').first.click()
        results = projection.locator("#wall-editor .wall-live-results")
        results.wait_for()
        rows = results.locator("li")
        assert "Logement adapté" in rows.nth(0).inner_text()
        assert "2 gommettes" in rows.nth(0).inner_text()
        assert "Qui finance" in rows.nth(1).inner_text()
        alice.locator("#wall-editor .wall-live-results", has_text="Logement adapté").wait_for()
        assert "2 gommettes" in group_on_alice.locator(".wall-cluster__total").inner_text()
        projection.screenshot(path=str(shots / "wall-projection.png"), full_page=True)
    finally:
        for context in contexts:
            context.close()


def test_the_wall_on_a_phone_and_for_assistive_technologies(
    browser: Any, live_url: str, wall_url: str, tmp_path: Path
) -> None:
    shots = _shots(tmp_path)
    phone = _context(browser, 390, 844, is_mobile=True, has_touch=True)
    desk = _context(browser)
    try:
        page = phone.new_page()
        log_in(page, live_url, BOB)
        _open(page, wall_url)
        _add_note(page, "Un mot très long : anticonstitutionnellementtoujoursplusloinencore")
        _add_note(page, "Des visites à domicile plus fréquentes", column="Idées")
        reader = desk.new_page()
        log_in(reader, live_url, ALICE)
        _open(reader, wall_url)
        idees = reader.locator('.wall-column[data-column="idees"]')
        idees.locator("summary", has_text="Nouveau groupe").click()
        idees.get_by_label("Nom du groupe").fill("Accompagnement")
        idees.get_by_role("button", name="Créer le groupe").click()
        _note(reader, "Des visites").get_by_role("button", name="Déplacer vers…").click()
        reader.get_by_label("Déplacer vers…").select_option(label="Idées › Accompagnement")
        reader.get_by_role("button", name="Déplacer", exact=True).click()

        page.locator(".wall-cluster", has_text="Accompagnement").locator(
            "li.note", has_text="Des visites"
        ).wait_for()
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"horizontal scroll on a phone: {widths}"
        page.screenshot(path=str(shots / "wall-390.png"), full_page=True)
        page.set_viewport_size({"width": 320, "height": 640})
        widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"horizontal scroll at 320 px: {widths}"
        page.screenshot(path=str(shots / "wall-320.png"), full_page=True)

        # Headings per column and per group, the notes as lists in reading order.
        assert reader.get_by_role("heading", level=2, name=re.compile("^Constats")).count() == 1
        assert reader.get_by_role("heading", level=3, name=re.compile("^Accompagnement")).count()
        assert reader.locator(".wall-column ul.wall-notes > li.note").count() == 2
        assert _order(reader) == _order(page)
        assert_accessible(reader, "the idea wall")
    finally:
        phone.close()
        desk.close()


def _set_mode(page: Any, wall_url: str, mode: str) -> None:
    page.goto(wall_url)
    form = page.locator('form[action$="/mode/"]:has(fieldset)')
    form.locator(f'input[name="mode"][value="{mode}"]').check()
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_silent_writing_hides_each_ones_notes_until_the_facilitator_reveals_them(
    browser: Any, live_url: str, wall_url: str
) -> None:
    contexts = [_context(browser) for _ in range(3)]
    alice, bob, facilitator = (context.new_page() for context in contexts)
    try:
        for page, email in ((alice, ALICE), (bob, BOB), (facilitator, FACILITATOR)):
            log_in(page, live_url, email)
        _set_mode(facilitator, wall_url, "silent")
        _open(alice, wall_url)
        _open(bob, wall_url)
        assert "vous seul voyez vos notes" in alice.locator(".wall-banner").inner_text()
        _add_note(alice, "Une idée d’Alice, encore secrète")
        _add_note(bob, "Une idée de Bob, encore secrète")
        mine = _note(alice, "Une idée d’Alice")
        mine.wait_for()
        assert "Visible de vous seul·e" in mine.inner_text()
        _note(bob, "Une idée de Bob").wait_for()
        bob.wait_for_timeout(1000)  # what would arrive from the other has had time to
        assert _note(bob, "Une idée d’Alice").count() == 0
        assert _note(alice, "Une idée de Bob").count() == 0

        # The facilitator's « révéler » goes back to open writing and reveals every sheet, live.
        facilitator.goto(wall_url)
        facilitator.get_by_role("button", name="Révéler les notes de tout le monde").click()
        facilitator.wait_for_load_state()
        _note(bob, "Une idée d’Alice").wait_for()
        _note(alice, "Une idée de Bob").wait_for()
        alice.locator(".wall-banner", has_text="Écriture ouverte").wait_for()
        wait_until(alice, "() => window.agoraWall.sheetDoc === null")
        assert "Visible de vous seul·e" not in _note(alice, "Une idée d’Alice").inner_text()
        assert sorted(_order(bob)) == sorted(_order(alice))
        assert len(_order(bob)) == 2
    finally:
        for context in contexts:
            context.close()
