"""A member asks for a copy of their data, watches it being prepared, and downloads it."""

from __future__ import annotations

import io
import json
import os
import zipfile
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")
MEMBER = "membre020@example.org"


def _login(page: Any, live_url: str, email: str) -> None:
    page.goto(live_url + "/")
    form = page.locator('form[action="/comptes/login/"]')
    form.locator('input[type="email"]').fill(email)
    form.locator('input[type="password"]').fill(DEMO_PASSWORD)
    form.locator('button[type="submit"]').click()
    page.wait_for_load_state()
    if "/bienvenue/" in page.url:
        # First login: read the privacy notice and accept the charter (gdpr.middleware).
        page.locator('button[name="decision"][value="accept"]').click()
    page.wait_for_url(live_url + "/")


def test_member_requests_and_downloads_their_access_copy(page: Any, live_url: str) -> None:
    _login(page, live_url, MEMBER)
    page.goto(live_url + "/mes-donnees/")
    main = page.get_by_role("main")
    # What is held, with why and for how long.
    assert main.locator("table tbody tr").count() >= 5
    main.locator("#request-copy").click()
    page.wait_for_url("**/mes-donnees/copies/*/")
    # Progress is shown accessibly: a labelled <progress> and a polite live region.
    status = page.locator("#copy-status")
    assert status.get_attribute("role") == "status"
    assert status.get_attribute("aria-live") == "polite"
    # The worker builds it; the page's script polls and reveals the download link.
    download_link = page.locator("#download-copy")
    download_link.wait_for(state="visible", timeout=30_000)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/access-copy-ready.png", full_page=True)
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert download.suggested_filename.startswith("agora-mes-donnees-")
    with open(download.path(), "rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    names = archive.namelist()
    assert "index.html" in names
    # Named in French after what they hold, beside index.html.
    user = json.loads(archive.read("votre-compte.json"))
    assert [item["email"] for item in user["items"]] == [MEMBER]
    memberships = json.loads(archive.read("participations.json"))
    assert len(memberships["items"]) == 1
    assert not [name for name in names if name.startswith("data/")]
    assert "Copie de vos données" in archive.read("index.html").decode()


def test_another_member_gets_a_404_for_that_copy(browser: Any, live_url: str) -> None:
    owner = browser.new_context(locale="fr-FR")
    other = browser.new_context(locale="fr-FR")
    try:
        page = owner.new_page()
        _login(page, live_url, "membre021@example.org")
        page.goto(live_url + "/mes-donnees/")
        page.locator("#request-copy").click()
        page.wait_for_url("**/mes-donnees/copies/*/")
        page.locator("#download-copy").wait_for(state="visible", timeout=30_000)
        url = page.locator("#download-copy").get_attribute("href")
        intruder = other.new_page()
        _login(intruder, live_url, "membre022@example.org")
        response = intruder.request.get(live_url + url)
        assert response.status == 404
    finally:
        owner.close()
        other.close()
