"""Bench-only ASGI app: /ws/ is Agora's consumer, /bare/ a bare Channels group_send consumer."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.chat_settings")
django_asgi_app = get_asgi_application()

from typing import Any  # noqa: E402

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from realtime.hub import HubConsumer  # noqa: E402
from realtime.origin import SameOriginValidator  # noqa: E402

BARE_GROUP = "bench.bare"


class BareConsumer(AsyncJsonWebsocketConsumer):
    """The floor: no auth, no storage, one group_send per frame, relayed as is."""

    async def connect(self) -> None:
        await self.channel_layer.group_add(BARE_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(BARE_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.channel_layer.group_send(BARE_GROUP, {"type": "bare.relay", "event": content})

    async def bare_relay(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": SameOriginValidator(
            AuthMiddlewareStack(
                URLRouter(
                    [
                        re_path(r"^ws/?$", HubConsumer.as_asgi()),
                        re_path(r"^bare/?$", BareConsumer.as_asgi()),
                    ]
                )
            )
        ),
    }
)
