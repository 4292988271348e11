"""A member reads the notice, accepts the charter, then gives and withdraws an optional consent."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


def _log_in_to_the_welcome(page: Any, live_url: str, email: str) -> None:
    page.goto(live_url + "/")
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill(email)
    form.locator('input[type="password"]').fill(DEMO_PASSWORD)
    form.locator('button[type="submit"]').click()
    page.wait_for_url("**/bienvenue/**")


def test_member_accepts_then_gives_and_withdraws_an_optional_consent(
    page: Any, live_url: str
) -> None:
    _log_in_to_the_welcome(page, live_url, "membre010@example.org")
    main = page.get_by_role("main")
    # The notice (with the DPO's contact) and the charter are both on the page.
    assert main.locator("#notice-title").is_visible()
    assert main.locator("#charter-title").is_visible()
    assert "dpd.haute-garonne@cd31.fr" in main.inner_text()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/welcome-desktop.png", full_page=True)
    main.locator('button[name="decision"][value="accept"]').click()
    page.wait_for_url(live_url + "/")

    page.goto(live_url + "/confidentialite/choix/")
    digest = page.locator("section#email_digest")
    box = digest.get_by_role("checkbox")
    assert not box.is_checked()  # off by default
    assert digest.locator(".badge--off").is_visible()
    box.check()  # clicking its label would do the same: they are tied
    digest.locator('button[type="submit"]').click()
    page.wait_for_url("**/confidentialite/choix/#email_digest")
    digest = page.locator("section#email_digest")
    assert digest.locator(".badge--on").is_visible()
    assert page.get_by_role("status").is_visible()  # the confirmation message
    history = page.locator("table tbody tr")
    assert history.count() == 3  # notice read, charter accepted, consent given
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/choices-desktop.png", full_page=True)

    # Withdrawing is a single click, on the same page.
    digest.locator('form[action$="/retirer/"] button').click()
    page.wait_for_url("**/confidentialite/choix/#email_digest")
    digest = page.locator("section#email_digest")
    assert digest.locator(".badge--off").is_visible()
    assert not digest.get_by_role("checkbox").is_checked()
    assert page.locator("table tbody tr").count() == 4  # and the history keeps both


def test_refusing_the_charter_leaves_an_exit(page: Any, live_url: str) -> None:
    _log_in_to_the_welcome(page, live_url, "membre011@example.org")
    page.locator('button[name="decision"][value="refuse"]').click()
    page.wait_for_url("**/bienvenue/sortie/")
    main = page.get_by_role("main")
    assert main.locator('a[href^="mailto:"]').first.is_visible()
    assert main.locator('a[href="/mes-donnees/demandes/effacement/"]').is_visible()
    page.goto(live_url + "/")
    assert page.url.endswith("/bienvenue/sortie/")  # the platform stays closed
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/exit-desktop.png", full_page=True)


@pytest.mark.parametrize(("path", "email"), [
    ("/bienvenue/", "membre012@example.org"),
    ("/confidentialite/choix/", "membre013@example.org"),
    ("/donnees-personnelles/", "membre054@example.org"),  # not 014: test_chat logs it in
    ("/mentions-legales/", "membre015@example.org"),
])
def test_privacy_pages_are_usable_on_a_320px_phone(
    phone_page: Any, live_url: str, path: str, email: str
) -> None:
    page = phone_page
    _log_in_to_the_welcome(page, live_url, email)
    if path != "/bienvenue/":
        page.locator('button[name="decision"][value="accept"]').click()
        page.wait_for_url(live_url + "/")
        page.goto(live_url + path)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320, f"{path} scrolls sideways on a 320 px phone"
    if SCREENSHOTS:
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=f"{SCREENSHOTS}/{name}-phone.png", full_page=True)
