"""Frames over daphne's limit end with 1009 (docs/protocol.md), tried on a real daphne.

Before, autobahn dropped the TCP connection (failByDrop): the client saw 1006, the
code of a network failure, and a browser client would reconnect and send it again.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
import websockets

from tests.realtime.live import SETUP, open_socket, receive, run_in_own_loop
from tests.realtime.servers import Daphne, django_env, migrate, run_python

DAPHNE_LIMIT = 1048576  # tests/realtime/servers.py, Makefile and docs/deploy.md


async def oversized_frames(server: Daphne, world: dict[str, str]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    async with open_socket(server, world["alice"]) as socket:
        await receive(socket, "hello")
        # Between the consumer's 64 KB and daphne's 1 MB: an error, the socket stays open.
        await socket.send(json.dumps({"type": "ping", "pad": "x" * 100_000}))
        seen["mid"] = (await receive(socket, "error"))["code"]
        await socket.send(json.dumps({"type": "ping"}))
        seen["after_mid"] = (await receive(socket, "pong"))["type"]
        # Over daphne's limit, text and binary alike.
        await socket.send("x" * (DAPHNE_LIMIT + 1))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
        assert closed.value.rcvd is not None, "no close frame: the connection was dropped"
        seen["text"] = closed.value.rcvd.code
    async with open_socket(server, world["bob"]) as socket:
        await receive(socket, "hello")
        await socket.send(b"\x00" * (2 * DAPHNE_LIMIT))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), timeout=10)
        assert closed.value.rcvd is not None, "no close frame: the connection was dropped"
        seen["binary"] = closed.value.rcvd.code
    return seen


def test_frame_over_daphne_limit_is_closed_with_1009(redis_or_skip: None, tmp_path: Path) -> None:
    env = django_env(tmp_path)
    migrate(env)
    world = run_python(env, SETUP)
    seen: dict[str, Any] = {}

    async def run() -> None:
        seen.update(await oversized_frames(server, world))

    with Daphne(env) as server:
        run_in_own_loop(run(), timeout=120)
        assert server.process is not None and server.process.poll() is None  # still serving
    assert seen == {"mid": "too_large", "after_mid": "pong", "text": 1009, "binary": 1009}
