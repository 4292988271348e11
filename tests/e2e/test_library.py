"""The library in Chromium: a member proposes a link, a facilitator publishes it, another
member finds a document by a word that is only inside its PDF, and marks it read in a path."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until as _wait_until

pytestmark = pytest.mark.e2e
PROPOSER, READER = "membre020@example.org", "membre021@example.org"
FACILITATOR = "facilitateur2@example.org"
PDF_TITLE = "Présentation de l'Assemblée citoyenne"


@pytest.fixture
def pages(browser: Any) -> Iterator[list[Any]]:
    contexts = [browser.new_context(locale="fr-FR") for _ in range(3)]
    for context in contexts:
        context.set_default_timeout(15_000)
    yield [context.new_page() for context in contexts]
    for context in contexts:
        context.close()


def test_propose_publish_find_inside_a_pdf_and_mark_read(pages: list[Any], live_url: str) -> None:
    proposer, facilitator, reader = pages
    title = f"Atlas des mobilités rurales {int(time.time())}"

    # A member proposes a link: it waits for moderation, visible to them only.
    log_in(proposer, live_url, PROPOSER)
    warnings: list[str] = []
    proposer.on("console", lambda m: m.type in ("warning", "error") and warnings.append(m.text))
    proposer.goto(live_url + "/bibliotheque/proposer/")
    proposer.wait_for_load_state("load")
    proposer.locator(".ck-editor").first.wait_for(state="attached")  # drawn, then warned
    assert not [w for w in warnings if "ckeditor" in w.lower() or "toolbar" in w], warnings
    proposer.get_by_role("radio", name=re.compile(r"^lien$", re.I)).check()
    proposer.get_by_label("Titre", exact=True).fill(title)
    proposer.get_by_label("Adresse (lien)").fill("https://example.org/atlas-mobilites")
    proposer.get_by_role("button", name="Proposer", exact=True).click()
    proposer.get_by_text("proposé", exact=False).first.wait_for()

    log_in(reader, live_url, READER)
    reader.goto(live_url + "/bibliotheque/")
    assert title not in reader.content()
    _wait_until(reader, "() => Boolean(window.agoraLibrary && window.agoraLibrary.live.ready)")

    # A facilitator publishes it from the moderation page.
    log_in(facilitator, live_url, FACILITATOR)
    facilitator.goto(live_url + "/bibliotheque/moderation/")
    facilitator.get_by_role("link", name=title).click()
    facilitator.get_by_role("button", name="Publier").click()
    facilitator.wait_for_load_state()
    # The reader's open page hears of it live (static/js/library.js over socket.js).
    reader.locator("#library-live-list").get_by_role("link", name=title).wait_for()
    reader.goto(live_url + "/bibliotheque/")
    reader.get_by_role("link", name=title).first.wait_for()

    # The other member searches a word that is only in the seeded PDF's text (accented
    # here, unaccented in the PDF), not in its title or summary.
    reader.goto(live_url + "/bibliotheque/recherche/?q=rempla%C3%A7ants")
    result = reader.get_by_role("link", name=PDF_TITLE)
    result.first.wait_for()
    assert reader.locator("mark").count() >= 1
    result.first.click()
    reader.get_by_role("heading", name=PDF_TITLE).wait_for()
    assert "remplaçants" not in reader.get_by_role("heading", name=PDF_TITLE).inner_text()

    # It is a step of « Bienvenue dans l'Assemblée »: reading it moves the progress bar.
    reader.goto(live_url + "/bibliotheque/parcours/")
    before = _progress(reader)
    reader.goto(live_url + "/bibliotheque/")
    reader.goto(live_url + "/bibliotheque/recherche/?q=rempla%C3%A7ants")
    reader.get_by_role("link", name=PDF_TITLE).first.click()
    reader.get_by_role("button", name="Marquer comme lu").click()
    reader.wait_for_load_state()
    reader.get_by_role("button", name="Marquer comme non lu").wait_for()
    reader.goto(live_url + "/bibliotheque/parcours/")
    assert _progress(reader) == before + 1


def _progress(page: Any) -> int:
    value = page.locator("progress").first.get_attribute("value")
    return int(float(value or 0))
