"""Three members of a subgroup in a peer-to-peer call each hear the other two.

Real Chromium, real daphne, real WebRTC between the three pages, inside a private
network namespace (tests/calls/netns.py). The fake microphone plays speech made by
espeak-ng; each page's `getStats` must show inbound audio bytes and audio level rising
from both other members.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.calls import netns
from tests.e2e.conftest import ROOT, chromium_path
from tests.e2e.login import log_in
from tests.e2e.waiting import wait_until

pytestmark = pytest.mark.e2e
ROOM = "Habitat et maintien à domicile"

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
    let bytes = 0, level = 0;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") {
        bytes += r.bytesReceived || 0;
        level = Math.max(level, r.audioLevel || 0);
      }
    });
    out.push({ state: pc.connectionState, bytes, level });
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


def members_of_room(server_env: dict[str, str]) -> list[str]:
    """Three members of the demo subgroup (seed_demo seats them the same on every run)."""
    code = (
        "import json; from assembly.models import Subgroup; "
        f"s = Subgroup.objects.get(name={ROOM!r}); "
        "print(json.dumps(sorted(s.members.values_list('email', flat=True))[:3]))"
    )
    out = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT, env=server_env, check=True, capture_output=True, text=True, timeout=60,
    )
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


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
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                f"--use-file-for-fake-audio-capture={wav}",
                "--allow-loopback-in-peer-connection",
                "--disable-features=WebRtcHideLocalIpsWithMdns",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield browser
        browser.close()


def join_call(browser: Any, live_url: str, email: str) -> Any:
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 700})
    context.set_default_timeout(20_000)
    context.add_init_script(RECORD_CONNECTIONS)
    page = context.new_page()
    log_in(page, live_url, email)
    page.goto(live_url + "/discussions/")
    page.get_by_role("link", name=ROOM).first.click()
    page.get_by_role("button", name="Rejoindre l'audio en direct").click()
    # The pre-join check: the microphone is open, its level shows.
    page.get_by_label("Micro", exact=True).wait_for()
    page.get_by_role("button", name="Entrer dans l'appel").click()
    page.get_by_role("button", name="Couper mon micro").wait_for()
    return page


def test_three_members_hear_each_other_in_a_mesh_call(request: pytest.FixtureRequest) -> None:
    if not netns.inside():
        netns.rerun_inside(request.node.nodeid)
        return
    started = time.monotonic()
    live_url = request.getfixturevalue("live_url")
    people = members_of_room(request.getfixturevalue("server_env"))
    assert len(people) == 3
    browser = request.getfixturevalue("media_browser")
    pages = [join_call(browser, live_url, email) for email in people]
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
    pages[0].wait_for_timeout(2500)
    for page in pages:
        later = page.evaluate(INBOUND_AUDIO)
        links = [link for link in later if link["state"] == "connected"]
        assert len(links) == 2, later
        before = {i: link["bytes"] for i, link in enumerate(first[id(page)])}
        for index, link in enumerate(later):
            assert link["bytes"] > before.get(index, 0) + 2000, (first[id(page)], later)
        assert all(link["level"] > 0.01 for link in links), later
    # The room shows who is in the call, and leaving takes one out for the others.
    pages[2].get_by_role("button", name="Quitter l'appel").click()
    for page in pages[:2]:
        wait_until(page, "() => document.querySelectorAll('#call-people li').length === 2")
    print(f"mesh call e2e: {time.monotonic() - started:.1f} s inside the namespace")
