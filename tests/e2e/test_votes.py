"""The plenary votes live: a member votes from their phone (keyboard included), the room's
screen counts it live, and shows the merit profile when the facilitator closes the vote."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.e2e.login import log_in

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")
FACILITATOR = "facilitateur1@example.org"
MEMBER = "membre021@example.org"


def test_the_plenary_votes_live_and_the_projection_shows_the_result(
    page: Any, phone_page: Any, live_url: str
) -> None:
    # The room's screen: the demo vote (seed_demo), projected by a facilitator.
    log_in(page, live_url, FACILITATOR)
    page.goto(live_url + "/decisions/")
    page.get_by_role("link", name="Quelle version de « Des navettes").click()
    vote_url = page.url
    page.get_by_role("link", name="Projeter sur l'écran de la salle").click()
    count = page.locator("#vote-count-text")
    assert count.inner_text() == "0 sur 107 votant·es ont voté"

    # A member, on a 320 px phone, from the home page.
    log_in(phone_page, live_url, MEMBER)
    phone_page.get_by_role("link", name="Voter : Quelle version").click()
    ballot = phone_page.locator("#ballot")
    first, second = ballot.locator("fieldset").nth(0), ballot.locator("fieldset").nth(1)
    first.get_by_label("Très bien").focus()  # the keyboard: arrows move within a grade row
    phone_page.keyboard.press("Space")
    assert first.get_by_label("Très bien").is_checked()
    second.get_by_label("Passable").check()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 320
    if SCREENSHOTS:
        phone_page.screenshot(path=f"{SCREENSHOTS}/vote-phone.png", full_page=True)
    ballot.get_by_role("button", name="Voter").click()
    assert "Votre vote est enregistré" in phone_page.locator(".messages").inner_text()

    # Counted live on the screen (no reload), then the result when the vote closes.
    page.locator("#vote-count-text", has_text="1 sur 107 votant·es ont voté").wait_for()
    closer = page.context.new_page()
    closer.goto(vote_url)
    closer.get_by_role("button", name="Clore le vote et dépouiller").click()
    profiles = page.locator("#vote-results .merit")
    profiles.first.wait_for()
    assert profiles.count() == 2
    first_row = page.locator("#vote-results .merit").first.inner_text()
    assert "Une navette le jour du marché" in first_row and "Très bien" in first_row
    assert page.locator("#vote-results svg.merit__bar rect").count() >= 2
    assert "quorum non atteint" in page.locator(".vote-outcome").inner_text()
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/vote-projection.png", full_page=True)
