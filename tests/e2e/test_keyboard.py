"""The main tasks with the keyboard only: log in, read and write in the chat, co-write a
draft, vote, join the live audio (WCAG 2.1.1, 2.1.2, 2.4.1, 2.4.3, 2.4.7; RGAA 7.3, 10.7,
12.7, 12.8, 12.9).

Only Tab, Shift+Tab, Enter, Space, Escape, arrows and typing: never a click. At every
stop the focus must show (an outline or a ring on the focused element, or on the editing
surface around the co-writing editor), and Tab must move forward in the page's order.
The co-writing editor keeps Tab for lists and tables: Escape then Tab leaves it, and the
editor says so under the text.

Demo accounts used here and nowhere else: membre076 (chat, draft, vote, audio) and
membre077 (the keyboard login).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, ROOT
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e

MEMBER, LOGGER = "membre076@example.org", "membre077@example.org"

# What is focused, whether its focus shows, and where it is in the document's order.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shows = (node) => {
    if (!node) return false;
    const style = getComputedStyle(node);
    return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
      || style.boxShadow !== 'none';
  };
  // The co-writing editor draws its focus on the surface around the text (:focus-within).
  const visible = shows(el) || (el.isContentEditable && shows(el.parentElement));
  const all = document.getElementsByTagName('*');
  let order = 0;
  while (order < all.length && all[order] !== el) order++;
  return {
    tag: el.tagName.toLowerCase(), id: el.id, name: el.getAttribute('name') || '',
    type: el.getAttribute('type') || '', value: el.getAttribute('value') || '',
    href: el.getAttribute('href') || '', editable: el.isContentEditable,
    form: el.form ? el.form.getAttribute('action') : '',
    text: (el.getAttribute('aria-label') || el.innerText || '').trim().slice(0, 120),
    inMain: Boolean(el.closest('main')), visible, order,
  };
}"""

Stop = dict[str, Any]


def _focused(page: Any) -> Stop | None:
    return page.evaluate(FOCUSED)  # type: ignore[no-any-return]


def tab_until(page: Any, wanted: Callable[[Stop], bool], *, shift: bool = False,
              limit: int = 80) -> Stop:
    """Press Tab (or Shift+Tab) until ``wanted`` holds for the focused element. Every stop
    must show its focus; forward, each stop comes after the previous one in the page."""
    previous: Stop | None = None
    seen: list[str] = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        stop = _focused(page)
        assert stop is not None, f"the focus fell on the page itself after {seen}"
        seen.append(f"{stop['tag']}#{stop['id']} {stop['text'][:30]!r}")
        assert stop["visible"], f"no visible focus on {seen[-1]} ({page.url})"
        if previous is not None and not shift:
            assert stop["order"] > previous["order"], (
                f"Tab went back up the page: {seen[-2:]} ({page.url})")
        if wanted(stop):
            return stop
        previous = stop
    raise AssertionError(f"Tab never reached it in {limit} stops: {seen}")


def _press(page: Any, key: str) -> None:
    """A key that moves to another page: wait for it."""
    with page.expect_navigation():
        page.keyboard.press(key)


def _skip_to_content(page: Any) -> None:
    """The first Tab reaches the skip link, which moves the focus to the main content."""
    page.keyboard.press("Tab")
    stop = _focused(page)
    assert stop is not None and stop["href"] == "#contenu" and stop["visible"], stop
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


def _new_page(browser: Any) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture(scope="module")
def member(browser: Any, live_url: str) -> Iterator[Any]:
    page = _new_page(browser)
    log_in(page, live_url, MEMBER)
    yield page
    page.context.close()


def test_logging_in_with_the_keyboard_only(browser: Any, live_url: str) -> None:
    page = _new_page(browser)
    try:
        page.goto(live_url + "/comptes/login/")
        _skip_to_content(page)
        # From the content, the password form, in reading order.
        tab_until(page, lambda s: s["form"] == "/comptes/login/" and s["type"] == "email")
        page.keyboard.type(LOGGER)
        stop = tab_until(page, lambda s: s["type"] == "password", limit=3)
        page.keyboard.type(DEMO_PASSWORD)
        _press(page, "Enter")
        # First login: the charter, accepted by keyboard too.
        assert "/bienvenue/" in page.url, page.url
        tab_until(page, lambda s: s["name"] == "decision" and s["value"] == "accept",
                  limit=120)
        _press(page, "Enter")
        page.wait_for_url(live_url + "/")
        stop = tab_until(page, lambda s: s["href"] == "#contenu", limit=1)
        assert stop["text"]
    finally:
        page.context.close()


def _open_own_room(page: Any, live_url: str) -> None:
    page.goto(live_url + "/")
    _skip_to_content(page)
    # « Discussions » in the header: back up from the content with Shift+Tab.
    tab_until(page, lambda s: s["href"] == "/discussions/" and not s["inMain"], shift=True)
    _press(page, "Enter")
    _skip_to_content(page)
    tab_until(page, lambda s: s["href"].startswith("/discussions/salle/")
              and "plénière" not in s["text"].lower())
    _press(page, "Enter")
    wait_until(page, "() => Boolean(window.agoraChat && window.agoraChat.ready)")


def test_reading_and_writing_in_the_chat_with_the_keyboard(member: Any, live_url: str) -> None:
    _open_own_room(member, live_url)
    room_url = member.url
    # Reading: the conversation is one tab stop, named, that scrolls with the arrows.
    _skip_to_content(member)
    log = tab_until(member, lambda s: s["id"] == "chat-log")
    assert log["visible"]
    assert member.evaluate("document.getElementById('chat-log').getAttribute('aria-labelledby')")
    member.keyboard.press("ArrowUp")
    # Writing: the message box, Enter sends, and the focus stays in the box.
    tab_until(member, lambda s: s["name"] == "body")
    member.keyboard.type("Message écrit au clavier seul, sans souris.")
    member.keyboard.press("Enter")
    member.locator("#chat-log .msg", has_text="écrit au clavier seul").wait_for()
    assert member.evaluate("document.activeElement.name") == "body"
    assert member.url.split("#")[0] == room_url


def test_joining_the_live_audio_with_the_keyboard(member: Any, live_url: str) -> None:
    """Reaching « Rejoindre l'audio en direct », the microphone check and « Entrer dans
    l'appel » by keyboard, then leaving: the fake microphone of the test browser stands in
    for a real one; what the others hear is tests/e2e/test_calls_mesh.py's."""
    if "/discussions/salle/" in member.url:
        member.goto(member.url.split("#")[0])  # from the top of the page again
    else:
        _open_own_room(member, live_url)
    member.locator("#call-start").wait_for()
    _skip_to_content(member)
    tab_until(member, lambda s: s["id"] == "call-start")
    member.keyboard.press("Enter")
    # The microphone check opens, and the focus goes to « Entrer dans l'appel » itself.
    member.locator("#call-check").wait_for()
    wait_until(member, "() => document.activeElement.id === 'call-enter'")
    assert _focused(member)["visible"]  # type: ignore[index]
    member.keyboard.press("Enter")
    member.locator("#call-live").wait_for()
    # In the call, the focus is on « Couper mon micro »; « Quitter l'appel » is a few stops on.
    wait_until(member, "() => document.activeElement.id === 'call-mute'")
    member.keyboard.press("Space")
    assert member.locator("#call-mute").get_attribute("aria-pressed") == "true"
    tab_until(member, lambda s: s["id"] == "call-leave", limit=6)
    member.keyboard.press("Enter")
    member.locator("#call-live").wait_for(state="hidden")
    wait_until(member, "() => document.activeElement.id === 'call-start'")


def test_co_writing_a_draft_with_the_keyboard(member: Any, live_url: str) -> None:
    member.goto(live_url + "/")
    _skip_to_content(member)
    tab_until(member, lambda s: "Proposition du sous-groupe" in s["text"] and s["inMain"])
    _press(member, "Enter")
    wait_until(member, "() => document.documentElement.dataset.draftSynced === 'true'")
    _skip_to_content(member)
    tab_until(member, lambda s: s["editable"])
    before = member.evaluate("() => window.agoraDraft.editor.getText()")
    member.keyboard.press("Control+End")
    member.keyboard.press("Enter")
    member.keyboard.type("Phrase écrite au clavier seul.")
    wait_until(member, "() => window.agoraDraft.editor.getText().includes('au clavier seul')")
    # The toolbar is one stop before the text; its arrows move between the buttons.
    toolbar = tab_until(member, lambda s: s["tag"] == "button", shift=True, limit=1)
    member.keyboard.press("ArrowRight")
    assert _focused(member)["text"] != toolbar["text"]  # type: ignore[index]
    member.keyboard.press("Escape")  # the toolbar gives the focus back to the text
    wait_until(member, "() => document.activeElement.isContentEditable")
    # Undo by keyboard: the draft is the subgroup's, the sentence was only a test.
    member.keyboard.press("Control+z")
    wait_until(member, "(before) => window.agoraDraft.editor.getText() === before", before)
    # No trap: the text says how to leave it; Escape puts the focus on that line (it
    # shows), Tab then goes on past the editor, and Shift+Tab would come back.
    assert member.evaluate(
        "document.getElementById(document.activeElement.getAttribute('aria-describedby'))"
        ".textContent").startswith("Au clavier : Échap")
    member.keyboard.press("Escape")
    hint = _focused(member)
    assert hint is not None and hint["id"] == "draft-editor-keys" and hint["visible"], hint
    after = tab_until(member, lambda s: True, limit=1)
    assert after["order"] > hint["order"], after
    assert member.evaluate(
        "!document.activeElement.closest('.draft-toolbar, .draft-editor__surface')")
    tab_until(member, lambda s: s["editable"], shift=True, limit=3)


OPEN_A_VOTE = """
import json
from assembly.demo import SAISINE_TITLE
from assembly.models import Mandate
from decisions.actions import do_create_vote, do_open_vote
mandate = Mandate.objects.get(title=SAISINE_TITLE)
vote = do_create_vote(None, mandate, "Vote au clavier : ouvrir la séance par un café ?",
                      "majorite", secret=True)
do_open_vote(None, vote)
print(json.dumps({"vote": str(vote.pk)}))
"""


def test_voting_with_the_keyboard(member: Any, live_url: str,
                                  server_env: dict[str, str]) -> None:
    # A vote of its own, so the demo vote's count stays what tests/e2e/test_votes.py expects.
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", OPEN_A_VOTE], cwd=ROOT, env=server_env,
        check=True, capture_output=True, text=True, timeout=120,
    )
    member.goto(live_url + "/decisions/")
    _skip_to_content(member)
    tab_until(member, lambda s: s["text"].startswith("Vote au clavier"))
    _press(member, "Enter")
    # A radio group is one stop; the arrows choose within it.
    first = tab_until(member, lambda s: s["type"] == "radio")
    member.keyboard.press("ArrowDown")
    chosen = _focused(member)
    assert chosen is not None and chosen["value"] != first["value"]
    assert member.evaluate("document.activeElement.checked")
    tab_until(member, lambda s: s["tag"] == "button" and s["text"] == "Voter", limit=3)
    _press(member, "Space")
    assert "Votre vote est enregistré" in member.locator(".messages").inner_text()


def test_the_focus_shows_on_every_stop_of_the_home_page(member: Any, live_url: str) -> None:
    """Forward through the whole page and back: every stop shows, none traps."""
    member.goto(live_url + "/")
    stops = 0
    while True:
        member.keyboard.press("Tab")
        stop = _focused(member)
        if stop is None:  # past the last stop: the browser's own interface
            break
        assert stop["visible"], stop
        stops += 1
        assert stops < 200, "Tab never leaves the page"
    assert stops > 10
