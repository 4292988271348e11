"""Live drafts on two daphne processes sharing one Redis and one database (issue 5).

Clients are small y-websocket clients on pycrdt over the `websockets` library. The relay
between processes goes through the channel layer; when a relay is lost, each room reads
what other processes stored every DRAFT_CATCHUP_SECONDS (2 s) and converges anyway.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis

from deliberation.draft_store import KIND
from realtime.yjs.relay import doc_group
from tests.realtime.restart_clients import YClient, has_all, private_redis
from tests.realtime.servers import (
    Daphne,
    django_env,
    draft_world,
    migrate,
    private_database,
    stored_draft,
)

# Starts its own server processes on the production stack: runs once in CI, in the
# PostgreSQL + Redis pass (.ci/run).
pytestmark = pytest.mark.production_stack


@pytest.fixture
def layer_redis(tmp_path: Path) -> Iterator[str]:
    with private_redis(tmp_path) as url:
        yield url


@pytest.fixture
def servers(layer_redis: str, tmp_path: Path) -> Iterator[Any]:
    """Two daphnes on one database (a SQLite file, or a PostgreSQL database of their own
    under DATABASE_URL) and one Redis, and a draft with its people."""
    with private_database() as database:
        env = django_env(tmp_path, REDIS_URL=layer_redis, **database)
        migrate(env)
        world = draft_world(env)
        with Daphne(env) as first, Daphne(env) as second:
            yield first, second, world, env


def run_in_own_loop(coroutine: Any, timeout: float = 60) -> Any:
    # Its own loop in its own thread, as in test_two_processes.
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result(timeout=timeout)


async def typing(client: YClient, tag: str, words: int = 20) -> list[str]:
    """Type words one update at a time: even ones into the shared paragraph, odd ones as
    new paragraphs, with short pauses so that updates of different writers cross."""
    typed = []
    for i in range(words):
        word = f"{tag}{i}"
        typed.append(word)
        if i % 2 == 0:
            await client.type(f" {word}")
        else:
            await client.add_paragraph(word)
        await asyncio.sleep(0.01 + (i % 3) * 0.01)
    return typed


def shows(client: YClient, xml: str) -> Callable[[], bool]:
    return lambda: client.xml() == xml


# --- 1. Concurrent writers on two processes ------------------------------------------------


def test_writers_on_two_processes_converge(servers: Any) -> None:
    first, second, world, env = servers
    result = run_in_own_loop(concurrent_writers(first, second, world))
    stored = stored_draft(env, world["draft"])
    assert stored["text"] == result["text"]  # what the clients show is what is stored


async def concurrent_writers(
    first: Daphne, second: Daphne, world: dict[str, Any]
) -> dict[str, Any]:
    draft = world["draft"]
    alice = YClient("alice@1", first, world["writers"][0], draft)
    bob = YClient("bob@2", second, world["writers"][1], draft)
    claire = YClient("claire@2", second, world["writers"][2], draft)
    reader = YClient("reader@2", second, world["reader"], draft)
    clients = [alice, bob, claire, reader]
    try:
        for client in clients:
            await client.connect()
        template = alice.text()
        assert all(c.text() == template for c in clients), "everyone starts from the stored state"

        # A client on process 2 receives a writer's update from process 1, live: each of a
        # few updates in turn arrives well before the 2-second catch-up could bring it.
        for i in range(5):
            word = f"relayed{i}"
            await alice.type(f" {word}")
            took = await reader.until(f"{word} from process 1", has_all(reader, [word]))
            assert took < 1.5, f"{word} took {took:.2f} s: not relayed through the layer"

        # Three writers on two processes type at the same time.
        typed = await asyncio.gather(
            typing(alice, "alice"), typing(bob, "bob"), typing(claire, "claire")
        )
        everything = [word for words in typed for word in words]
        for client in clients:
            await client.until("every word", has_all(client, everything), timeout=10)
        final = alice.xml()
        for client in clients:
            await client.until("the same document", shows(client, final), timeout=5)
        assert all(c.closed_code is None for c in clients)
        return {"text": alice.text()}
    finally:
        for client in clients:
            await client.close()


# --- 2. A lost relay: the catch-up from the database ---------------------------------------


def test_clients_converge_when_the_relay_between_processes_is_lost(servers: Any) -> None:
    first, second, world, env = servers
    result = run_in_own_loop(lost_relay(first, second, world))
    stored = stored_draft(env, world["draft"])
    assert stored["text"] == result["text"]
    assert "LECTEUR" not in stored["text"]


async def lost_relay(first: Daphne, second: Daphne, world: dict[str, Any]) -> dict[str, Any]:
    draft = world["draft"]
    alice = YClient("alice@1", first, world["writers"][0], draft)
    bob = YClient("bob@2", second, world["writers"][1], draft)
    reader = YClient("reader@2", second, world["reader"], draft)
    clients = [alice, bob, reader]
    layer = redis.Redis.from_url(first.env["REDIS_URL"])
    # channels-redis keeps a group as a sorted set under "<prefix>:group:<name>" (default
    # prefix "asgi"); the key names this test's own draft, nobody else's.
    group_key = f"asgi:group:{doc_group(KIND, draft)}"
    try:
        for client in clients:
            await client.connect()
        await alice.type(" avant")
        await bob.until("the live relay", has_all(bob, ["avant"]))
        assert layer.zcard(group_key) == 2, "both processes joined the draft's group"

        # The relay is lost: the group (one channel per process) is gone from Redis, as
        # after a Redis restart or an expiry — and kept gone (rooms re-join it at every
        # catch-up look, so something must keep deleting it to test the catch-up alone).
        async def keep_deleting() -> None:
            while True:
                layer.delete(group_key)
                await asyncio.sleep(0.02)

        deleter = asyncio.create_task(keep_deleting())
        await asyncio.sleep(0.1)
        await alice.type(" perdu1")
        await bob.type(" perdu2", block=3)
        took = await bob.until("process 1's update by catch-up", has_all(bob, ["perdu1"]))
        await alice.until("process 2's update by catch-up", has_all(alice, ["perdu2"]))
        await reader.until("process 1's update by catch-up", has_all(reader, ["perdu1", "perdu2"]))
        assert took < 5

        # Concurrent typing without the relay converges too (at catch-up speed).
        typed = await asyncio.gather(typing(alice, "alice", 8), typing(bob, "bob", 8))
        everything = [word for words in typed for word in words]
        for client in clients:
            await client.until("every word by catch-up", has_all(client, everything), timeout=6)
        final = alice.xml()
        for client in clients:
            await client.until("the same document", shows(client, final))
        deleter.cancel()
        # Once the loss ends, both processes are back in the group within a look or two.
        for _ in range(50):
            if layer.zcard(group_key) == 2:
                break
            await asyncio.sleep(0.1)
        assert layer.zcard(group_key) == 2, "both rooms re-joined the draft's group"

        # A reader on process 2: what they type is never applied, stored or relayed, not
        # even to process 1 by catch-up (nothing was stored). Bob's edit right after it is.
        before = bob.xml()
        await reader.type("LECTEUR ", block=1, at_end=False)
        await bob.type(" apres")
        await alice.until("bob's edit after the reader's", has_all(alice, ["apres"]))
        await asyncio.sleep(2.5)  # longer than a catch-up interval
        assert "LECTEUR" in reader.text()  # only in the reader's own document
        for client in (alice, bob):
            assert "LECTEUR" not in client.text(), client.name
        assert bob.xml() != before and alice.xml() == bob.xml()
        assert reader.closed_code is None, "a reader's update does not close the socket"
        return {"text": alice.text()}
    finally:
        for client in clients:
            await client.close()
        layer.close()
