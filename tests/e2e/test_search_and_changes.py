"""The one search and a proposal's changes in Chromium: highlighted words keep their
spaces, the client writes dates as the server does, a new draft shows prompts instead of
text to delete, and the change view shows formatted text with the changes marked."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
MEMBER = "membre021@example.org"
FACILITATOR = "facilitateur2@example.org"
# Screenshots for a person to look at, only when asked: E2E_SCREENSHOTS=<folder>.
SHOTS = os.environ.get("E2E_SCREENSHOTS", "")


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        # assert_accessible opened every <details>: close them, as a person finds them.
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = false; })")
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def test_search_marks_words_with_their_spaces_and_dates_match(page: Any, live_url: str) -> None:
    log_in(page, live_url, MEMBER)
    # The header's box (beside a wide menu; in the folded menu on a phone) leads to the
    # one search page.
    page.set_viewport_size({"width": 1600, "height": 900})
    page.locator("#header-search-q").fill("être aidant")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/recherche/\?q="))
    documents = page.locator("#group-documents").locator("xpath=..")
    title = documents.locator(".search-hit__title a").first
    # innerText is what is laid out: a flex box would give « êtreaidantau quotidien ».
    assert "être aidant au quotidien" in title.inner_text()
    assert title.locator("mark").count() == 2
    assert_accessible(page, "the one search's results")
    for width, name in ((1366, "search-1366"), (390, "search-390")):
        page.set_viewport_size({"width": width, "height": 900})
        _shot(page, name)
    # The library's own search page, its theme filter and the same marks.
    page.goto(live_url + "/bibliotheque/recherche/?q=%C3%AAtre+aidant&theme=")
    assert "être aidant au quotidien" in page.locator(".doc-row__title a").first.inner_text()
    assert page.get_by_label("Thème").count() == 1

    # static/js/dates.js writes a moment as the server's |when did on the page.
    page.goto(live_url + "/propositions/")
    page.get_by_role("link", name=re.compile("Proposition du sous-groupe")).first.click()
    page.get_by_role("link", name=re.compile("Historique")).click()
    time_el = page.locator("table.versions time").first
    server_text, iso = time_el.inner_text(), time_el.get_attribute("datetime")
    client_text = page.evaluate(
        "(iso) => import('/static/js/dates.js').then((m) => m.formatWhen(iso))", iso
    )
    assert client_text == server_text
    assert re.fullmatch(r"(1er|\d{1,2}) \S+ \d{4}, \d{1,2} h \d{2}", server_text)


def test_a_draft_shows_prompts_and_its_changes_read_as_formatted_text(
    page: Any, live_url: str
) -> None:
    log_in(page, live_url, FACILITATOR)
    page.goto(live_url + "/propositions/")
    page.get_by_role("link", name=re.compile("Proposition du sous-groupe")).first.click()
    wait_until(page, "() => document.documentElement.dataset.draftSynced === 'true'")
    # The template's empty paragraphs carry prompts, not text to delete.
    prompt = page.locator('#draft-editor p.is-empty[data-placeholder^="Décrivez"]')
    assert prompt.count() == 1
    assert "Décrivez" not in page.evaluate("() => window.agoraDraft.editor.getText()")
    prompt.click()
    page.keyboard.type("Les bus ne passent pas le dimanche.")
    # Stored by the server: its own rendering of the draft has it.
    url = page.url
    for _attempt in range(50):
        if "Les bus ne passent pas le dimanche." in page.request.get(url).text():
            break
        page.wait_for_timeout(200)
    else:
        raise AssertionError("the typed text never reached the server")

    page.get_by_role("link", name=re.compile("Historique")).click()
    page.get_by_label("Nommer l'état actuel").fill("Premier constat")
    page.get_by_role("button", name="Enregistrer cette version").click()
    page.get_by_role("button", name="Comparer").click()
    view = page.locator(".diff-view")
    view.locator("ins", has_text="Les bus ne passent pas le dimanche.").wait_for()
    assert view.locator("h3", has_text="Constat").count() == 1  # a heading, not « ## »
    assert_accessible(page, "the change view")
    for width, name in ((1366, "diff-1366"), (390, "diff-390")):
        page.set_viewport_size({"width": width, "height": 900})
        _shot(page, name)

    # The stage and the freeze reach an open page live (the editor socket's abilities).
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(url)
    other = page.context.new_page()
    other.goto(url)
    wait_until(other, "() => document.documentElement.dataset.draftSynced === 'true'")
    assert other.locator("#draft-frozen").is_hidden()
    page.get_by_role("button", name="Envoyer en relecture").click()
    page.wait_for_load_state()
    other.locator("#proposal-status[data-status='relecture']").wait_for()
    assert other.locator(".workflow__step--current").get_attribute("data-status") == "relecture"
    assert other.locator("#proposal-status-changed").is_visible()
    page.get_by_role("button", name="Geler le brouillon").click()
    page.wait_for_load_state()
    other.locator("#draft-frozen").wait_for(state="visible")
    assert "Gelé par" in other.locator("#draft-frozen-note").inner_text()
    assert other.locator("#proposal-freeze").is_hidden()
    assert_accessible(other, "a frozen draft's page")
    _shot(other, "frozen-live-1366")
    other.set_viewport_size({"width": 390, "height": 900})
    _shot(other, "frozen-live-390")
