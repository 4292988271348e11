"""The /ws/ socket: one hub that knows no app, and the live features the apps register.

The hub authenticates (``realtime.guards``), joins the person's and the session's groups,
says ``hello``, limits the frames, reads them, and dispatches each to the feature that
registered its type; events from the channel layer (``event.relay``) go to the feature
that registered theirs. Each app owns its live features (``forums/realtime.py``: chat,
presence, unread counts; ``documents/realtime.py``: the library's news) and registers them
in its ``AppConfig.ready()`` with ``register_feature``. One instance of each feature lives
on each socket; what a feature shares across the sockets of a process lives in an object
the hub keeps (``Hub.state``), never in module globals.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext

from config import metrics
from realtime.auth import resolved
from realtime.bus import CLOSE_LOGGED_OUT, session_group, user_group
from realtime.frames import FrameError, domain_error
from realtime.guards import (
    CLOSE_TOO_MANY_FRAMES,
    CLOSE_TOO_MANY_SOCKETS,
    SocketGuards,
    TokenBucket,
    refusal,
)

logger = logging.getLogger(__name__)

# A frame above this is refused with a `too_large` error (the socket stays open).
# daphne itself closes with 1009 above 1 MB (--websocket-max-message-size 1048576,
# see docs/protocol.md), so nothing much larger is ever buffered.
MAX_FRAME_CHARS = 64 * 1024

# Token bucket per socket: bursts of 30 frames, 10 a second sustained. Far above
# what a person typing produces; a client far over it for long is closed. The
# settings exist for benches, which send faster than any person.
FRAME_BURST = float(getattr(settings, "REALTIME_FRAME_BURST", 30))
FRAME_RATE = float(getattr(settings, "REALTIME_FRAME_RATE", 10))
FRAME_DEBT_CLOSE = -2 * FRAME_BURST

# What a person may follow (roles, name, rooms, audiences: ``LiveFeature.access``) is kept
# this long per person and process, so that the tabs of a person reconnecting together
# after a restart read it once. A change of roles or of a room's access forgets it at once
# in the processes holding the person's sockets and in the one that made the change; in
# another process it is at most this old (the sockets' own re-checks are ``ROLES_TTL``).
# Refusals are never kept: a person who just accepted the charter gets in at once.
CONNECT_CACHE_SECONDS = float(getattr(settings, "REALTIME_CONNECT_CACHE_SECONDS", 5))

T = TypeVar("T")


class LiveFeature:
    """One app's part of every /ws/ socket (one instance per socket).

    ``frames`` maps a frame type to the name of an ``async def handler(self, content)``
    (one feature per frame type); ``events`` lists the event types this feature hears (a
    trailing ``.`` makes a prefix; several features may hear one type, each decides for
    itself, e.g. ``room.access_changed``). A handler refuses with
    ``realtime.frames.FrameError``.
    """

    name: ClassVar[str]
    frames: ClassVar[dict[str, str]] = {}
    events: ClassVar[tuple[str, ...]] = ()

    def __init__(self, socket: HubConsumer) -> None:
        self.socket = socket

    @classmethod
    def access(cls, user: Any) -> Any:
        """What this person may follow (rooms, audiences…), read in the database thread
        inside the hub's one call per connection. Kept per person for a few seconds
        (``CONNECT_CACHE_SECONDS``) and forgotten when their roles or accesses change, so
        it must depend on nothing else; a constant number of queries, whatever it lists."""
        return None

    @classmethod
    def load(cls, user: Any, access: Any) -> Any:
        """What ``hello`` needs fresh at each connection (unread counts…), read in the same
        call as ``access``, never kept; what it returns is given to ``connect``."""
        return access

    async def connect(self, loaded: Any) -> dict[str, Any]:
        """The socket is accepted: join groups; return the fields this feature adds to
        ``hello``. ``loaded`` is what ``load`` returned: no database call is needed here."""
        return {}

    async def disconnect(self) -> None:
        """The socket closed (its groups are left by the hub)."""

    async def activity(self) -> None:
        """A well-formed frame came in (the person is here)."""

    async def roles_changed(self) -> None:
        """The person's roles changed (``socket.user`` is fresh): drop what they lost."""

    async def relay(self, event: dict[str, Any]) -> None:
        """An event of one of ``events``: send it to the socket or drop it."""
        await self.socket.send_json(event)


_features: list[type[LiveFeature]] = []
_frame_owner: dict[str, tuple[type[LiveFeature], str]] = {}
HUB_FRAMES = frozenset({"ping"})


def register_feature(feature: type[LiveFeature]) -> None:
    """Add a feature to every /ws/ socket opened from now on (AppConfig.ready())."""
    if feature in _features:
        return
    for frame_type, method in feature.frames.items():
        owner = _frame_owner.get(frame_type)
        if frame_type in HUB_FRAMES or owner is not None:
            raise ValueError(f"frame type {frame_type!r} is already handled")
        if not callable(getattr(feature, method, None)):
            raise ValueError(f"{feature.__name__} has no handler {method!r}")
    _features.append(feature)
    for frame_type, method in feature.frames.items():
        _frame_owner[frame_type] = (feature, method)


def _matches(pattern: str, event_type: str) -> bool:
    return event_type.startswith(pattern) if pattern.endswith(".") else event_type == pattern


def features() -> list[type[LiveFeature]]:
    return list(_features)


_person_name: Callable[[Any], str] = str


def register_person_name(describe: Callable[[Any], str]) -> None:
    """How a person is named to others (presence, typing): set by the app owning names."""
    global _person_name
    _person_name = describe


class Hub:
    """What the sockets of one process share (presence, connection counts…): one object
    per key, created on first use. Module globals would be the same thing, undeclared."""

    _instance: ClassVar[Hub | None] = None

    def __init__(self) -> None:
        self._state: dict[str, Any] = {}

    @classmethod
    def current(cls) -> Hub:
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def state(self, key: str, factory: Callable[[], T]) -> T:
        if key not in self._state:
            self._state[key] = factory()
        return self._state[key]  # type: ignore[no-any-return]


@dataclasses.dataclass(frozen=True)
class Access:
    """What a person may follow, as read for one connection (kept per person)."""

    payload: dict[str, Any]  # hello's "user": id, name, roles
    features: dict[str, Any]  # feature name -> LiveFeature.access(user)


@dataclasses.dataclass(frozen=True)
class Admission:
    """What ``HubConsumer.connect`` needs: a refusal's close code, or hello's material."""

    refusal: int | None
    user: Any = None  # the person, read from the session in the same call
    payload: dict[str, Any] = dataclasses.field(default_factory=dict)
    features: dict[str, Any] = dataclasses.field(default_factory=dict)


class AccessCache:
    """``Access`` per person for ``CONNECT_CACHE_SECONDS``, in this process. Read and
    written in the database thread, forgotten from the event loop too: a lock keeps the
    two apart (the operations are a few dictionary lookups).

    Each entry carries the person's access generation read from Django's cache (Redis
    when ``REDIS_URL`` is set): a change committed in another process writes a new one
    (``forget_person``), so no process admits a connection on access taken away
    elsewhere, not even for the few seconds an entry lives."""

    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Any, Access]] = {}
        self._lock = threading.Lock()

    def get(self, person: str, generation: Any = None) -> Access | None:
        with self._lock:
            entry = self._entries.get(person)
            if entry is None:
                return None
            if entry[0] < time.monotonic() or entry[1] != generation:
                del self._entries[person]
                return None
            return entry[2]

    def put(self, person: str, access: Access, generation: Any = None) -> None:
        if CONNECT_CACHE_SECONDS <= 0:
            return
        with self._lock:
            if len(self._entries) > 10_000:  # a bound, not an expected size
                now = time.monotonic()
                self._entries = {k: v for k, v in self._entries.items() if v[0] >= now}
            self._entries[person] = (time.monotonic() + CONNECT_CACHE_SECONDS, generation, access)

    def forget(self, person: str) -> None:
        with self._lock:
            self._entries.pop(person, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def _generation_key(person: str) -> str:
    return f"realtime:access-generation:{person}"


def kept_access_generation(person: str) -> Any:
    """The person's access generation shared by the processes (None: no change lately)."""
    if CONNECT_CACHE_SECONDS <= 0:
        return None
    return cache.get(_generation_key(person))


def connect_cache() -> AccessCache:
    return Hub.current().state("realtime.connect_cache", AccessCache)


def forget_person(user_id: object, everywhere: bool = True) -> None:
    """The person's roles or accesses changed: read them again at their next connection,
    in this process and, through the shared generation, in every other one
    (``RealtimeConfig.ready`` and the sockets' events call it). The sockets' events pass
    ``everywhere=False``: the process that made the change has already told the others, and
    the event loop does not wait for the cache."""
    person = str(user_id)
    connect_cache().forget(person)
    if everywhere and CONNECT_CACHE_SECONDS > 0:
        # Outlives every entry made before it (entries live CONNECT_CACHE_SECONDS).
        timeout = max(60, int(CONNECT_CACHE_SECONDS * 4))
        cache.set(_generation_key(person), uuid.uuid4().hex, timeout)


def _connect_data(user: Any, live: list[type[LiveFeature]]) -> Admission:
    """Run in the database thread, once per connection: the guards and the person's access
    (both kept per person for a few seconds), then each feature's fresh part. Its number of
    queries does not depend on how many rooms the person reads
    (tests/realtime/test_connect_path.py). The person is read from the session here too
    (``realtime.auth.PersonOnFirstUse``)."""
    user = resolved(user)
    person = str(getattr(user, "pk", None))
    kept = connect_cache()
    # A person admitted seconds ago passed the guards then: they are read again only
    # when nothing is kept (refusals are never kept).
    admitted = getattr(user, "is_authenticated", False) and getattr(user, "is_active", False)
    generation = kept_access_generation(person) if admitted else None
    access = kept.get(person, generation) if admitted else None
    if access is None:
        code = refusal(user)
        if code is not None:
            return Admission(refusal=code)
        from accounts.roles import user_roles

        access = Access(
            payload={
                "id": person,
                "name": _person_name(user),
                "roles": sorted(r.value for r in user_roles(user)),
            },
            features={feature.name: feature.access(user) for feature in live},
        )
        kept.put(person, access, generation)
    return Admission(
        refusal=None,
        user=user,
        payload=dict(access.payload),
        features={
            feature.name: feature.load(user, access.features.get(feature.name))
            for feature in live
        },
    )


class HubConsumer(SocketGuards, AsyncJsonWebsocketConsumer):
    """The /ws/ socket: authenticated, rate-limited, dispatching to the registered features."""

    async def connect(self) -> None:
        self.groups_held: set[str] = set()
        self.live: list[LiveFeature] = []
        self.budget = TokenBucket(FRAME_BURST, FRAME_RATE)
        self.hub = Hub.current()
        session = self.scope.get("session")
        # Everything the connection needs from the database, in one call, the person
        # included: the process has one database thread, which a storm of reconnections
        # would otherwise queue on once per guard, feature and room (docs/performance.md,
        # « Issue 18 »).
        live = list(_features)
        loaded = await database_sync_to_async(_connect_data)(self.scope.get("user"), live)
        if loaded.refusal is not None:
            await self._refuse(loaded.refusal)
            return
        user = self.scope["user"] = loaded.user
        if not self._claim_socket_slot(user):
            logger.warning("socket refused: too many open for person %s", user.pk)
            await self._refuse(CLOSE_TOO_MANY_SOCKETS)
            return
        self.user = user
        # The user group lets the end of an account (or a password change) close all of a
        # person's sockets and carries their own events; the session group lets logout
        # close this tab's.
        groups = [user_group(user.pk)]
        if session is not None and session.session_key:
            groups.append(session_group(session.session_key))
        await self.join_all(groups)
        await self.accept()
        payload = loaded.payload
        self.brief = {"id": payload["id"], "name": payload["name"]}
        self.roles = frozenset(payload["roles"])
        self.roles_read_at = time.monotonic()
        self.live = [feature(self) for feature in live]
        hello: dict[str, Any] = {"type": "hello", "user": payload}
        for feature in self.live:
            hello.update(await feature.connect(loaded.features.get(feature.name)))
        await self.send_json(hello)

    async def disconnect(self, code: int) -> None:
        self._release_socket_slot()
        for feature in reversed(getattr(self, "live", [])):
            try:
                await feature.disconnect()
            except Exception:
                logger.exception("closing the %s feature failed", feature.name)
        for group in list(getattr(self, "groups_held", ())):
            await self.leave(group)

    # --- What features use -----------------------------------------------------------

    async def join(self, group: str) -> None:
        if group not in self.groups_held:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_held.add(group)

    async def join_all(self, groups: Iterable[str]) -> None:
        """Join several groups at once (a Redis round trip each, in parallel)."""
        new = [g for g in dict.fromkeys(groups) if g not in self.groups_held]
        await asyncio.gather(*(self.channel_layer.group_add(g, self.channel_name) for g in new))
        self.groups_held.update(new)

    async def leave(self, group: str) -> None:
        if group in self.groups_held:
            self.groups_held.discard(group)
            await self.channel_layer.group_discard(group, self.channel_name)

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        """Run domain code in the database thread; what it refuses becomes a FrameError."""
        try:
            return await database_sync_to_async(function)(*args)
        except (Http404, PermissionDenied, ValidationError) as exc:
            raise domain_error(exc) from exc

    async def error(self, code: str, detail: str, content: Any = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
        if isinstance(content, dict):
            if isinstance(content.get("type"), str):
                frame["frame"] = content["type"][:40]
            if isinstance(content.get("client_id"), str):
                frame["client_id"] = content["client_id"][:64]
        await self.send_json(frame)

    # --- Incoming frames ---------------------------------------------------------------

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # A frame that is not JSON text is answered, not fatal: the base class would
        # raise and drop the connection.
        if not await self._take_token():
            return
        if text_data is None:
            await self._bad_frame()
            return
        if len(text_data) > MAX_FRAME_CHARS:
            await self.error("too_large", gettext("This message is too large (64 KB at most)."))
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            await self._bad_frame()
            return
        await self.receive_json(content, **kwargs)

    async def _take_token(self) -> bool:
        left = self.budget.take()
        if left >= 0:
            return True
        if left < FRAME_DEBT_CLOSE:
            await self.close(code=CLOSE_TOO_MANY_FRAMES)
        else:
            await self.error(
                "rate_limited", gettext("Too many messages in a short time; please wait a moment.")
            )
        return False

    async def _bad_frame(self) -> None:
        await self.error("bad_frame", gettext("Unreadable message."))

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        received = time.monotonic()
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._bad_frame()
            return
        for live in self.live:
            await live.activity()  # the client pings: this keeps the person "here"
        if not await self._check_roles():
            return
        frame_type = content["type"]
        if frame_type == "ping":
            await self.send_json({"type": "pong"})
            return
        owner = _frame_owner.get(frame_type)
        handler = next(
            (getattr(f, owner[1]) for f in self.live if owner and type(f) is owner[0]), None
        )
        if owner is None or handler is None:
            await self.error("unknown_type", gettext("Unknown message type."), content)
            return
        try:
            await handler(content)
        except FrameError as exc:
            await self.error(exc.code, exc.detail, content)
        except Exception:
            # Errors never raise out of the consumer: the socket stays usable.
            logger.exception("websocket frame %s failed", frame_type[:40])
            await self.error(
                "server_error", gettext("Something went wrong; please try again."), content
            )
        metrics.observe_frame(frame_type, received)

    # --- Events from the channel layer ---------------------------------------------------

    async def event_relay(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            return
        try:
            if not await self._check_roles():
                return
            for feature in self.live:
                if any(_matches(pattern, event["type"]) for pattern in feature.events):
                    try:
                        await feature.relay(event)
                    except Exception:
                        logger.exception("%s: relaying %s failed", feature.name, event["type"])
        except Exception:
            logger.exception("relaying %s failed", event.get("type"))

    async def session_close(self, event: dict[str, Any]) -> None:
        await self.close(code=int(event.get("code", CLOSE_LOGGED_OUT)))

    async def roles_changed(self, message: dict[str, Any]) -> None:
        """The person's roles changed (realtime.bus.recheck_user_sockets): re-check now."""
        forget_person(self.user.pk, everywhere=False)
        if await self._reload_user() is not None:
            await self._features_recheck()

    async def _check_roles(self) -> bool:
        """Reload the person when their copy is old; False once the socket is closed."""
        if not self._roles_stale():
            return True
        changed = await self._reload_user()
        if changed is None:
            return False
        if changed:
            forget_person(self.user.pk, everywhere=False)
            await self._features_recheck()
        return True

    async def _features_recheck(self) -> None:
        for feature in self.live:
            await feature.roles_changed()
