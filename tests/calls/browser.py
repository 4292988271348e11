"""Real Chromium with fake media, and a light server, for the calls' end-to-end tests.

Shared by tests/e2e/test_calls_mesh.py and tests/e2e/test_calls_janus.py (a test module
must not import another one). Everything here runs inside the private network namespace
(tests/calls/netns.py): the server on the embedded defaults (no PostgreSQL, no Redis,
an in-memory channel layer in the one daphne), Janus when asked, Chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import chromium_path
from tests.realtime.servers import Daphne, django_env, migrate, run_python

# Every RTCPeerConnection and WebSocket the page makes, to read statistics and frames (the
# page has no hook): `__connections`, `__sockets`, `__frames` (call frames received).
RECORD = """
(() => {
  const Native = window.RTCPeerConnection;
  window.__connections = [];
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    window.__connections.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  const NativeSocket = window.WebSocket;
  window.__sockets = [];
  window.__frames = [];
  window.WebSocket = function (...args) {
    const socket = new NativeSocket(...args);
    window.__sockets.push(socket);
    socket.addEventListener("message", (event) => {
      try {
        const frame = JSON.parse(event.data);
        const kind = String(frame.type);
        if (kind.startsWith("call.") || kind === "error") window.__frames.push(frame);
      } catch {}
    });
    return socket;
  };
  window.WebSocket.prototype = NativeSocket.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
})();
"""

# Inbound audio per open connection: bytes, the loudest current level, the energy so far.
INBOUND_AUDIO = """async () => {
  const out = [];
  for (const pc of window.__connections) {
    if (pc.connectionState === "closed") continue;
    let bytes = 0, level = 0, energy = 0, audio = false;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") {
        audio = true;
        bytes += r.bytesReceived || 0;
        level = Math.max(level, r.audioLevel || 0);
        energy += r.totalAudioEnergy || 0;
      }
    });
    if (audio) out.push({ state: pc.connectionState, bytes, level, energy });
  }
  return out;
}"""

# Video frames decoded so far, over every open connection.
FRAMES_DECODED = """async () => {
  let frames = 0;
  for (const pc of window.__connections) {
    if (pc.connectionState === "closed") continue;
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
    });
  }
  return frames;
}"""

CHROMIUM_MEDIA_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    # getDisplayMedia resolves without a picker: the fake screen.
    "--auto-select-desktop-capture-source=Entire screen",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
]


def speech_wav(directory: Path) -> Path:
    """Several seconds of French speech at 48 kHz mono, as the fake microphone wants it."""
    raw, wav = directory / "speech-raw.wav", directory / "speech.wav"
    text = "Bonjour à toutes et à tous, je vous entends très bien. Parlons des transports. " * 2
    espeak, sox = shutil.which("espeak-ng"), shutil.which("sox")
    assert espeak and sox
    subprocess.run([espeak, "-v", "fr", "-w", str(raw), text], check=True, timeout=30)  # noqa: S603
    subprocess.run(  # noqa: S603
        [sox, str(raw), "-r", "48000", "-c", "1", "-b", "16", str(wav)], check=True, timeout=30
    )
    return wav


@contextmanager
def media_browser(directory: Path) -> Iterator[Any]:
    """Chromium whose microphone speaks French and whose screen can be shared."""
    from playwright.sync_api import sync_playwright

    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (apt-get install {tool})")
    wav = speech_wav(directory)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(),
            headless=True,
            args=[*CHROMIUM_MEDIA_FLAGS, f"--use-file-for-fake-audio-capture={wav}"],
        )
        try:
            yield browser
        finally:
            browser.close()


COOKIES = """
from django.test import Client
def cookie(user):
    client = Client()
    client.force_login(user)
    return client.cookies[settings.SESSION_COOKIE_NAME].value
"""


@contextmanager
def light_server(
    directory: Path, world: str, **settings: str
) -> Iterator[tuple[str, dict[str, Any]]]:
    """daphne on the embedded defaults, with ``world`` (code printing one JSON line, with
    ``cookie(user)`` at hand) run first. Lighter than the demo of tests/e2e/conftest.py: no
    seed, no login page. Yields (origin, world's JSON)."""
    env = django_env(directory, AGORA_ENV="development", **settings)
    env.pop("REDIS_URL", None)
    migrate(env)
    made = run_python(env, COOKIES + world)
    with Daphne(env) as server:
        yield server.origin, made


def open_page(browser: Any, origin: str, path: str, cookie: dict[str, str], **context: Any) -> Any:
    """A page of the app, logged in with ``cookie`` ({"name", "value"}), recording."""
    options = {"locale": "fr-FR", "viewport": {"width": 320, "height": 700}, **context}
    made = browser.new_context(**options)
    made.set_default_timeout(20_000)
    made.add_init_script(RECORD)
    made.add_cookies([{**cookie, "url": origin}])
    page = made.new_page()
    page.goto(origin + path)
    return page


def enter_call(page: Any, *, speaks: bool = True) -> None:
    """Join the room's call through the panel: the pre-join check, then « Entrer »."""
    page.get_by_role("button", name="Rejoindre l'audio en direct").click()
    if speaks:
        # The pre-join check: the microphone is open, its level shows.
        page.get_by_label("Micro", exact=True).wait_for()
    page.get_by_role("button", name="Entrer dans l'appel").click()
    try:
        page.get_by_role("button", name="Quitter l'appel").wait_for()
    except Exception as error:
        status = page.locator("#call-status").text_content()
        raise AssertionError(f"did not get into the call: {status!r}") from error


def people_in_call(page: Any) -> int:
    return int(page.evaluate("() => document.querySelectorAll('#call-people li').length"))


def loudest_level(page: Any, seconds: float = 3) -> float:
    """The loudest inbound audio level over a few seconds (speech has pauses)."""
    loudest = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for link in page.evaluate(INBOUND_AUDIO):
            loudest = max(loudest, float(link["level"]))
        time.sleep(0.2)
    return loudest


def inbound_totals(page: Any) -> tuple[int, float]:
    """Inbound audio bytes and energy, summed over the page's open connections."""
    links = page.evaluate(INBOUND_AUDIO)
    return sum(int(link["bytes"]) for link in links), sum(float(link["energy"]) for link in links)
