"""Logging in through the real login page, as a person does, in the browser tests."""

from __future__ import annotations

import time
from typing import Any

from tests.e2e.conftest import DEMO_PASSWORD


def log_in(page: Any, live_url: str, email: str) -> None:
    """Password login from the home page; on a first login, accept the charter."""
    page.goto(live_url + "/")
    assert "/comptes/login/" in page.url
    # The login page has two forms (emailed code first, then password): use the second.
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill(email)
    form.get_by_label("Mot de passe").fill(DEMO_PASSWORD)
    form.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    if "/bienvenue/" in page.url:
        # First login: read the privacy notice and accept the charter (gdpr.middleware).
        page.locator('button[name="decision"][value="accept"]').click()
    page.wait_for_url(live_url + "/")


def staff_log_in(page: Any, live_url: str, email: str) -> None:
    """Password, then the demo TOTP code (retried in the next 30 s window if refused: the
    server refuses a code used once already, replay protection)."""
    from accounts.demo import current_demo_code

    page.goto(live_url + "/comptes/login/")
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill(email)
    form.locator('input[type="password"]').fill(DEMO_PASSWORD)
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    for attempt in range(2):
        if "/2fa/" not in page.url:
            break
        page.locator('input[name="code"]').fill(current_demo_code())
        page.locator('form button[type="submit"]').first.click()
        page.wait_for_load_state()
        if "/2fa/" in page.url and attempt == 0:
            time.sleep(31 - time.time() % 30)
    assert "/2fa/" not in page.url and "/comptes/login/" not in page.url, page.url
    if "/bienvenue/" in page.url:
        page.locator('button[name="decision"][value="accept"]').click()
        page.wait_for_url(live_url + "/")


_STAFF_PAGES: dict[tuple[int, str], Any] = {}


def staff_page(browser: Any, live_url: str, email: str) -> Any:
    """One logged-in page per staff account for the whole test session, shared by the
    modules that only read with it: each new TOTP login in the same 30 s window would
    wait for the next code. Leave it at 1280 × 900 when done. Reduced motion: axe runs in
    it (tests/e2e/test_axe_sweep.py) and must not measure a colour mid-transition."""
    key = (id(browser), email)
    page = _STAFF_PAGES.get(key)
    if page is None or page.is_closed():
        context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900},
                                      reduced_motion="reduce")
        page = context.new_page()
        page.set_default_timeout(15_000)
        staff_log_in(page, live_url, email)
        _STAFF_PAGES[key] = page
    return page
