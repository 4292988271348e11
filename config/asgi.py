"""One ASGI application for HTTP and WebSocket, served by daphne."""

import os
from typing import Any

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.sessions import SessionMiddlewareStack  # noqa: E402

from config.logformat import SocketRequestId  # noqa: E402
from config.metrics import SocketMetrics  # noqa: E402
from realtime.daphne import close_oversized_frames_cleanly  # noqa: E402
from realtime.origin import SameOriginValidator  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

# A frame over daphne's limit closes with 1009, not a dropped connection (1006).
close_oversized_frames_cleanly()


def websocket_stack(app: Any) -> Any:
    """What every socket crosses before its consumer: origin compared by scheme, host and
    port (realtime/origin.py), the session, a request id for its log lines, a count per
    kind (config/metrics.py). Each route reads the person (realtime/routing.py).
    tests/realtime/test_daphne_frames.py runs it under daphne."""
    return SocketRequestId(SocketMetrics(SameOriginValidator(SessionMiddlewareStack(app))))


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_stack(URLRouter(websocket_urlpatterns)),
    }
)
