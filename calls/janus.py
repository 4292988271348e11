"""Janus Gateway's HTTP Admin API, as Agora uses it: media rooms per call, tokens per person.

Per call, three objects on Janus, all created with the plugins' admin key and a room secret
derived from SECRET_KEY (so every daphne process computes the same ids and secrets):

- an AudioBridge room that mixes the people who may speak; only their tokens are in its
  ``allowed`` list, so a listener's join (the only way to publish audio) is refused by Janus;
- a Streaming mountpoint fed by the AudioBridge mix (``rtp_forward`` on Janus's loopback):
  listeners receive that one mixed stream, receive-only by construction (the plenary's scale);
- a VideoRoom (SFU) for cameras and screens: only speakers' tokens may join it as publishers;
  everyone may subscribe to the feeds.

Each person gets a short-lived core token (``token_auth``) that also names the call and the
person, so revoking, giving or taking the floor and sweeping expired tokens need no table.
Janus's own state dies with it: rooms are re-created on the next ``media_for``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from calls import mediaserver
from calls.turn import ice_servers

AUDIOBRIDGE = "janus.plugin.audiobridge"
VIDEOROOM = "janus.plugin.videoroom"
STREAMING = "janus.plugin.streaming"
PLUGINS = (AUDIOBRIDGE, VIDEOROOM, STREAMING)
OPUS_PT = 100
# Error codes that mean "already there" / "not there" for each plugin (janus_*.c).
EXISTS = {486, 427, 456}
MISSING = {485, 426, 455, 492, 428}


class JanusUnavailable(Exception):
    """Janus does not answer (down, unreachable, misconfigured): fall back to mesh calls."""


class JanusError(Exception):
    """Janus answered with an error (a refused request, a missing room)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code = code
        self.reason = reason


@dataclass(frozen=True)
class CallRooms:
    audiobridge: int
    videoroom: int
    stream: int
    secret: str
    pin: str


def _derive(*parts: str) -> bytes:
    key = ("calls.janus:" + settings.SECRET_KEY).encode()
    return hmac.new(key, ":".join(parts).encode(), hashlib.sha256).digest()


def _id(*parts: str) -> int:
    """A stable numeric id below 2**48 (safe as a JavaScript number), never 0."""
    return int.from_bytes(_derive(*parts)[:6], "big") or 1


def _tag(*parts: str) -> str:
    return _derive("tag", *parts).hex()[:12]


def rooms_for(call_id: str) -> CallRooms:
    return CallRooms(
        audiobridge=_id("audiobridge", call_id),
        videoroom=_id("videoroom", call_id),
        stream=_id("stream", call_id),
        secret=_derive("secret", call_id).hex(),
        pin=_derive("pin", call_id).hex()[:24],
    )


def participant_id(call_id: str, user_id: str) -> int:
    """The id a person joins the AudioBridge and the VideoRoom with (kicked by it)."""
    return _id("participant", call_id, user_id)


def make_token(call_id: str, user_id: str, ttl: int, now: float | None = None) -> str:
    """``<expiry>.<call tag>.<person tag>.<random>``: the sweep reads the expiry in it."""
    expiry = int((time.time() if now is None else now) + ttl)
    call_tag, user_tag = _tag("call", call_id), _tag("user", call_id, user_id)
    return f"{expiry}.{call_tag}.{user_tag}.{secrets.token_urlsafe(18)}"


def _token_parts(token: str) -> tuple[int, str, str] | None:
    parts = token.split(".")
    if len(parts) != 4 or not parts[0].isdigit():
        return None  # not one of ours
    return int(parts[0]), parts[1], parts[2]


class Janus:
    """A synchronous client of the Admin API (``message_plugin`` reaches the plugins)."""

    def __init__(
        self,
        admin_url: str | None = None,
        *,
        public_url: str | None = None,
        admin_secret: str | None = None,
        plugin_key: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.admin_url = admin_url or settings.CALLS_JANUS_ADMIN_URL
        self.public_url = settings.CALLS_JANUS_URL if public_url is None else public_url
        self.timeout = timeout if timeout is not None else settings.CALLS_JANUS_TIMEOUT
        if admin_secret is None or plugin_key is None:
            try:
                keys = mediaserver.load_secrets()
            except (OSError, ValueError, KeyError) as exc:
                raise JanusUnavailable(f"no Janus secrets: {exc}") from exc
            admin_secret = admin_secret or keys.admin_secret
            plugin_key = plugin_key or keys.plugin_key
        self.admin_secret = admin_secret
        self.plugin_key = plugin_key

    # --- wire -----------------------------------------------------------------------------
    def post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"transaction": secrets.token_hex(8), **body}
        request = urllib.request.Request(  # noqa: S310 (http(s) URLs from the settings only)
            url,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        if not url.startswith(("http://", "https://")):
            raise JanusUnavailable(f"not an HTTP URL: {url!r}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer: dict[str, Any] = json.loads(response.read())
        except (urllib.error.URLError, TimeoutError, ConnectionError, ValueError) as exc:
            raise JanusUnavailable(f"Janus does not answer at {url}: {exc}") from exc
        if answer.get("janus") == "error":
            error = answer.get("error", {})
            raise JanusError(int(error.get("code", 0)), str(error.get("reason", "")))
        return answer

    def admin(self, verb: str, **fields: Any) -> dict[str, Any]:
        return self.post(
            self.admin_url, {"janus": verb, "admin_secret": self.admin_secret, **fields}
        )

    def plugin(self, plugin: str, request: str, **fields: Any) -> dict[str, Any]:
        """One synchronous plugin request; plugin errors raise JanusError too."""
        answer = self.admin(
            "message_plugin",
            plugin=plugin,
            request={"request": request, "admin_key": self.plugin_key, **fields},
        )
        data: dict[str, Any] = answer.get("response", {})
        if "error_code" in data or data.get("error"):
            raise JanusError(int(data.get("error_code", 0)), str(data.get("error", "")))
        return data

    def ping(self) -> None:
        self.admin("ping")

    # --- tokens (core token_auth) ----------------------------------------------------------
    def add_token(self, token: str, plugins: list[str] | tuple[str, ...] = PLUGINS) -> None:
        self.admin("add_token", token=token, plugins=list(plugins))

    def remove_token(self, token: str) -> None:
        try:
            self.admin("remove_token", token=token)
        except JanusError as exc:
            if "not found" not in exc.reason.lower() and exc.code != 470:
                raise

    def list_tokens(self) -> list[str]:
        answer = self.admin("list_tokens")
        return [item["token"] for item in answer.get("data", {}).get("tokens", [])]

    def sweep_expired_tokens(self, now: float | None = None) -> int:
        """Remove our tokens whose expiry passed; returns how many."""
        now = time.time() if now is None else now
        removed = 0
        for token in self.list_tokens():
            parts = _token_parts(token)
            if parts and parts[0] <= now:
                self.remove_token(token)
                removed += 1
        return removed

    def tokens_of(self, call_id: str, user_id: str | None = None) -> list[str]:
        call_tag = _tag("call", call_id)
        user_tag = _tag("user", call_id, user_id) if user_id is not None else None
        out = []
        for token in self.list_tokens():
            parts = _token_parts(token)
            if parts and parts[1] == call_tag and (user_tag is None or parts[2] == user_tag):
                out.append(token)
        return out

    # --- rooms ----------------------------------------------------------------------------
    def _tolerate(self, codes: set[int], plugin: str, request: str, **fields: Any) -> bool:
        """Run a request; False when Janus says it was already done (exists / missing)."""
        try:
            self.plugin(plugin, request, **fields)
        except JanusError as exc:
            if exc.code in codes:
                return False
            raise
        return True

    def ensure_rooms(self, call_id: str, description: str = "") -> CallRooms:
        """Create the call's AudioBridge, Streaming mountpoint and VideoRoom unless they exist."""
        rooms = rooms_for(call_id)
        try:
            exists = self.plugin(VIDEOROOM, "exists", room=rooms.videoroom).get("exists")
        except JanusError:
            exists = False
        if exists:  # created last: the rest is there
            return rooms
        name = description[:60] or f"call {call_id[:8]}"
        self._tolerate(
            EXISTS,
            AUDIOBRIDGE,
            "create",
            room=rooms.audiobridge,
            description=name,
            secret=rooms.secret,
            is_private=True,
            permanent=False,
            sampling_rate=48000,
            default_prebuffering=settings.CALLS_JANUS_PREBUFFER,
            allowed=[],
            record=False,
            allow_rtp_participants=False,
            audiolevel_event=False,
        )
        created = self._tolerate(
            EXISTS,
            STREAMING,
            "create",
            type="rtp",
            id=rooms.stream,
            name=f"agora-{rooms.stream}",
            description=name,
            secret=rooms.secret,
            pin=rooms.pin,
            is_private=True,
            permanent=False,
            media=[
                {
                    "type": "audio",
                    "mid": "a",
                    "port": 0,
                    "pt": OPUS_PT,
                    "codec": "opus",
                    "iface": "127.0.0.1",
                }
            ],
        )
        if created:
            info = self.plugin(STREAMING, "info", id=rooms.stream, secret=rooms.secret)
            port = int(info["info"]["media"][0]["port"])
            self.plugin(
                AUDIOBRIDGE,
                "rtp_forward",
                room=rooms.audiobridge,
                secret=rooms.secret,
                host="127.0.0.1",
                port=port,
                ptype=OPUS_PT,
                codec="opus",
                always_on=True,
            )
        self._tolerate(
            EXISTS,
            VIDEOROOM,
            "create",
            room=rooms.videoroom,
            description=name,
            secret=rooms.secret,
            is_private=True,
            permanent=False,
            allowed=[],
            publishers=settings.CALLS_JANUS_VIDEO_PUBLISHERS,
            require_pvtid=False,
            audiocodec="opus",
            videocodec="vp8",
            record=False,
            lock_record=True,
            notify_joining=True,
        )
        return rooms

    def destroy_rooms(self, call_id: str) -> None:
        rooms = rooms_for(call_id)
        self._tolerate(MISSING, VIDEOROOM, "destroy", room=rooms.videoroom, secret=rooms.secret)
        self._tolerate(MISSING, AUDIOBRIDGE, "destroy", room=rooms.audiobridge, secret=rooms.secret)
        self._tolerate(MISSING, STREAMING, "destroy", id=rooms.stream, secret=rooms.secret)

    def set_allowed(self, call_id: str, tokens: list[str], allowed: bool) -> None:
        """Add or remove tokens from the AudioBridge's and the VideoRoom's publisher lists."""
        if not tokens:
            return
        rooms = rooms_for(call_id)
        action = "add" if allowed else "remove"
        for plugin, room in ((AUDIOBRIDGE, rooms.audiobridge), (VIDEOROOM, rooms.videoroom)):
            self.plugin(
                plugin, "allowed", room=room, secret=rooms.secret, action=action, allowed=tokens
            )

    def kick(self, call_id: str, user_id: str) -> None:
        """Out of the AudioBridge and the VideoRoom (not an error if they were not there)."""
        rooms = rooms_for(call_id)
        pid = participant_id(call_id, user_id)
        self._tolerate(
            MISSING, AUDIOBRIDGE, "kick", room=rooms.audiobridge, secret=rooms.secret, id=pid
        )
        self._tolerate(
            MISSING, VIDEOROOM, "kick", room=rooms.videoroom, secret=rooms.secret, id=pid
        )

    def audio_participants(self, call_id: str) -> list[dict[str, Any]]:
        rooms = rooms_for(call_id)
        data = self.plugin(AUDIOBRIDGE, "listparticipants", room=rooms.audiobridge)
        participants: list[dict[str, Any]] = data.get("participants", [])
        return participants


def client(call_id: str | None = None) -> Janus:
    """The Janus that carries this call: with several (CALLS_JANUS_SERVERS), one per call,
    chosen from the call's id so that every daphne process picks the same."""
    servers = settings.CALLS_JANUS_SERVERS
    if not servers or call_id is None:
        return Janus()
    index = int.from_bytes(hashlib.sha256(call_id.encode()).digest()[:4], "big") % len(servers)
    public_url, admin_url = servers[index].split("|")
    return Janus(admin_url, public_url=public_url)


def clients() -> list[Janus]:
    """Every Janus Agora uses (for sweeps)."""
    if not settings.CALLS_JANUS_SERVERS:
        return [Janus()]
    return [
        Janus(item.split("|")[1], public_url=item.split("|")[0])
        for item in settings.CALLS_JANUS_SERVERS
    ]


# --- what the calls app calls (calls/media.py) ----------------------------------------------
def media_for(
    call_id: str, room_name: str, user_id: str, may_speak: bool, *, ttl: int | None = None
) -> dict[str, Any]:
    """Everything a browser needs to join this call through Janus, for this person.

    Creates the call's media rooms if needed, issues a token good for ``ttl`` seconds
    (settings.CALLS_JANUS_TOKEN_TTL) and puts it on the publishers' lists when the person may
    speak. Raises JanusUnavailable when Janus does not answer.
    """
    janus = client(call_id)
    try:
        janus.sweep_expired_tokens()
        rooms = janus.ensure_rooms(call_id, room_name)
        token = make_token(call_id, user_id, ttl or settings.CALLS_JANUS_TOKEN_TTL)
        janus.add_token(token)
        if may_speak:
            janus.set_allowed(call_id, [token], True)
    except JanusError as exc:  # a refusal here is a broken setup, not the person's doing
        raise JanusUnavailable(str(exc)) from exc
    return {
        "mode": "janus",
        "url": janus.public_url,
        "token": token,
        "room": rooms.audiobridge,
        "videoroom": rooms.videoroom,
        "stream": rooms.stream,
        "pin": rooms.pin,
        "participant": participant_id(call_id, user_id),
        "speak": may_speak,
        "iceServers": ice_servers(user_id),
    }


def set_speaking(call_id: str, user_id: str, may_speak: bool) -> None:
    """Give or withdraw the floor on Janus itself.

    Giving puts the person's current tokens on the AudioBridge's and the VideoRoom's lists: the
    browser may now join the mix with the token it has. Withdrawing takes them off, kicks the
    person out of both rooms (Janus closes their PeerConnections) and removes their tokens, so
    nothing of theirs is accepted any more, not even a late offer from a session that joined
    without media: send them a fresh ``media_for(..., may_speak=False)`` to listen again.
    """
    janus = client(call_id)
    try:
        tokens = janus.tokens_of(call_id, user_id)
        janus.set_allowed(call_id, tokens, may_speak)
        if not may_speak:
            janus.kick(call_id, user_id)
            for token in tokens:
                janus.remove_token(token)
    except JanusError as exc:
        if exc.code in MISSING:
            return  # the call's rooms are gone: nothing to give or withdraw
        raise JanusUnavailable(str(exc)) from exc


def revoke(call_id: str, user_id: str) -> None:
    """The person left: their tokens stop working and they leave the media rooms."""
    janus = client(call_id)
    for token in janus.tokens_of(call_id, user_id):
        janus.remove_token(token)
    try:
        janus.kick(call_id, user_id)
    except JanusError:
        pass


def end(call_id: str) -> None:
    """End the call on Janus: destroy its rooms and remove every token issued for it."""
    janus = client(call_id)
    janus.destroy_rooms(call_id)
    for token in janus.tokens_of(call_id):
        janus.remove_token(token)


async def amedia_for(call_id: str, room_name: str, user_id: str, may_speak: bool) -> dict[str, Any]:
    return await asyncio.to_thread(media_for, call_id, room_name, user_id, may_speak)


async def aset_speaking(call_id: str, user_id: str, may_speak: bool) -> None:
    await asyncio.to_thread(set_speaking, call_id, user_id, may_speak)


async def arevoke(call_id: str, user_id: str) -> None:
    await asyncio.to_thread(revoke, call_id, user_id)


async def aend(call_id: str) -> None:
    await asyncio.to_thread(end, call_id)
