"""Plenary fan-out bench: 110 people in one room, 10 messages a second sent round-robin by 20.

Not a test. For each channel layer it starts one daphne process running a
bench-only ASGI app (bench/chat_asgi.py) that serves Agora's consumer at /ws/
and a bare Channels consumer (one ``group_send`` per frame, nothing else) at
/bare/, and beside it the background worker (``manage.py db_worker --interval 1``,
as ``make run`` starts it: its database writes compete with daphne's). It then
measures, for every message, the time from its send to its receipt by the *last*
of the 110 sockets (the sender's own acknowledgement included), on both paths, in
the same run, on the same server and layer. Agora's path adds authentication, the
ability check, storage in the database and serialisation.

    .venv/bin/python bench/chat_fanout.py                      # 300 messages per path
    .venv/bin/python bench/chat_fanout.py --messages 50        # quicker
    .venv/bin/python bench/chat_fanout.py --layers memory      # the embedded default
    .venv/bin/python bench/chat_fanout.py --layers memory redis --runs 3 \\
        --database-url postgres://postgres@127.0.0.1:5432/agora_bench_chat \\
        --lock /tmp/agora-bench.lock                           # issue 18's figures

``memory`` is exactly what ``make run`` configures without REDIS_URL: SQLite file,
in-memory channel layer, local-memory cache. ``redis`` and ``pubsub`` use Redis
(REDIS_URL, default redis://127.0.0.1:6379/0) for the layer and the cache, and
SQLite unless --database-url names a PostgreSQL database (dropped and created again
by the bench; ``memory`` stays on SQLite). --lock takes the machine's bench lock
around the measurements only, not while the worlds are built. Everything runs on
127.0.0.1; loops are bounded by --messages and fixed timeouts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import websockets  # noqa: E402

from bench.chat_world import make_world  # noqa: E402
from tests.realtime.servers import ROOT, Daphne, redis_reachable, redis_url  # noqa: E402

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
    with contextlib.suppress(websockets.ConnectionClosed):  # counted as lost deliveries
        await _receive(socket, index, ours, arrivals)


async def _receive(
    socket: Any, index: int, ours: bool, arrivals: dict[str, dict[int, float]]
) -> None:
    async for raw in socket:
        now = time.perf_counter()
        if ours and '"client_id"' not in raw:
            continue  # unread counts, presence: not parsed, the generator stays light
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
    server: Daphne,
    world: dict[str, Any],
    ours: bool,
    args: argparse.Namespace,
) -> dict[str, Any]:
    cookies = world["cookies"]
    clients, messages, rate = args.clients, args.messages, args.rate
    path = "/ws/" if ours else "/bare/"
    sockets = []
    for i in range(clients):
        socket = await open_socket(server, path, cookies[i % len(cookies)] if ours else None)
        if ours:
            assert json.loads(await socket.recv())["type"] == "hello"
            await socket.send(json.dumps({"type": "subscribe", "room": world["room"]}))
        sockets.append(socket)
    # The senders are among the readers: each has its own message back (Agora: the
    # acknowledgement, bare: the relay) and that counts like any other receipt.
    senders = sockets[: max(1, min(args.senders, clients))]
    arrivals: dict[str, dict[int, float]] = {}
    tasks = [asyncio.create_task(receiver(s, i, ours, arrivals)) for i, s in enumerate(sockets)]
    await asyncio.sleep(3)  # let subscriptions and presence chatter settle
    sent: dict[str, float] = {}
    spy = profile(server, args, "agora" if ours else "bare")
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
        with contextlib.suppress(websockets.ConnectionClosed):  # its receipts stay missing
            await senders[n % len(senders)].send(json.dumps(frame))
        await asyncio.sleep(max(0.0, start + (n + 1) / rate - time.perf_counter()))
    deadline = time.perf_counter() + 10
    while time.perf_counter() < deadline and any(len(arrivals[k]) < clients for k in sent):
        await asyncio.sleep(0.1)
    for task in tasks:
        task.cancel()
    if spy is not None:
        spy.wait(timeout=60)
    for socket in sockets:
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


def profile(server: Daphne, args: argparse.Namespace, name: str) -> subprocess.Popen[bytes] | None:
    """py-spy on daphne for the sending window of a phase (--profile DIR), collapsed stacks."""
    if not args.profile:
        return None
    seconds = max(1, int((args.messages + WARMUP) / args.rate))
    out = Path(args.profile) / f"{name}-{server.pid}.txt"
    return subprocess.Popen(  # noqa: S603 - a dev tool named by the person running the bench
        [os.environ.get("PY_SPY", "py-spy"), "record", "-p", str(server.pid), "-d", str(seconds),
         "-r", "100", "--format", "raw", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def warm_up(server: Daphne) -> None:
    try:
        with urllib.request.urlopen(f"{server.origin}/", timeout=60) as answer:  # noqa: S310
            answer.read()
    except urllib.error.HTTPError:
        pass  # any answer will do: the URLconf was loaded to give it


def recreate_database(url: str) -> None:
    """Drop and create the bench's PostgreSQL database (never the one tests use)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name or name in {"postgres", "test"}:
        sys.exit(f"refusing to recreate the database {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def start_worker(env: dict[str, str], data_dir: Path) -> subprocess.Popen[bytes]:
    """The background worker as `make run` starts it beside daphne."""
    log = (data_dir / "worker.log").open("wb")
    return subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "db_worker", "--interval", "1"],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def bench_lock(path: str) -> Iterator[None]:
    """Hold the machine's bench lock (flock) around the measured part only: building the
    world (migrations, 110 people) runs beside other benches, measuring never does."""
    if not path:
        yield
        return
    with open(path, "a") as handle:  # noqa: PTH123
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


async def prepare(layer: str, args: argparse.Namespace) -> tuple[dict[str, str], Any, Path]:
    """The world of one layer: (env, world, data dir). Not timed, not under the lock."""
    extra = {"DJANGO_SETTINGS_MODULE": "bench.chat_settings", "BENCH_LAYER": layer}
    if layer.startswith("memory"):
        # `make run` without REDIS_URL: in-memory layer, local-memory cache, SQLite file.
        extra["REDIS_URL"] = ""
    elif args.database_url:
        await asyncio.to_thread(recreate_database, args.database_url)
        extra["DATABASE_URL"] = args.database_url
    world = await asyncio.to_thread(make_world, args.clients, **extra)
    if extra.get("DATABASE_URL"):
        await asyncio.to_thread(analyze, extra["DATABASE_URL"])
    return world


def analyze(url: str) -> None:
    """Planner statistics for the freshly filled database, as a site that has run for a
    while has them (autovacuum would otherwise gather them in the middle of a run)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")


async def measure(
    layer: str, env: dict[str, str], world: Any, data_dir: Path, run: int,
    args: argparse.Namespace,
) -> list[dict[str, Any]]:
    database = "PostgreSQL" if "DATABASE_URL" in env else "SQLite"
    rows = []
    load_before = os.getloadavg()[0]
    worker = None if args.no_worker else start_worker(env, data_dir)
    try:
        with Daphne(env, app="bench.chat_asgi:application") as server:
            # A browser loads a page before it opens its socket: the URLconf and the views
            # are imported then, not during the first message (seconds on a loaded machine).
            await asyncio.to_thread(warm_up, server)
            for ours in (False, True):
                result = await phase(server, world, ours, args)
                rows.append(
                    {
                        "run": run,
                        "layer": layer,
                        "database": database,
                        "consumer": "agora /ws/" if ours else "bare",
                        "load": f"{load_before:.2f}→{os.getloadavg()[0]:.2f}",
                        **result,
                    }
                )
                print(json.dumps(rows[-1]), flush=True)
    finally:
        if worker is not None:
            stop(worker)
    return rows


async def bench(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every world first, then every run of every layer under one hold of the lock
    (alternating layers, so that a burst of load on the machine hits all of them)."""
    worlds = {layer: await prepare(layer, args) for layer in args.layers}
    rows: list[dict[str, Any]] = []
    try:
        with bench_lock(args.lock):
            for run in range(1, args.runs + 1):
                for layer, (env, world, data_dir) in worlds.items():
                    rows += await measure(layer, env, world, data_dir, run, args)
    finally:
        for _env, _world, data_dir in worlds.values():
            shutil.rmtree(data_dir, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--clients", type=int, default=110)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--senders", type=int, default=20, help="round-robin senders")
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL for the Redis layers (recreated)"
    )
    parser.add_argument("--no-worker", action="store_true", help="no db_worker beside daphne")
    parser.add_argument("--profile", default="", help="py-spy daphne into this folder")
    parser.add_argument("--runs", type=int, default=1, help="runs on the same world")
    parser.add_argument(
        "--lock", default="", help="flock this file around the measurements only"
    )
    parser.add_argument(
        "--layers",
        nargs="+",
        default=["redis", "pubsub"],
        choices=["redis", "pubsub", "memory", "memory-stock"],
    )
    args = parser.parse_args()
    if set(args.layers) - {"memory", "memory-stock"} and not redis_reachable(redis_url()):
        sys.exit(f"Redis not reachable at {redis_url()}")
    rows = asyncio.run(bench(args))
    print(
        f"\n{args.clients} clients, {args.messages} messages at {args.rate:g}/s from "
        f"{args.senders} senders (time until the last client has the message)\n"
    )
    print("| run | layer | database | consumer | p50 | p99 | complete | lost | load average |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(
            f"| {row['run']} | {row['layer']} | {row['database']} | {row['consumer']} | "
            f"{row['p50']:.1f} ms | {row['p99']:.1f} ms | {row['complete']}/{args.messages} | "
            f"{row['lost']} | {row['load']} |"
        )


if __name__ == "__main__":
    main()
