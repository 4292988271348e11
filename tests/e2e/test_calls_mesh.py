"""Three people of a subgroup in a peer-to-peer call: they hear each other, a shared screen
is seen, a page whose network drops comes back by itself, a closed tab leaves, and the room
list's « appel en direct » badge follows all that live.

Real Chromium, real daphne, real WebRTC between the pages, inside a private network
namespace (tests/calls/netns.py). The fake microphone plays speech made by espeak-ng; each
page's `getStats` must show inbound audio bytes and audio level rising from both others.
One server and one browser for the whole story (the e2e time budget).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.calls import netns
from tests.calls.browser import (
    FRAMES_DECODED,
    INBOUND_AUDIO,
    enter_call,
    inbound_totals,
    light_server,
    loudest_level,
    media_browser,
    open_page,
)
from tests.e2e.axe import assert_accessible
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e

CALL_WORLD = """
from accounts.roles import Role
from forums.models import Room
from tests import factories
assembly = factories.make_assembly()
members = [factories.make_titulaire(assembly, display_name=name) for name in ("Alice", "Bruno")]
# A facilitator of the subgroup: speaks, and presents (shares a screen).
chloe = factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Chloé")
subgroup = factories.make_subgroup(assembly, members=members, facilitators=[chloe],
                                   name="Mobilités")
room = Room.objects.get(subgroup=subgroup)
print(json.dumps({"room": str(room.pk), "name": settings.SESSION_COOKIE_NAME,
                  "cookies": [cookie(u) for u in [*members, chloe]]}))
"""

CONNECTED_TO_BOTH = (
    "() => window.__connections.filter((pc) => pc.connectionState === 'connected').length === 2"
)


def count_is(n: int) -> str:
    return f"() => document.querySelectorAll('#call-people li').length === {n}"


def badge_text(page: Any, room: str) -> str:
    return str(page.locator(f'[data-call-badge="{room}"]').text_content() or "").strip()


def test_a_mesh_call_from_start_to_a_closed_tab(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    if not netns.inside():
        netns.rerun_inside(request.node.nodeid)
        return
    started = time.monotonic()
    with (
        light_server(tmp_path, CALL_WORLD) as (origin, world),
        media_browser(tmp_path) as browser,
    ):
        run_mesh_call(browser, origin, world)
    print(f"mesh call e2e: {time.monotonic() - started:.1f} s inside the namespace")


def run_mesh_call(browser: Any, origin: str, world: dict[str, Any]) -> None:
    room = world["room"]
    cookies = [{"name": world["name"], "value": value} for value in world["cookies"]]
    # Alice's room list, open before the call starts: no badge yet.
    rooms = open_page(browser, origin, "/discussions/", cookies[0])
    assert badge_text(rooms, room) == ""

    pages = [open_page(browser, origin, f"/discussions/salle/{room}/", c) for c in cookies]
    for page in pages:
        enter_call(page)
    alice, bruno, chloe = pages
    for page in pages:
        wait_until(page, count_is(3))
    # The room list learnt it live (call.live), without a reload.
    wait_until(
        rooms,
        "(room) => /appel en direct, 3 personnes/.test("
        'document.querySelector(`[data-call-badge="${room}"]`).textContent)',
        room,
    )

    # --- Everyone hears the two others --------------------------------------------------
    first = {}
    for page in pages:
        wait_until(page, CONNECTED_TO_BOTH, timeout=20)
        # Connected, and both links already report inbound audio (a loaded machine may
        # connect a link before its first packet): the two samples compare link by link.
        wait_until(page, f"async () => (await ({INBOUND_AUDIO})()).length === 2", timeout=20)
        first[id(page)] = page.evaluate(INBOUND_AUDIO)
    loudest: dict[int, list[float]] = {id(page): [0.0, 0.0] for page in pages}
    for _ in range(10):  # speech has pauses: the loudest level over 3 s, per link
        for page in pages:
            for index, link in enumerate(page.evaluate(INBOUND_AUDIO)[:2]):
                loudest[id(page)][index] = max(loudest[id(page)][index], link["level"])
        pages[0].wait_for_timeout(300)
    for page in pages:
        later = page.evaluate(INBOUND_AUDIO)
        assert [link["state"] for link in later] == ["connected", "connected"], later
        for before, after in zip(first[id(page)], later, strict=True):
            assert after["bytes"] > before["bytes"] + 2000, (before, after)
            assert after["energy"] > before["energy"], (before, after)
        assert min(loudest[id(page)]) > 0.01, (loudest[id(page)], later)
    # The panel in a call, on a 320 px phone: nothing wider than the screen, no serious
    # accessibility violation.
    assert alice.evaluate("() => document.documentElement.scrollWidth") <= 320
    assert_accessible(alice, "the room's page in a call")

    # --- Chloé shares her screen: Alice sees its images ---------------------------------
    assert alice.get_by_role("button", name="Partager mon écran").is_hidden()
    frames_before = alice.evaluate(FRAMES_DECODED)
    chloe.get_by_role("button", name="Partager mon écran").click()
    chloe.get_by_role("button", name="Arrêter de partager mon écran").wait_for()
    wait_until(alice, f"async () => (await ({FRAMES_DECODED})()) > {frames_before + 10}")
    wait_until(
        alice,
        "() => [...document.querySelectorAll('#call-videos video[data-user]')]"
        ".some((v) => !v.hidden && v.videoWidth > 0)",
    )
    chloe.get_by_role("button", name="Arrêter de partager mon écran").click()

    # --- Bruno's network drops; he comes back into the call without a click -------------
    cut = time.monotonic()
    bruno.context.set_offline(True)
    bruno.evaluate("() => window.__sockets.forEach((s) => s.close())")  # the dead socket
    wait_until(alice, count_is(2))  # the server took him out at once
    bruno.context.set_offline(False)
    # Within seconds: his links are made afresh, not left to time out (about 20 s).
    for page in pages:
        wait_until(page, count_is(3), timeout=8)
    rejoined = time.monotonic() - cut
    for page in pages:
        wait_until(page, CONNECTED_TO_BOTH, timeout=8)
    back = time.monotonic() - cut
    heard_before = inbound_totals(alice)
    time.sleep(1.5)
    heard_after = inbound_totals(alice)
    assert heard_after[0] > heard_before[0] + 2000, (heard_before, heard_after)
    assert loudest_level(bruno, 2) > 0.01
    print(f"back in the list {rejoined:.1f} s, media {back:.1f} s after the network cut")

    # --- Bruno closes his tab: out of the others' lists within seconds ------------------
    closed = time.monotonic()
    bruno.context.close()
    for page in (alice, chloe):
        wait_until(page, count_is(2), timeout=5)
    print(f"out of the list {time.monotonic() - closed:.1f} s after the tab closed")
    wait_until(
        rooms,
        "(room) => /appel en direct, 2 personnes/.test("
        'document.querySelector(`[data-call-badge="${room}"]`).textContent)',
        room,
    )
    # Everyone leaves: the badge goes.
    for page in (alice, chloe):
        page.get_by_role("button", name="Quitter l'appel").click()
    wait_until(
        rooms,
        '(room) => document.querySelector(`[data-call-badge="${room}"]`)'
        ".textContent.trim() === ''",
        room,
    )
