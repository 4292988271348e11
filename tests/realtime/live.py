"""Clients of the real daphne processes of tests/realtime/servers.py: a seeded world,
a socket, its frames, and an event loop of their own."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import websockets

from realtime.events import check_event
from tests.realtime.servers import Daphne

SETUP = """
from django.test import Client
from tests.realtime.chat import make_world
world = make_world()
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
print(json.dumps({"alice": cookie(world.alice), "bob": cookie(world.bob),
                  "carol": cookie(world.carol), "room": str(world.mobility.pk)}))
"""


async def receive(socket: Any, kind: str) -> dict[str, Any]:
    for _ in range(20):  # bounded: skip presence chatter
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=5))
        if frame["type"] in ("message", "presence", "typing"):
            check_event(frame)
        if frame["type"] == kind:
            return frame
    raise AssertionError(f"no {kind} frame")


def open_socket(server: Daphne, cookie: str) -> Any:
    return websockets.connect(
        server.url(),
        origin=server.origin,
        additional_headers={"Cookie": cookie},  # type: ignore[arg-type]
        max_size=2**20,
        open_timeout=10,
    )


def run_in_own_loop(coroutine: Any, timeout: float = 180) -> None:
    # Its own loop in its own thread: independent of whatever loop the test session has running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result(timeout=timeout)
