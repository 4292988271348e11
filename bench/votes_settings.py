"""Settings for bench/votes.py: the chat benches' (layer by BENCH_LAYER). With
``BENCH_CONN_MAX_AGE`` the database connections' lifetime can be set instead of
PostgreSQL's pool (the production setting, config/settings.py): under ASGI each request in
flight holds its own."""

import os

from bench.chat_settings import *  # noqa: F403
from bench.chat_settings import DATABASES

if "BENCH_CONN_MAX_AGE" in os.environ:
    DATABASES["default"].get("OPTIONS", {}).pop("pool", None)
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
