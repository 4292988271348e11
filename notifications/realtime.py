"""The notification centre on the /ws/ socket: a person's own notifications and unread
count, on their user group. A live feature of ``realtime.hub`` (registered in
NotificationsConfig)."""

from __future__ import annotations

from typing import Any

from realtime.hub import LiveFeature


class InboxFeature(LiveFeature):
    name = "inbox"
    events = ("inbox.",)

    async def connect(self) -> dict[str, Any]:
        # The hub joins the person's user group already: the count is what a page needs first.
        from notifications.actions import unread_count

        return {"inbox": {"unread": await self.socket.call(unread_count, self.socket.user)}}

    async def relay(self, event: dict[str, Any]) -> None:
        # Sent to the recipient's user group only, after the rows were checked for them.
        await self.socket.send_json(event)
