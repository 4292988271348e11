"""Three members of a subgroup in a peer-to-peer call each hear the other two.

Real Chromium, real daphne, real WebRTC between the three pages, inside a private
network namespace (tests/calls/netns.py). The fake microphone plays speech made by
espeak-ng; each page's `getStats` must show inbound audio bytes and audio level rising
from both other members.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.calls import netns
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import chromium_path
from tests.e2e.waiting import wait_until
from tests.realtime.servers import Daphne, django_env, migrate, run_python

pytestmark = pytest.mark.e2e

# Every RTCPeerConnection the page makes, to read its statistics (the page has no hook).
RECORD_CONNECTIONS = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__connections = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.__connections.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
})();
"""

INBOUND_AUDIO = """async () => {
  const out = [];
  for (const pc of window.__connections) {
    if (pc.connectionState === "closed") continue;
    let bytes = 0, level = 0, energy = 0;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") {
        bytes += r.bytesReceived || 0;
        level = Math.max(level, r.audioLevel || 0);
        energy += r.totalAudioEnergy || 0;
      }
    });
    out.push({ state: pc.connectionState, bytes, level, energy });
  }
  return out;
}"""


def speech_wav(directory: Path) -> Path:
    """A few seconds of French speech at 48 kHz mono, as the fake microphone wants it."""
    raw, wav = directory / "speech-raw.wav", directory / "speech.wav"
    text = "Bonjour à toutes et à tous, je vous entends très bien. Parlons des transports."
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    assert espeak and sox
    subprocess.run([espeak, "-v", "fr", "-w", str(raw), text], check=True, timeout=30)  # noqa: S603
    subprocess.run(  # noqa: S603
        [sox, str(raw), "-r", "48000", "-c", "1", "-b", "16", str(wav)], check=True, timeout=30
    )
    return wav


CALL_WORLD = """
from django.test import Client
from forums.models import Room
from tests import factories
assembly = factories.make_assembly()
members = [factories.make_titulaire(assembly, display_name=name)
           for name in ("Alice", "Bruno", "Chloé")]
subgroup = factories.make_subgroup(assembly, members=members, name="Mobilités")
room = Room.objects.get(subgroup=subgroup)
def cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
print(json.dumps({"room": str(room.pk), "cookies": [cookie(u) for u in members],
                  "name": settings.SESSION_COOKIE_NAME}))
"""


@pytest.fixture
def call_server(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """A server on the embedded defaults with one subgroup of three members, logged in.

    Lighter than the demo (tests/e2e/conftest.py): no seed, no login page, so that the
    test stays within its time budget.
    """
    env = django_env(tmp_path, AGORA_ENV="development")
    env.pop("REDIS_URL", None)
    migrate(env)
    world = run_python(env, CALL_WORLD)
    with Daphne(env) as server:
        yield server.origin, world


@pytest.fixture
def media_browser(tmp_path: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {tool})")
    wav = speech_wav(tmp_path)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--use-fake-device-for-media-stream",
                "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
                "--allow-loopback-in-peer-connection",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield browser
        browser.close()


def join_call(browser: Any, live_url: str, room: str, cookie: dict[str, str]) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 700})
    context.set_default_timeout(20_000)
    context.add_init_script(RECORD_CONNECTIONS)
    context.add_cookies([{**cookie, "url": live_url}])
    page = context.new_page()
    page.goto(f"{live_url}/discussions/salle/{room}/")
    page.get_by_role("button", name="Rejoindre l'audio en direct").click()
    # The pre-join check: the microphone is open, its level shows.
    page.get_by_label("Micro", exact=True).wait_for()
    page.get_by_role("button", name="Entrer dans l'appel").click()
    try:
        page.get_by_role("button", name="Couper mon micro").wait_for()
    except Exception as error:
        status = page.locator("#call-status").text_content()
        raise AssertionError(f"did not get into the call: {status!r}") from error
    return page


def test_three_members_hear_each_other_in_a_mesh_call(request: pytest.FixtureRequest) -> None:
    if not netns.inside():
        netns.rerun_inside(request.node.nodeid)
        return
    started = time.monotonic()
    live_url, world = request.getfixturevalue("call_server")
    browser = request.getfixturevalue("media_browser")
    cookies = [{"name": world["name"], "value": value} for value in world["cookies"]]
    pages = [join_call(browser, live_url, world["room"], cookie) for cookie in cookies]
    for page in pages:
        wait_until(page, "() => document.querySelectorAll('#call-people li').length === 3")
    first = {}
    for page in pages:
        wait_until(
            page,
            "() => window.__connections.filter((pc) => pc.connectionState === 'connected')"
            ".length === 2",
            timeout=20,
        )
        first[id(page)] = page.evaluate(INBOUND_AUDIO)
    # Speech has pauses: the loudest level over 3 s, per link.
    loudest: dict[int, list[float]] = {id(page): [0.0, 0.0] for page in pages}
    for _ in range(10):
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
    assert pages[0].evaluate("() => document.documentElement.scrollWidth") <= 320
    assert_accessible(pages[0], "the room's page in a call")
    # The room shows who is in the call, and leaving takes one out for the others.
    pages[2].get_by_role("button", name="Quitter l'appel").click()
    for page in pages[:2]:
        wait_until(page, "() => document.querySelectorAll('#call-people li').length === 2")
    print(f"mesh call e2e: {time.monotonic() - started:.1f} s inside the namespace")
