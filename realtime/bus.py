"""The event bus: the only way domain code reaches open websockets."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

if TYPE_CHECKING:
    from realtime.events import Event

# Close codes the browser sees (4000-4999 are free for applications).
CLOSE_LOGGED_OUT = 4001  # this session logged out: do not reconnect
CLOSE_CREDENTIALS_CHANGED = 4002  # password changed: reconnect, the session may still be valid
CLOSE_ACCESS_ENDED = 4003  # account ended, erased or roles removed: do not reconnect


def session_group(session_key: str) -> str:
    # Hashed so the session key itself never travels through the channel layer.
    return "session." + hashlib.sha256(session_key.encode()).hexdigest()[:40]


def user_group(user_id: object) -> str:
    return f"user.{user_id}"


def _send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
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
