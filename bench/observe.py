"""Operations bench: what the metrics, the request ids, /healthz and /metrics cost.

Not a test. Starts daphne processes on 127.0.0.1 (the real config.asgi application, a
throw-away SQLite file or DATABASE_URL's server, REDIS_URL's Redis when set):

- two instrumented processes sharing one PROMETHEUS_MULTIPROC_DIR (the production shape);
- one peer without the two middlewares (bench/observe_settings.py), everything else equal.

Then, with --clients threads each keeping one HTTP/1.1 connection alive, it times:

1. a small view through the whole middleware stack (``/sw.js``, a 404 while web push is
   off), on an instrumented process and on the peer: the cost of counting and ids;
2. ``/healthz`` (every check) and ``/metrics`` (the sum over both processes' files, and
   the task table), against the same small view as a floor, on one instrumented process.

    .venv/bin/python bench/observe.py --requests 2000 --clients 4
    .venv/bin/python bench/observe.py --micro    # the middleware's metric calls alone

``--micro`` times, in this process, what RequestMetricsMiddleware adds to a request (one
histogram observation and one counter increment), in single-process and in multiprocess
mode (a child process with PROMETHEUS_MULTIPROC_DIR set).
"""

from __future__ import annotations

import argparse
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.realtime.servers import Daphne, django_env, migrate  # noqa: E402


def timed(port: int, path: str, count: int, clients: int) -> list[float]:
    """Latencies (ms) of `count` GETs spread over `clients` kept-alive connections."""
    latencies: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(n):
            started = time.perf_counter()
            connection.request("GET", path, headers={"Host": "127.0.0.1"})
            response = connection.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status >= 500:
                raise RuntimeError(f"{path}: {response.status}")
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(count // clients,)) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def summary(latencies: list[float], seconds: float) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[int(len(ordered) * 0.99) - 1],
        "per_s": len(ordered) / seconds,
    }


def run(port: int, path: str, count: int, clients: int) -> dict[str, float]:
    timed(port, path, max(clients * 5, count // 20), clients)  # warm-up
    started = time.perf_counter()
    latencies = timed(port, path, count, clients)
    return summary(latencies, time.perf_counter() - started)


def show(name: str, figures: dict[str, float], floor: dict[str, float] | None = None) -> None:
    line = (f"{name:<44} p50 {figures['p50']:7.2f} ms  p99 {figures['p99']:7.2f} ms  "
            f"{figures['per_s']:7.0f}/s")
    if floor:
        line += (f"   ×{figures['p50'] / floor['p50']:.2f} p50, "
                 f"×{figures['p99'] / floor['p99']:.2f} p99")
    print(line, flush=True)


MICRO = """
import os, timeit, django
django.setup()
from config import metrics as m
def one():
    m.HTTP_DURATION.labels("forums:room", "GET").observe(0.01)
    m.HTTP_REQUESTS.labels("forums:room", "GET", "200").inc()
n = 50000
print(f"{'multiprocess' if os.environ.get('PROMETHEUS_MULTIPROC_DIR') else 'single process'}: "
      f"{timeit.timeit(one, number=n) / n * 1e6:.1f} µs per request")
"""


def micro() -> None:
    import subprocess

    data = Path(tempfile.mkdtemp(prefix="agora-observe-"))
    env = django_env(data, REDIS_URL="")
    try:
        for extra in ({}, {"PROMETHEUS_MULTIPROC_DIR": str(data)}):
            subprocess.run([sys.executable, "-c", MICRO], env={**env, **extra}, check=True)  # noqa: S603
    finally:
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternate peer/instrumented")
    parser.add_argument("--micro", action="store_true", help="the metric calls alone")
    args = parser.parse_args()
    if args.micro:
        micro()
        return

    data = Path(tempfile.mkdtemp(prefix="agora-observe-"))
    metrics_dir = data / "metrics"
    metrics_dir.mkdir()
    extra = {} if os.environ.get("REDIS_URL") else {"REDIS_URL": ""}
    env = django_env(data, **extra)
    if os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    migrate(env)
    instrumented = {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
    peer_env = {**env, "DJANGO_SETTINGS_MODULE": "bench.observe_settings"}
    servers = [Daphne(instrumented), Daphne(instrumented), Daphne(peer_env)]
    try:
        for server in servers:
            server.__enter__()
        first, second, peer = servers
        print(f"{args.requests} requests, {args.clients} kept-alive clients, "
              f"{'PostgreSQL' if 'DATABASE_URL' in env else 'SQLite'}, "
              f"{'Redis' if env.get('REDIS_URL') else 'in-memory layer'}", flush=True)
        for round_ in range(1, args.rounds + 1):
            print(f"-- round {round_}")
            bare = run(peer.port, "/sw.js", args.requests, args.clients)
            show("/sw.js, peer without metrics and ids", bare)
            counted = run(first.port, "/sw.js", args.requests, args.clients)
            show("/sw.js, instrumented", counted, bare)
            run(second.port, "/sw.js", args.requests // 4, args.clients)  # 2nd process's files
            show("/healthz (all checks), instrumented",
                 run(first.port, "/healthz", args.requests // 4, args.clients), counted)
            show("/metrics (2 processes summed), instrumented",
                 run(first.port, "/metrics", args.requests // 10, args.clients), counted)
        files = sorted(p.name for p in metrics_dir.iterdir())
        print(f"multiprocess files: {len(files)} ({', '.join(files)})")
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    main()
