"""Live drafts on two daphne processes sharing one Redis and one database (issue 5).

Clients are small y-websocket clients on pycrdt over the `websockets` library. The relay
between processes goes through the channel layer; when a relay is lost, each room reads
what other processes stored every DRAFT_CATCHUP_SECONDS (2 s) and converges anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pycrdt
import pytest
import redis
import websockets

from deliberation import drafts
from deliberation.draft_store import KIND
from realtime.yjs import protocol as yp
from realtime.yjs.relay import doc_group
from tests.realtime.servers import (
    Daphne,
    RedisServer,
    django_env,
    draft_world,
    free_port,
    migrate,
    private_database,
    redis_reachable,
    redis_url,
    stored_draft,
)

# Starts its own server processes on the production stack: runs once in CI, in the
# PostgreSQL + Redis pass (.ci/run).
pytestmark = pytest.mark.production_stack


@pytest.fixture
def layer_redis(tmp_path: Path) -> Iterator[str]:
    """A private redis-server when one is installed: the machine's Redis is shared with
    other test runs, and Django's `cache.clear()` there is a FLUSHDB that would drop our
    groups mid-test. Otherwise REDIS_URL, as test_two_processes does."""
    executable = shutil.which("redis-server")
    if executable is not None:
        server = RedisServer(executable, free_port(), tmp_path / "redis.log")
        try:
            server.start()
            yield server.url
        finally:
            server.stop()
        return
    if not redis_reachable(redis_url()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI and not reachable at {redis_url()}")
        pytest.skip(f"Redis not reachable at {redis_url()}: the two-process test needs it")
    yield redis_url()


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


class YClient:
    """A y-websocket client: a pycrdt document kept in sync over one real socket."""

    def __init__(self, name: str, server: Daphne, cookie: str, draft: str) -> None:
        self.name = name
        self.server = server
        self.cookie = cookie
        self.draft = draft
        self.doc: pycrdt.Doc[Any] = pycrdt.Doc()
        self.fragment = self.doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
        self.synced = asyncio.Event()
        self.changed = asyncio.Event()
        self.updates_received = 0
        self.closed_code: int | None = None
        self.socket: Any = None
        self.reader: asyncio.Task[None] | None = None

    async def connect(self) -> YClient:
        self.socket = await websockets.connect(
            self.server.url(f"/ws/drafts/{self.draft}"),
            origin=self.server.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie},
            max_size=2**20,
            open_timeout=10,
        )
        self.reader = asyncio.create_task(self._read())
        # As the stock provider: our step 1 on open; the server's step 1 is answered.
        await self.socket.send(yp.sync_step1(self.doc.get_state()))
        await asyncio.wait_for(self.synced.wait(), timeout=5)
        return self

    async def _read(self) -> None:
        try:
            async for message in self.socket:
                if isinstance(message, str):
                    raise AssertionError(f"{self.name}: text frame {message!r}")
                reader = yp.Reader(message)
                kind = reader.var_uint()
                if kind != yp.MESSAGE_SYNC:
                    continue  # awareness; no control message without "hello"
                step = reader.var_uint()
                payload = reader.var_bytes()
                if step == yp.SYNC_STEP1:
                    await self.socket.send(yp.sync_step2(self.doc.get_update(payload)))
                    continue
                self.doc.apply_update(payload)
                if step == yp.SYNC_STEP2:
                    self.synced.set()
                else:
                    self.updates_received += 1
                self.changed.set()
        except websockets.ConnectionClosed as closed:
            self.closed_code = closed.rcvd.code if closed.rcvd else None

    def text(self) -> str:
        return drafts.doc_text(self.doc)

    def xml(self) -> str:
        return str(self.fragment)

    async def type(self, chars: str, *, block: int = 1, at_end: bool = True) -> None:
        """Insert text in a block's text (at its end or start) and send the update."""
        before = self.doc.get_state()
        text = self.fragment.children[block].children[0]
        text.insert(len(text) if at_end else 0, chars)
        await self.socket.send(yp.sync_update(self.doc.get_update(before)))

    async def add_paragraph(self, chars: str) -> None:
        before = self.doc.get_state()
        self.fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(chars)]))
        await self.socket.send(yp.sync_update(self.doc.get_update(before)))

    async def until(self, what: str, condition: Callable[[], bool], timeout: float = 5) -> float:
        """Wait for the condition; return how long it took."""
        started = time.monotonic()
        deadline = started + timeout
        while not condition():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"{self.name}: {what} not reached within {timeout} s")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), timeout=min(left, 0.1))
        return time.monotonic() - started

    async def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.socket.close(), timeout=3)
        if self.reader is not None:
            self.reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.reader


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


def has_all(client: YClient, words: list[str]) -> Callable[[], bool]:
    return lambda: all(word in client.text() for word in words)


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
