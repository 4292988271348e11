"""The notification centre's events on open websockets (docs/protocol.md, « inbox.* »);
relayed by ``notifications.realtime.InboxFeature`` to the recipient's own sockets."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from realtime.events import Event


@dataclasses.dataclass(frozen=True)
class InboxNewEvent(Event):
    """A notification for this person (their user group only): its sentence, its link and
    the new number of unread ones. The sentence never carries what was said."""

    type: ClassVar[Literal["inbox.new"]] = "inbox.new"
    notification: str
    kind: str
    text: str
    url: str
    unread: int


@dataclasses.dataclass(frozen=True)
class InboxCountEvent(Event):
    """The number of unread notifications changed (read in another tab, all marked read)."""

    type: ClassVar[Literal["inbox.count"]] = "inbox.count"
    unread: int
