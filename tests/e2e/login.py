"""Logging in through the real login page, as a person does, in the browser tests."""

from __future__ import annotations

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
