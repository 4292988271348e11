"""Signalling cost of joining a call, next to subscribing to a chat room (not a test).

One daphne process serves the real /ws/ hub (``bench.chat_asgi``). N plenary readers open
their sockets, then one after another each subscribes to the plenary room (the chat's
cost: abilities, presence) and joins the plenary's call (the call's cost: abilities,
attendance row, the call's state to everyone already in it). Time = frame sent to answer
received, on the joining socket. The mesh cap is lifted (``CALLS_MESH_MAX``): only the
signalling is measured, no media flows.

    .venv/bin/python bench/calls_signalling.py --clients 50 100        # in-memory layer
    .venv/bin/python bench/calls_signalling.py --clients 100 --layer redis
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_fanout import open_socket, percentile  # noqa: E402
from bench.chat_world import make_world  # noqa: E402
from tests.realtime.servers import Daphne  # noqa: E402


async def answer(socket: Any, wanted: str, counts: dict[str, int]) -> dict[str, Any]:
    while True:
        frame = json.loads(await asyncio.wait_for(socket.recv(), timeout=30))
        counts[frame["type"]] = counts.get(frame["type"], 0) + 1
        if frame["type"] == wanted:
            return frame
        if frame["type"] == "error":
            raise RuntimeError(frame)


async def drain(socket: Any, counts: dict[str, int]) -> None:
    async for raw in socket:
        kind = json.loads(raw)["type"]
        counts[kind] = counts.get(kind, 0) + 1


async def heartbeat(socket: Any, call: str) -> None:
    while True:
        await asyncio.sleep(4)
        await socket.send(json.dumps({"type": "call.ping", "call": call}))


async def run(server: Daphne, world: dict[str, Any], clients: int) -> dict[str, Any]:
    sockets = []
    for i in range(clients):
        socket = await open_socket(server, "/ws/", world["cookies"][i])
        assert json.loads(await socket.recv())["type"] == "hello"
        sockets.append(socket)
    await asyncio.sleep(1)
    room = world["room"]
    subscribe_ms, join_ms = [], []
    counts: dict[str, int] = {}
    background: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    for socket in sockets:
        t0 = time.perf_counter()
        await socket.send(json.dumps({"type": "subscribe", "room": room}))
        await answer(socket, "subscribed", counts)
        t1 = time.perf_counter()
        await socket.send(json.dumps({"type": "call.join", "room": room}))
        joined = await answer(socket, "call.joined", counts)
        t2 = time.perf_counter()
        subscribe_ms.append((t1 - t0) * 1000)
        join_ms.append((t2 - t1) * 1000)
        background.append(asyncio.create_task(drain(socket, counts)))
        background.append(asyncio.create_task(heartbeat(socket, joined["call"])))
    elapsed = time.perf_counter() - start
    await asyncio.sleep(2)
    for task in background:
        task.cancel()
    for socket in sockets:
        await socket.close()
    return {
        "clients": clients,
        "subscribe_p50": statistics.median(subscribe_ms),
        "subscribe_p99": percentile(subscribe_ms, 99),
        "join_p50": statistics.median(join_ms),
        "join_p99": percentile(join_ms, 99),
        "join_last10_p50": statistics.median(join_ms[-10:]),
        "call_state_frames": counts.get("call.state", 0),
        "seconds": elapsed,
    }


async def bench(clients: int, layer: str) -> dict[str, Any]:
    env, world, data_dir = await asyncio.to_thread(
        make_world,
        clients,
        DJANGO_SETTINGS_MODULE="bench.chat_settings",
        BENCH_LAYER=layer,
        CALLS_MESH_MAX="100000",
    )
    try:
        with Daphne(env, app="bench.chat_asgi:application") as server:
            return {"layer": layer, **await run(server, world, clients)}
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--layer", default="memory", choices=["memory", "redis", "pubsub"])
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = [asyncio.run(bench(n, args.layer)) for n in args.clients]
    print(
        "\n| layer | clients | subscribe p50 / p99 | call.join p50 / p99 | join, last 10 (p50) |"
        " call.state frames |"
    )
    print("|---|---:|---|---|---:|---:|")
    for r in rows:
        print(
            f"| {r['layer']} | {r['clients']} | {r['subscribe_p50']:.1f} / {r['subscribe_p99']:.1f}"
            f" ms | {r['join_p50']:.1f} / {r['join_p99']:.1f} ms | {r['join_last10_p50']:.1f} ms"
            f" | {r['call_state_frames']:,} |"
        )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
