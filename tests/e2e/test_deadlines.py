"""The documents due for the sessions in a real browser: a facilitator opens late minutes
from the « Échéances » page, writes in them live, marks them delivered; the DCCU then sees
them delivered (late) on its dashboard. The minutes are the demo's (assembly/demo_deadlines.py):
the subgroup « Aidants », which facilitateur1 leads."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO_PASSWORD
from tests.e2e.login import log_in

pytestmark = pytest.mark.e2e
FACILITATOR = "facilitateur1@example.org"
DCCU = "dccu@example.org"
SESSION = "Séance du sous-groupe — visite d'un EHPAD"


def _context(browser: Any) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context


def _dccu_login(page: Any, live_url: str) -> None:
    """Password, then the demo TOTP code (retried in the next 30 s window if it was used)."""
    from accounts.demo import current_demo_code

    page.goto(live_url + "/comptes/login/")
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill(DCCU)
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


def test_a_facilitator_writes_and_delivers_late_minutes_and_the_dccu_sees_them(
    browser: Any, live_url: str
) -> None:
    context = _context(browser)
    page = context.new_page()
    try:
        log_in(page, live_url, FACILITATOR)
        page.goto(live_url + "/echeances/")
        page.get_by_role("link", name="En retard", exact=True).click()
        row = page.locator("#deadlines tbody tr", has_text=SESSION)
        assert row.get_attribute("data-status") == "en_retard"
        row.get_by_role("link", name="Compte rendu", exact=True).click()
        page.wait_for_url(re.compile(r"/echeances/[0-9a-f-]+/$"))
        page.wait_for_function("() => document.documentElement.dataset.draftSynced === 'true'")
        editor = page.locator("#draft-editor .ProseMirror")
        assert editor.get_attribute("contenteditable") == "true"
        editor.click()
        page.keyboard.press("Control+End")
        page.keyboard.type("Suite : une visite de suivi en juin.")
        # What was typed reached the server before the text is frozen: another reader
        # of the page sees it.
        second = context.new_page()
        second.set_default_timeout(15_000)
        second.goto(page.url)
        second.wait_for_function(
            "() => window.agoraDraft && window.agoraDraft.editor.getText()"
            ".includes('une visite de suivi en juin')"
        )
        second.close()
        page.get_by_role("button", name="Marquer comme remis").click()
        page.wait_for_load_state()
        assert page.locator("#document-status").inner_text().strip() == "Remis en retard"
        page.wait_for_function("() => document.documentElement.dataset.draftSynced === 'true'")
        assert editor.get_attribute("contenteditable") == "false"
        assert "une visite de suivi en juin" in editor.inner_text()
    finally:
        context.close()

    context = _context(browser)
    page = context.new_page()
    try:
        _dccu_login(page, live_url)
        page.goto(live_url + "/echeances/?statut=remis_en_retard")
        row = page.locator("#deadlines tbody tr", has_text=SESSION)
        assert row.locator(".deadline-status").inner_text().strip() == "Remis en retard"
        row.get_by_role("link", name="Compte rendu", exact=True).click()
        page.wait_for_url(re.compile(r"/echeances/[0-9a-f-]+/$"))
        assert page.get_by_role("button", name="Rouvrir pour ses rédacteur·ices").is_visible()
        # The text arrives with the editor's first sync, after the page has loaded.
        page.wait_for_function("() => document.documentElement.dataset.draftSynced === 'true'")
        expect(page.locator("#draft-editor")).to_contain_text("une visite de suivi en juin")
    finally:
        context.close()
