"""The chat does what every chat does, in the page: send, reply, react, edit, delete, copy a
message's link, attach an image, refuse (never cut) a long paste, on a desktop and on a
390 px phone where the composer is pinned to the bottom and « n nouveaux messages » brings
the reader back down. Screenshots go to /tmp/i13-chat-shots/ (or $E2E_SCREENSHOTS)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
SHOTS = Path(os.environ.get("E2E_SCREENSHOTS") or "/tmp/i13-chat-shots")  # noqa: S108
# Both in « Habitat et maintien à domicile » in seed_demo (test_chat.py uses them too).
ALICE, BOB = "membre001@example.org", "membre014@example.org"
ROOM = "Habitat et maintien à domicile"


@pytest.fixture
def desk_and_phone(browser: Any, live_url: str) -> Iterator[tuple[Any, Any]]:
    desk = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 900})
    desk.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_url)
    phone = browser.new_context(
        locale="fr-FR", viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    for context in (desk, phone):
        context.set_default_timeout(15_000)
    yield desk.new_page(), phone.new_page()
    desk.close()
    phone.close()


def _open_room(page: Any, live_url: str, email: str) -> None:
    log_in(page, live_url, email)
    page.goto(live_url + "/discussions/")
    page.get_by_role("link", name=re.compile(ROOM)).click()
    page.get_by_role("heading", name=ROOM).wait_for()
    wait_until(page, "() => Boolean(window.agoraChat && window.agoraChat.ready)")


def _send(page: Any, text: str) -> None:
    box = page.get_by_label("Votre message")
    box.fill(text)
    box.press("Enter")


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (320, 200), (11, 92, 107)).save(out, format="PNG")
    return out.getvalue()


def _message(page: Any, text: str) -> Any:
    item = page.locator("#chat-log > li.msg", has_text=text)
    item.wait_for()
    return item


def test_send_reply_react_edit_delete_link_and_image_on_desktop_and_phone(
    desk_and_phone: tuple[Any, Any], live_url: str
) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    alice, bob = desk_and_phone
    _open_room(alice, live_url, ALICE)
    _open_room(bob, live_url, BOB)

    # Send, and reply (quoted above the answer; the quote leads back to the original).
    _send(alice, "Qui vient à la visite du foyer logement jeudi ?")
    asked = _message(bob, "visite du foyer logement")
    asked_id = asked.get_attribute("id")
    asked.get_by_role("button", name="Répondre").click()
    assert "En réponse à" in bob.locator("#composer-context").inner_text()
    _send(bob, "Moi, je prends la voiture.")
    answer = _message(alice, "je prends la voiture")
    quote = answer.locator(".msg__quote")
    assert "En réponse à" in quote.inner_text() and "foyer logement" in quote.inner_text()
    quote.click()
    wait_until(alice, "() => document.activeElement.classList.contains('msg--target')")

    # React from the picker; the count and who reacted reach the other page, and Alice's
    # own choice is marked pressed for her only.
    answer.hover()
    answer.get_by_role("button", name="Réagir").click()
    alice.get_by_role("dialog", name="Choisir une réaction").get_by_role(
        "button", name="pouce levé"
    ).click()
    pill = answer.locator(".reaction", has_text="👍")
    pill.wait_for()
    assert pill.get_attribute("aria-pressed") == "true"
    theirs = _message(bob, "je prends la voiture").locator(".reaction", has_text="👍 1")
    theirs.wait_for()
    assert theirs.get_attribute("aria-pressed") == "false"
    assert "pouce levé" in theirs.inner_text() or "pouce levé" in theirs.text_content()

    # Edit one's own message: « modifié » shows everywhere; then delete it.
    mine = alice.locator(f"#{asked_id}")
    mine.hover()
    mine.get_by_role("button", name="Modifier").click()
    box = alice.get_by_label("Votre message")
    wait_until(alice, "() => document.getElementById('id_body').value.includes('foyer')")
    box.fill("Qui vient à la visite du foyer logement vendredi ?")
    box.press("Enter")
    edited = bob.locator(f"#{asked_id}")
    edited.locator(".msg__edited").wait_for()
    assert "vendredi" in edited.inner_text()
    assert "modifié" in edited.inner_text()
    assert bob.locator('#chat-log [data-action="edit"]:visible').count() == 0  # not Bob's

    # Copy a message's link, and open it: the room at that message.
    answer.hover()
    answer.get_by_role("button", name="Copier le lien").click()
    alice.locator("#chat-status", has_text="Lien copié").wait_for()
    link = alice.evaluate("() => navigator.clipboard.readText()")
    assert re.search(r"/discussions/message/\d+/lien/$", link)

    # An image through the upload door: a preview before sending, a thumbnail after.
    alice.locator("#composer-files").set_input_files(
        files=[{"name": "plan-foyer.png", "mimeType": "image/png", "buffer": _png()}]
    )
    alice.locator("#composer-files-list .composer__thumb").wait_for()
    assert "plan-foyer.png" in alice.locator("#composer-files-list").inner_text()
    _send(alice, "Le plan d'accès")
    picture = _message(bob, "Le plan d'accès").locator(".msg__image img")
    picture.wait_for()
    wait_until(bob, "el => el.complete && el.naturalWidth === 320", picture.element_handle())

    # A 16,000-character paste is refused whole, with the count, and stays in the box.
    long_text = ("Mot " * 4000).strip()
    box.fill(long_text)
    alice.locator("#composer-count", has_text="caractères de trop").wait_for()
    box.press("Enter")
    assert alice.locator("#composer-error").is_visible()
    assert len(box.input_value()) == len(long_text)
    box.fill("")

    # Phone: the composer is pinned to the bottom, the list scrolls above it; scrolled
    # up, new messages show « n nouveaux messages », which brings the reader down.
    bob.reload()
    wait_until(bob, "() => Boolean(window.agoraChat && window.agoraChat.ready)")
    bob.wait_for_timeout(300)  # the page scrolls to the chat on the next frame
    bottom, screen = bob.evaluate(
        "() => [document.getElementById('composer').getBoundingClientRect().bottom,"
        " window.visualViewport.offsetTop + window.visualViewport.height]"
    )
    assert screen - 24 <= bottom <= screen + 1, (bottom, screen)
    bob.evaluate("() => { document.getElementById('chat-log').scrollTop = 0; }")
    _send(alice, "Premier message pendant que Bob lit plus haut")
    _send(alice, "Second message pendant que Bob lit plus haut")
    unseen = bob.get_by_role("button", name="2 nouveaux messages")
    unseen.wait_for()
    bob.screenshot(path=str(SHOTS / "chat-390-unseen.png"))
    unseen.click()
    wait_until(bob, "() => window.agoraChat.nearBottom()")
    assert unseen.is_hidden()
    assert bob.evaluate("document.documentElement.scrollWidth") <= 390
    # Its heading hidden on a phone, the voice button says what it records (not « Enregistrer »).
    assert bob.locator("#voice-record").inner_text().strip() == "Enregistrer un message vocal"

    # Delete: the place stays, the words go, for everyone.
    mine.hover()
    alice.once("dialog", lambda dialog: dialog.accept())
    mine.get_by_role("button", name="Supprimer").click()
    bob.locator(f"#{asked_id} .msg__note", has_text="supprimé").wait_for()

    # Mark as unread: the line « Nouveaux messages » goes back above that message.
    answer.hover()
    answer.get_by_role("button", name="Marquer comme non lu").click()
    alice.locator("#chat-status", has_text="non lu").wait_for()

    alice.screenshot(path=str(SHOTS / "chat-1366.png"))
    bob.screenshot(path=str(SHOTS / "chat-390.png"))
    alice.goto(link)
    wait_until(alice, "() => document.activeElement.classList.contains('msg--target')")
    assert_accessible(alice, "the chat, desktop")
    assert_accessible(bob, "the chat, phone")
