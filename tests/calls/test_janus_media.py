"""Audio through Janus in real Chromium: one speaker, three listeners, the floor given.

Media must stay off the machine's interfaces (shared/WEBRTC.md): the test re-runs itself
inside a private network namespace (`unshare -n` with a veth pair, so libnice has addresses),
where Janus, the app (pytest-django's live server on SQLite) and Chromium all run. Outside,
the test only starts that run and reads its verdict.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client

from calls import janus
from tests.calls import netns
from tests.calls.browser import media_browser
from tests.calls.janus_server import Server, janus_or_skip, running_janus
from tests.factories import UserFactory

pytestmark = pytest.mark.e2e

INSIDE = netns.inside()


@pytest.mark.skipif(INSIDE, reason="the outer half only")
def test_listeners_hear_the_speaker_through_janus_in_a_private_network() -> None:
    janus_or_skip()
    netns.rerun_inside(f"{__name__.replace('.', '/')}.py::test_inside", timeout=120)


# --- inside the namespace -------------------------------------------------------------------


@pytest.fixture(scope="module")
def netns_janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_janus(tmp_path_factory.mktemp("janus")) as server:
        yield server


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Any]:
    with media_browser(tmp_path) as browser:
        yield browser


JOIN = """async (media) => {
  const module = await import('/static/calls/janus.js')
  window.states = []
  try {
    window.call = await module.joinJanus(media, {onState: (s) => window.states.push(s)})
    return 'joined'
  } catch (error) {
    return 'refused:' + (error.code || error.message)
  }
}"""
INBOUND = "async () => window.call.inboundAudio()"
WATCH = """async () => {
  const video = document.createElement('video')
  video.muted = true
  document.body.append(video)
  window.videoWidth = () => video.videoWidth
  await window.call.watchVideo((feed, track, on) => {
    if (on && track && track.kind === 'video') {
      video.srcObject = new MediaStream([track])
      video.play().catch(() => {})
    }
  })
}"""


@pytest.fixture
def people(transactional_db: Any) -> list[tuple[str, str]]:
    """Four people and their session cookies (made before Playwright's loop starts)."""
    out = []
    for _ in range(4):
        user = UserFactory()
        client = Client()
        client.force_login(user)
        out.append((str(user.pk), client.cookies[django_settings.SESSION_COOKIE_NAME].value))
    return out


def _page_for(browser: Any, live_server: Any, cookie: str) -> Any:
    """A page of the app, logged in as this person."""
    context = browser.new_context(locale="fr-FR")
    host = live_server.url.split("//")[1].split(":")[0]
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": cookie,
                "domain": host,
                "path": "/",
            }
        ]
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/")
    assert "/comptes/login/" not in page.url
    return page


def _wait_for(page: Any, check: Any, timeout: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    stats: dict[str, Any] = {}
    while time.monotonic() < deadline:
        stats = page.evaluate(INBOUND)
        if check(stats):
            return stats
        time.sleep(0.25)
    raise AssertionError(f"never true; last stats {stats}, states {page.evaluate('states')}")


def _energy_over(page: Any, seconds: float) -> float:
    """Audio energy a page received over the next few seconds (speech or nothing)."""
    before = page.evaluate(INBOUND)["totalAudioEnergy"]
    time.sleep(seconds)
    return float(page.evaluate(INBOUND)["totalAudioEnergy"] - before)


@pytest.mark.skipif(not INSIDE, reason="runs inside the private network namespace only")
def test_inside(
    netns_janus: Server,
    people: list[tuple[str, str]],
    live_server: Any,
    settings: Any,
    chromium: Any,
) -> None:
    for name, value in netns_janus.settings().items():
        setattr(settings, name, value)
    policy = {
        key: list(value) for key, value in settings.CONTENT_SECURITY_POLICY["DIRECTIVES"].items()
    }
    policy["connect-src"].append(f"http://127.0.0.1:{netns_janus.http_port}")
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": policy}
    call = "plenary-call"
    speaker_page = _page_for(chromium, live_server, people[0][1])
    media = janus.media_for(call, "Plénière", people[0][0], True)
    assert speaker_page.evaluate(JOIN, media) == "joined"

    listeners = []
    for person, cookie in people[1:]:
        page = _page_for(chromium, live_server, cookie)
        listened = janus.media_for(call, "Plénière", person, False)
        assert page.evaluate(JOIN, listened) == "joined"
        listeners.append((page, person, listened))
    # Each listener receives the mix, and it carries the speaker's voice.
    for page, _, _ in listeners:
        first = _wait_for(page, lambda s: s["bytesReceived"] > 0)
        _wait_for(page, lambda s, b=first["bytesReceived"]: s["bytesReceived"] > b + 2000)
        _wait_for(page, lambda s: s["audioLevel"] > 0.01)

    # A listener who tries to speak anyway is refused by Janus (not in the mix's list).
    page, person, listened = listeners[0]
    attempt = page.evaluate(JOIN, dict(listened, speak=True))
    assert attempt == "refused:489", attempt

    # The speaker hears nobody yet: their mix leaves out their own voice.
    quiet = speaker_page.evaluate(INBOUND)
    assert quiet["packetsReceived"] > 0 and quiet["audioLevel"] < 0.01, quiet

    # The facilitator gives the floor: the same call switches to speaking, and is heard.
    janus.set_speaking(call, person, True)
    page.evaluate("async () => window.call.speak(true)")
    _wait_for(speaker_page, lambda s: s["audioLevel"] > 0.01)
    heard = _energy_over(speaker_page, 2)

    # Withdrawn: Janus puts them out of the mix at once, whatever their browser does.
    janus.set_speaking(call, person, False)
    # Within seconds (the mix's buffers drain; a loaded machine is slower): per second, a
    # twentieth of what was heard at most — a voice still in the mix stays near half.
    deadline = time.monotonic() + 10
    residual = _energy_over(speaker_page, 1)
    while residual >= heard / 40 and time.monotonic() < deadline:
        residual = _energy_over(speaker_page, 1)
    assert residual < heard / 40, (residual, heard)

    # A camera published by the speaker is seen by a listener (VideoRoom, SFU).
    speaker_page.evaluate("async () => window.call.publishCamera()")
    watcher = listeners[1][0]
    watcher.evaluate(WATCH)
    watcher.wait_for_function("() => window.videoWidth() > 0", timeout=20_000)
    janus.end(call)
