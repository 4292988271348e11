"""Reconnect storms and socket capacity of daphne processes (issue 18).

Not a test. Starts one daphne process serving a bench-only ASGI app (bench/storm_asgi.py:
Agora's hub at /ws/, a bare Channels consumer at /bare/ as the floor) on a throw-away
assembly (110 people, each in the plenary and two of eight subgroups), then:

- ``rate``: P load-generating processes open --rate-sockets authenticated sockets with
  C concurrent handshakes each, and hold them: sockets greeted by ``hello`` per second,
  for /bare/ then /ws/ (a fresh daphne for each), with the CPU the server and the
  generators used;
- ``idle``: --idle-sockets sockets opened (same way) and held idle: daphne's RSS before
  and after, how many are still open after --idle seconds;
- ``storm``: --storm sockets connected (to --servers daphne processes, each generator's to
  one of them); daphne is killed (SIGKILL; every one of them) and started again; every
  client reconnects on the browser's schedule (static/js/socket.js: backoff 500 ms × 2^n,
  capped at 30 s, times a jitter in [0.5, 1)) and the bench records when each one has its
  ``hello`` again, and every close code or error on the way.

    .venv/bin/python bench/reconnect_storm.py                         # embedded default
    .venv/bin/python bench/reconnect_storm.py --stack production \\
        --database postgres://postgres@127.0.0.1:5432/h_storm --redis redis://127.0.0.1:18479/24
    .venv/bin/python bench/reconnect_storm.py --phases rate --rate-sockets 2000
    .venv/bin/python bench/reconnect_storm.py --stack production --phases storm --servers 2

Embedded default: SQLite file, in-memory channel layer. Production: PostgreSQL (the
database in --database is dropped and created again) and the Redis channel layer (the
Redis database in --redis is flushed). Clients use the source addresses 127.0.0.2… (one
per generator) so that 10,000 sockets do not run out of ephemeral ports.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.realtime.servers import Daphne, django_env, migrate, run_python  # noqa: E402

APP = "bench.storm_asgi:application"
PORT = 18401

# static/js/socket.js, the same constants.
BACKOFF_FIRST_MS = 500
BACKOFF_MAX_MS = 30000


def backoff(attempts: int, floor: float = 0) -> float:
    """Seconds before the next try, as the browser computes it."""
    base = max(floor, min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2**attempts))
    return base * (0.5 + random.random() / 2) / 1000  # noqa: S311 - jitter, not security


SETUP = """
from django.test import Client
from accounts.roles import Role
from assembly import actions as assembly_actions
from forums.actions import ensure_rooms
from tests import factories
assembly = factories.make_assembly()
mandate = factories.make_mandate(assembly)
people = []
for i in range(min(PEOPLE, 108)):
    people.append(factories.make_titulaire(assembly, email=f"membre{i}@example.org"))
for i in range(max(0, PEOPLE - 108)):
    people.append(factories.UserFactory(email=f"agent{i}@example.org", roles=[Role.AGENT]))
titulaires = people[:108]
for g in range(SUBGROUPS):
    members = [p for i, p in enumerate(titulaires) if g in (i % SUBGROUPS, (i + 1) % SUBGROUPS)]
    assembly_actions.do_create_subgroup(None, mandate=mandate, name=f"Groupe {g}", members=members)
ensure_rooms(mandate)
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
print(json.dumps({"cookies": [cookie(p) for p in people]}))
"""


# --- Load generators (child processes) ----------------------------------------------------


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def raise_open_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class Client:
    """One browser tab's socket: connects, waits for hello, reconnects on the browser's
    schedule when dropped (if ``reconnect``)."""

    def __init__(self, url: str, origin: str, cookie: str, source: str) -> None:
        self.url, self.origin, self.cookie, self.source = url, origin, cookie, source
        self.socket: Any = None
        self.hellos: list[float] = []  # wall-clock time of each hello
        self.dropped_at: float | None = None
        self.attempts = 0
        self.tries_after_drop = 0
        self.errors: Counter[str] = Counter()
        self.closes: Counter[str] = Counter()

    async def open_once(self, timeout: float) -> bool:
        import websockets

        try:
            self.socket = await websockets.connect(
                self.url,
                origin=self.origin,  # type: ignore[arg-type]
                additional_headers={"Cookie": self.cookie},
                max_size=2**20,
                open_timeout=timeout,
                close_timeout=1,
                ping_interval=None,
                local_addr=(self.source, 0),
            )
            frame = json.loads(await asyncio.wait_for(self.socket.recv(), timeout))
        except (TimeoutError, OSError) as exc:
            self.closes[type(exc).__name__] += 1
            await self._discard()
            return False
        except Exception as exc:  # a close before hello, an HTTP refusal…
            code = getattr(getattr(exc, "rcvd", None), "code", None)
            self.closes[f"{type(exc).__name__}:{code}"] += 1
            await self._discard()
            return False
        if frame.get("type") != "hello":
            self.errors[f"first frame {frame.get('type')}"] += 1
            await self._discard()
            return False
        self.hellos.append(time.time())
        self.attempts = 0
        return True

    async def _discard(self) -> None:
        if self.socket is not None:
            try:
                await self.socket.close()
            except Exception:  # noqa: S110 - already gone
                pass
        self.socket = None

    async def hold(self, reconnect: bool) -> None:
        """Read until the socket drops; then, if asked, reconnect as the browser does."""
        while True:
            if self.socket is not None:
                try:
                    async for _ in self.socket:
                        pass
                    code = self.socket.close_code
                except Exception as exc:
                    code = type(exc).__name__
                self.closes[f"close:{code}"] += 1
                self.socket = None
                if not reconnect:
                    return
                if self.dropped_at is None:
                    self.dropped_at = time.time()
            if not reconnect:
                return
            await asyncio.sleep(backoff(self.attempts))
            self.attempts += 1
            self.tries_after_drop += 1
            await self.open_once(timeout=30)


async def open_many(clients: list[Client], concurrency: int, timeout: float) -> list[float]:
    """Open every client, ``concurrency`` handshakes at a time; return each handshake time."""
    queue: asyncio.Queue[Client] = asyncio.Queue()
    for client in clients:
        queue.put_nowait(client)
    times: list[float] = []

    async def loop() -> None:
        while not queue.empty():
            client = queue.get_nowait()
            started = time.perf_counter()
            if await client.open_once(timeout):
                times.append(time.perf_counter() - started)

    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return times


async def generator_main(conn: Connection, spec: dict[str, Any]) -> None:
    raise_open_files()
    clients = [
        Client(spec["url"], spec["origin"], cookie, spec["source"]) for cookie in spec["cookies"]
    ]
    cpu0, t0 = cpu_seconds(), time.time()
    times = await open_many(clients, spec["concurrency"], timeout=60)
    t1 = time.time()
    holders = [asyncio.create_task(c.hold(spec["reconnect"])) for c in clients if c.socket]
    conn.send(
        {
            "opened": len(times),
            "started": t0,
            "ended": t1,
            "handshake": times,
            "cpu": cpu_seconds() - cpu0,
            "closes": dict(sum((c.closes for c in clients), Counter())),
        }
    )
    loop = asyncio.get_running_loop()
    command = await loop.run_in_executor(None, conn.recv)
    if command != "stop":
        await report(conn, spec, clients, holders, command, cpu0)
        await loop.run_in_executor(None, conn.recv)
    for task in holders:
        task.cancel()
    await asyncio.gather(*holders, return_exceptions=True)
    await asyncio.gather(*(c._discard() for c in clients), return_exceptions=True)


async def report(
    conn: Connection,
    spec: dict[str, Any],
    clients: list[Client],
    holders: list[asyncio.Task[None]],
    command: str,
    cpu0: float,
) -> None:
    if command == "storm":
        # The server is killed now; wait until every client has hello again or time is up.
        deadline = time.time() + spec["storm_timeout"]
        while time.time() < deadline:
            if all(len(c.hellos) >= 2 for c in clients):
                break
            await asyncio.sleep(0.1)
    alive = sum(1 for c in clients if c.socket is not None and c.socket.state.name == "OPEN")
    conn.send(
        {
            "alive": alive,
            "cpu": cpu_seconds() - cpu0,
            "dropped": [c.dropped_at for c in clients],
            "rehello": [c.hellos[1] if len(c.hellos) > 1 else None for c in clients],
            "tries": [c.tries_after_drop for c in clients],
            "closes": dict(sum((c.closes for c in clients), Counter())),
            "errors": dict(sum((c.errors for c in clients), Counter())),
        }
    )


def generator(conn: Connection, spec: dict[str, Any]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    asyncio.run(generator_main(conn, spec))


# --- The conductor --------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Generators:
    """P load-generating processes, each with its share of the sockets."""

    def __init__(self, server: Daphne | list[Daphne], path: str, cookies: list[str],
                 sockets: int, procs: int, concurrency: int, reconnect: bool = False,
                 storm_timeout: float = 60) -> None:
        context = multiprocessing.get_context("spawn")
        self.conns: list[Connection] = []
        self.procs: list[Any] = []
        servers = server if isinstance(server, list) else [server]
        for i in range(procs):
            # Several servers: each generator's sockets go to one of them, in turn (the
            # proxy's balancing, without a proxy in the way).
            server = servers[i % len(servers)]
            share = [cookies[n % len(cookies)] for n in range(i, sockets, procs)]
            spec = {
                "url": server.url(path), "origin": server.origin, "cookies": share,
                "source": f"127.0.0.{2 + i}", "concurrency": concurrency,
                "reconnect": reconnect, "storm_timeout": storm_timeout,
            }
            parent, child = context.Pipe()
            process = context.Process(target=generator, args=(child, spec), daemon=True)
            process.start()
            self.conns.append(parent)
            self.procs.append(process)

    def gather(self, timeout: float = 900) -> list[dict[str, Any]]:
        results = []
        for conn in self.conns:
            if not conn.poll(timeout):
                raise RuntimeError("a generator did not answer")
            results.append(conn.recv())
        return results

    def tell(self, command: str) -> None:
        for conn in self.conns:
            conn.send(command)

    def stop(self) -> None:
        for conn in self.conns:
            try:
                conn.send("stop")
            except OSError:
                pass
        for process in self.procs:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def opened_summary(results: list[dict[str, Any]]) -> dict[str, Any]:
    opened = sum(r["opened"] for r in results)
    elapsed = max(r["ended"] for r in results) - min(r["started"] for r in results)
    handshakes = sorted(t for r in results for t in r["handshake"])
    closes: Counter[str] = Counter()
    for r in results:
        closes.update(r["closes"])
    return {
        "opened": opened,
        "elapsed": elapsed,
        "rate": opened / elapsed if elapsed else 0.0,
        "p50": handshakes[len(handshakes) // 2] if handshakes else None,
        "p99": handshakes[int(len(handshakes) * 0.99) - 1] if handshakes else None,
        "generator_cpu": sum(r["cpu"] for r in results),
        "failed": dict(closes),
    }


def start_daphne(env: dict[str, str], index: int = 0) -> Daphne:
    server = Daphne(env, app=APP)
    server.port = PORT + index
    return server.__enter__()


def phase_rate(env: dict[str, str], cookies: list[str], args: argparse.Namespace) -> None:
    for path in args.rate_paths.split(","):
        server = start_daphne(env)
        try:
            time.sleep(1)
            before = loadavg()
            cpu0 = process_cpu(server.pid)
            spy = None
            if args.py_spy:  # a profile of daphne while the sockets open (a flame graph)
                out = f"{args.py_spy}-{path.strip('/')}.txt"
                spy = subprocess.Popen(  # noqa: S603 - a profiler the user named
                    [args.py_spy_bin, "record", "-p", str(server.pid), "-o", out, "-r", "200",
                     "-f", "raw", "--threads", "--nonblocking"], stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            gens = Generators(server, path, cookies, args.rate_sockets, args.procs,
                              args.concurrency)
            summary = opened_summary(gens.gather())
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
            server_cpu = process_cpu(server.pid) - cpu0
            gens.stop()
            print(
                f"rate {path}: {summary['opened']}/{args.rate_sockets} opened in "
                f"{summary['elapsed']:.2f} s = {summary['rate']:.0f} sockets/s; handshake+hello "
                f"p50 {summary['p50'] * 1000:.0f} ms p99 {summary['p99'] * 1000:.0f} ms; "
                f"daphne CPU {server_cpu:.1f} s ({100 * server_cpu / summary['elapsed']:.0f} % "
                f"of a core); generators' CPU {summary['generator_cpu']:.1f} s "
                f"({args.procs} processes × {args.concurrency}); failures {summary['failed']}; "
                f"load average before {before}, after {loadavg()}",
                flush=True,
            )
        finally:
            server.stop()


def phase_idle(env: dict[str, str], cookies: list[str], args: argparse.Namespace) -> None:
    server = start_daphne(env)
    try:
        time.sleep(2)
        before_load = loadavg()
        before = rss_mb(server.pid)
        gens = Generators(server, "/ws/", cookies, args.idle_sockets, args.procs, args.concurrency)
        summary = opened_summary(gens.gather())
        time.sleep(args.idle)
        after = rss_mb(server.pid)
        gens.tell("count")
        alive = sum(r["alive"] for r in gens.gather())
        gens.stop()
        print(
            f"idle: {summary['opened']}/{args.idle_sockets} opened in {summary['elapsed']:.1f} s "
            f"({summary['rate']:.0f}/s), {alive} still open after {args.idle:g} s idle; daphne "
            f"RSS {before:.0f} MB before, {after:.0f} MB with them "
            f"({(after - before) * 1024 / max(1, alive):.0f} KB per socket); failures "
            f"{summary['failed']}; load average before {before_load}, after {loadavg()}",
            flush=True,
        )
    finally:
        server.stop()


def phase_storm(env: dict[str, str], cookies: list[str], args: argparse.Namespace) -> None:
    """The storm on --servers daphne processes (the production stack for more than one):
    all of them are killed at once and started again, as after a crash or a restart of
    the whole service."""
    servers = [start_daphne(env, index) for index in range(args.servers)]
    gens: Generators | None = None
    try:
        time.sleep(1)
        before_load = loadavg()
        gens = Generators(servers, "/ws/", cookies, args.storm, args.procs, args.concurrency,
                          reconnect=True, storm_timeout=args.storm_timeout)
        summary = opened_summary(gens.gather())
        time.sleep(2)
        gens.tell("storm")
        killed = time.time()
        for server in servers:
            server.process.kill()  # type: ignore[union-attr]
        for server in servers:
            server.process.wait(timeout=10)  # type: ignore[union-attr]
        servers = [start_daphne(env, index) for index in range(args.servers)]
        listening = time.time()
        results = gens.gather(timeout=args.storm_timeout + 120)
        rehello = [t for r in results for t in r["rehello"]]
        served = sorted(t - listening for t in rehello if t is not None)
        closes: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        for r in results:
            closes.update(r["closes"])
            errors.update(r["errors"])
        tries = [t for r in results for t in r["tries"]]
        last = served[-1] if served else float("nan")
        print(
            f"storm on {args.servers} daphne process(es): {summary['opened']}/{args.storm} "
            f"connected; daphne killed, listening again "
            f"{listening - killed:.1f} s later; {len(served)}/{args.storm} had hello again, the "
            f"last {last:.2f} s after daphne listened ({last + listening - killed:.2f} s after "
            f"the kill); after listening: p50 {statistics.median(served) if served else 0:.2f} s,"
            f" p99 {served[int(len(served) * 0.99) - 1] if served else 0:.2f} s; tries per client"
            f" mean {statistics.mean(tries):.1f} max {max(tries)}; closes and refusals on the way"
            f" {dict(closes)}; errors {dict(errors)}; load average before {before_load}, after "
            f"{loadavg()}",
            flush=True,
        )
    finally:
        if gens is not None:
            gens.stop()
        for server in servers:
            server.stop()


def fresh_postgres(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stack", choices=["embedded", "production"], default="embedded")
    parser.add_argument("--database", default="postgres://postgres@127.0.0.1:5432/h_storm")
    parser.add_argument(
        "--redis", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/1",
        help="flushed first: never a database in use",
    )
    parser.add_argument("--phases", default="rate,idle,storm")
    parser.add_argument("--people", type=int, default=110)
    parser.add_argument("--subgroups", type=int, default=8)
    parser.add_argument("--procs", type=int, default=4, help="load-generating processes")
    parser.add_argument("--concurrency", type=int, default=25, help="handshakes per process")
    parser.add_argument("--rate-sockets", type=int, default=3000)
    parser.add_argument("--idle-sockets", type=int, default=10000)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--storm", type=int, default=1000)
    parser.add_argument("--storm-timeout", type=float, default=60.0)
    parser.add_argument("--servers", type=int, default=1,
                        help="daphne processes in the storm (more than one: --stack production)")
    parser.add_argument("--rate-paths", default="/raw/,/bare/,/ws/",
                        help="/raw/: daphne alone; /bare/: + session and person; /ws/: Agora")
    parser.add_argument("--py-spy", help="profile daphne in the rate phase into PREFIX-*.svg")
    parser.add_argument("--py-spy-bin", default="py-spy")
    args = parser.parse_args()
    if args.servers > 1 and args.stack != "production":
        parser.error("--servers above 1 needs --stack production (a Redis channel layer)")
    raise_open_files()
    data_dir = Path(tempfile.mkdtemp(prefix="agora-storm-"))
    extra = {"BENCH_LAYER": "memory", "REDIS_URL": ""}
    if args.stack == "production":
        fresh_postgres(args.database)
        import redis

        redis.Redis.from_url(args.redis).flushdb()
        extra = {"BENCH_LAYER": "redis", "REDIS_URL": args.redis, "DATABASE_URL": args.database}
    env = django_env(data_dir, **extra)
    env["DJANGO_SETTINGS_MODULE"] = "bench.chat_settings"
    try:
        migrate(env)
        world = run_python(
            env, f"PEOPLE = {args.people}\nSUBGROUPS = {args.subgroups}\n" + SETUP, timeout=600
        )
        print(f"stack {args.stack}; load average {loadavg()}", flush=True)
        phases = args.phases.split(",")
        if "rate" in phases:
            phase_rate(env, world["cookies"], args)
        if "idle" in phases:
            phase_idle(env, world["cookies"], args)
        if "storm" in phases:
            phase_storm(env, world["cookies"], args)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
