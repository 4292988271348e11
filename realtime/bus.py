"""The event bus: the only way domain code reaches open websockets."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections import deque
from typing import TYPE_CHECKING, Any

from asgiref.sync import SyncToAsync, async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

if TYPE_CHECKING:
    from realtime.events import Event

logger = logging.getLogger(__name__)

# Close codes the browser sees (4000-4999 are free for applications).
CLOSE_LOGGED_OUT = 4001  # this session logged out: do not reconnect
CLOSE_CREDENTIALS_CHANGED = 4002  # password changed: reconnect, the session may still be valid
CLOSE_ACCESS_ENDED = 4003  # account ended, erased or roles removed: do not reconnect


def session_group(session_key: str) -> str:
    # Hashed so the session key itself never travels through the channel layer.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_group(user_id: object) -> str:
    return f"user.{user_id}"


def _serving_loop() -> asyncio.AbstractEventLoop | None:
    """The server's event loop when this runs in one of its database threads (a consumer's
    ``database_sync_to_async``, an ASGI view), else None (worker, commands, sync tests).
    asgiref records it there for ``async_to_sync``; read the same way."""
    local = SyncToAsync.threadlocal
    if getattr(local, "main_event_loop_pid", None) != os.getpid():
        return None
    loop: asyncio.AbstractEventLoop | None = getattr(local, "main_event_loop", None)
    return loop if loop is not None and loop.is_running() else None


class _Publisher:
    """Hands a server loop's group sends over in order, one at a time.

    A database thread that publishes does not wait for the delivery: with
    ``async_to_sync`` it stood blocked until the loop had queued the event to every
    member, and the next message's write (of any socket of the process: the database
    thread is one) waited behind it (issue 18, docs/performance.md).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: deque[tuple[Any, str, dict[str, Any]]] = deque()
        self.task: asyncio.Task[None] | None = None

    def put(self, layer: Any, group: str, message: dict[str, Any]) -> None:
        """On the loop (call_soon_threadsafe): queue one send, start draining."""
        self.pending.append((layer, group, message))
        if self.task is None:
            self.task = self.loop.create_task(self._drain())

    async def _drain(self) -> None:
        try:
            while self.pending:
                layer, group, message = self.pending.popleft()
                try:
                    await layer.group_send(group, message)
                except Exception:
                    # An event is a hint (clients resync): log it, keep the others going.
                    logger.exception("publishing %s failed", message.get("type"))
        finally:
            self.task = None


_publishers: dict[asyncio.AbstractEventLoop, _Publisher] = {}


def _publish_from_thread(loop: asyncio.AbstractEventLoop, layer: Any, group: str,
                         message: dict[str, Any]) -> None:
    publisher = _publishers.get(loop)
    if publisher is None:
        for old in [known for known in _publishers if known.is_closed()]:
            del _publishers[old]
        publisher = _publishers.setdefault(loop, _Publisher(loop))
    loop.call_soon_threadsafe(publisher.put, layer, group, message)


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = _serving_loop()
    if loop is not None:
        _publish_from_thread(loop, layer, group, message)
    else:
        async_to_sync(layer.group_send)(group, message)


def send_on_commit(group: str, message: dict[str, Any]) -> None:
    """Publish once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: _send(group, message))


def close_session_sockets(session_key: str) -> None:
    """Close every websocket opened with this session (logout)."""
    _send(session_group(session_key), {"type": "session.close", "code": CLOSE_LOGGED_OUT})


def close_user_sockets(user_id: object, *, code: int = CLOSE_ACCESS_ENDED) -> None:
    """Close every websocket of this person (account ended, erased, roles removed)."""
    from realtime.hub import forget_person

    send_on_commit(user_group(user_id), {"type": "session.close", "code": code})
    transaction.on_commit(lambda: forget_person(user_id))


def recheck_user_sockets(user_id: object) -> None:
    """This person's roles changed: each of their open sockets, in every process, reloads
    the person and drops what they may no longer read or write (after commit)."""
    send_on_commit(user_group(user_id), {"type": "roles.changed"})


def send_event_on_commit(event: Event, groups: list[str]) -> None:
    """Publish a typed event to these groups once the current transaction commits.

    The layer may drop messages (capacity, expiry, a Redis restart): an event is
    a hint that something stored changed, never the only copy. Clients resync
    from the database (``resync`` frame) after any gap.
    """
    message = {"type": "event.relay", "event": event.to_dict()}
    targets = list(dict.fromkeys(groups))

    def publish() -> None:
        for group in targets:
            _send(group, message)

    transaction.on_commit(publish)
