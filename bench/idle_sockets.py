"""Idle sockets bench: how many authenticated sockets one daphne process holds, and its memory.

Not a test. Starts one daphne process (the real config.asgi application, Redis
channel layer, a throw-away SQLite file), opens --sockets authenticated
websockets to it (session cookies of --people plenary readers, round robin),
each greeted by `hello` and subscribed to the plenary room, then leaves them
idle and reports the server's resident memory (VmRSS from /proc) before and
after, and per socket.

    .venv/bin/python bench/idle_sockets.py                  # 1,000 sockets
    .venv/bin/python bench/idle_sockets.py --sockets 2000

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0); 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets  # noqa: E402

from bench.chat_world import make_world  # noqa: E402
from tests.realtime.servers import Daphne, redis_reachable, redis_url  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def open_idle(server: Daphne, cookie: str, room: str) -> Any:
    socket = await websockets.connect(
        server.url(),
        origin=server.origin,
        additional_headers={"Cookie": cookie},  # type: ignore[arg-type]
        max_size=2**20,
        open_timeout=60,
        ping_interval=None,
    )
    assert json.loads(await socket.recv())["type"] == "hello"
    await socket.send(json.dumps({"type": "subscribe", "room": room}))
    for _ in range(1000):  # bounded: skip presence until the answer
        if json.loads(await asyncio.wait_for(socket.recv(), 60))["type"] == "subscribed":
            return socket
    raise RuntimeError("no subscribed frame")


async def drain(socket: Any) -> None:
    # Presence events keep coming while others arrive; an idle client still reads them.
    async for _ in socket:
        pass


async def run(args: argparse.Namespace) -> None:
    env, world, data_dir = await asyncio.to_thread(make_world, args.people)
    sockets: list[Any] = []
    tasks: list[asyncio.Task[None]] = []
    try:
        with Daphne(env) as server:
            await asyncio.sleep(2)
            before = rss_mb(server.pid)
            started = time.perf_counter()
            for start in range(0, args.sockets, 50):  # 50 handshakes at a time
                batch = await asyncio.gather(
                    *(
                        open_idle(
                            server, world["cookies"][i % len(world["cookies"])], world["room"]
                        )
                        for i in range(start, min(args.sockets, start + 50))
                    )
                )
                sockets += batch
                tasks += [asyncio.create_task(drain(s)) for s in batch]
            opened = time.perf_counter() - started
            await asyncio.sleep(args.idle)
            after = rss_mb(server.pid)
            alive = sum(1 for s in sockets if s.state.name == "OPEN")
            closed = Counter(s.close_code for s in sockets if s.state.name != "OPEN")
            print(
                f"\n{alive}/{args.sockets} sockets open after {args.idle:g} s idle "
                f"(opened in {opened:.1f} s); closed, by code: {dict(closed)}"
            )
            if closed:
                print("daphne log tail:\n" + server.log_tail(2000))
            print(
                f"daphne RSS: {before:.0f} MB before, {after:.0f} MB with the sockets, "
                f"{(after - before) * 1024 / max(1, alive):.0f} KB per socket"
            )
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--people", type=int, default=110)
    parser.add_argument("--idle", type=float, default=10.0)
    args = parser.parse_args()
    if not redis_reachable(redis_url()):
        sys.exit(f"Redis not reachable at {redis_url()}")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
