"""A member logs in through the browser and sees their mandate and subgroup in French."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.e2e.login import log_in

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")


def test_member_logs_in_and_sees_french_home_with_subgroup(page: Any, live_url: str) -> None:
    log_in(page, live_url, "membre001@example.org")
    assert page.locator("html").get_attribute("lang") == "fr"
    main = page.get_by_role("main")
    assert main.get_by_role("heading", name="Mes sous-groupes").is_visible()
    assert main.get_by_role("heading", name="Mandat en cours").is_visible()
    subgroups = main.locator("article.subgroup h3")
    assert subgroups.count() == 1
    assert "Animé par" in main.inner_text()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/home-desktop.png", full_page=True)


def test_home_is_usable_on_a_320px_phone(phone_page: Any, live_url: str) -> None:
    log_in(phone_page, live_url, "membre002@example.org")
    scroll_width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320, "the page scrolls sideways on a 320 px phone"
    if SCREENSHOTS:
        phone_page.screenshot(path=f"{SCREENSHOTS}/home-phone.png", full_page=True)


def test_skip_link_is_first_on_keyboard(page: Any, live_url: str) -> None:
    log_in(page, live_url, "membre003@example.org")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Aller au contenu principal"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"
