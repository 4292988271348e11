"""calls/janus.py and calls/mediaserver.py against a real Janus Gateway (Debian's janus).

Janus runs once for the module on the configuration `manage.py janus_config` writes, on free
loopback ports. These tests carry no media (no PeerConnection): joins, refusals and kicks are
the plugins' answers over the HTTP API, as a browser would get them.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calls import janus, mediaserver
from tests.calls.janus_server import Server, free_port, running_janus

pytestmark = pytest.mark.django_db(databases=[])


@pytest.fixture(scope="module")
def janus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_janus(tmp_path_factory.mktemp("janus")) as server:
        yield server


@pytest.fixture
def server(janus_server: Server, settings: Any) -> Server:
    for name, value in janus_server.settings().items():
        setattr(settings, name, value)
    return janus_server


class Browser:
    """What janus.js does over HTTP, without media: a session, handles, plugin messages."""

    def __init__(self, api_url: str, token: str) -> None:
        self.api_url = api_url
        self.token = token
        self.session: int | None = None

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"transaction": os.urandom(6).hex(), "token": self.token, **body}
        request = urllib.request.Request(  # noqa: S310
            self.api_url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
            return answer

    def create(self) -> dict[str, Any]:
        answer = self.post("", {"janus": "create"})
        if answer["janus"] == "success":
            self.session = answer["data"]["id"]
        return answer

    def attach(self, plugin: str) -> int:
        if self.session is None:
            assert self.create()["janus"] == "success"
        answer = self.post(f"/{self.session}", {"janus": "attach", "plugin": plugin})
        assert answer["janus"] == "success", answer
        return int(answer["data"]["id"])

    def message(self, handle: int, body: dict[str, Any]) -> dict[str, Any]:
        """The plugin's answer: synchronous, or the event that follows an ack."""
        answer = self.post(f"/{self.session}/{handle}", {"janus": "message", "body": body})
        if answer["janus"] == "success":
            return dict(answer["plugindata"]["data"])
        assert answer["janus"] == "ack", answer
        return self.event(handle)

    def event(self, handle: int, timeout: float = 10) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            url = f"{self.api_url}/{self.session}?maxev=1&token={self.token}&rid={time.time()}"
            with urllib.request.urlopen(url, timeout=timeout + 35) as response:  # noqa: S310
                event = json.loads(response.read())
            if event.get("janus") == "event" and event.get("sender") == handle:
                data = dict(event["plugindata"]["data"])
                if "jsep" in event:
                    data["jsep"] = event["jsep"]
                return data
        raise AssertionError("no event from Janus")


def _join_audio(media: dict[str, Any], api_url: str) -> dict[str, Any]:
    return _join_audio_session(media, api_url)[2]


def _join_audio_session(media: dict[str, Any], api_url: str) -> tuple[Browser, int, dict[str, Any]]:
    browser = Browser(api_url, media["token"])
    handle = browser.attach(janus.AUDIOBRIDGE)
    answer = browser.message(
        handle,
        {
            "request": "join",
            "room": media["room"],
            "id": media["participant"],
            "token": media["token"],
            "muted": True,
        },
    )
    return browser, handle, answer


def _unmute(browser: Browser, handle: int) -> dict[str, Any]:
    """The request a browser sends to start speaking (janus.js sends its offer with it)."""
    path = f"/{browser.session}/{handle}"
    return browser.post(
        path, {"janus": "message", "body": {"request": "configure", "muted": False}}
    )


def _audio_ids(call_id: str) -> set[int]:
    return {int(p["id"]) for p in janus.client().audio_participants(call_id)}


def test_generated_configuration_keeps_secrets_private_and_loads_only_what_calls_need(
    server: Server,
) -> None:
    folder = server.directory / "etc"
    core = (folder / "janus.jcfg").read_text()
    keys = mediaserver.load_secrets()
    assert keys.admin_secret and keys.admin_secret in core
    assert "token_auth = true" in core
    assert "broadcast = false" in core
    assert "libjanus_sampleevh.so" in core.split("events: {")[1]  # disabled, with every handler
    disabled_plugins = core.split("plugins: {")[1].split("}")[0]
    for wanted in mediaserver.PLUGINS:
        assert wanted not in disabled_plugins
    assert "libjanus_recordplay.so" in disabled_plugins
    assert "record" not in (folder / "janus.plugin.audiobridge.jcfg").read_text()
    for path in [server.directory / "secrets.json", *folder.glob("*.jcfg")]:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    # Janus answers on the ports the configuration names, with exactly our plugins.
    info = json.loads(urllib.request.urlopen(server.api_url + "/info").read())  # noqa: S310
    assert set(info["plugins"]) == set(janus.PLUGINS)
    assert info["transports"].keys() == {"janus.transport.http"}
    assert info["events"] == {}


def test_media_for_creates_the_call_rooms_and_end_destroys_them(server: Server) -> None:
    media = janus.media_for("call-rooms", "Plénière", "speaker", True)
    assert media["mode"] == "janus" and media["url"] == server.api_url and media["speak"] is True
    client = janus.client()
    rooms = janus.rooms_for("call-rooms")
    assert (media["room"], media["videoroom"], media["stream"]) == (
        rooms.audiobridge,
        rooms.videoroom,
        rooms.stream,
    )
    assert client.plugin(janus.AUDIOBRIDGE, "exists", room=rooms.audiobridge)["exists"] is True
    assert client.plugin(janus.VIDEOROOM, "exists", room=rooms.videoroom)["exists"] is True
    info = client.plugin(janus.STREAMING, "info", id=rooms.stream, secret=rooms.secret)["info"]
    forwarders = client.plugin(
        janus.AUDIOBRIDGE, "listforwarders", room=rooms.audiobridge, secret=rooms.secret
    )["rtp_forwarders"]
    assert [f["port"] for f in forwarders] == [info["media"][0]["port"]]  # the mix feeds it
    # A second person gets the same rooms, not new ones.
    again = janus.media_for("call-rooms", "Plénière", "listener", False)
    assert again["room"] == media["room"] and again["token"] != media["token"]
    assert len(client.tokens_of("call-rooms")) == 2

    janus.end("call-rooms")
    assert client.plugin(janus.AUDIOBRIDGE, "exists", room=rooms.audiobridge)["exists"] is False
    assert client.plugin(janus.VIDEOROOM, "exists", room=rooms.videoroom)["exists"] is False
    with pytest.raises(janus.JanusError):
        client.plugin(janus.STREAMING, "info", id=rooms.stream, secret=rooms.secret)
    assert client.tokens_of("call-rooms") == []
    assert Browser(server.api_url, media["token"]).create()["error"]["code"] == 403


def test_janus_refuses_requests_without_a_token_or_with_a_revoked_one(server: Server) -> None:
    assert Browser(server.api_url, "").create()["error"]["code"] == 403
    assert Browser(server.api_url, "made-up").create()["error"]["code"] == 403
    media = janus.media_for("call-revoke", "Sous-groupe 3", "ana", True)
    assert Browser(server.api_url, media["token"]).create()["janus"] == "success"
    browser, handle, joined = _join_audio_session(media, server.api_url)
    assert joined["audiobridge"] == "joined"
    janus.revoke("call-revoke", "ana")
    assert Browser(server.api_url, media["token"]).create()["error"]["code"] == 403
    # The session already open can do nothing more: no unmuting, no offer.
    assert _unmute(browser, handle)["error"]["code"] == 403
    janus.end("call-revoke")


def test_an_expired_token_is_swept_and_refused(server: Server) -> None:
    media = janus.media_for("call-expiry", "Plénière", "bea", True, ttl=1)
    assert Browser(server.api_url, media["token"]).create()["janus"] == "success"
    time.sleep(1.2)
    # The next person's arrival sweeps expired tokens (and so does `janus_sweep`).
    janus.media_for("call-expiry", "Plénière", "chloe", False)
    assert Browser(server.api_url, media["token"]).create()["error"]["code"] == 403
    janus.end("call-expiry")


def test_a_listener_cannot_join_the_mix_nor_publish_video_but_hears_the_stream(
    server: Server,
) -> None:
    media = janus.media_for("call-listen", "Plénière", "listener", False)
    assert media["speak"] is False
    refused = _join_audio(media, server.api_url)
    assert refused["error_code"] == 489  # JANUS_AUDIOBRIDGE_ERROR_UNAUTHORIZED
    browser = Browser(server.api_url, media["token"])
    video = browser.attach(janus.VIDEOROOM)
    answer = browser.message(
        video,
        {
            "request": "join",
            "ptype": "publisher",
            "room": media["videoroom"],
            "token": media["token"],
        },
    )
    assert answer["error_code"] == 433  # JANUS_VIDEOROOM_ERROR_UNAUTHORIZED
    # Listening goes through the Streaming mountpoint: receive-only, with the call's pin.
    stream = browser.attach(janus.STREAMING)
    wrong = browser.message(stream, {"request": "watch", "id": media["stream"], "pin": "0000"})
    assert wrong["error_code"] == 457  # JANUS_STREAMING_ERROR_UNAUTHORIZED
    stream = browser.attach(janus.STREAMING)
    watching = browser.message(
        stream, {"request": "watch", "id": media["stream"], "pin": media["pin"]}
    )
    assert watching["result"]["status"] == "preparing"
    sdp = watching["jsep"]["sdp"]
    assert "m=audio" in sdp and "a=sendonly" in sdp and "m=video" not in sdp
    janus.end("call-listen")


def test_giving_the_floor_lets_a_listener_speak_and_withdrawing_it_puts_them_out(
    server: Server,
) -> None:
    media = janus.media_for("call-floor", "Plénière", "hand-raised", False)
    assert _join_audio(media, server.api_url)["error_code"] == 489

    janus.set_speaking("call-floor", "hand-raised", True)
    browser, handle, joined = _join_audio_session(media, server.api_url)
    assert joined["audiobridge"] == "joined"
    assert media["participant"] in _audio_ids("call-floor")
    assert _unmute(browser, handle)["janus"] == "ack"  # they may speak

    janus.set_speaking("call-floor", "hand-raised", False)
    # Kicked, and the old session's attempt to speak again is refused by Janus.
    assert _unmute(browser, handle)["error"]["code"] == 403
    assert Browser(server.api_url, media["token"]).create()["error"]["code"] == 403
    # Back to listening with a fresh token: still out of the mix.
    again = janus.media_for("call-floor", "Plénière", "hand-raised", False)
    assert _join_audio(again, server.api_url)["error_code"] == 489
    janus.end("call-floor")


def test_a_speaker_joins_the_mix_and_may_publish_video(server: Server) -> None:
    media = janus.media_for("call-speak", "Sous-groupe 1", "speaker", True)
    assert _join_audio(media, server.api_url)["audiobridge"] == "joined"
    browser = Browser(server.api_url, media["token"])
    video = browser.attach(janus.VIDEOROOM)
    answer = browser.message(
        video,
        {
            "request": "join",
            "ptype": "publisher",
            "room": media["videoroom"],
            "id": media["participant"],
            "token": media["token"],
        },
    )
    assert answer["videoroom"] == "joined"
    janus.end("call-speak")


def test_janus_records_nothing_even_when_a_participant_asks(server: Server, tmp_path: Path) -> None:
    media = janus.media_for("call-record", "Plénière", "speaker", True)
    browser = Browser(server.api_url, media["token"])
    handle = browser.attach(janus.AUDIOBRIDGE)
    joined = browser.message(
        handle,
        {"request": "join", "room": media["room"], "id": media["participant"],
         "token": media["token"], "record": True, "filename": str(tmp_path / "leak")},
    )  # fmt: skip
    assert joined["audiobridge"] == "joined"
    browser.message(handle, {"request": "configure", "record": True,
                             "filename": str(tmp_path / "again")})  # fmt: skip
    relative = Browser(server.api_url, media["token"])
    other = janus.media_for("call-record", "Plénière", "second", True)
    relative.token = other["token"]
    handle = relative.attach(janus.AUDIOBRIDGE)
    relative.message(
        handle,
        {"request": "join", "room": other["room"], "id": other["participant"],
         "token": other["token"], "record": True},
    )  # fmt: skip
    time.sleep(0.3)
    assert list(tmp_path.iterdir()) == []
    assert not list(Path.cwd().glob("audiobridge-*.mjr"))
    janus.end("call-record")


def test_another_call_token_does_not_open_this_call_mix(server: Server) -> None:
    mine = janus.media_for("call-a", "Sous-groupe 1", "dan", True)
    other = janus.media_for("call-b", "Sous-groupe 2", "dan", True)
    borrowed = dict(other, token=mine["token"])
    assert _join_audio(borrowed, server.api_url)["error_code"] == 489
    janus.end("call-a")
    janus.end("call-b")


def test_janus_down_raises_janus_unavailable(server: Server, settings: Any) -> None:
    settings.CALLS_JANUS_ADMIN_URL = f"http://127.0.0.1:{free_port()}/admin"
    with pytest.raises(janus.JanusUnavailable):
        janus.media_for("call-down", "Plénière", "eve", True)
    with pytest.raises(janus.JanusUnavailable):
        janus.set_speaking("call-down", "eve", False)


def test_several_janus_instances_share_the_calls_between_them(
    server: Server, settings: Any, tmp_path: Path
) -> None:
    second_dir = tmp_path / "second"
    second_dir.mkdir()
    shutil.copy(server.directory / "secrets.json", second_dir / "secrets.json")
    with running_janus(second_dir) as second:
        settings.CALLS_JANUS_SERVERS = [
            f"{server.api_url}|{server.admin_url}",
            f"{second.api_url}|{second.admin_url}",
        ]
        calls = [f"call-{n}" for n in range(12)]
        placed = {call: janus.media_for(call, "Sous-groupe", "fay", True)["url"] for call in calls}
        assert set(placed.values()) == {server.api_url, second.api_url}  # both carry calls
        for call, url in placed.items():
            here = janus.Janus(server.admin_url if url == server.api_url else second.admin_url)
            there = janus.Janus(second.admin_url if url == server.api_url else server.admin_url)
            room = janus.rooms_for(call).audiobridge
            assert here.plugin(janus.AUDIOBRIDGE, "exists", room=room)["exists"] is True
            assert there.plugin(janus.AUDIOBRIDGE, "exists", room=room)["exists"] is False
            # The same call always lands on the same instance (every daphne process agrees).
            assert janus.media_for(call, "Sous-groupe", "gil", False)["url"] == url
            janus.end(call)
