"""A member opens their agenda on a phone, opens the next plenary and answers « en visio »."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.login import log_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def phone_390(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 390, "height": 844},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a 390 px phone ({width} px)"


def test_member_answers_online_from_the_agenda_on_a_phone(phone_390: Any, live_url: str) -> None:
    page = phone_390
    log_in(page, live_url, "membre050@example.org")
    main = page.get_by_role("main")
    # The home shows the next session.
    assert main.get_by_role("heading", name="Ma prochaine séance").is_visible()
    page.goto(live_url + "/agenda/?vue=mois")
    assert main.get_by_role("heading", name="Mon agenda").is_visible()
    assert main.locator("table.session-month").is_visible()
    _no_sideways_scroll(page)
    main.get_by_role("link", name="Liste").click()
    upcoming = main.get_by_role("region", name="Prochaines séances")
    upcoming.get_by_role("link", name="Deuxième plénière").click()
    assert main.get_by_role("heading", name="Deuxième plénière").is_visible()
    assert main.get_by_role("heading", name="Ordre du jour").is_visible()
    assert "Hôtel du Département" in main.inner_text()
    _no_sideways_scroll(page)
    main.get_by_label("En visio").check()
    main.get_by_role("button", name="Enregistrer ma réponse").click()
    page.wait_for_load_state()
    assert "Votre réponse : En visio." in page.locator("#my-answer").inner_text()
    assert main.get_by_label("En visio").is_checked()
    _no_sideways_scroll(page)
