"""The main menu in a real browser: a member on a phone and on a desktop, a substitute, a
facilitator. The DCCU's phone journey and the axe checks of the new pages are in
test_accessibility.py (its staff are logged in once per module: TOTP codes are single-use).

Demo accounts used here and nowhere else: membre060, membre061, membre062, remplacant060,
facilitateur3.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


def _new_page(browser: Any, width: int, height: int, **kwargs: Any) -> Any:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": width, "height": height}, **kwargs
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _menu_link(page: Any, name: str) -> Any:
    return page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name=name, exact=True
    )


def _current(page: Any) -> list[str]:
    # textContent, not innerText: a link of a closed drop-down has no rendered text.
    return page.eval_on_selector_all(
        '#site-menu a[aria-current="page"]', "links => links.map(a => a.textContent.trim())"
    )


def _header_height(page: Any) -> float:
    header = page.locator(".site-header").bounding_box()
    assert header is not None
    return float(header["height"])


def test_member_on_a_phone_opens_the_menu_and_finds_proposals_and_my_data(
    browser: Any, live_url: str
) -> None:
    page = _new_page(browser, 390, 844, is_mobile=True, has_touch=True)
    try:
        log_in(page, live_url, "membre060@example.org")
        header = page.locator(".site-header").bounding_box()
        assert header is not None and header["height"] <= 64
        button = page.get_by_role("button", name="Menu")
        assert button.get_attribute("aria-expanded") == "false"
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        page.keyboard.press("Escape")  # closes, and gives the focus back to the button
        assert button.get_attribute("aria-expanded") == "false"
        assert page.evaluate("document.activeElement.classList.contains('menu-button')")
        button.click()
        _menu_link(page, "Propositions").click()
        page.wait_for_url(live_url + "/propositions/")
        assert _current(page) == ["Propositions"]
        page.get_by_role("button", name="Menu").click()
        page.locator(".menu-group--account > summary").click()
        _menu_link(page, "Mes données").click()
        page.wait_for_url(live_url + "/mes-donnees/")
        assert _current(page) == ["Mes données"]  # not « Accueil »
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/nav-phone-my-data.png", full_page=True)
    finally:
        page.context.close()


def test_member_on_a_desktop_reaches_two_factor_login_from_my_account(
    browser: Any, live_url: str
) -> None:
    page = _new_page(browser, 1366, 900)
    try:
        log_in(page, live_url, "membre061@example.org")
        assert not page.get_by_role("button", name="Menu").is_visible()  # the row fits
        assert _header_height(page) <= 64  # one row: the bell too (it wrapped to a second)
        page.locator(".menu-group--account > summary").click()
        _menu_link(page, "Connexion en deux étapes").click()
        page.wait_for_url(live_url + "/comptes/2fa/")
        assert _current(page) == ["Connexion en deux étapes"]
        _menu_link(page, "Aide").click()
        page.wait_for_url(live_url + "/aide/")
        assert page.get_by_role("heading", name="Aide", level=1).is_visible()
    finally:
        page.context.close()


def test_substitute_home_says_why_they_cannot_write_yet(browser: Any, live_url: str) -> None:
    page = _new_page(browser, 390, 844, is_mobile=True, has_touch=True)
    try:
        log_in(page, live_url, "remplacant060@example.org")
        main = page.get_by_role("main")
        assert "vous pourrez écrire si un siège se libère" in main.inner_text()
        assert main.get_by_role("heading", name="Mes sous-groupes").count() == 0
        assert_accessible(page, "substitute's home at 390 px")
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/home-substitute-phone.png", full_page=True)
    finally:
        page.context.close()


def test_facilitator_opens_the_dashboard_from_management(browser: Any, live_url: str) -> None:
    page = _new_page(browser, 1366, 900)
    try:
        log_in(page, live_url, "facilitateur3@example.org")
        assert _header_height(page) <= 64  # « Gestion » fits in the row at 1366 px
        page.set_viewport_size({"width": 1100, "height": 900})
        wait_until(page, "() => document.documentElement.classList.contains('menu-folded')")
        assert page.get_by_role("button", name="Menu").is_visible()  # no room: folded
        assert _header_height(page) <= 64
        page.set_viewport_size({"width": 1366, "height": 900})
        wait_until(page, "() => !document.documentElement.classList.contains('menu-folded')")
        page.locator(".menu-group:not(.menu-group--account) > summary").click()
        _menu_link(page, "Animation").click()
        page.wait_for_url(live_url + "/animation/")
        main = page.get_by_role("main")
        for heading in ["À modérer", "Propositions par étape", "Activité par sous-groupe"]:
            assert main.get_by_role("heading", name=heading).is_visible(), heading
        assert_accessible(page, "facilitation dashboard")
    finally:
        page.context.close()


def test_new_conversation_on_a_phone_narrows_the_people_and_their_headings(
    browser: Any, live_url: str
) -> None:
    page = _new_page(browser, 390, 844, is_mobile=True, has_touch=True)
    try:
        log_in(page, live_url, "membre062@example.org")
        page.goto(live_url + "/discussions/nouvelle/")
        groups = page.locator(".people-picker__group")
        assert groups.count() == 2 and groups.first.is_visible()  # « Mon sous-groupe »…
        mine = page.locator(".people-picker__group ~ .people-picker__person").first
        someone = str(mine.locator("label").text_content()).strip()
        page.get_by_label("Chercher une personne").fill("zzzz")
        assert groups.first.is_hidden() and groups.last.is_hidden()  # no empty heading left
        page.get_by_label("Chercher une personne").fill(someone)
        assert groups.first.is_visible()
        assert page.get_by_label(someone).first.is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        page.context.close()
