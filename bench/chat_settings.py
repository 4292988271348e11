"""Settings for the chat benches: the app's own, with the layer chosen by BENCH_LAYER."""

import os

from config.settings import *  # noqa: F403
from config.settings import REDIS_URL

_LAYERS = {
    # The embedded default (`make run` without REDIS_URL): one process, nothing shared.
    "memory": CHANNEL_LAYERS["default"],  # noqa: F405 - config.settings' own choice
    # Channels' stock in-memory layer, for comparison (issue 18).
    "memory-stock": {"BACKEND": "channels.layers.InMemoryChannelLayer"},
    "redis": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [{"address": REDIS_URL, "socket_timeout": None}],
            "capacity": 5000,
            "expiry": 60,
        },
    },
    "pubsub": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None}]},
    },
}
CHANNEL_LAYERS = {"default": _LAYERS[os.environ.get("BENCH_LAYER", "redis")]}

# One sender at 10 messages a second is far above a person's limits.
FORUMS_RATE_LIMIT = (1_000_000, 10)
REALTIME_FRAME_RATE = 1000
REALTIME_FRAME_BURST = 1000
# Benches open thousands of sockets with a hundred sessions: no per-session cap here.
REALTIME_SOCKETS_PER_SESSION = 1_000_000
REALTIME_SOCKETS_PER_PERSON = 1_000_000
LOGGING = {"version": 1, "disable_existing_loggers": False}
