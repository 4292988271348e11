"""The conversations' events on open websockets (docs/protocol.md); relayed by
``forums.realtime.ChatFeature``."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

from realtime.events import Event


def room_group(room_id: object) -> str:
    """Every socket subscribed to this room."""
    return f"room.{room_id}"


def readers_group(room_id: object) -> str:
    """Every socket whose person may read this room, subscribed or not (unread counts)."""
    return f"readers.{room_id}"


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
class TranscriptProgressEvent(Event):
    """The automatic transcript of a voice message started or moved on (``progress`` in
    percent, 0 when the backend does not tell); its end comes as ``message.updated``."""

    type: ClassVar[Literal["transcript.progress"]] = "transcript.progress"
    room: str
    message: int
    attachment: str
    status: str  # forums.models.TranscriptStatus: "running"
    progress: int


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
