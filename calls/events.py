"""The typed events of live calls (docs/protocol.md, « Calls »)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar, Literal

from realtime.events import Event


def call_group(room_id: object, call_id: object = None) -> str:
    """Every socket watching the call of this room (its page is open, or it is in the call).

    A breakout call with a label (an ad-hoc group in the plenary's room) has its own group
    (``call_id``), joined only by the sockets in it.
    """
    return f"call.{room_id}" if call_id is None else f"call.{room_id}.{call_id}"


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


@dataclasses.dataclass(frozen=True)
class CallBreakoutEvent(Event):
    """Sent to the socket of one person sent into a breakout: the call to join
    (``target_room``, ``target_call``, ``label`` for an ad-hoc group) until ``ends_at``
    (ISO 8601); ``room`` and ``call`` are the plenary's, where they come back."""

    type: ClassVar[Literal["call.breakout"]] = "call.breakout"
    room: str
    call: str
    target_room: str
    target_call: str
    label: str
    ends_at: str


@dataclasses.dataclass(frozen=True)
class CallBreakoutsEvent(Event):
    """To the plenary: breakouts started until ``ends_at``; ``groups``: ``{"label",
    "room", "call", "count"}`` (``label`` empty for a subgroup's room); ``stayed``: how
    many people stayed in the plenary."""

    type: ClassVar[Literal["call.breakouts"]] = "call.breakouts"
    room: str
    call: str
    ends_at: str
    groups: list[dict[str, Any]]
    stayed: int


@dataclasses.dataclass(frozen=True)
class CallBroadcastEvent(Event):
    """A facilitator's message to the plenary and every breakout (plain text, shown as
    text): ``call`` is the call it is shown in, ``parent`` the plenary call."""

    type: ClassVar[Literal["call.broadcast"]] = "call.broadcast"
    room: str
    call: str
    parent: str
    text: str
    by: str
    by_name: str


@dataclasses.dataclass(frozen=True)
class CallRecallEvent(Event):
    """Everyone back to the plenary: ``call`` (in ``room``) is the breakout that ends (or
    the plenary itself), ``parent_room`` and ``parent`` the plenary call to join again;
    ``reason``: "recall" (a facilitator) or "time" (the countdown ended)."""

    type: ClassVar[Literal["call.recall"]] = "call.recall"
    room: str
    call: str
    parent_room: str
    parent: str
    reason: str
