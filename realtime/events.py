"""The typed events domain code publishes to open websockets (see docs/protocol.md)."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

# Each event is sent to the browser as ``to_dict()``: its fields plus ``type``.
# Ids are strings for UUIDs (rooms, threads, users) and integers for messages,
# which double as resync cursors.


@dataclasses.dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclasses.dataclass(frozen=True)
class MessageEvent(Event):
    """A new message (``message`` is ``forums.queries.serialize_message``)."""

    type: ClassVar[Literal["message"]] = "message"
    room: str
    message: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class MessageUpdatedEvent(Event):
    """A message was edited, deleted or hidden; ``message`` is its new state."""

    type: ClassVar[Literal["message.updated"]] = "message.updated"
    room: str
    message: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ReactionEvent(Event):
    type: ClassVar[Literal["reaction"]] = "reaction"
    room: str
    message: int
    reactions: dict[str, int]


@dataclasses.dataclass(frozen=True)
class TypingEvent(Event):
    """Someone is typing; relayed, never stored."""

    type: ClassVar[Literal["typing"]] = "typing"
    room: str
    user: dict[str, str]


@dataclasses.dataclass(frozen=True)
class PresenceEvent(Event):
    """Who has the room open, or a change of it (``online`` false: that person left)."""

    type: ClassVar[Literal["presence"]] = "presence"
    room: str
    users: list[dict[str, str]]
    online: bool = True


@dataclasses.dataclass(frozen=True)
class UnreadEvent(Event):
    """The new unread count of one room for one person (sent to that person only)."""

    type: ClassVar[Literal["unread"]] = "unread"
    room: str
    unread: int


@dataclasses.dataclass(frozen=True)
class UnreadBumpEvent(Event):
    """One more unread message in a room, for every socket that may read it but its author's.

    Published once to ``realtime.bus.readers_group`` (not per person): the client adds
    one to the room's count; the next ``hello`` or ``unread`` gives the exact figure.
    """

    type: ClassVar[Literal["unread.bump"]] = "unread.bump"
    room: str
    message: int
    author: str


@dataclasses.dataclass(frozen=True)
class NotificationEvent(Event):
    """A mention or a direct message, for one person; ``text`` never carries the message."""

    type: ClassVar[Literal["notification"]] = "notification"
    kind: str  # "mention" | "direct" | …
    room: str
    message: int
    text: str


@dataclasses.dataclass(frozen=True)
class RoomAccessChangedEvent(Event):
    """Someone's access to a room changed: their sockets re-check it at once.

    Sent to that person's user group (``realtime.bus.user_group``), or to the
    room group when it concerns everyone in it (``room`` archived, deleted…).
    """

    type: ClassVar[Literal["room.access_changed"]] = "room.access_changed"
    room: str


@dataclasses.dataclass(frozen=True)
class LibraryDocumentPublishedEvent(Event):
    """A document of the library was just published (``documents.actions``).

    Sent to ``realtime.bus.library_group(audience)`` of the document's audience only;
    the consumer checks again that the person may read ``document`` before relaying
    it. ``url`` is the document's page; ``kind`` a ``documents.models.DocumentKind``.
    """

    type: ClassVar[Literal["library.published"]] = "library.published"
    document: str
    title: str
    kind: str
    url: str
    mandates: list[str]


@dataclasses.dataclass(frozen=True)
class LibraryNotificationEvent(Event):
    """A document was published for a mandate this person follows (their user group only).

    Checked like ``library.published`` by the consumer; ``text`` names the document
    and the mandate, nothing more.
    """

    type: ClassVar[Literal["library.notification"]] = "library.notification"
    document: str
    url: str
    text: str


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        MessageEvent,
        MessageUpdatedEvent,
        ReactionEvent,
        TypingEvent,
        PresenceEvent,
        UnreadEvent,
        UnreadBumpEvent,
        NotificationEvent,
        RoomAccessChangedEvent,
        LibraryDocumentPublishedEvent,
        LibraryNotificationEvent,
    )
}


def _matches(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if origin is dict:
        key_hint, value_hint = get_args(hint)
        return isinstance(value, dict) and all(
            _matches(k, key_hint) and _matches(v, value_hint) for k, v in value.items()
        )
    if origin is list:
        (item_hint,) = get_args(hint)
        return isinstance(value, list) and all(_matches(v, item_hint) for v in value)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return False


def check_event(data: dict[str, Any]) -> type[Event]:
    """Raise ``ValueError`` unless ``data`` is exactly what its event type declares.

    Tests run every event that reaches a socket through this, so a publisher
    cannot drift from the schema the browser client relies on.
    """
    cls = EVENT_TYPES.get(data.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown event type {data.get('type')!r}")
    hints = {
        name: hint
        for name, hint in get_type_hints(cls, globalns=vars(typing) | globals()).items()
        if name != "type"
    }
    if set(data) - {"type"} != set(hints):
        raise ValueError(f"{cls.type}: fields {sorted(data)} != {sorted(hints)}")
    for name, hint in hints.items():
        if not _matches(data[name], hint):
            raise ValueError(f"{cls.type}.{name}: {data[name]!r} is not {hint}")
    return cls
