"""Live clients that behave as the browser does across restarts, and a private Redis: for
the tests that restart or multiply server processes (test_restarts.py,
test_drafts_processes.py, test_rolling_restart.py; a test module may not import another,
tests/test_test_layout.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pycrdt
import pytest
import websockets

from deliberation import drafts
from realtime.events import check_event
from realtime.yjs import protocol as yp
from tests.realtime.servers import (
    Daphne,
    RedisServer,
    free_port,
    redis_reachable,
    redis_url,
)

CHATTER = ("presence", "typing", "unread")


class Client:
    """A websockets client that keeps, like the browser, the message ids it has seen."""

    def __init__(self, server: Daphne, cookie: str, room: str) -> None:
        self.server = server
        self.cookie = cookie
        self.room = room
        self.socket: Any = None
        self.seen: list[int] = []  # every message id received, in arrival order

    async def connect(self, attempts: int = 40) -> None:
        """Connect with a bounded backoff (the server may still be starting)."""
        delay = 0.1
        for _ in range(attempts):
            try:
                self.socket = await websockets.connect(
                    self.server.url(),
                    origin=self.server.origin,  # type: ignore[arg-type]
                    additional_headers={"Cookie": self.cookie},
                    max_size=2**20,
                    open_timeout=5,
                )
                hello = await self.receive_until("hello")
                assert any(r["id"] == self.room for r in hello["rooms"]), hello
                return
            except (OSError, websockets.WebSocketException, TimeoutError):
                await self.close()
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
        raise AssertionError(f"could not reconnect to {self.server.url()}")

    async def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.socket.close(), timeout=3)
            self.socket = None

    async def send(self, frame: dict[str, Any]) -> None:
        await self.socket.send(json.dumps(frame))

    async def receive(self, timeout: float = 5) -> dict[str, Any]:
        frame: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        if frame["type"] in ("message", *CHATTER):
            check_event(frame)
        if frame["type"] == "message" and frame["room"] == self.room:
            self.seen.append(frame["message"]["id"])
        return frame

    async def receive_until(self, kind: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of this type; messages met on the way are recorded."""
        deadline = time.monotonic() + timeout
        for _ in range(200):  # bounded
            left = deadline - time.monotonic()
            if left <= 0:
                break
            frame = await self.receive(left)
            if frame["type"] == kind:
                return frame
            # Other frames (chatter, `unread.bump`…) are skipped; an error never is.
            assert frame["type"] != "error", frame
        raise AssertionError(f"no {kind} frame within {timeout} s")

    async def subscribe(self) -> None:
        await self.send({"type": "subscribe", "room": self.room})
        await self.receive_until("subscribed")

    async def say(self, body: str, client_id: str, timeout: float = 15) -> int:
        """Send and wait for the acknowledgement: the stored message's id. (15 s: a process
        just started, on a machine shared with other test runs, once took more than 5.)"""
        await self.send_only(body, client_id)
        for _ in range(50):  # bounded: other people's messages may come first
            frame = await self.receive_until("message", timeout=timeout)
            if frame["message"]["client_id"] == client_id:
                return int(frame["message"]["id"])
        raise AssertionError(f"no acknowledgement for {client_id}")

    async def send_only(self, body: str, client_id: str) -> None:
        await self.send(
            {
                "type": "message.send",
                "room": self.room,
                "thread": None,
                "body": body,
                "client_id": client_id,
            }
        )

    async def resync(self) -> list[int]:
        """Ask for everything after the last id seen, page after page; return what came."""
        after = max(self.seen, default=0)
        got: list[int] = []
        for _ in range(20):  # bounded: pages of 200
            await self.send({"type": "resync", "room": self.room, "after": after})
            page = await self.receive_until("resync")
            ids = [m["id"] for m in page["messages"]]
            assert ids == sorted(ids), page  # oldest first
            got += ids
            self.seen += ids
            if not page["has_more"]:
                return got
            after = ids[-1]
        raise AssertionError("resync never ended")

    async def still_works(self) -> bool:
        """Whether the socket still answers a ping frame (messages met on the way are kept)."""
        if self.socket is None:
            return False
        try:
            await self.send({"type": "ping"})
            await self.receive_until("pong", timeout=3)
        except (websockets.ConnectionClosed, TimeoutError, AssertionError):
            return False
        return True

    async def wait_closed(self, timeout: float = 15) -> None:
        """Read until the server's side goes away (it was stopped)."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(websockets.ConnectionClosed):
            while time.monotonic() < deadline:
                with contextlib.suppress(TimeoutError):
                    await self.receive(timeout=max(0.1, deadline - time.monotonic()))
            raise AssertionError("the socket stayed open after its server stopped")
        self.socket = None


def assert_exactly_once(client: Client, stored: list[int]) -> None:
    assert len(client.seen) == len(set(client.seen)), f"doubled: {client.seen}"
    assert sorted(client.seen) == sorted(set(stored)), f"seen {client.seen}, stored {stored}"


@contextlib.contextmanager
def private_redis(tmp_path: Path) -> Iterator[str]:
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


def has_all(client: YClient, words: list[str]) -> Callable[[], bool]:
    return lambda: all(word in client.text() for word in words)
