"""A breakout round trip: from the plenary call into the subgroup's call and back, by itself.

Real Chromium, real daphne, real WebRTC, inside a private network namespace
(tests/calls/netns.py), like tests/e2e/test_calls_mesh.py whose server and browser it
borrows. The facilitator sends the plenary « par sous-groupe » for one minute: the two
members' pages leave the plenary call and meet in their subgroup's call (a connected peer
connection between them, a countdown); a message to every breakout reaches them; « Rappeler
tout le monde » brings both pages back into the plenary call without a click of theirs. Then
the same in an ad-hoc group (« en groupes de 2 »), a labelled call of the plenary's room.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.calls import netns
from tests.calls.browser import enter_call, light_server, media_browser, open_page
from tests.e2e.axe import assert_accessible
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e

PLENARY_WORLD = """
from tests.calls.world import make_call_world
world = make_call_world()
print(json.dumps({"plenary": str(world.plenary.pk), "mobility": str(world.mobility.pk),
                  "cookies": [cookie(u) for u in (world.fanny, world.alice, world.bob)],
                  "name": settings.SESSION_COOKIE_NAME}))
"""

PEOPLE = "() => document.querySelectorAll('#call-people li').length"
CONNECTED = "() => window.__connections.filter((pc) => pc.connectionState === 'connected').length"


@pytest.fixture
def plenary_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    with light_server(tmp_path, PLENARY_WORLD) as served:
        yield served


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with media_browser(tmp_path) as made:
        yield made


def join_call(browser: Any, origin: str, room: str, cookie: dict[str, str]) -> Any:
    page = open_page(browser, origin, f"/discussions/salle/{room}/", cookie)
    enter_call(page)
    return page


def test_breakout_round_trip(request: pytest.FixtureRequest) -> None:
    if not netns.inside():
        netns.rerun_inside(request.node.nodeid)
        return
    started = time.monotonic()
    live_url, world = request.getfixturevalue("plenary_server")
    browser = request.getfixturevalue("browser")
    cookies = [{"name": world["name"], "value": value} for value in world["cookies"]]
    fanny, alice, bob = (join_call(browser, live_url, world["plenary"], c) for c in cookies)
    for page in (fanny, alice, bob):
        wait_until(page, f"() => ({PEOPLE})() === 3")
    # « par sous-groupe », one minute.
    assert_accessible(fanny, "the plenary's call with the breakout controls")
    fanny.get_by_label("Durée (minutes)").fill("1")
    fanny.get_by_role("button", name="Lancer les groupes").click()
    for page in (alice, bob):
        # In the subgroup's call, the two of them, connected to each other only.
        wait_until(page, f"() => ({PEOPLE})() === 2", timeout=20)
        wait_until(page, f"() => ({CONNECTED})() === 1", timeout=20)
        countdown = page.locator("#call-countdown")
        assert countdown.is_visible()
        assert re.fullmatch(
            r"Retour en plénière dans (1:00|0:[0-5]\d)", countdown.text_content() or ""
        )
    wait_until(fanny, f"() => ({PEOPLE})() === 1")
    # The facilitator's running breakouts (message box, call back) on a 320 px phone.
    assert_accessible(fanny, "the plenary's call with breakouts going on")
    assert "Fin des groupes dans" in (fanny.locator("#call-countdown").text_content() or "")
    # A message to every breakout, shown as text.
    fanny.get_by_label("Message à tous les groupes").fill("Encore <b>30</b> secondes")
    fanny.get_by_role("button", name="Envoyer à tous").click()
    for page in (alice, bob):
        message = page.locator("#call-message")
        message.wait_for()
        assert message.text_content() == "Message de Fanny : Encore <b>30</b> secondes"
    # Everyone back: the pages rejoin the plenary call by themselves.
    fanny.get_by_role("button", name="Rappeler tout le monde").click()
    for page in (fanny, alice, bob):
        wait_until(page, f"() => ({PEOPLE})() === 3", timeout=20)
        assert page.locator("#call-countdown").is_hidden()
    wait_until(alice, f"() => ({CONNECTED})() === 2", timeout=20)
    # Ad-hoc groups « en groupes de 2 »: Alice and Bob in « Groupe 1 », a labelled call of
    # the plenary's room; the plenary's own news does not reach their pages meanwhile.
    fanny.get_by_label("en groupes de").check()
    fanny.get_by_label("Personnes par groupe").fill("2")
    fanny.get_by_role("button", name="Lancer les groupes").click()
    for page in (alice, bob):
        wait_until(page, f"() => ({PEOPLE})() === 2", timeout=20)
        wait_until(page, f"() => ({CONNECTED})() === 1", timeout=20)
    wait_until(fanny, f"() => ({PEOPLE})() === 1")
    fanny.get_by_role("button", name="Rappeler tout le monde").click()
    for page in (fanny, alice, bob):
        wait_until(page, f"() => ({PEOPLE})() === 3", timeout=20)
    assert fanny.evaluate("() => document.documentElement.scrollWidth") <= 320
    print(f"breakout e2e: {time.monotonic() - started:.1f} s inside the namespace")
