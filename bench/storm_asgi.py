"""Bench-only ASGI app for bench/reconnect_storm.py: /ws/ is Agora's hub, /bare/ the floor.

/bare/ is a bare Channels consumer on the same daphne, the same layer and Channels' own
middleware (origin check, session, then the person read by Channels' AuthMiddleware,
where /ws/ reads it in its own database call): it accepts and says ``hello``
with the person's id, nothing else. What /ws/ adds on top is Agora's connect path
(guards, roles, rooms, unread counts, groups).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.chat_settings")
django_asgi_app = get_asgi_application()


from channels.auth import AuthMiddleware  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402
from django.urls import re_path  # noqa: E402

from realtime.daphne import close_oversized_frames_cleanly  # noqa: E402
from realtime.origin import SameOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

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


class RawHello(AsyncJsonWebsocketConsumer):
    """daphne's own ceiling: accept and say hello, no session, no person, no layer."""

    async def connect(self) -> None:
        await self.accept()
        await self.send_json({"type": "hello"})


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(
            SessionMiddlewareStack(
                URLRouter(
                    [
                        websocket_urlpatterns[0],  # /ws/, as the site routes it
                        re_path(r"^bare/?$", AuthMiddleware(BareHello.as_asgi())),
                        re_path(r"^raw/?$", RawHello.as_asgi()),
                    ]
                )
            )
        ),
    }
)
