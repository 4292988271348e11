"""Two members of one subgroup chat live in two browsers, and one sends a voice message."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until as _wait_until

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")
# Both in « Habitat et maintien à domicile » in seed_demo (the same people on every run).
ALICE, BOB = "membre001@example.org", "membre014@example.org"
ROOM = "Habitat et maintien à domicile"


def _context(browser: Any, **kwargs: Any) -> Any:
    context = browser.new_context(locale="fr-FR", **kwargs)
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def two_pages(browser: Any) -> Iterator[tuple[Any, Any]]:
    first = _context(browser, viewport={"width": 1280, "height": 900})
    second = _context(browser, viewport={"width": 320, "height": 640}, is_mobile=True,
                      has_touch=True)
    yield first.new_page(), second.new_page()
    first.close()
    second.close()


def _open_room(page: Any, live_url: str, email: str) -> None:
    log_in(page, live_url, email)
    menu_button = page.get_by_role("button", name="Menu")
    if menu_button.is_visible():  # a phone: the menu is folded behind its button
        menu_button.click()
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Discussions").click()
    page.get_by_role("link", name=re.compile(ROOM)).click()
    page.get_by_role("heading", name=ROOM).wait_for()
    # Live once the socket subscribed; until then the composer is a plain form.
    _wait_until(page, "() => Boolean(window.agoraChat && window.agoraChat.ready)")



def _send(page: Any, text: str) -> None:
    box = page.get_by_label("Votre message")
    box.fill(text)
    box.press("Enter")


def test_two_members_chat_live_and_share_a_voice_message(
    two_pages: tuple[Any, Any], live_url: str
) -> None:
    alice, bob = two_pages
    _open_room(alice, live_url, ALICE)
    _open_room(bob, live_url, BOB)

    _send(alice, "Bonjour Bob, tu as lu la note de cadrage ?")
    bob.locator("#chat-log .msg", has_text="tu as lu la note de cadrage").wait_for()
    # Bob's screen reader hears about it once, politely, a moment later.
    _wait_until(
        bob, "() => document.getElementById('chat-announce').textContent"
        ".includes('Nouveau message de')",
    )
    _send(bob, "Oui, on en parle mardi.")
    alice.locator("#chat-log .msg", has_text="on en parle mardi").wait_for()
    # Sent over the socket, shown once (no double from the acknowledgement).
    assert alice.locator("#chat-log .msg", has_text="la note de cadrage").count() == 1

    # Alice records with the fake microphone, listens, writes the transcript, sends.
    alice.get_by_role("button", name="Enregistrer").click()
    alice.wait_for_timeout(1500)
    alice.get_by_role("button", name="Arrêter").click()
    alice.get_by_label("Ce que vous dites, par écrit").fill("Un bip de test pour Bob")
    alice.get_by_role("button", name="Envoyer le message vocal").click()

    voice = bob.locator("#chat-log .msg", has_text="Un bip de test pour Bob")
    audio = voice.locator("audio")
    audio.wait_for()
    assert "Transcription" in voice.inner_text()
    _wait_until(bob, "el => el.readyState >= 1 && el.duration > 0", audio.element_handle())
    # Bob's connection drops while Alice writes: he reconnects and resyncs, nothing lost
    # and nothing doubled.
    bob.evaluate("() => window.agoraChat.socket.close()")
    _send(alice, "Message écrit pendant ta coupure")
    bob.locator("#chat-log .msg", has_text="pendant ta coupure").wait_for()
    _wait_until(bob, "() => window.agoraChat.ready")
    bob.wait_for_timeout(500)
    assert bob.locator("#chat-log .msg", has_text="pendant ta coupure").count() == 1

    if SCREENSHOTS:
        alice.screenshot(path=f"{SCREENSHOTS}/chat-desktop.png", full_page=True)
        bob.screenshot(path=f"{SCREENSHOTS}/chat-phone.png", full_page=True)
    scroll_width = bob.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 320, "the chat scrolls sideways on a 320 px phone"


def test_the_transcript_is_proposed_before_sending_or_added_live_after(
    two_pages: tuple[Any, Any], live_url: str
) -> None:
    """Speech-to-text is on for the e2e session (conftest: a fake server of the protocol)."""
    alice, bob = two_pages
    _open_room(alice, live_url, ALICE)
    _open_room(bob, live_url, BOB)
    # Proposed in the box once the worker is done; Alice corrects it and sends.
    alice.get_by_role("button", name="Enregistrer").click()
    alice.wait_for_timeout(1000)
    alice.get_by_role("button", name="Arrêter").click()
    _wait_until(alice, "() => document.getElementById('voice-transcript').value"
                       ".includes('minibus le mardi matin')")
    assert "Transcription proposée" in alice.locator("#voice-draft-status").inner_text()
    alice.get_by_label("Ce que vous dites, par écrit").fill("Un minibus le mardi, à 7 h 12.")
    alice.get_by_role("button", name="Envoyer le message vocal").click()
    corrected = bob.locator("#chat-log .msg", has_text="Un minibus le mardi, à 7 h 12.")
    corrected.wait_for()
    assert "corrigée" in corrected.inner_text()
    # Sent at once without waiting: the transcript reaches Bob's open page when ready.
    alice.get_by_role("button", name="Enregistrer").click()
    alice.wait_for_timeout(1000)
    alice.get_by_role("button", name="Arrêter").click()
    alice.get_by_role("button", name="Envoyer le message vocal").click()
    automatic = bob.locator("#chat-log .msg", has_text="elle peut contenir des erreurs")
    automatic.wait_for()
    assert "minibus le mardi matin" in automatic.inner_text()


def test_the_room_reads_and_answers_without_javascript(browser: Any, live_url: str) -> None:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, live_url, "membre025@example.org")
        page.goto(live_url + "/discussions/")
        page.get_by_role("link", name=re.compile(ROOM)).click()
        page.get_by_label("Votre message").fill("Message envoyé sans JavaScript")
        page.get_by_role("button", name="Envoyer", exact=True).click()
        page.locator("#chat-log .msg", has_text="sans JavaScript").wait_for()
    finally:
        context.close()


def test_a_facilitators_live_message_carries_the_animation_badge(
    two_pages: tuple[Any, Any], live_url: str
) -> None:
    """« Amandine R. » is the room's facilitator: her name says so, live as on reload,
    so that a member calling themself the same cannot pass for her."""
    alice, amandine = two_pages
    _open_room(alice, live_url, ALICE)
    _open_room(amandine, live_url, "facilitateur1@example.org")

    _send(amandine, "Rappel : on se retrouve mardi à 18 h en visio.")
    live = alice.locator("#chat-log .msg", has_text="on se retrouve mardi à 18 h")
    live.wait_for()
    meta = live.locator(".msg__meta")
    assert meta.locator(".msg__author").inner_text() == "Amandine R."
    assert meta.locator(".badge--role").inner_text() == "animation"
    # A member's own message has none.
    _send(alice, "Merci, je serai là.")
    mine = amandine.locator("#chat-log .msg", has_text="je serai là")
    mine.wait_for()
    assert mine.locator(".badge--role").count() == 0

    alice.reload()
    again = alice.locator("#chat-log .msg", has_text="on se retrouve mardi à 18 h")
    assert again.locator(".msg__meta .badge--role").inner_text() == "animation"


def _markup(item: Any) -> str:
    """An item's markup with its whitespace normalised (the same text parsed twice)."""
    html = item.evaluate("el => el.outerHTML")
    return re.sub(r"\s+", " ", html).replace("> <", "><").strip()


def test_a_live_message_has_the_markup_it_has_after_reload(
    two_pages: tuple[Any, Any], live_url: str
) -> None:
    """One rendering (templates/forums/_message.html): what arrives live is what a reload
    shows, for the reader and for the author (their own message, « msg--mine »)."""
    alice, bob = two_pages
    _open_room(alice, live_url, ALICE)
    _open_room(bob, live_url, BOB)

    _send(alice, "Même rendu en direct et après rechargement, **promis**.")
    text = "Même rendu en direct"
    live = bob.locator("#chat-log .msg", has_text=text)
    live.wait_for()
    own = alice.locator("#chat-log .msg", has_text=text)
    own.wait_for()
    assert "msg--mine" in (own.get_attribute("class") or "")
    assert "msg--mine" not in (live.get_attribute("class") or "")
    assert live.locator(".msg__body strong").inner_text() == "promis"
    pushed = {"bob": _markup(live), "alice": _markup(own)}

    for name, page in (("bob", bob), ("alice", alice)):
        page.reload()
        again = page.locator("#chat-log .msg", has_text=text)
        again.wait_for()
        assert _markup(again) == pushed[name]


def test_the_room_list_counts_a_message_sent_while_it_is_open(
    two_pages: tuple[Any, Any], live_url: str
) -> None:
    """The room list (static/js/rooms.js, over the page's one socket) shows the badge live."""
    alice, bob = two_pages
    _open_room(alice, live_url, ALICE)
    log_in(bob, live_url, BOB)
    bob.goto(live_url + "/discussions/")
    _wait_until(bob, "() => Boolean(window.agoraRooms && window.agoraRooms.live.ready)")
    room_id = bob.get_by_role("link", name=re.compile(ROOM)).get_attribute("data-room")
    unread = ("(room) => { const b = document.querySelector(`[data-unread=\"${room}\"]`);"
              " return b ? Number.parseInt(b.textContent, 10) : 0; }")
    before = bob.evaluate(unread, room_id)
    _send(alice, "Un message pendant que Bob regarde la liste")
    _wait_until(bob, f"(room) => ({unread})(room) === {before + 1}", room_id)
