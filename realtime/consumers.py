"""The websocket consumer at /ws/: authenticated sockets only; transport, no writes."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
import weakref
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext

from realtime.bus import (
    CLOSE_LOGGED_OUT,
    library_group,
    readers_group,
    room_group,
    session_group,
    user_group,
)
from realtime.events import MessageEvent, PresenceEvent, TypingEvent
from realtime.guards import (  # noqa: F401  (the close codes are documented from here)
    CLOSE_TOO_MANY_FRAMES,
    CLOSE_TOO_MANY_SOCKETS,
    CLOSE_TWO_FACTOR_REQUIRED,
    CLOSE_UNAUTHENTICATED,
    CLOSE_WELCOME_REQUIRED,
    SocketGuards,
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

TYPING_INTERVAL = 3.0  # seconds between two typing relays per socket and room
HISTORY_PAGE = 50
RESYNC_PAGE = 200
# Read ability is re-checked when relaying an event if older than this (jittered so
# the sockets of one room do not all query at the same instant). Removal from a room
# is immediate through `room.access_changed` (and roles removed close the socket);
# this only bounds a missed notification. A check costs ~5 queries on the one
# database thread of the process: at 10 s, a 110-person plenary spent seconds per
# 10 s on it in bench/chat_fanout.py and messages queued behind.
ABILITY_TTL = 60.0
DELIVERED_MEMORY = 2000  # message ids remembered per socket to never send one twice

# room id -> channel name -> {"id", "name"}: who has the room open in this process.
# Other processes announce their arrivals and departures through `presence` events.
_present: dict[str, dict[str, dict[str, str]]] = {}


PRESENCE_DELAY = 0.5  # seconds: arrivals and departures are announced in batches


# user id -> open sockets in this process, so that closing one tab does not mark a
# person still connected in another as away (email notifications depend on it).
_sockets_of: dict[str, int] = {}
CONNECTED_REFRESH = 60.0  # forums.notifications forgets a connection after 120 s


def _mark_connected(user_id: str) -> None:
    from forums.notifications import mark_connected

    mark_connected(user_id)


def _mark_disconnected(user_id: str) -> None:
    from forums.notifications import mark_disconnected

    mark_disconnected(user_id)


class PresenceBatcher:
    """Coalesces the presence changes of one process into one event per room and delay.

    When a whole plenary opens its room at the start of a session, one event per
    arrival would cost N² deliveries (110 people: 12,100); batched, it is a few
    events of many users each.
    """

    _by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, PresenceBatcher] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.pending: dict[str, dict[bool, dict[str, dict[str, str]]]] = {}
        self.task: asyncio.Task[None] | None = None

    @classmethod
    def of(cls, layer: Any) -> PresenceBatcher:
        loop = asyncio.get_running_loop()
        batcher = cls._by_loop.get(loop)
        if batcher is None:
            batcher = cls._by_loop[loop] = cls(layer)
        return batcher

    def announce(self, room_id: str, user: dict[str, str], online: bool) -> None:
        changes = self.pending.setdefault(room_id, {True: {}, False: {}})
        changes[not online].pop(user["id"], None)  # left and came back: only the last counts
        changes[online][user["id"]] = user
        if self.task is None:
            self.task = asyncio.create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(PRESENCE_DELAY)
        pending, self.pending, self.task = self.pending, {}, None
        for room_id, changes in pending.items():
            for online, users in changes.items():
                if users:
                    event = PresenceEvent(room=room_id, users=list(users.values()), online=online)
                    await self.layer.group_send(
                        room_group(room_id), {"type": "event.relay", "event": event.to_dict()}
                    )


class FrameError(Exception):
    """A refused frame: becomes an `error` frame, never an exception out of the consumer."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def _invalid(name: str) -> FrameError:
    return FrameError(
        "invalid", gettext("The field “%(field)s” is missing or invalid.") % {"field": name}
    )


def _not_found() -> FrameError:
    # Same answer for a room that does not exist and one the person may not read.
    return FrameError(
        "not_found", gettext("This conversation does not exist or is not open to you.")
    )


def _uuid_field(content: dict[str, Any], name: str, *, nullable: bool = False) -> str | None:
    value = content.get(name)
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise _invalid(name)
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise _invalid(name) from exc


def _required_uuid(content: dict[str, Any], name: str) -> str:
    value = _uuid_field(content, name)
    if value is None:
        raise _invalid(name)
    return value


def _int_field(content: dict[str, Any], name: str, *, nullable: bool = False) -> int | None:
    value = content.get(name)
    if value is None and nullable:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise _invalid(name)
    return value


def _str_field(content: dict[str, Any], name: str) -> str:
    value = content.get(name)
    if not isinstance(value, str):
        raise _invalid(name)
    return value


def _bool_field(content: dict[str, Any], name: str, default: bool) -> bool:
    value = content.get(name, default)
    if not isinstance(value, bool):
        raise _invalid(name)
    return value


def _domain_error(exc: Exception) -> FrameError:
    """Translate what forums.actions raises into an error frame."""
    if isinstance(exc, Http404):
        return _not_found()
    if isinstance(exc, PermissionDenied):
        return FrameError("forbidden", gettext("You are not allowed to do this here."))
    if isinstance(exc, ValidationError):
        error = exc.error_list[0] if hasattr(exc, "error_list") else exc
        code = getattr(error, "code", None) or "invalid"
        return FrameError(str(code), " ".join(exc.messages))
    raise exc


class AgoraConsumer(SocketGuards, AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        self.subscriptions: dict[str, float] = {}  # room id -> when read ability was checked
        # room id -> when read ability was checked, for the rooms whose readers_group
        # (unread.bump) this socket joined, subscribed or not.
        self.reader_of: dict[str, float] = {}
        self.typing_sent: dict[str, float] = {}
        self.delivered: set[int] = set()
        self.delivered_order: deque[int] = deque()
        self.tokens = FRAME_BURST
        self.tokens_at = time.monotonic()
        self.connected_marked = 0.0
        user = self.scope.get("user")
        session = self.scope.get("session")
        if await self._guard(user):
            return
        self.user = user
        # The session group lets logout close this tab's sockets; the user group lets
        # the end of an account (or a password change) close all of them, and carries
        # the person's own events (unread counts, notifications, access changes).
        groups = [user_group(user.pk)]
        if session is not None and session.session_key:
            groups.append(session_group(session.session_key))
        # New documents of the library, per audience the person reads (documents.models).
        groups += [library_group(audience) for audience in await self._library_audiences(user)]
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        _sockets_of[str(user.pk)] = _sockets_of.get(str(user.pk), 0) + 1
        await self._refresh_connected(force=True)
        payload = await self._user_payload(user)
        self.brief = {"id": payload["id"], "name": payload["name"]}
        self.roles = frozenset(payload["roles"])
        self.roles_read_at = time.monotonic()
        rooms = await self._room_summaries(user)
        # Every readable room's `unread.bump` events, subscribed or not (the room list).
        for room in rooms:
            await self._join_readers(room["id"])
        await self.send_json({"type": "hello", "user": payload, "rooms": rooms})

    async def _join_readers(self, room_id: str) -> None:
        if room_id not in self.reader_of:
            await self.channel_layer.group_add(readers_group(room_id), self.channel_name)
        self.reader_of[room_id] = time.monotonic()

    async def _leave_readers(self, room_id: str) -> None:
        if self.reader_of.pop(room_id, None) is not None:
            await self.channel_layer.group_discard(readers_group(room_id), self.channel_name)

    @database_sync_to_async
    def _library_audiences(self, user: Any) -> list[str]:
        from accounts.roles import user_roles
        from documents.models import audiences_for

        return [str(audience) for audience in audiences_for(user_roles(user))]

    @database_sync_to_async
    def _may_read_document(self, document_id: Any) -> bool:
        from documents.models import Document

        document = Document.objects.filter(pk=document_id).first() if document_id else None
        return document is not None and document.get_abilities(self.user)["read"]

    @database_sync_to_async
    def _user_payload(self, user: Any) -> dict[str, Any]:
        from accounts.roles import user_roles
        from deliberation.people import person_name

        return {
            "id": str(user.pk),
            "name": person_name(user),
            "roles": sorted(r.value for r in user_roles(user)),
        }

    @database_sync_to_async
    def _room_summaries(self, user: Any) -> list[dict[str, Any]]:
        from forums.access import readable_rooms
        from forums.queries import room_summary, unread_counts

        rooms = readable_rooms(user)
        unread = unread_counts(user, rooms)
        return [room_summary(room, user, unread.get(str(room.pk), 0)) for room in rooms]

    async def _refresh_connected(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.connected_marked > CONNECTED_REFRESH:
            self.connected_marked = now
            try:
                await sync_to_async(_mark_connected, thread_sensitive=False)(str(self.user.pk))
            except Exception:
                # Only e-mail notifications depend on it: the socket carries on.
                logger.exception("could not mark %s connected", self.user.pk)

    async def disconnect(self, code: int) -> None:
        self._release_socket_slot()
        for room in list(getattr(self, "subscriptions", {})):
            await self._leave_room(room)
        user = getattr(self, "user", None)
        if user is not None:
            left = _sockets_of.get(str(user.pk), 1) - 1
            if left <= 0:
                _sockets_of.pop(str(user.pk), None)
                await sync_to_async(_mark_disconnected, thread_sensitive=False)(str(user.pk))
            else:
                _sockets_of[str(user.pk)] = left
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)
        for room_id in list(getattr(self, "reader_of", {})):
            await self._leave_readers(room_id)

    # --- Incoming frames ---------------------------------------------------------

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
            await self._error("too_large", gettext("This message is too large (64 KB at most)."))
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            await self._bad_frame()
            return
        await self.receive_json(content, **kwargs)

    async def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(FRAME_BURST, self.tokens + (now - self.tokens_at) * FRAME_RATE)
        self.tokens_at = now
        self.tokens -= 1
        if self.tokens >= 0:
            return True
        if self.tokens < FRAME_DEBT_CLOSE:
            await self.close(code=CLOSE_TOO_MANY_FRAMES)
        else:
            await self._error(
                "rate_limited", gettext("Too many messages in a short time; please wait a moment.")
            )
        return False

    async def _bad_frame(self) -> None:
        await self._error("bad_frame", gettext("Unreadable message."))

    async def _error(self, code: str, detail: str, content: Any = None) -> None:
        frame: dict[str, Any] = {"type": "error", "code": code, "detail": detail}
        if isinstance(content, dict):
            if isinstance(content.get("type"), str):
                frame["frame"] = content["type"][:40]
            if isinstance(content.get("client_id"), str):
                frame["client_id"] = content["client_id"][:64]
        await self.send_json(frame)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._bad_frame()
            return
        await self._refresh_connected()  # the client pings: this keeps the person "here"
        if not await self._check_roles():
            return
        handler = self.HANDLERS.get(content["type"])
        if handler is None:
            await self._error("unknown_type", gettext("Unknown message type."), content)
            return
        try:
            await handler(self, content)
        except FrameError as exc:
            await self._error(exc.code, exc.detail, content)
        except Exception:
            # Errors never raise out of the consumer: the socket stays usable.
            logger.exception("websocket frame %s failed", content["type"][:40])
            await self._error(
                "server_error", gettext("Something went wrong; please try again."), content
            )

    async def _ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong"})

    async def _subscribe(self, content: dict[str, Any]) -> None:
        room_id = _required_uuid(content, "room")
        await self._access(room_id, "read")
        if room_id not in self.subscriptions:
            await self.channel_layer.group_add(room_group(room_id), self.channel_name)
            present = _present.setdefault(room_id, {})
            first_here = all(u["id"] != self.brief["id"] for u in present.values())
            present[self.channel_name] = self.brief
            if first_here:
                PresenceBatcher.of(self.channel_layer).announce(room_id, self.brief, True)
        self.subscriptions[room_id] = time.monotonic()
        users = {u["id"]: u for u in _present.get(room_id, {}).values()}
        await self.send_json(
            {
                "type": "subscribed",
                "room": room_id,
                "present": sorted(users.values(), key=lambda u: u["name"]),
            }
        )

    async def _unsubscribe(self, content: dict[str, Any]) -> None:
        room_id = _required_uuid(content, "room")
        await self._leave_room(room_id)
        await self.send_json({"type": "unsubscribed", "room": room_id})

    async def _leave_room(self, room_id: str) -> None:
        if self.subscriptions.pop(room_id, None) is None:
            return
        await self.channel_layer.group_discard(room_group(room_id), self.channel_name)
        present = _present.get(room_id, {})
        present.pop(self.channel_name, None)
        if not present:
            _present.pop(room_id, None)
        if all(u["id"] != self.brief["id"] for u in present.values()):
            PresenceBatcher.of(self.channel_layer).announce(room_id, self.brief, False)

    async def _publish(self, room_id: str, event: Any) -> None:
        # Ephemeral events (typing) are never stored: straight to the layer.
        await self.channel_layer.group_send(
            room_group(room_id), {"type": "event.relay", "event": event.to_dict()}
        )

    async def _send_message(self, content: dict[str, Any]) -> None:
        room_id = _uuid_field(content, "room")
        thread_id = _uuid_field(content, "thread", nullable=True)
        body = _str_field(content, "body")
        client_id = _uuid_field(content, "client_id")
        reply_to = _int_field(content, "reply_to", nullable=True)
        frame = await self._call(_do_send, self.user, room_id, thread_id, body, client_id, reply_to)
        # The sender's acknowledgement, sent directly so it arrives even when the
        # layer drops the broadcast; the broadcast copy is then skipped (same id).
        self._remember(frame["message"]["id"])
        await self.send_json(frame)

    async def _history(self, content: dict[str, Any]) -> None:
        room_id = _uuid_field(content, "room")
        thread_id = _uuid_field(content, "thread", nullable=True)
        before = _int_field(content, "before", nullable=True)
        messages, has_more = await self._call(_history, self.user, room_id, thread_id, before)
        await self.send_json(
            {
                "type": "history",
                "room": room_id,
                "thread": thread_id,
                "messages": messages,
                "has_more": has_more,
            }
        )

    async def _resync(self, content: dict[str, Any]) -> None:
        room_id = _uuid_field(content, "room")
        after = _int_field(content, "after")
        messages, has_more = await self._call(_after, self.user, room_id, after)
        # Anything this socket already received live is left out: nothing doubled.
        fresh = [m for m in messages if m["id"] not in self.delivered]
        for message in fresh:
            self._remember(message["id"])
        await self.send_json(
            {
                "type": "resync",
                "room": room_id,
                "after": after,
                "messages": fresh,
                "has_more": has_more,
            }
        )

    async def _typing(self, content: dict[str, Any]) -> None:
        room_id = _required_uuid(content, "room")
        now = time.monotonic()
        if now - self.typing_sent.get(room_id, -TYPING_INTERVAL) < TYPING_INTERVAL:
            return  # throttled silently: the others already know
        await self._access(room_id, "write")
        self.typing_sent[room_id] = now
        await self._publish(room_id, TypingEvent(room=room_id, user=self.brief))

    async def _read(self, content: dict[str, Any]) -> None:
        thread_id = _uuid_field(content, "thread")
        up_to = _int_field(content, "up_to")
        # The new count comes back as an `unread` event on the person's own group,
        # so every tab of theirs updates.
        await self._call(_do_mark_read, self.user, thread_id, up_to)

    async def _react(self, content: dict[str, Any]) -> None:
        message_id = _int_field(content, "message")
        emoji = _str_field(content, "emoji")
        add = _bool_field(content, "add", True)
        await self._call(_do_react, self.user, message_id, emoji, add)

    async def _edit(self, content: dict[str, Any]) -> None:
        message_id = _int_field(content, "message")
        body = _str_field(content, "body")
        await self._call(_do_edit, self.user, message_id, body)

    async def _delete(self, content: dict[str, Any]) -> None:
        message_id = _int_field(content, "message")
        await self._call(_do_delete, self.user, message_id)

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return await database_sync_to_async(function)(*args)
        except (Http404, PermissionDenied, ValidationError) as exc:
            raise _domain_error(exc) from exc

    async def _access(self, room_id: str, ability: str) -> None:
        abilities = await self._call(_room_abilities, self.user, room_id)
        if not abilities["read"]:
            raise _not_found()  # checked first: a hidden room never answers `forbidden`
        if not abilities[ability]:
            raise FrameError("forbidden", gettext("You are not allowed to do this here."))

    HANDLERS: dict[str, Callable[[AgoraConsumer, dict[str, Any]], Awaitable[None]]] = {
        "ping": _ping,
        "subscribe": _subscribe,
        "unsubscribe": _unsubscribe,
        "message.send": _send_message,
        "history": _history,
        "resync": _resync,
        "typing": _typing,
        "read": _read,
        "react": _react,
        "edit": _edit,
        "delete": _delete,
    }

    # --- Events from the channel layer -------------------------------------------

    async def event_relay(self, message: dict[str, Any]) -> None:
        event = message.get("event")
        if not isinstance(event, dict):
            return
        try:
            await self._relay(event)
        except Exception:
            logger.exception("relaying %s failed", event.get("type"))

    async def _relay(self, event: dict[str, Any]) -> None:
        if not await self._check_roles():
            return
        room_id = event.get("room")
        kind = event.get("type")
        if kind == "room.access_changed":
            if isinstance(room_id, str):
                readable = await self._may_read(room_id)
                if readable:
                    await self._join_readers(room_id)
                else:
                    await self._leave_readers(room_id)
                if room_id in self.subscriptions:
                    await self._recheck(room_id, force=True)
            return
        if kind == "unread.bump":
            if event.get("author") == self.brief["id"] or not isinstance(room_id, str):
                return  # one's own message is not unread
            if await self._still_reader(room_id):
                await self.send_json(event)
            return
        if kind and kind.startswith("library."):
            # Checked at once for this person: never news of a document they may not read.
            if await self._may_read_document(event.get("document")):
                await self.send_json(event)
            return
        if kind == "notification":
            # Checked at once, whatever the cache: never news of a room one may not read.
            if isinstance(room_id, str) and await self._may_read(room_id):
                await self.send_json(event)
            return
        if isinstance(room_id, str) and room_id in self.subscriptions:
            if not await self._recheck(room_id):
                return
        elif kind != "unread":
            return  # a room event after unsubscribing: drop it
        if kind == "typing" and event["user"]["id"] == self.brief["id"]:
            return  # one's own typing is not news
        if kind == "presence":
            others = [u for u in event["users"] if u["id"] != self.brief["id"]]
            if not others:
                return  # nor is one's own arrival
            event = {**event, "users": others}
        if kind == "message":
            if event["message"]["id"] in self.delivered:
                return  # already sent (the sender's own acknowledgement, or a resync)
            self._remember(event["message"]["id"])
        await self.send_json(event)

    def _remember(self, message_id: int) -> None:
        self.delivered.add(message_id)
        self.delivered_order.append(message_id)
        if len(self.delivered_order) > DELIVERED_MEMORY:
            self.delivered.discard(self.delivered_order.popleft())

    async def _still_reader(self, room_id: str) -> bool:
        """Like ``_recheck`` for the readers group: leave it once the room is unreadable."""
        checked = self.reader_of.get(room_id)
        if checked is None:
            return False
        ttl = ABILITY_TTL * random.uniform(0.5, 1.5)  # noqa: S311 - spreading load, not security
        if time.monotonic() - checked < ttl:
            return True
        if await self._may_read(room_id):
            self.reader_of[room_id] = time.monotonic()
            return True
        await self._leave_readers(room_id)
        return False

    async def _may_read(self, room_id: str) -> bool:
        return bool((await database_sync_to_async(_room_abilities)(self.user, room_id))["read"])

    async def _recheck(self, room_id: str, *, force: bool = False) -> bool:
        """Is the socket's person still allowed in the room? Unsubscribe them if not."""
        checked = self.subscriptions[room_id]
        ttl = ABILITY_TTL * random.uniform(0.5, 1.5)  # noqa: S311 - spreading load, not security
        if not force and time.monotonic() - checked < ttl:
            return True
        if (await database_sync_to_async(_room_abilities)(self.user, room_id))["read"]:
            self.subscriptions[room_id] = time.monotonic()
            return True
        await self._leave_room(room_id)
        await self._leave_readers(room_id)
        await self.send_json({"type": "unsubscribed", "room": room_id, "reason": "access_ended"})
        return False

    async def session_close(self, event: dict[str, Any]) -> None:
        await self.close(code=int(event.get("code", CLOSE_LOGGED_OUT)))

    async def roles_changed(self, message: dict[str, Any]) -> None:
        """The person's roles changed (realtime.bus.recheck_user_sockets): re-check now."""
        if await self._reload_user() is not None:
            await self._recheck_all()

    async def _check_roles(self) -> bool:
        """Reload the person when their copy is old; False once the socket is closed."""
        if not self._roles_stale():
            return True
        changed = await self._reload_user()
        if changed is None:
            return False
        if changed:
            await self._recheck_all()
        return True

    async def _recheck_all(self) -> None:
        """After a change of roles: leave every room, readers group and library audience
        the person no longer reads (a gained room is found on the next connection)."""
        for room_id in list(self.subscriptions):
            await self._recheck(room_id, force=True)
        for room_id in list(self.reader_of):
            if await self._may_read(room_id):
                self.reader_of[room_id] = time.monotonic()
            else:
                await self._leave_readers(room_id)
        wanted = {library_group(a) for a in await self._library_audiences(self.user)}
        held = {g for g in self.groups_joined if g.startswith(library_group(""))}
        for group in held - wanted:
            await self.channel_layer.group_discard(group, self.channel_name)
            self.groups_joined.remove(group)
        for group in sorted(wanted - held):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)


# --- Calls into the domain (run in the database thread) ---------------------------
# Each loads the objects through the forums access helpers (404 when unreadable)
# and lets forums.actions check everything else.


def _room_abilities(user: Any, room_id: str) -> dict[str, bool]:
    from forums.models import NO_ABILITIES, Room

    room = Room.objects.select_related("subgroup").filter(pk=room_id).first()
    return dict(NO_ABILITIES) if room is None else room.get_abilities(user)


def _room_and_thread(user: Any, room_id: Any, thread_id: str | None) -> tuple[Any, Any]:
    from forums.access import access_room, access_thread

    room = access_room(user, room_id)
    thread = None
    if thread_id is not None:
        thread = access_thread(user, thread_id)
        if thread.room_id != room.pk:
            raise Http404
    return room, thread


def _do_send(
    user: Any,
    room_id: str,
    thread_id: str | None,
    body: str,
    client_id: str,
    reply_to_id: int | None,
) -> dict[str, Any]:
    from forums.actions import do_send_message
    from forums.models import Message, Room, Thread
    from forums.queries import serialize_message

    # The hot path: do_send_message checks read and write itself, so the objects are
    # only loaded here (a missing one and an unreadable one both end in Http404).
    room = Room.objects.select_related("subgroup").filter(pk=room_id).first()
    if room is None:
        raise Http404
    thread = None
    if thread_id is not None:
        thread = Thread.objects.filter(pk=thread_id, room=room).first()
        if thread is None:
            raise Http404
    reply_to = None
    if reply_to_id is not None:
        reply_to = Message.objects.filter(pk=reply_to_id, room=room).first()
        if reply_to is None:
            raise Http404
    message, _created = do_send_message(
        user, room, body=body, client_id=client_id, thread=thread, reply_to=reply_to
    )
    return MessageEvent(room=str(room.pk), message=serialize_message(message, user)).to_dict()


def _history(
    user: Any, room_id: str, thread_id: str | None, before: int | None
) -> tuple[list[dict[str, Any]], bool]:
    from forums.queries import history, serialize_message

    room, thread = _room_and_thread(user, room_id, thread_id)
    page = history(user, room, thread=thread, before=before, limit=HISTORY_PAGE + 1)
    has_more = len(page) > HISTORY_PAGE
    if has_more:
        page = page[1:]  # oldest first: the extra one is the oldest
    moderate = _moderates(room, user)
    return [serialize_message(m, user, moderate=moderate) for m in page], has_more


def _after(user: Any, room_id: str, after: int) -> tuple[list[dict[str, Any]], bool]:
    from forums.queries import messages_after, serialize_message

    room, _thread = _room_and_thread(user, room_id, None)
    page = messages_after(user, room, after=after, limit=RESYNC_PAGE + 1)
    has_more = len(page) > RESYNC_PAGE
    moderate = _moderates(room, user)
    return [serialize_message(m, user, moderate=moderate) for m in page[:RESYNC_PAGE]], has_more


def _moderates(room: Any, user: Any) -> bool:
    return bool(room.get_abilities(user)["moderate"])


def _do_mark_read(user: Any, thread_id: str, up_to: int) -> int:
    from forums.access import access_thread
    from forums.actions import do_mark_read

    return do_mark_read(user, access_thread(user, thread_id), up_to_id=up_to)


def _do_react(user: Any, message_id: int, emoji: str, add: bool) -> None:
    from forums.access import access_message
    from forums.actions import do_react

    do_react(user, access_message(user, message_id), emoji=emoji, add=add)


def _do_edit(user: Any, message_id: int, body: str) -> None:
    from forums.access import access_message
    from forums.actions import do_edit_message

    do_edit_message(user, access_message(user, message_id), body=body)


def _do_delete(user: Any, message_id: int) -> None:
    from forums.access import access_message
    from forums.actions import do_delete_message

    do_delete_message(user, access_message(user, message_id))
