"""The conversations on the /ws/ socket: rooms followed, messages, typing, presence, unread
counts and notifications. A live feature of ``realtime.hub`` (registered in ForumsConfig).

Reading is checked on subscribe and re-checked when relaying (``ABILITY_TTL``, and at once
on ``room.access_changed`` or a change of roles); writing goes through ``forums.actions``,
which checks everything itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import weakref
from collections import deque
from typing import Any

from asgiref.sync import sync_to_async
from django.http import Http404

from forums.events import MessageEvent, PresenceEvent, TypingEvent, readers_group, room_group
from realtime.frames import (
    bool_field,
    forbidden,
    int_field,
    not_found,
    required_int,
    required_uuid,
    str_field,
    uuid_field,
)
from realtime.hub import LiveFeature, forget_person

logger = logging.getLogger(__name__)

TYPING_INTERVAL = 3.0  # seconds between two typing relays per socket and room
HISTORY_PAGE = 50
RESYNC_PAGE = 200
# Read ability is re-checked when relaying an event if older than this (jittered so
# the sockets of one room do not all query at the same instant). Removal from a room
# is immediate through `room.access_changed` (and roles removed re-check at once);
# this only bounds a missed notification. A check costs ~5 queries on the one
# database thread of the process: at 10 s, a 110-person plenary spent seconds per
# 10 s on it in bench/chat_fanout.py and messages queued behind.
ABILITY_TTL = 60.0
DELIVERED_MEMORY = 2000  # message ids remembered per socket to never send one twice
PRESENCE_DELAY = 0.5  # seconds: arrivals and departures are announced in batches
CONNECTED_REFRESH = 60.0  # forums.notifications forgets a connection after 120 s


class Presence:
    """Who has which room open in this process, and how many sockets each person holds
    (so that closing one tab does not mark a person still here in another as away: email
    notifications depend on it). One per process, kept by the hub. Other processes
    announce their arrivals and departures through `presence` events."""

    def __init__(self) -> None:
        # room id -> channel name -> {"id", "name"}
        self.rooms: dict[str, dict[str, dict[str, str]]] = {}
        # person id -> open sockets
        self.sockets: dict[str, int] = {}

    def enter(self, room_id: str, channel: str, brief: dict[str, str]) -> bool:
        """True when this person was not in the room yet (an arrival to announce)."""
        present = self.rooms.setdefault(room_id, {})
        first = all(u["id"] != brief["id"] for u in present.values())
        present[channel] = brief
        return first

    def leave(self, room_id: str, channel: str, brief: dict[str, str]) -> bool:
        """True when this person is no longer in the room (a departure to announce)."""
        present = self.rooms.get(room_id, {})
        present.pop(channel, None)
        if not present:
            self.rooms.pop(room_id, None)
        return all(u["id"] != brief["id"] for u in present.values())

    def here(self, room_id: str) -> list[dict[str, str]]:
        users = {u["id"]: u for u in self.rooms.get(room_id, {}).values()}
        return sorted(users.values(), key=lambda u: u["name"])

    def socket_opened(self, person: str) -> None:
        self.sockets[person] = self.sockets.get(person, 0) + 1

    def socket_closed(self, person: str) -> bool:
        """True when it was the person's last socket in this process."""
        left = self.sockets.get(person, 1) - 1
        if left <= 0:
            self.sockets.pop(person, None)
            return True
        self.sockets[person] = left
        return False


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


class Encodings:
    """The JSON text of the last events relayed in this process, by the event dict itself.

    The embedded default's layer (``realtime.layers.LocalChannelLayer``) hands every
    socket of a group the same dict: a plenary message is then encoded once, not once per
    reader (110 × ~2 KB). With Redis each socket has its own copy and this simply misses.
    """

    KEPT = 8

    def __init__(self) -> None:
        # id(event) -> (event, text); the event is held so its id is not reused meanwhile.
        self.texts: dict[int, tuple[dict[str, Any], str]] = {}

    def text(self, event: dict[str, Any]) -> str:
        kept = self.texts.get(id(event))
        if kept is not None and kept[0] is event:
            return kept[1]
        text = json.dumps(event)
        if len(self.texts) >= self.KEPT:
            del self.texts[next(iter(self.texts))]
        self.texts[id(event)] = (event, text)
        return text


class ChatFeature(LiveFeature):
    name = "chat"
    frames = {
        "subscribe": "subscribe",
        "unsubscribe": "unsubscribe",
        "message.send": "send_message",
        "history": "history",
        "resync": "resync",
        "typing": "typing",
        "read": "read",
        "react": "react",
        "edit": "edit",
        "delete": "delete",
    }
    events = (
        "message",
        "message.",
        "typing",
        "presence",
        "unread",
        "unread.bump",
        "notification",
        "room.",
        "thread.",
        "reaction",
    )

    def __init__(self, socket: Any) -> None:
        super().__init__(socket)
        self.subscriptions: dict[str, float] = {}  # room id -> when read ability was checked
        # room id -> when read ability was checked, for the rooms whose readers_group
        # (unread.bump) this socket joined, subscribed or not.
        self.reader_of: dict[str, float] = {}
        self.typing_sent: dict[str, float] = {}
        self.delivered: set[int] = set()
        self.delivered_order: deque[int] = deque()
        self.connected_marked = 0.0
        self.presence = socket.hub.state("forums.presence", Presence)
        self.encodings = socket.hub.state("forums.encodings", Encodings)
        self.counted = False

    @property
    def person(self) -> str:
        return str(self.socket.user.pk)

    @classmethod
    def access(cls, user: Any) -> list[dict[str, Any]]:
        return _readable_rooms(user)

    @classmethod
    def load(cls, user: Any, access: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return _with_unread(user, access)

    async def connect(self, loaded: list[dict[str, Any]]) -> dict[str, Any]:
        self.presence.socket_opened(self.person)
        self.counted = True
        await self._refresh_connected(force=True)
        # Every readable room's `unread.bump` events, subscribed or not (the room list).
        now = time.monotonic()
        await self.socket.join_all(readers_group(room["id"]) for room in loaded)
        self.reader_of.update((room["id"], now) for room in loaded)
        return {"rooms": loaded}

    async def disconnect(self) -> None:
        for room in list(self.subscriptions):
            await self._leave_room(room)
        if self.counted and self.presence.socket_closed(self.person):
            await sync_to_async(_mark_disconnected, thread_sensitive=False)(self.person)

    async def activity(self) -> None:
        await self._refresh_connected()

    async def _refresh_connected(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self.connected_marked > CONNECTED_REFRESH:
            self.connected_marked = now
            try:
                await sync_to_async(_mark_connected, thread_sensitive=False)(self.person)
            except Exception:
                # Only e-mail notifications depend on it: the socket carries on.
                logger.exception("could not mark %s connected", self.person)

    async def _join_readers(self, room_id: str) -> None:
        await self.socket.join(readers_group(room_id))
        self.reader_of[room_id] = time.monotonic()

    async def _leave_readers(self, room_id: str) -> None:
        if self.reader_of.pop(room_id, None) is not None:
            await self.socket.leave(readers_group(room_id))

    # --- Frames ------------------------------------------------------------------------

    async def subscribe(self, content: dict[str, Any]) -> None:
        room_id = required_uuid(content, "room")
        await self._access(room_id, "read")
        brief = self.socket.brief
        if room_id not in self.subscriptions:
            await self.socket.join(room_group(room_id))
            if self.presence.enter(room_id, self.socket.channel_name, brief):
                PresenceBatcher.of(self.socket.channel_layer).announce(room_id, brief, True)
        self.subscriptions[room_id] = time.monotonic()
        await self.socket.send_json(
            {"type": "subscribed", "room": room_id, "present": self.presence.here(room_id)}
        )

    async def unsubscribe(self, content: dict[str, Any]) -> None:
        room_id = required_uuid(content, "room")
        await self._leave_room(room_id)
        await self.socket.send_json({"type": "unsubscribed", "room": room_id})

    async def _leave_room(self, room_id: str) -> None:
        if self.subscriptions.pop(room_id, None) is None:
            return
        await self.socket.leave(room_group(room_id))
        brief = self.socket.brief
        if self.presence.leave(room_id, self.socket.channel_name, brief):
            PresenceBatcher.of(self.socket.channel_layer).announce(room_id, brief, False)

    async def send_message(self, content: dict[str, Any]) -> None:
        room_id = uuid_field(content, "room")
        thread_id = uuid_field(content, "thread", nullable=True)
        body = str_field(content, "body")
        client_id = uuid_field(content, "client_id")
        reply_to = int_field(content, "reply_to", nullable=True)
        frame = await self.socket.call(
            _do_send, self.socket.user, room_id, thread_id, body, client_id, reply_to
        )
        # The sender's acknowledgement, sent directly so it arrives even when the
        # layer drops the broadcast; the broadcast copy is then skipped (same id).
        self._remember(frame["message"]["id"])
        await self.socket.send_json(frame)

    async def history(self, content: dict[str, Any]) -> None:
        room_id = uuid_field(content, "room")
        thread_id = uuid_field(content, "thread", nullable=True)
        before = int_field(content, "before", nullable=True)
        messages, has_more = await self.socket.call(
            _history, self.socket.user, room_id, thread_id, before
        )
        await self.socket.send_json(
            {
                "type": "history",
                "room": room_id,
                "thread": thread_id,
                "messages": messages,
                "has_more": has_more,
            }
        )

    async def resync(self, content: dict[str, Any]) -> None:
        room_id = uuid_field(content, "room")
        after = required_int(content, "after")
        messages, has_more = await self.socket.call(_after, self.socket.user, room_id, after)
        # Anything this socket already received live is left out: nothing doubled.
        fresh = [m for m in messages if m["id"] not in self.delivered]
        for message in fresh:
            self._remember(message["id"])
        await self.socket.send_json(
            {
                "type": "resync",
                "room": room_id,
                "after": after,
                "messages": fresh,
                "has_more": has_more,
            }
        )

    async def typing(self, content: dict[str, Any]) -> None:
        room_id = required_uuid(content, "room")
        now = time.monotonic()
        if now - self.typing_sent.get(room_id, -TYPING_INTERVAL) < TYPING_INTERVAL:
            return  # throttled silently: the others already know
        await self._access(room_id, "write")
        self.typing_sent[room_id] = now
        # Ephemeral: never stored, straight to the layer.
        event = TypingEvent(room=room_id, user=self.socket.brief)
        await self.socket.channel_layer.group_send(
            room_group(room_id), {"type": "event.relay", "event": event.to_dict()}
        )

    async def read(self, content: dict[str, Any]) -> None:
        thread_id = uuid_field(content, "thread")
        up_to = required_int(content, "up_to")
        # The new count comes back as an `unread` event on the person's own group,
        # so every tab of theirs updates.
        await self.socket.call(_do_mark_read, self.socket.user, thread_id, up_to)

    async def react(self, content: dict[str, Any]) -> None:
        message_id = required_int(content, "message")
        emoji = str_field(content, "emoji")
        add = bool_field(content, "add", True)
        await self.socket.call(_do_react, self.socket.user, message_id, emoji, add)

    async def edit(self, content: dict[str, Any]) -> None:
        message_id = required_int(content, "message")
        body = str_field(content, "body")
        await self.socket.call(_do_edit, self.socket.user, message_id, body)

    async def delete(self, content: dict[str, Any]) -> None:
        message_id = required_int(content, "message")
        await self.socket.call(_do_delete, self.socket.user, message_id)

    async def _access(self, room_id: str, ability: str) -> None:
        abilities = await self.socket.call(_room_abilities, self.socket.user, room_id)
        if not abilities["read"]:
            raise not_found()  # checked first: a hidden room never answers `forbidden`
        if not abilities[ability]:
            raise forbidden()

    # --- Events ------------------------------------------------------------------------

    async def relay(self, event: dict[str, Any]) -> None:
        room_id = event.get("room")
        kind = event.get("type")
        me = self.socket.brief["id"]
        if kind == "room.access_changed":
            # The next connection reads the person's rooms again.
            forget_person(me, everywhere=False)
            if isinstance(room_id, str):
                if await self._may_read(room_id):
                    await self._join_readers(room_id)
                else:
                    await self._leave_readers(room_id)
                if room_id in self.subscriptions:
                    await self._recheck(room_id, force=True)
            return
        if kind == "unread.bump":
            if event.get("author") == me or not isinstance(room_id, str):
                return  # one's own message is not unread
            if room_id in self.subscriptions:
                # The room is open on this socket: its `message` is the news (the room list,
                # which counts bumps, subscribes to nothing). A plenary's sockets all have it
                # open: half the frames of each message (issue 18).
                return
            if await self._still_reader(room_id):
                await self.socket.send_json(event)
            return
        if kind == "notification":
            # Checked at once, whatever the cache: never news of a room one may not read.
            if isinstance(room_id, str) and await self._may_read(room_id):
                await self.socket.send_json(event)
            return
        if isinstance(room_id, str) and room_id in self.subscriptions:
            if not await self._recheck(room_id):
                return
        elif kind != "unread":
            return  # a room event after unsubscribing: drop it
        if kind == "typing" and event["user"]["id"] == me:
            return  # one's own typing is not news
        if kind == "presence":
            others = [u for u in event["users"] if u["id"] != me]
            if not others:
                return  # nor is one's own arrival
            event = {**event, "users": others}
        if kind == "message":
            if event["message"]["id"] in self.delivered:
                return  # already sent (the sender's own acknowledgement, or a resync)
            self._remember(event["message"]["id"])
            await self.socket.send(text_data=self.encodings.text(event))
            return
        await self.socket.send_json(event)

    async def roles_changed(self) -> None:
        """Leave every room and readers group the person no longer reads (a gained room
        is found on the next connection)."""
        for room_id in list(self.subscriptions):
            await self._recheck(room_id, force=True)
        for room_id in list(self.reader_of):
            if await self._may_read(room_id):
                self.reader_of[room_id] = time.monotonic()
            else:
                await self._leave_readers(room_id)

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
        abilities = await self.socket.call(_room_abilities, self.socket.user, room_id)
        return bool(abilities["read"])

    async def _recheck(self, room_id: str, *, force: bool = False) -> bool:
        """Is the socket's person still allowed in the room? Unsubscribe them if not."""
        checked = self.subscriptions[room_id]
        ttl = ABILITY_TTL * random.uniform(0.5, 1.5)  # noqa: S311 - spreading load, not security
        if not force and time.monotonic() - checked < ttl:
            return True
        if await self._may_read(room_id):
            self.subscriptions[room_id] = time.monotonic()
            return True
        await self._leave_room(room_id)
        await self._leave_readers(room_id)
        await self.socket.send_json(
            {"type": "unsubscribed", "room": room_id, "reason": "access_ended"}
        )
        return False


# --- Calls into the domain (run in the database thread) ---------------------------
# Each loads the objects through the access helpers (404 when unreadable) and lets
# forums.actions check everything else.


def _mark_connected(user_id: str) -> None:
    from forums.notifications import mark_connected

    mark_connected(user_id)


def _mark_disconnected(user_id: str) -> None:
    from forums.notifications import mark_disconnected

    mark_disconnected(user_id)


def _readable_rooms(user: Any) -> list[dict[str, Any]]:
    """The rooms of ``hello`` without their counts (kept per person by the hub)."""
    from forums.access import readable_rooms
    from forums.queries import room_summary

    return [room_summary(room, user, 0) for room in readable_rooms(user)]


def _with_unread(user: Any, rooms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rooms with their unread counts now (one query, whatever the number of rooms)."""
    from forums.models import Room
    from forums.queries import unread_counts

    unread = unread_counts(user, [Room(pk=room["id"]) for room in rooms])
    return [{**room, "unread": unread.get(room["id"], 0)} for room in rooms]


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
    moderate = bool(room.get_abilities(user)["moderate"])
    return [serialize_message(m, user, moderate=moderate) for m in page], has_more


def _after(user: Any, room_id: str, after: int) -> tuple[list[dict[str, Any]], bool]:
    from forums.queries import messages_after, serialize_message

    room, _thread = _room_and_thread(user, room_id, None)
    page = messages_after(user, room, after=after, limit=RESYNC_PAGE + 1)
    has_more = len(page) > RESYNC_PAGE
    moderate = bool(room.get_abilities(user)["moderate"])
    return [serialize_message(m, user, moderate=moderate) for m in page[:RESYNC_PAGE]], has_more


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
