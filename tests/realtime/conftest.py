"""Socket tests: a fresh channel layer per test, the database thread's connection closed after."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from asgiref.sync import SyncToAsync
from channels.layers import channel_layers
from django.db import connections

from tests.realtime.servers import redis_reachable, redis_url


@pytest.fixture(autouse=True)
def _fresh_channel_layer(request: pytest.FixtureRequest) -> Iterator[None]:
    # Every test gets its own layer instance (tests/conftest.py, _fresh_channel_layers);
    # again here, after that fixture. (A sync fixture: it must also work for tests that
    # run their own loop.)
    channel_layers.backends.clear()
    # What the hub keeps per person for a few seconds starts empty in each test.
    from realtime.hub import connect_cache

    connect_cache().clear()
    yield
    channel_layers.backends.clear()
    if request.node.get_closest_marker("django_db") is not None:
        # database_sync_to_async runs on asgiref's one shared thread; its connection
        # would outlive the test and keep PostgreSQL from dropping the test database.
        SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=10)
        # The draft sync server's own database threads, likewise.
        from realtime.yjs.hub import close_thread_connections

        close_thread_connections()


@pytest.fixture
def redis_or_skip() -> None:
    if not redis_reachable(redis_url()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI and not reachable at {redis_url()}")
        pytest.skip(f"Redis not reachable at {redis_url()}: the two-process test needs it")
