"""The websocket consumer at /ws/: authenticated sockets only; transport, no writes."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from realtime.bus import session_group, user_group

CLOSE_UNAUTHENTICATED = 4401


class AgoraConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        for group in [user_group(user.pk)] + (
            [session_group(session.session_key)] if session and session.session_key else []
        ):
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.send_json({"type": "hello", "user": await self._user_payload(user), "rooms": []})

    @database_sync_to_async
    def _user_payload(self, user: Any) -> dict[str, Any]:
        from accounts.roles import user_roles

        return {
            "id": str(user.pk),
            "name": user.public_name,
            "roles": sorted(r.value for r in user_roles(user)),
        }

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self.send_json(
                {"type": "error", "code": "bad_frame", "detail": "Message illisible."}
            )
            return
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.send_json(
            {"type": "error", "code": "unknown_type", "detail": "Type de message inconnu."}
        )

    async def session_close(self, event: dict[str, Any]) -> None:
        await self.close(code=int(event.get("code", 4001)))
