"""A member tries the practice space: a message, a few words in the draft, then wipes it all
and finds it empty (learning/sandbox.py)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
MEMBER = "membre083@example.org"  # no other browser test uses this account


def test_member_practises_then_wipes_everything_and_finds_it_empty(
    page: Any, live_url: str
) -> None:
    log_in(page, live_url, MEMBER)
    page.locator("#home-sandbox").get_by_role("link").click()
    page.get_by_role("heading", name="Bac à sable", exact=True).wait_for()
    assert_accessible(page, "the practice space")

    # A message in my practice room, live through the same socket as every room.
    page.get_by_role("link", name="Ouvrir ma salle d'entraînement").click()
    wait_until(page, "() => Boolean(window.agoraChat && window.agoraChat.ready)")
    box = page.get_by_label("Votre message")
    box.fill("Mon premier message d'essai")
    box.press("Enter")
    page.locator("#chat-log .msg", has_text="Mon premier message d'essai").wait_for()

    # A few words in my practice draft, in the drafts' editor.
    page.goto(live_url + "/bac-a-sable/brouillon/")
    wait_until(page, "() => document.documentElement.dataset.draftSynced === 'true'")
    page.locator("#draft-editor .ProseMirror").click()
    page.keyboard.type("Je m'entraîne à écrire")
    wait_until(
        page, "(t) => window.agoraDraft.editor.getText().includes(t)", "Je m'entraîne à écrire"
    )
    page.wait_for_timeout(1500)  # stored before it is relayed; give the socket its round trip
    page.reload()
    wait_until(page, "() => document.documentElement.dataset.draftSynced === 'true'")
    assert "Je m'entraîne à écrire" in page.evaluate("() => window.agoraDraft.editor.getText()")

    # « Tout effacer et recommencer », confirmed.
    page.goto(live_url + "/bac-a-sable/")
    page.get_by_role("link", name="Tout effacer et recommencer").click()
    assert_accessible(page, "the practice space's confirmation")
    page.get_by_role("button", name="Tout effacer et recommencer").click()
    page.get_by_text("Tout est effacé").wait_for()

    page.get_by_role("link", name="Ouvrir ma salle d'entraînement").click()
    wait_until(page, "() => Boolean(window.agoraChat && window.agoraChat.ready)")
    assert page.locator("#chat-log .msg").count() == 0
    page.goto(live_url + "/bac-a-sable/brouillon/")
    wait_until(page, "() => document.documentElement.dataset.draftSynced === 'true'")
    assert page.evaluate("() => window.agoraDraft.editor.getText()").strip() == ""
