"""The votes' events on open /ws/ sockets (docs/protocol.md, « Votes »), relayed by
``decisions.realtime.VoteFeature`` to the sockets that watch the vote. They say how many
voted, never what, until the vote is closed."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from realtime.events import Event


def vote_group(vote_id: object) -> str:
    return f"vote.{vote_id}"


@dataclasses.dataclass(frozen=True)
class VoteCountEvent(Event):
    """One more person voted: how many of how many."""

    type: ClassVar[Literal["vote.count"]] = "vote.count"
    vote: str
    voted: int
    eligible: int


@dataclasses.dataclass(frozen=True)
class VoteOpenedEvent(Event):
    """The vote opened: pages reload to show the ballot to those who may vote."""

    type: ClassVar[Literal["vote.opened"]] = "vote.opened"
    vote: str
    eligible: int


@dataclasses.dataclass(frozen=True)
class VoteClosedEvent(Event):
    """The vote closed: its result, rendered once by the server (decisions/_results.html)."""

    type: ClassVar[Literal["vote.closed"]] = "vote.closed"
    vote: str
    voted: int
    eligible: int
    html: str
