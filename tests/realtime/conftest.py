"""Socket tests: a fresh channel layer and an empty access cache per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from channels.layers import channel_layers

from tests.realtime.servers import redis_reachable, redis_url


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> Iterator[None]:
    # Every test gets its own layer instance (tests/conftest.py, _fresh_channel_layers);
    # again here, after that fixture. (A sync fixture: it must also work for tests that
    # run their own loop.)
    channel_layers.backends.clear()
    # What the hub keeps per person for a few seconds starts empty in each test.
    from realtime.hub import connect_cache

    connect_cache().clear()
    yield
    channel_layers.backends.clear()
    # (tests/conftest.py gives the socket threads' database connections back after it.)


@pytest.fixture
def redis_or_skip() -> None:
    if not redis_reachable(redis_url()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI and not reachable at {redis_url()}")
        pytest.skip(f"Redis not reachable at {redis_url()}: the two-process test needs it")
