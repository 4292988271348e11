"""One ASGI application for HTTP and WebSocket, served by daphne."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from config.logformat import SocketRequestId  # noqa: E402
from config.metrics import SocketMetrics  # noqa: E402
from realtime.daphne import close_oversized_frames_cleanly  # noqa: E402
from realtime.origin import SameOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

# A frame over daphne's limit closes with 1009, not a dropped connection (1006).
close_oversized_frames_cleanly()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Origin compared by scheme, host and port (realtime/origin.py); each socket has
        # a request id for its log lines and is counted per kind (config/metrics.py).
        "websocket": SocketRequestId(SocketMetrics(SameOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ))),
    }
)
