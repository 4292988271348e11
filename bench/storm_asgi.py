"""Bench-only ASGI app for bench/reconnect_storm.py: /ws/ is Agora's hub, /bare/ the floor.

/bare/ is a bare Channels consumer on the same daphne, the same layer and the same
middleware as /ws/ (origin check, session and user lookup): it accepts and says ``hello``
with the person's id, nothing else. What /ws/ adds on top is Agora's connect path
(guards, roles, rooms, unread counts, groups).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.chat_settings")
django_asgi_app = get_asgi_application()


from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from realtime.daphne import close_oversized_frames_cleanly  # noqa: E402
from realtime.hub import HubConsumer  # noqa: E402
from realtime.origin import SameOriginValidator  # noqa: E402

close_oversized_frames_cleanly()


class BareHello(AsyncJsonWebsocketConsumer):
    """The floor: accept, join the person's group, say hello."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        await self.accept()
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        await self.channel_layer.group_add(f"user.{user.pk}", self.channel_name)
        await self.send_json({"type": "hello", "user": {"id": str(user.pk)}})

    async def disconnect(self, code: int) -> None:
        user = self.scope.get("user")
        if user is not None and user.is_authenticated:
            await self.channel_layer.group_discard(f"user.{user.pk}", self.channel_name)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        re_path(r"^ws/?$", HubConsumer.as_asgi()),
                        re_path(r"^bare/?$", BareHello.as_asgi()),
                    ]
                )
            )
        ),
    }
)
