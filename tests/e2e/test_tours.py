"""The guided first visit and reading comfort in a real browser: a member walks the visit by
keyboard only, once; replays it from « Mon compte »; a member on a 320 px phone reads at
200 % without the page scrolling sideways.

Demo accounts used here and nowhere else: membre092, membre093.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
PROGRESS = "/comptes/visite-guidee/"


def _focused(page: Any) -> str:
    return page.evaluate("() => (document.activeElement.textContent || '').trim()")


def _count(page: Any) -> str:
    return page.locator("#tour-count").text_content()


def _press_and_save(page: Any, key: str) -> None:
    """The last key of a visit: the outcome is posted before anything else happens."""
    with page.expect_response(lambda r: r.url.endswith(PROGRESS) and r.status == 200):
        page.keyboard.press(key)


def test_a_member_walks_the_visit_by_keyboard_once_and_replays_it(
    page: Any, live_url: str
) -> None:
    log_in(page, live_url, "membre092@example.org")
    dialog = page.locator("dialog#tour")
    page.get_by_role("heading", name="Bienvenue sur Agora").wait_for()
    assert not dialog.is_visible()  # offered, not imposed

    # Keyboard only: from the welcome card, Tab reaches « Commencer la visite ».
    page.get_by_role("heading", name="Bienvenue sur Agora").click()
    page.keyboard.press("Tab")
    assert _focused(page) == "Commencer la visite"
    page.keyboard.press("Enter")
    dialog.wait_for()
    assert _count(page) == "1 sur 6"
    assert dialog.get_by_role("heading").text_content() == "Le menu"
    assert _focused(page) == "Suivant"
    assert page.locator("#site-menu").evaluate("e => e.classList.contains('tour-target')")
    assert_accessible(page, "the guided visit, open")

    page.keyboard.press("Enter")
    assert _count(page) == "2 sur 6"
    discussions = page.locator("[data-tour=nav-discussions]")
    assert discussions.evaluate("e => e.classList.contains('tour-target')")
    # Back with Shift+Tab then Enter: « Précédent » goes away on step 1, focus does not.
    page.keyboard.press("Shift+Tab")
    assert _focused(page) == "Précédent"
    page.keyboard.press("Enter")
    assert _count(page) == "1 sur 6"
    assert _focused(page) == "Suivant"
    assert not discussions.evaluate("e => e.classList.contains('tour-target')")
    # Tab stays in the dialog (native modal): Suivant → Passer la visite → back in the dialog.
    page.keyboard.press("Tab")
    assert _focused(page) == "Passer la visite"
    page.keyboard.press("Shift+Tab")
    for expected in ("2 sur 6", "3 sur 6", "4 sur 6", "5 sur 6", "6 sur 6"):
        page.keyboard.press("Enter")
        assert _count(page) == expected
    assert _focused(page) == "Terminer"
    _press_and_save(page, "Enter")
    assert not dialog.is_visible()
    assert "revoir la visite" in _focused(page)
    assert page.locator(".tour-target").count() == 0

    page.reload()
    page.get_by_role("heading", name="Bonjour", exact=False).wait_for()
    assert page.locator("[data-tour-invite]").count() == 0
    assert dialog.count() == 0

    # « Revoir la visite guidée » in « Mon compte »: home, and the visit opens at once.
    if page.locator(".menu-button").is_visible():
        page.locator(".menu-button").click()
    page.get_by_role("navigation", name="Menu principal").get_by_text("Mon compte").click()
    page.get_by_role("button", name="Revoir la visite guidée").click()
    page.wait_for_url(live_url + "/")
    dialog.wait_for()
    assert _count(page) == "1 sur 6"
    # Escape is « Passer la visite »: kept, and not shown again.
    _press_and_save(page, "Escape")
    assert not dialog.is_visible()
    page.reload()
    page.get_by_role("heading", name="Bonjour", exact=False).wait_for()
    assert dialog.count() == 0


def test_on_a_phone_the_visit_shows_the_folded_menu_and_200_percent_fits(
    phone_page: Any, live_url: str
) -> None:
    page = phone_page
    log_in(page, live_url, "membre093@example.org")
    page.get_by_role("button", name="Commencer la visite").click()
    dialog = page.locator("dialog#tour")
    dialog.wait_for()
    menu_button = page.locator(".menu-button")
    assert menu_button.evaluate("e => e.classList.contains('tour-target')")
    assert dialog.get_by_text("le menu est replié derrière le bouton « Menu »").is_visible()
    page.keyboard.press("Enter")
    assert menu_button.evaluate("e => e.classList.contains('tour-target')")
    assert dialog.get_by_text("c'est dans le menu").is_visible()
    _press_and_save(page, "Escape")

    # Reading comfort, from the folded menu.
    page.get_by_role("button", name="Menu").click()
    page.get_by_role("navigation", name="Menu principal").get_by_text("Mon compte").click()
    page.get_by_role("link", name="Confort de lecture").click()
    page.get_by_label("200 %").check()
    page.get_by_label("Contraste élevé").check()
    page.get_by_label("Animations réduites").check()
    page.get_by_label("Plus d'espace entre les lettres, les mots et les lignes").check()
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Vos réglages de lecture sont enregistrés.").wait_for()
    html = page.locator("html")
    assert html.get_attribute("data-text-size") == "200"
    assert {"comfort-contrast", "comfort-still", "comfort-spacing"} <= set(
        (html.get_attribute("class") or "").split()
    )
    assert page.get_by_label("200 %").is_checked()
    assert_accessible(page, "reading comfort at 200 %, high contrast")
    for path in ("/", "/discussions/", "/bibliotheque/", "/propositions/", "/aide/"):
        page.goto(live_url + path)
        page.wait_for_load_state("load")
        wait_until(
            page,
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth",
            timeout=3,
        )
        # Served with the page, not added after it: no flash at 100 % first.
        served = page.request.get(live_url + path).text()
        assert re.search(r'<html [^>]*data-text-size="200"', served), path
