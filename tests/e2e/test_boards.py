"""The whiteboard in real browsers: a facilitator creates one in the plenary, a shape drawn
by one member appears for another with the drawer's name on their pointer, a substitute
(who reads the plenary) cannot draw, the PNG and PDF exports download and open, nothing is
fetched from another site, and the page passes axe."""

from __future__ import annotations

import io
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.e2e.axe import assert_accessible
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")
FACILITATOR = "facilitateur1@example.org"
ALICE, BOB = "membre001@example.org", "membre014@example.org"
READER = "remplacant001@example.org"  # substitutes read the plenary, never write there
TITLE = "Carte des acteurs de la mobilité"
WORDS = "Transports en commun"

SYNCED = "() => document.documentElement.dataset.boardSynced === 'true'"
HAS_RECTANGLE = "() => window.agoraBoard.api.getSceneElements().some(e => e.type === 'rectangle')"


@pytest.fixture
def contexts(browser: Any) -> Iterator[list[Any]]:
    made = [
        browser.new_context(locale="fr-FR", accept_downloads=True, viewport=size)
        for size in ({"width": 1280, "height": 900},) * 3 + ({"width": 390, "height": 844},)
    ]
    for context in made:
        context.set_default_timeout(20_000)
    yield made
    for context in made:
        context.close()


def _watch_requests(context: Any, seen: list[str]) -> None:
    context.on("request", lambda request: seen.append(request.url))
    context.on("websocket", lambda ws: seen.append(ws.url))


def _open(page: Any, live_url: str, email: str, board_url: str) -> None:
    log_in(page, live_url, email)
    page.goto(board_url)
    wait_until(page, SYNCED, timeout=30)


def _draw_rectangle(page: Any) -> None:
    page.locator('[data-testid="toolbar-rectangle"]').click(force=True)  # the icon covers it
    box = page.locator("canvas.interactive").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 120, y - 60)
    page.mouse.down()
    page.mouse.move(x, y, steps=8)
    page.mouse.move(x + 120, y + 60, steps=8)
    page.mouse.up()


def _write_text(page: Any, words: str) -> None:
    page.locator('[data-testid="toolbar-text"]').click(force=True)
    box = page.locator("canvas.interactive").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] * 0.3)
    page.keyboard.type(words)
    page.keyboard.press("Escape")


def _run(*command: str) -> str:
    """poppler's pdfinfo or pdftotext."""
    done = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


def _download(page: Any, link_name: str, target: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    info.value.save_as(target)
    return target


def test_members_draw_together_a_reader_watches_and_the_exports_open(
    contexts: list[Any], live_url: str, tmp_path: Path
) -> None:
    seen: list[str] = []
    for context in contexts:
        _watch_requests(context, seen)
    facilitator, alice, reader, phone = (context.new_page() for context in contexts)
    console: list[str] = []
    alice.on("console", lambda m: console.append(f"{m.type}: {m.text}"))

    # The facilitator creates the board in the plenary (listed first in the workshops).
    log_in(facilitator, live_url, FACILITATOR)
    facilitator.goto(live_url + "/ateliers/")
    facilitator.get_by_role("link", name="Nouveau tableau blanc").first.click()
    facilitator.get_by_label("Titre").fill(TITLE)
    facilitator.get_by_role("button", name="Créer le tableau blanc").click()
    facilitator.get_by_role("heading", name=TITLE).wait_for()
    board_url = facilitator.url
    wait_until(facilitator, SYNCED, timeout=30)

    # Alice draws; the facilitator sees the shape, and Alice's name on her pointer.
    _open(alice, live_url, ALICE, board_url)
    _draw_rectangle(alice)
    wait_until(facilitator, HAS_RECTANGLE)
    alice.mouse.move(300, 400)
    alice.mouse.move(320, 420, steps=4)
    wait_until(
        facilitator,
        "() => [...window.agoraBoard.api.getAppState().collaborators.values()]"
        ".some(c => c.username && c.pointer)",
    )
    names = facilitator.evaluate(
        "() => [...window.agoraBoard.api.getAppState().collaborators.values()].map(c => c.username)"
    )
    assert any(name.startswith("Alice") or "." in name for name in names), names
    # The facilitator's text reaches Alice too (both ways, through the server).
    _write_text(facilitator, WORDS)
    wait_until(
        alice,
        "(w) => window.agoraBoard.api.getSceneElements().some(e => e.type === 'text' "
        "&& e.text === w)",
        WORDS,
    )

    # A substitute reads it, live, and cannot draw: no tools, and nothing of theirs is kept.
    _open(reader, live_url, READER, board_url)
    wait_until(reader, HAS_RECTANGLE)
    assert reader.locator("#board-editor").get_attribute("data-can-edit") == "false"
    assert reader.evaluate("() => window.agoraBoard.api.getAppState().viewModeEnabled")
    assert reader.locator('[data-testid="toolbar-rectangle"]').count() == 0
    insert = reader.get_by_role("button", name="Insérer une image de la bibliothèque")
    assert not insert.is_visible()
    reader.evaluate(
        "() => window.agoraBoard.doc.getMap('elements').set('intrus', "
        "{id: 'intrus', type: 'ellipse', version: 1, versionNonce: 1, x: 0, y: 0})"
    )
    alice.wait_for_timeout(1500)
    assert not alice.evaluate("() => window.agoraBoard.doc.getMap('elements').has('intrus')"), (
        "a reader's update reached another member"
    )

    # The room's screen: the facilitator projects it; the projector draws nothing, shows all.
    facilitator.get_by_role("link", name="Projeter sur l'écran de la salle").click()
    wait_until(facilitator, SYNCED, timeout=30)
    wait_until(facilitator, HAS_RECTANGLE)
    assert facilitator.evaluate("() => window.agoraBoard.api.getAppState().zenModeEnabled")
    assert facilitator.evaluate("() => window.agoraBoard.api.getAppState().viewModeEnabled")
    if SCREENSHOTS:
        facilitator.screenshot(path=f"{SCREENSHOTS}/board-projection.png")

    # Exports, from what the server stored.
    png = _download(alice, "image (PNG)", tmp_path / "board.png")
    from PIL import Image

    with Image.open(io.BytesIO(png.read_bytes())) as image:
        image.load()
        assert image.format == "PNG"
        assert image.width > 100 and image.height > 50
        # Not a blank picture: the rectangle's stroke is there.
        assert len(image.convert("L").getcolors(maxcolors=1 << 20) or []) > 1
    pdf = _download(alice, "PDF", tmp_path / "board.pdf")
    info = _run("pdfinfo", str(pdf))
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE), info
    text = _run("pdftotext", str(pdf), "-")
    assert TITLE in text and WORDS in text

    # The phone: the board fits, and the page passes axe.
    _open(phone, live_url, BOB, board_url)
    wait_until(phone, HAS_RECTANGLE)
    if SCREENSHOTS:
        phone.screenshot(path=f"{SCREENSHOTS}/board-390.png", full_page=True)
        alice.screenshot(path=f"{SCREENSHOTS}/board-desktop.png")
    width = phone.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the board page scrolls sideways on a phone ({width} px)"
    assert_accessible(phone, "whiteboard page")

    # Excalidraw works within the site's CSP (no inline style or script it needed was blocked).
    print("\n".join(console))
    blocked = [line for line in console if "Content Security Policy" in line]
    assert not blocked, blocked

    # Nothing was fetched from, or sent to, another site.
    origin = urlsplit(live_url).netloc
    outside = [
        url
        for url in seen
        if urlsplit(url).scheme in ("http", "https", "ws", "wss") and urlsplit(url).netloc != origin
    ]
    assert not outside, outside
    assert any("/static/boards/fonts/" in url for url in seen), "no font came from our site"
