"""Co-writing bench: N writers typing into one draft, Agora (daphne) vs the Node reference.

Not a test. In one run, on the same machine, it starts:

- Agora: a fresh data directory, PostgreSQL and Redis as in production (a bench database
  ``agora_bench`` created and dropped here, a spare Redis database index), migrations, an
  assembly with a subgroup of 40 titulaires and one draft per run, their session cookies,
  and ONE daphne process serving ``config.asgi:application`` with production flags;
- on the same daphne process, ``/bare/<room>``: a minimal Channels y-websocket relay (no
  auth, storage or layer), the floor of any Channels consumer on this machine;
- the reference: ``@y/websocket-server`` (``frontend/node_modules/@y/websocket-server``,
  in-memory documents, no auth) on another port;

then runs ``frontend/bench/writers.mjs`` (N stock Yjs + y-websocket clients split over
``--procs`` Node processes, 5 characters a second each) against each server for every writer count,
alternating which server goes first, and samples each server's CPU time
(/proc/<pid>/stat utime+stime) over the typing window. Prints one JSON line per run and a
markdown table; exits non-zero if a run did not converge.

    .venv/bin/python bench/drafts_writers.py                       # 20, 40, 80 writers, 60 s
    .venv/bin/python bench/drafts_writers.py --duration 30 --writers 20
    .venv/bin/python bench/drafts_writers.py --embedded            # SQLite + in-memory layer
    .venv/bin/python bench/drafts_writers.py --servers agora --trace   # time Agora's stages
    .venv/bin/python bench/drafts_writers.py --servers agora --profile /tmp/agora.prof

Needs PostgreSQL at --pg (default postgres://postgres@127.0.0.1:5432) and Redis at
127.0.0.1:6379 unless --embedded; Node 20 with frontend/node_modules installed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.realtime.servers import (  # noqa: E402
    Daphne,
    django_env,
    free_port,
    migrate,
    redis_reachable,
    run_python,
)

FRONTEND = ROOT / "frontend"
WRITERS_JS = FRONTEND / "bench" / "writers.mjs"
REFERENCE_JS = FRONTEND / "node_modules" / "@y" / "websocket-server" / "src" / "server.js"
TICK = os.sysconf("SC_CLK_TCK")

SETUP = """
from django.test import Client
from deliberation import drafts
from deliberation.models import Draft, Proposal
from tests import factories
assembly = factories.make_assembly()
mandate = factories.make_mandate(assembly)
people = [factories.make_titulaire(assembly, email=f"plume{i}@example.org") for i in range(PEOPLE)]
subgroup = factories.make_subgroup(assembly, members=people, mandate=mandate, name="Mobilité")
ids = []
for n in range(DRAFTS):
    proposal = Proposal.objects.create(mandate=mandate, subgroup=subgroup, title=f"Banc {n}")
    ids.append(str(Draft.objects.create(proposal=proposal, snapshot=drafts.template_update()).pk))
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
print(json.dumps({"drafts": ids, "cookies": [cookie(p) for p in people]}))
"""

CHECK = """
from deliberation import drafts
from deliberation.models import DraftUpdate
out = {}
for draft_id in IDS:
    loaded = drafts.load(draft_id)
    out[draft_id] = {
        "stored_updates": DraftUpdate.objects.filter(draft_id=draft_id).count(),
        "stored_bytes": loaded.stored_bytes,
        "chars": len(drafts.doc_text(loaded.doc)),
    }
print(json.dumps(out))
"""


# --- The bench's ASGI app (served by daphne) ---------------------------------------------
# daphne serves "bench.drafts_writers:application" (or ":traced_application"): Agora's
# config.asgi application for every path, except /bare/<room>, a minimal y-websocket
# consumer on the same daphne and Channels (a pycrdt document per room, fan-out straight
# to the room's sockets in this process; no auth, no storage, no channel layer) — the
# floor of any Channels consumer on this machine, measured in the same run.

BARE_ROOMS: dict[str, Any] = {}


def _bare_consumer() -> Any:
    import pycrdt
    from channels.generic.websocket import AsyncWebsocketConsumer

    from realtime.yjs import protocol as yp

    class BareRoom:
        def __init__(self) -> None:
            self.doc: pycrdt.Doc = pycrdt.Doc()
            self.sockets: set[Any] = set()

    class BareRelay(AsyncWebsocketConsumer):
        channel_layer_alias = "none"  # no layer channel per socket

        async def connect(self) -> None:
            await self.accept()
            self.room = BARE_ROOMS.setdefault(self.scope["path"].rstrip("/"), BareRoom())
            self.room.sockets.add(self)
            await self.send(bytes_data=yp.sync_step1(self.room.doc.get_state()))

        async def disconnect(self, code: int) -> None:
            self.room.sockets.discard(self)

        async def others(self, message: bytes) -> None:
            for peer in list(self.room.sockets):
                if peer is not self:
                    try:
                        await peer.send(bytes_data=message)
                    except Exception:  # noqa: BLE001,S110 - gone; its disconnect cleans up
                        pass

        async def receive(self, text_data: Any = None, bytes_data: Any = None) -> None:
            reader = yp.Reader(bytes_data)
            kind = reader.var_uint()
            if kind == yp.MESSAGE_SYNC:
                step = reader.var_uint()
                payload = reader.var_bytes()
                if step == yp.SYNC_STEP1:
                    await self.send(bytes_data=yp.sync_step2(self.room.doc.get_update(payload)))
                else:
                    self.room.doc.apply_update(payload)
                    await self.others(yp.sync_update(payload))
            elif kind == yp.MESSAGE_AWARENESS:
                await self.others(bytes_data)

    return BareRelay.as_asgi()


TRACE: dict[str, list[list[float]]] = {"batch": [], "apply": [], "lag": [], "tick": []}


def _install_trace(path: str) -> None:
    """Time the stages of Agora's write path without changing it (monkeypatching here).

    Per stored batch: its size, how long its oldest update waited between `enqueue` and
    the storage thread starting, the time in `drafts.append` (the database transaction),
    the return to the event loop, the fan-out to this process's sockets (`send_all`),
    and the channel-layer publish. Also pycrdt apply per update and event-loop lag.
    Written to `path` on request (monotonic timestamps: comparable with the bench's)."""
    import asyncio
    import collections
    import threading

    from deliberation.draft_store import DraftStore
    from realtime.yjs import hub

    original_on_writer = hub.on_writer
    original_enqueue = hub.YDocSession.enqueue
    original_apply = hub.YDocSession.apply
    original_fan_out = hub.YDocSession.fan_out
    queued: collections.deque[float] = collections.deque()
    lag_task: list[Any] = []

    async def lag_probe() -> None:
        while True:
            t = time.monotonic()
            await asyncio.sleep(0.01)
            TRACE["lag"].append([t, time.monotonic() - t - 0.01])

    def enqueue(self: Any, sender: Any, effective: bytes, author: Any, facts: Any = None) -> None:
        queued.append(time.monotonic())
        if not lag_task:
            lag_task.append(asyncio.create_task(lag_probe()))
        original_enqueue(self, sender, effective, author, facts)

    def apply(self: Any, update: bytes, *, shadowed: bool = False) -> bytes:
        t = time.monotonic()
        try:
            return original_apply(self, update, shadowed=shadowed)
        finally:
            TRACE["apply"].append([t, time.monotonic() - t])

    async def on_writer(function: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(function, "__func__", None) is not DraftStore.append:
            return await original_on_writer(function, *args, **kwargs)
        stamps: dict[str, float] = {}

        def timed(*a: Any, **k: Any) -> Any:
            stamps["start"] = time.monotonic()
            try:
                return function(*a, **k)
            finally:
                stamps["end"] = time.monotonic()

        called = time.monotonic()
        result = await original_on_writer(timed, *args, **kwargs)
        back = time.monotonic()
        n = len(args[1])
        oldest = queued[0] if queued else called
        for _ in range(min(n, len(queued))):
            queued.popleft()
        # Since issue 18 the fan-out runs beside the commit (send ticks, below) and the
        # publish goes to other processes only (none here): the batch row is the commit.
        TRACE["batch"].append(
            [called, n, called - oldest, stamps["start"] - called,
             stamps["end"] - stamps["start"], back - stamps["end"], 0.0, 0.0,
             back - oldest]
        )  # fmt: skip
        return result

    async def fan_out(self: Any, batch: Any) -> None:
        t = time.monotonic()
        await original_fan_out(self, batch)
        TRACE["tick"].append([t, len(batch), time.monotonic() - t])

    hub.on_writer = on_writer  # type: ignore[assignment]
    hub.YDocSession.enqueue = enqueue  # type: ignore[method-assign]
    hub.YDocSession.apply = apply  # type: ignore[method-assign]
    hub.YDocSession.fan_out = fan_out  # type: ignore[method-assign]

    def dump() -> None:
        # Only on request (the orchestrator touches `path`.request after a run): a dump
        # holds the GIL and would show up in the latencies it measures.
        request = Path(path + ".request")
        while True:
            time.sleep(0.5)
            if request.exists():
                Path(path + ".tmp").write_text(json.dumps(TRACE))
                Path(path + ".tmp").replace(path)
                request.unlink()

    threading.Thread(target=dump, daemon=True).start()


def _bench_application(traced: bool) -> Any:
    from config.asgi import application as agora

    if traced:
        _install_trace(os.environ["BENCH_TRACE_FILE"])
    bare = _bare_consumer()

    async def application(scope: Any, receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and scope["path"].startswith("/bare/"):
            return await bare(scope, receive, send)
        return await agora(scope, receive, send)

    return application


def __getattr__(name: str) -> Any:
    # Built on first access (by daphne), not when the orchestrator imports this module.
    if name in ("application", "traced_application"):
        app = _bench_application(traced=name == "traced_application")
        globals()[name] = app
        return app
    raise AttributeError(name)


def summarise_trace(path: Path, start: float, end: float) -> dict[str, Any]:
    """Percentiles of the traced stages within [start, end] (monotonic seconds)."""
    data = json.loads(path.read_text())

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        if not ordered:
            return float("nan")
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    batches = [b for b in data["batch"] if start <= b[0] <= end]
    names = ["size", "waited", "thread_wait", "db", "resume", "fanout", "publish", "total"]
    out: dict[str, Any] = {"batches": len(batches)}
    for i, name in enumerate(names, start=1):
        values = [b[i] * (1 if name == "size" else 1000) for b in batches]
        out[name] = {"p50": pct(values, 50), "p99": pct(values, 99), "max": max(values, default=0)}
    applies = [a[1] * 1000 for a in data["apply"] if start <= a[0] <= end]
    lags = [a[1] * 1000 for a in data["lag"] if start <= a[0] <= end]
    out["apply"] = {
        "p50": pct(applies, 50),
        "p99": pct(applies, 99),
        "max": max(applies, default=0),
    }
    out["loop_lag"] = {"p50": pct(lags, 50), "p99": pct(lags, 99), "max": max(lags, default=0)}
    ticks = [a for a in data.get("tick", []) if start <= a[0] <= end]
    sizes = [float(a[1]) for a in ticks]
    spent = [a[2] * 1000 for a in ticks]
    for name, values in (("tick_size", sizes), ("tick_fanout", spent)):
        out[name] = {"p50": pct(values, 50), "p99": pct(values, 99), "max": max(values, default=0)}
    return out


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the ")" of comm: field 3 is index 0, so utime (14) is index 11, stime (15) 12.
    return (int(fields[11]) + int(fields[12])) / TICK


def create_database(pg: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(pg: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Reference:
    """The reference y-websocket server (Node, in-memory documents)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Reference:
        env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(self.port)}
        self.process = subprocess.Popen(  # noqa: S603
            ["node", str(REFERENCE_JS)],  # noqa: S607
            env=env,
            cwd=FRONTEND,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError("the reference server did not start")

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid


class PgSampler:
    """CPU of the PostgreSQL backends serving the bench database, sampled every 0.5 s.

    Backends come and go (Django reconnects after CONN_MAX_AGE): each pid counts from the
    first time it is seen (0 if it started after `start`) to the last."""

    def __init__(self, admin_url: str, dbname: str) -> None:
        import threading

        self.admin_url, self.dbname = admin_url, dbname
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self, initial: bool = False) -> None:
        for pid in self._pids():
            try:
                cpu = cpu_seconds(pid)
            except (FileNotFoundError, ProcessLookupError):
                continue
            self.first.setdefault(pid, cpu if initial else 0.0)
            self.last[pid] = cpu

    def _pids(self) -> list[int]:
        rows = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.dbname,)
        ).fetchall()
        return [row[0] for row in rows]

    def _run(self) -> None:
        while not self.stop_event.wait(0.5):
            self._sample()

    def __enter__(self) -> PgSampler:
        import psycopg

        self.conn = psycopg.connect(self.admin_url, autocommit=True)
        self._sample(initial=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop_event.set()
        self.thread.join()
        self._sample()
        self.conn.close()

    @property
    def seconds(self) -> float:
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


class ProfiledDaphne(Daphne):
    """daphne under cProfile (stats written to `profile` when it stops)."""

    def __init__(self, env: dict[str, str], app: str, profile: str) -> None:
        super().__init__(env, app=app)
        self.profile = profile

    def __enter__(self) -> ProfiledDaphne:
        from tests.realtime.servers import DAPHNE_LIMITS

        daphne = str(Path(sys.executable).with_name("daphne"))
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="daphne-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "cProfile", "-o", self.profile, daphne, "-v", "1",
             "-b", "127.0.0.1", "-p", str(self.port), *DAPHNE_LIMITS, self.app],
            env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log_tail())
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("daphne did not start within 30 s")


def run_writers(
    *,
    url: str,
    room: str,
    writers: int,
    duration: float,
    server_pid: int,
    cookies_file: str | None,
    origin: str | None,
    seed: int,
    pg: tuple[str, str] | None,
    procs: int = 4,
) -> dict[str, Any]:
    command = [
        "node",
        str(WRITERS_JS),
        "--url", url,
        "--room", room,
        "--writers", str(writers),
        "--duration", str(duration),
        "--seed", str(seed),
        "--procs", str(procs),
    ]  # fmt: skip
    if cookies_file:
        command += ["--cookies", cookies_file]
    if origin:
        command += ["--origin", origin]
    cpu_before = cpu_seconds(server_pid)
    process = subprocess.Popen(  # noqa: S603
        command, cwd=FRONTEND, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None and process.stdout is not None
    marks: dict[str, tuple[float, float]] = {}
    other: list[str] = []
    sampler: PgSampler | None = None
    for line in process.stderr:
        line = line.strip()
        if line.startswith("PHASE "):
            marks[line[6:]] = (time.monotonic(), cpu_seconds(server_pid))
            if pg and line == "PHASE typing-start":
                sampler = PgSampler(*pg).__enter__()
            if sampler and line == "PHASE typing-end":
                sampler.__exit__(None, None, None)
        elif line:
            other.append(line)
    out = process.stdout.read()
    process.wait(timeout=60)
    cpu_after = cpu_seconds(server_pid)
    if process.returncode != 0 or not out.strip():
        raise RuntimeError(f"writers.mjs failed ({process.returncode}): {' '.join(other)[-2000:]}")
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    if "typing-start" in marks and "typing-end" in marks:
        (t0, c0), (t1, c1) = marks["typing-start"], marks["typing-end"]
        result["window"] = [t0, t1]
        result["server_cpu_s"] = c1 - c0
        result["server_cpu_pct"] = 100 * (c1 - c0) / (t1 - t0)
        # Server CPU per relayed update, one definition for every server: CPU seconds of
        # the server process over the typing window divided by the deliveries (one
        # keystroke reaching one other writer; N-1 per keystroke), and by the keystrokes.
        if result["deliveries_received"]:
            result["cpu_us_per_delivery"] = 1e6 * (c1 - c0) / result["deliveries_received"]
        if result["keystrokes"]:
            result["cpu_us_per_update"] = 1e6 * (c1 - c0) / result["keystrokes"]
        if sampler:
            result["pg_cpu_pct"] = 100 * sampler.seconds / (t1 - t0)
    result["server_cpu_whole_run_s"] = cpu_after - cpu_before
    if other:
        result["stderr"] = other[-5:]
    return result


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def fmt(value: float | None, unit: str = " ms") -> str:
    if value is None or value != value:
        return "–"
    return f"{value:,.1f}{unit}" if value < 100 else f"{value:,.0f}{unit}"


LABELS = {
    "agora": "Agora (daphne, /ws/drafts)",
    "bare": "bare Channels relay (same daphne, /bare)",
    "reference": "@y/websocket-server (Node)",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, nargs="+", default=[20, 40, 80])
    parser.add_argument("--procs", type=int, default=4, help="load-generating Node processes")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--repeat", type=int, default=1, help="runs per server and writer count")
    parser.add_argument("--embedded", action="store_true", help="SQLite + in-memory layer")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="agora_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13", help="a spare db index")
    parser.add_argument(
        "--servers", nargs="+", default=["agora", "bare", "reference"], choices=list(LABELS)
    )
    parser.add_argument("--trace", action="store_true", help="time the stages of Agora's path")
    parser.add_argument("--profile", help="run daphne under cProfile, stats to this file")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args()

    people = max(max(args.writers), 40)
    runs = len(args.writers) * args.repeat
    data_dir = Path(tempfile.mkdtemp(prefix="agora-drafts-bench-"))
    trace_file = data_dir / "trace.json"
    extra = {"DEBUG": "0", "LOG_LEVEL": "WARNING", "BENCH_TRACE_FILE": str(trace_file)}
    if args.embedded:
        extra.update(REDIS_URL="")
    else:
        if not redis_reachable(args.redis):
            sys.exit(f"Redis not reachable at {args.redis} (or use --embedded)")
        create_database(args.pg, args.db)
        extra.update(DATABASE_URL=f"{args.pg}/{args.db}", REDIS_URL=args.redis)
    env = django_env(data_dir, **extra)
    pg = None if args.embedded else (f"{args.pg}/postgres", args.db)
    app = f"bench.drafts_writers:{'traced_application' if args.trace else 'application'}"
    rows: list[dict[str, Any]] = []
    print(f"load average before: {loadavg()}", flush=True)
    try:
        migrate(env)
        world = run_python(env, f"PEOPLE = {people}\nDRAFTS = {runs}\n" + SETUP, timeout=600)
        cookies_file = data_dir / "cookies.json"
        cookies_file.write_text(json.dumps(world["cookies"]))
        drafts = iter(world["drafts"])
        daphne = ProfiledDaphne(env, app, args.profile) if args.profile else Daphne(env, app=app)
        with daphne as agora, Reference() as reference:
            paths = {"agora": "/ws/drafts", "bare": "/bare", "reference": "/ws/drafts"}
            order = [name for name in LABELS if name in args.servers]
            for index, (writers, rep) in enumerate(
                (w, r) for w in args.writers for r in range(args.repeat)
            ):
                room = next(drafts)
                shift = index % len(order)
                for name in order[shift:] + order[:shift]:  # a different server goes first
                    ours = name == "agora"
                    server: Any = reference if name == "reference" else agora
                    result = run_writers(
                        url=f"ws://127.0.0.1:{server.port}{paths[name]}",
                        room=room,
                        writers=writers,
                        duration=args.duration,
                        server_pid=server.pid,
                        cookies_file=str(cookies_file) if ours else None,
                        origin=agora.origin if ours else None,
                        seed=1000 + index,
                        pg=pg if ours else None,
                        procs=args.procs,
                    )
                    result.update(server=name, rep=rep, loadavg=loadavg())
                    if ours and args.trace:
                        request = Path(str(trace_file) + ".request")
                        request.touch()
                        for _ in range(100):
                            if not request.exists():
                                break
                            time.sleep(0.2)
                        result["trace"] = summarise_trace(trace_file, *result["window"])
                    rows.append(result)
                    print(json.dumps(result), flush=True)
                    time.sleep(3)
        if "agora" in args.servers:
            stored = run_python(env, f"IDS = {list(world['drafts'])!r}\n" + CHECK)
            print("stored:", json.dumps(stored), flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if not args.embedded:
            drop_database(args.pg, args.db)
    print(f"load average after: {loadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))

    backend = "SQLite + in-memory layer" if args.embedded else "PostgreSQL + Redis layer"
    print(
        f"\n{args.duration:g} s of typing, 5 characters a second per writer; Agora on {backend}\n"
    )
    print(
        "| server | writers | p50 | p99 | max | deliveries | converged | server CPU "
        "(% of one core) | CPU µs per delivery | generator CPU (% of one core) |"
    )
    print("|---|---:|---:|---:|---:|---|---|---:|---:|---:|")
    for row in rows:
        cpu = f"{row['server_cpu_pct']:.0f} %" if "server_cpu_pct" in row else "–"
        if "pg_cpu_pct" in row:
            cpu += f" (+ PostgreSQL {row['pg_cpu_pct']:.0f} %)"
        print(
            f"| {LABELS[row['server']]} | {row['writers']} | {fmt(row['p50_ms'])} "
            f"| {fmt(row['p99_ms'])} | {fmt(row['max_ms'])} | {row['deliveries_received']:,}/"
            f"{row['deliveries_expected']:,} | {'yes' if row['converged'] else '**no**'} | {cpu} "
            f"| {row.get('cpu_us_per_delivery', float('nan')):.1f} "
            f"| {row.get('loadgen_cpu_pct', float('nan')):.0f} % ({row.get('procs', 1)} procs) |"
        )
    print()
    for writers in args.writers:
        for rep in range(args.repeat):
            by = {r["server"]: r for r in rows if r["writers"] == writers and r["rep"] == rep}
            if "reference" not in by:
                continue
            ref = by["reference"]
            for name in ("agora", "bare"):
                if name in by:
                    print(
                        f"{writers} writers: {name}/reference p50 "
                        f"{by[name]['p50_ms'] / ref['p50_ms']:.2f}x, "
                        f"p99 {by[name]['p99_ms'] / ref['p99_ms']:.2f}x, CPU per delivery "
                        f"{by[name]['cpu_us_per_delivery'] / ref['cpu_us_per_delivery']:.2f}x"
                    )
    traced = [r for r in rows if "trace" in r]
    if traced:
        print("\nAgora's write path, per stored batch (ms; size in updates): p50 / p99 / max\n")
        stages = ["size", "waited", "thread_wait", "db", "resume", "total", "apply",
                  "loop_lag", "tick_size", "tick_fanout"]  # fmt: skip
        print("| writers | batches | " + " | ".join(stages) + " |")
        print("|---:|---:|" + "---:|" * len(stages))
        for row in traced:
            t = row["trace"]
            cells = [f"{t[s]['p50']:.1f} / {t[s]['p99']:.1f} / {t[s]['max']:.0f}" for s in stages]
            print(f"| {row['writers']} | {t['batches']} | " + " | ".join(cells) + " |")
    if not all(row["converged"] for row in rows):
        sys.exit("a run did not converge")


if __name__ == "__main__":
    main()
