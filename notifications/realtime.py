"""The notification centre on the /ws/ socket: a person's own notifications and unread
count, on their user group. A live feature of ``realtime.hub`` (registered in
NotificationsConfig)."""

from __future__ import annotations

from typing import Any

from realtime.hub import LiveFeature


class InboxFeature(LiveFeature):
    name = "inbox"
    events = ("inbox.",)

    @classmethod
    def load(cls, user: Any, access: Any) -> int:
        from notifications.actions import unread_count

        return unread_count(user)

    async def connect(self, loaded: int) -> dict[str, Any]:
        # The hub joins the person's user group already: the count is what a page needs first.
        return {"inbox": {"unread": loaded}}

    async def relay(self, event: dict[str, Any]) -> None:
        # Sent to the recipient's user group only, after the rows were checked for them.
        await self.socket.send_json(event)
