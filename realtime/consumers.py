"""The websocket consumer at /ws/: authenticated sockets only; transport, no writes."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext

from realtime.bus import CLOSE_LOGGED_OUT, session_group, user_group

# Sent after accepting, so the browser sees the code: a handshake refused before
# accept reaches it as a bare 1006, indistinguishable from a network failure.
CLOSE_UNAUTHENTICATED = 4401  # log in again, do not retry as is
CLOSE_TWO_FACTOR_REQUIRED = 4403  # DCCU/DPD without an authenticator app yet


class AgoraConsumer(AsyncJsonWebsocketConsumer):
    groups_joined: list[str]

    async def connect(self) -> None:
        self.groups_joined = []
        user = self.scope.get("user")
        session = self.scope.get("session")
        if user is None or not user.is_authenticated or not user.is_active:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        if await self._missing_two_factor(user):
            await self._refuse(CLOSE_TWO_FACTOR_REQUIRED)
            return
        # The session group lets logout close this tab's sockets; the user group lets
        # the end of an account (or a password change) close all of them.
        groups = [user_group(user.pk)]
        if session is not None and session.session_key:
            groups.append(session_group(session.session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        await self.send_json({"type": "hello", "user": await self._user_payload(user), "rooms": []})

    async def _refuse(self, code: int) -> None:
        await self.accept()
        await self.close(code=code)

    @database_sync_to_async
    def _missing_two_factor(self, user: Any) -> bool:
        # Same rule as the HTTP middleware: no live data before the second factor.
        from accounts.middleware import missing_two_factor

        return missing_two_factor(user)

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

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        # A frame that is not JSON text is answered, not fatal: the base class would
        # raise and drop the connection.
        if text_data is None:
            await self._bad_frame()
            return
        try:
            content = await self.decode_json(text_data)
        except (ValueError, RecursionError):
            await self._bad_frame()
            return
        await self.receive_json(content, **kwargs)

    async def _bad_frame(self) -> None:
        await self.send_json(
            {"type": "error", "code": "bad_frame", "detail": gettext("Unreadable message.")}
        )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("type"), str):
            await self._bad_frame()
            return
        if content["type"] == "ping":
            await self.send_json({"type": "pong"})
            return
        await self.send_json(
            {"type": "error", "code": "unknown_type", "detail": gettext("Unknown message type.")}
        )

    async def session_close(self, event: dict[str, Any]) -> None:
        await self.close(code=int(event.get("code", CLOSE_LOGGED_OUT)))
