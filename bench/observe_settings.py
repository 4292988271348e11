"""bench/observe.py's peer: Agora's settings without the request-id and metrics middlewares."""

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

MIDDLEWARE = [
    name for name in MIDDLEWARE
    if name not in {"config.logformat.RequestIdMiddleware",
                    "config.metrics.RequestMetricsMiddleware"}
]
