"""Plenary fan-out bench: 110 clients in one room, one sender at 10 messages a second.

Not a test. For each channel layer it starts one daphne process running a
bench-only ASGI app (bench/chat_asgi.py) that serves Agora's consumer at /ws/
and a bare Channels consumer (one ``group_send`` per frame, nothing else) at
/bare/, then measures, for every message, the time from the sender's send to
its receipt by the *last* of the receivers, on both paths, in the same run, on
the same server and layer. Agora's path adds authentication, the ability check,
storage in the database (SQLite file) and serialisation.

    .venv/bin/python bench/chat_fanout.py                      # 300 messages per path
    .venv/bin/python bench/chat_fanout.py --messages 50        # quicker
    .venv/bin/python bench/chat_fanout.py --layers pubsub

Needs Redis (REDIS_URL, default redis://127.0.0.1:6379/0). Everything runs on
127.0.0.1; loops are bounded by --messages and fixed timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets  # noqa: E402

from bench.chat_world import make_world  # noqa: E402
from tests.realtime.servers import Daphne, redis_reachable, redis_url  # noqa: E402

BODY = "Bonjour à toutes et à tous, voici le compte rendu de la séance de ce matin."
WARMUP = 10


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def open_socket(server: Daphne, path: str, cookie: str | None) -> Any:
    headers = {"Cookie": cookie} if cookie else {}
    return await websockets.connect(
        server.url(path),
        origin=server.origin,
        additional_headers=headers,  # type: ignore[arg-type]
        max_size=2**20,
        open_timeout=30,
        ping_interval=None,
    )


async def receiver(
    socket: Any, index: int, ours: bool, arrivals: dict[str, dict[int, float]]
) -> None:
    async for raw in socket:
        now = time.perf_counter()
        frame = json.loads(raw)
        if ours:
            if frame.get("type") != "message":
                continue
            key = frame["message"]["client_id"]
        else:
            key = frame.get("key")
        if key in arrivals:
            arrivals[key][index] = now


async def phase(
    server: Daphne, world: dict[str, Any], ours: bool, clients: int, messages: int, rate: float
) -> dict[str, Any]:
    cookies = world["cookies"]
    path = "/ws/" if ours else "/bare/"
    sockets = []
    for i in range(clients):
        socket = await open_socket(server, path, cookies[i % len(cookies)] if ours else None)
        if ours:
            assert json.loads(await socket.recv())["type"] == "hello"
            await socket.send(json.dumps({"type": "subscribe", "room": world["room"]}))
        sockets.append(socket)
    sender = await open_socket(server, path, cookies[0] if ours else None)
    if ours:
        await sender.recv()  # hello
    arrivals: dict[str, dict[int, float]] = {}
    tasks = [asyncio.create_task(receiver(s, i, ours, arrivals)) for i, s in enumerate(sockets)]
    await asyncio.sleep(3)  # let subscriptions and presence chatter settle
    sent: dict[str, float] = {}
    start = time.perf_counter()
    for n in range(messages + WARMUP):
        key = str(uuid.uuid4())
        arrivals[key] = {}
        if ours:
            frame = {
                "type": "message.send",
                "room": world["room"],
                "thread": None,
                "body": f"{BODY} ({n})",
                "client_id": key,
            }
        else:
            frame = {"type": "message", "key": key, "body": f"{BODY} ({n})"}
        if n >= WARMUP:
            sent[key] = time.perf_counter()
        await sender.send(json.dumps(frame))
        await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and any(len(arrivals[k]) < clients for k in sent):
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    for socket in [*sockets, sender]:
        await socket.close()
    latencies = [
        (max(arrivals[k].values()) - t0) * 1000
        for k, t0 in sent.items()
        if len(arrivals[k]) == clients
    ]
    lost = sum(clients - len(arrivals[k]) for k in sent)
    return {
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": percentile(latencies, 99) if latencies else float("nan"),
        "complete": len(latencies),
        "lost": lost,
    }


async def bench_layer(layer: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    env, world, data_dir = await asyncio.to_thread(
        make_world, args.clients, DJANGO_SETTINGS_MODULE="bench.chat_settings", BENCH_LAYER=layer
    )
    rows = []
    try:
        with Daphne(env, app="bench.chat_asgi:application") as server:
            for ours in (False, True):
                result = await phase(server, world, ours, args.clients, args.messages, args.rate)
                rows.append(
                    {"layer": layer, "consumer": "agora /ws/" if ours else "bare", **result}
                )
                print(json.dumps(rows[-1]), flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--clients", type=int, default=110)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument(
        "--layers", nargs="+", default=["redis", "pubsub"], choices=["redis", "pubsub", "memory"]
    )
    args = parser.parse_args()
    if set(args.layers) - {"memory"} and not redis_reachable(redis_url()):
        sys.exit(f"Redis not reachable at {redis_url()}")
    rows: list[dict[str, Any]] = []
    for layer in args.layers:
        rows += asyncio.run(bench_layer(layer, args))
    print(
        f"\n{args.clients} clients, {args.messages} messages at {args.rate:g}/s "
        "(time until the last client has the message)\n"
    )
    print("| layer | consumer | p50 | p99 | complete | lost deliveries |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['layer']} | {row['consumer']} | {row['p50']:.1f} ms | "
            f"{row['p99']:.1f} ms | {row['complete']}/{args.messages} | {row['lost']} |"
        )


if __name__ == "__main__":
    main()
