"""Settings for bench/votes.py: the chat benches' (layer by BENCH_LAYER), and no database
connection kept between requests — under ASGI each concurrent request holds one, and the
bench's PostgreSQL is shared (max_connections 100) with other work on the machine."""

from bench.chat_settings import *  # noqa: F403
from bench.chat_settings import DATABASES

DATABASES["default"]["CONN_MAX_AGE"] = 0
