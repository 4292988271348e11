"""The votes' frames on /ws/ (docs/protocol.md, « Votes »): watch a vote's live count and
receive its result when it closes. Transport only: ``decisions.actions`` does the rest."""

from __future__ import annotations

from typing import Any

from decisions.events import vote_group
from realtime.frames import required_uuid
from realtime.hub import LiveFeature


def _state(user: Any, vote_id: str) -> dict[str, Any]:
    from decisions.actions import access_vote, results_html
    from decisions.models import Participation, VoteStatus

    vote = access_vote(user, vote_id)
    closed = vote.status == VoteStatus.CLOSED
    return {
        "type": "vote.state",
        "vote": str(vote.pk),
        "status": vote.status,
        "voted": Participation.objects.filter(vote=vote).count(),
        "eligible": vote.eligible_count,
        "html": results_html(vote) if closed else "",
    }


def _still_readable(user: Any, vote_ids: list[str]) -> list[str]:
    from decisions.models import Vote

    return [
        str(v.pk) for v in Vote.objects.filter(pk__in=vote_ids) if v.get_abilities(user)["read"]
    ]


class VoteFeature(LiveFeature):
    name = "votes"
    frames = {"vote.watch": "watch", "vote.unwatch": "unwatch"}
    events = ("vote.",)

    def __init__(self, socket: Any) -> None:
        super().__init__(socket)
        self.watching: set[str] = set()

    async def watch(self, content: dict[str, Any]) -> None:
        vote_id = required_uuid(content, "vote")
        state = await self.socket.call(_state, self.socket.user, vote_id)
        if vote_id not in self.watching:
            await self.socket.join(vote_group(vote_id))
            self.watching.add(vote_id)
        await self.socket.send_json(state)

    async def unwatch(self, content: dict[str, Any]) -> None:
        vote_id = required_uuid(content, "vote")
        if vote_id in self.watching:
            self.watching.discard(vote_id)
            await self.socket.leave(vote_group(vote_id))
        await self.socket.send_json({"type": "vote.unwatched", "vote": vote_id})

    async def roles_changed(self) -> None:
        readable = set(
            await self.socket.call(_still_readable, self.socket.user, sorted(self.watching))
        )
        for vote_id in self.watching - readable:
            self.watching.discard(vote_id)
            await self.socket.leave(vote_group(vote_id))

    async def relay(self, event: dict[str, Any]) -> None:
        # Sent to the vote's group, which only sockets that could read it joined.
        if event.get("vote") in self.watching:
            await self.socket.send_json(event)
