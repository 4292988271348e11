"""The typed events of live calls (docs/protocol.md, « Calls »)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

from realtime.events import Event


def call_group(room_id: object) -> str:
    """Every socket watching the call of this room (its page is open, or it is in the call)."""
    return f"call.{room_id}"


@dataclasses.dataclass(frozen=True)
class CallStateEvent(Event):
    """Who is in the call now, who may speak, the raised hands in order.

    ``participants``: ``{"id", "name", "may_speak", "hand"}`` (``hand``: when the hand was
    raised, ISO 8601, or None); ``hands``: the ids of the raised hands, first raised first.
    ``live`` false: there is no call in the room (it ended).
    """

    type: ClassVar[Literal["call.state"]] = "call.state"
    room: str
    call: str | None
    mode: str
    live: bool
    participants: list[dict[str, Any]]
    hands: list[str]


@dataclasses.dataclass(frozen=True)
class CallLiveEvent(Event):
    """For the room lists: a call started, changed size or ended in a room one reads."""

    type: ClassVar[Literal["call.live"]] = "call.live"
    room: str
    live: bool
    count: int


@dataclasses.dataclass(frozen=True)
class CallSignalEvent(Event):
    """WebRTC negotiation from one participant to another (mesh): ``sdp`` or ``candidate``."""

    type: ClassVar[Literal["call.signal"]] = "call.signal"
    call: str
    sender: str
    to: str
    sdp: dict[str, Any] | None
    candidate: dict[str, Any] | None


@dataclasses.dataclass(frozen=True)
class CallMutedEvent(Event):
    """A facilitator muted one participant (``user``) or everyone but themselves (None)."""

    type: ClassVar[Literal["call.muted"]] = "call.muted"
    room: str
    call: str
    user: str | None
    by: str


@dataclasses.dataclass(frozen=True)
class CallEndedEvent(Event):
    """The call ended (a facilitator ended it for all, or the last person left)."""

    type: ClassVar[Literal["call.ended"]] = "call.ended"
    room: str
    call: str


@dataclasses.dataclass(frozen=True)
class CallLeftEvent(Event):
    """Sent to one socket: it is no longer in the call (``reason``: "elsewhere" when the
    person joined from another tab, "timeout" after a silent heartbeat)."""

    type: ClassVar[Literal["call.left"]] = "call.left"
    room: str
    call: str
    reason: str
