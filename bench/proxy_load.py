"""Load test of the production shape: nginx in front of 4 daphne processes and the worker,
on PostgreSQL and Redis, with Locust playing members; one daphne is killed mid-run.

Not a test. One run:

1. creates the PostgreSQL database ``agora_proxy`` (dropped at the end) from a seed made
   once (``--prepare-only``: migrations, ``seed_demo``: 108 titulaires in 6 subgroups,
   rooms, one draft per subgroup, the library with one PDF; collectstatic), starts a
   private redis-server on ``--port`` - 1 (no persistence; or uses ``--redis``);
2. logs the simulated users in by creating their sessions directly (``Client.force_login``
   in one process: no password hashing, no login page), cycling over the subgroups'
   titulaires (1,000 users on 108 people: about 9 open sessions each, like pages and
   phones), with the privacy notice and charter accepted;
3. starts, with ``AGORA_ENV=production``: 4 daphne processes with the command line of
   docs/deploy.md's unit (Unix sockets, ``--proxy-headers``…), ``manage.py db_worker``,
   and nginx (Debian's, as this user, in the foreground, its own prefix) with
   deploy/nginx/agora.conf rendered (TLS with a throw-away self-signed certificate,
   X-Accel-Redirect for the library, ``AGORA_TRUSTED_PROXY_COUNT=1``);
4. checks the proxy by hand (health through nginx, a download served by nginx from the
   internal location, that location refused from outside, the client address Django sees);
5. runs Locust headless (bench/proxy_locustfile.py, ``--processes``) for the duration,
   samples CPU and RSS of every process every 5 s from /proc, and SIGKILLs daphne 2 half-way
   through the steady state, restarting it 30 s later;
6. checks that every chat message acknowledged is in the database and reached every
   observer socket of its room, and every draft edit acknowledged is in the stored draft;
7. prints a markdown report (and writes it with the raw data under the output directory).

    .venv/bin/python bench/proxy_load.py --prepare-only     # the seed, outside the lock
    flock /tmp/agora-bench.lock .venv/bin/python bench/proxy_load.py          # 1,000 users, 10 min
    flock /tmp/agora-bench.lock .venv/bin/python bench/proxy_load.py --quick  # 100 users, 60 s

Needs nginx (Debian package), PostgreSQL at --pg and Redis at --redis, openssl, and the
bench extra (``pip install -c constraints.txt -e ".[bench]"``: Locust, websocket-client).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import proxy_deploy  # noqa: E402
from tests.realtime.servers import RedisServer, run_python  # noqa: E402

BIN = Path(sys.executable).parent
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
DATABASE = "agora_proxy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
SEED_DIR = Path(tempfile.gettempdir()) / "agora-proxy-seed"

WORLD = """
from django.test import Client
from assembly.models import Subgroup
from deliberation.models import Draft, Proposal
from documents.models import Document
from forums.models import Room, RoomKind
from gdpr.models import ConsentDecision, ConsentRecord, PolicyText, TextKind
subgroups = [sg for sg in Subgroup.objects.order_by("name")
             if Room.objects.filter(subgroup=sg, kind=RoomKind.SUBGROUP).exists()
             and Proposal.objects.filter(subgroup=sg).exists()
             and sg.members.filter(is_active=True).exists()]
texts = [(PolicyText.current(kind), decision) for kind, decision in (
    (TextKind.NOTICE, ConsentDecision.READ), (TextKind.CHARTER, ConsentDecision.ACCEPTED))]
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
places = []
observers, watchers = {}, {}
for subgroup in subgroups:
    room = Room.objects.get(subgroup=subgroup, kind=RoomKind.SUBGROUP)
    proposal = Proposal.objects.filter(subgroup=subgroup).order_by("created_at").first()
    draft = Draft.objects.get(proposal=proposal)
    members = list(subgroup.members.filter(is_active=True).order_by("email"))
    for member in members:
        for text, decision in texts:
            known = ConsentRecord.objects.filter(user=member, text=text)
            if text is not None and not known.exists():
                ConsentRecord.objects.create(user=member, text=text, decision=decision)
        places.append((member, {"room": str(room.pk), "proposal": str(proposal.pk),
                                "draft": str(draft.pk)}))
    observers[str(room.pk)] = [cookie(members[i % len(members)]) for i in range(PROCESSES)]
    watchers[str(draft.pk)] = [cookie(members[(i + 1) % len(members)]) for i in range(PROCESSES)]
places.sort(key=lambda p: p[0].email)
people = []
for i in range(USERS):
    member, place = places[i % len(places)]
    people.append({"cookie": cookie(member), **place})
plenary = Room.objects.get(kind=RoomKind.PLENARY, mandate=subgroups[0].mandate)
document = Document.objects.filter(status="publie", files__isnull=False).first()
file = document.files.order_by("-version").first()
print(json.dumps({"people": people, "observers": observers, "watchers": watchers,
                  "plenary": str(plenary.pk), "document": str(document.pk),
                  "file": str(file.pk), "file_size": file.size,
                  "storage_name": file.storage_name,
                  "titulaires": len(places), "subgroups": len(subgroups)}))
"""

CHECK = """
import pycrdt
from deliberation import drafts
from forums.models import Message
acked = ACKED_MESSAGES
found = Message.objects.filter(client_id__in=acked).values_list("client_id", flat=True)
stored = {str(c) for c in found}
texts = {}
for draft_id in DRAFT_IDS:
    doc = drafts.load(draft_id).doc
    texts[draft_id] = str(doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment))
missing_edits = [t for d, t in ACKED_EDITS if t not in texts[d]]
print(json.dumps({"messages_acked": len(acked), "messages_stored": len(stored),
                  "messages_missing": sorted(set(acked) - stored)[:20],
                  "edits_acked": len(ACKED_EDITS), "edits_missing": missing_edits[:20],
                  "edits_missing_count": len(missing_edits)}))
"""


def sh(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=True, text=True, capture_output=True, **kwargs)  # noqa: S603


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()


class Sampler(threading.Thread):
    """CPU seconds and RSS of named processes from /proc, every ``every`` seconds."""

    def __init__(self, every: float = 5.0) -> None:
        super().__init__(daemon=True)
        self.every = every
        self.groups: dict[str, Any] = {}  # name -> callable returning pids
        self.samples: list[tuple[float, dict[str, tuple[float, int]]]] = []
        self.stopping = threading.Event()

    @staticmethod
    def read(pid: int) -> tuple[float, int] | None:
        """CPU seconds and proportional set size (PSS: shared pages split between the
        processes sharing them, so PostgreSQL's shared buffers are not counted once per
        backend); RSS where smaps_rollup cannot be read."""
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            memory = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            try:
                for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                    if line.startswith("Pss:"):
                        memory = int(line.split()[1]) * 1024
                        break
            except OSError:
                pass
        except (OSError, IndexError, ValueError):
            return None
        return (int(fields[11]) + int(fields[12])) / TICK, memory

    def snapshot(self) -> dict[str, tuple[float, int]]:
        out: dict[str, tuple[float, int]] = {}
        for name, pids in self.groups.items():
            cpu, rss = 0.0, 0
            for pid in pids():
                value = self.read(pid)
                if value is not None:
                    cpu += value[0]
                    rss += value[1]
            out[name] = (cpu, rss)
        return out

    def run(self) -> None:
        while not self.stopping.is_set():
            self.samples.append((time.monotonic(), self.snapshot()))
            self.stopping.wait(self.every)

    def summary(self, start: float, end: float) -> dict[str, dict[str, float]]:
        window = [s for s in self.samples if start <= s[0] <= end]
        if len(window) < 2:
            return {}
        first, last = window[0], window[-1]
        seconds = last[0] - first[0]
        out = {}
        for name in last[1]:
            cpu = last[1][name][0] - first[1].get(name, (0.0, 0))[0]
            rss = [s[1][name][1] for s in window if name in s[1]]
            out[name] = {
                "cpu_percent": round(100 * max(cpu, 0.0) / seconds, 1),
                "memory_mb_max": round(max(rss) / 2**20, 1),
            }
        return out


def children(pid: int) -> list[int]:
    """``pid`` and its descendants (Locust's forked workers, nginx's workers)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                kids = (task / "children").read_text().split()
                todo.extend(int(k) for k in kids)
        except OSError:
            continue
    return found


def pids_named(name: str) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    out.append(int(entry.name))
            except OSError:
                continue
    return out


def https_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    context = ssl._create_unverified_context()  # noqa: S323 - the bench's self-signed cert
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - our nginx
    try:
        with urllib.request.urlopen(request, context=context, timeout=20) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Stack:
    """Everything the run starts, stopped in reverse order whatever happens."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.dir = Path(tempfile.mkdtemp(prefix="agora-proxy-"))
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir()
        self.database_url = f"{args.pg}/{DATABASE}"
        self.redis: RedisServer | None = None
        if not args.redis:
            self.redis = RedisServer("redis-server", args.port - 1, self.dir / "redis.log")
            self.redis.start()
            args.redis = self.redis.url
        base = {
            k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_"))
        }
        base.update(
            DJANGO_SETTINGS_MODULE="config.settings",
            PYTHONPATH=str(ROOT),
            DATABASE_URL=self.database_url,
            REDIS_URL=args.redis,
            CACHE_KEY_PREFIX="agora-proxy",
            AGORA_DATA_DIR=str(self.dir / "var"),
            PRIVATE_ROOT=str(self.dir / "var" / "private"),
            STATIC_ROOT=str(self.dir / "var" / "static"),
        )
        self.dev_env = {**base, "AGORA_ENV": "development", "AGORA_DEMO": "true"}
        self.env = {
            **base,
            "AGORA_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "127.0.0.1",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LIBRARY_X_ACCEL_REDIRECT": "/_library/",
            "LIBRARY_WITHOUT_ANTIVIRUS": "true",
            "AGORA_TRUSTED_PROXY_COUNT": "1",
            "AGORA_BASE_URL": f"https://127.0.0.1:{args.port}",
            "LOG_LEVEL": "WARNING",
        }
        self.daphnes: list[subprocess.Popen[bytes] | None] = []
        self.processes: list[subprocess.Popen[bytes]] = []
        self.sockets = [self.run_dir / f"daphne-{i + 1}.sock" for i in range(args.daphnes)]

    # --- the database and Redis -------------------------------------------------------
    def psql(self, statement: str) -> None:
        sh("psql", f"{self.args.pg}/postgres", "-v", "ON_ERROR_STOP=1", "-qc", statement)

    def prepare(self) -> dict[str, Any]:
        """Migrate, seed and collect once into a seed (template database ``agora_proxy_seed``
        and a data directory under /tmp); each run copies it (minutes saved on 2 cores)."""
        started = time.monotonic()
        self.psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        seed_db, seed_dir = f"{DATABASE}_seed", SEED_DIR
        exists = sh("psql", f"{self.args.pg}/postgres", "-Atqc",
                    f"SELECT 1 FROM pg_database WHERE datname = '{seed_db}'"  # noqa: S608
                    ).stdout.strip()
        if self.args.fresh or not exists or not (seed_dir / "ready").exists():
            self.psql(f"DROP DATABASE IF EXISTS {seed_db} WITH (FORCE)")
            self.psql(f"CREATE DATABASE {seed_db}")
            shutil.rmtree(seed_dir, ignore_errors=True)
            seed_env = {**self.dev_env, "DATABASE_URL": f"{self.args.pg}/{seed_db}",
                        "AGORA_DATA_DIR": str(seed_dir / "var"),
                        "PRIVATE_ROOT": str(seed_dir / "var" / "private"),
                        "STATIC_ROOT": str(seed_dir / "var" / "static")}
            manage = [sys.executable, "manage.py"]
            subprocess.run([*manage, "migrate", "--noinput", "-v", "0"],  # noqa: S603
                           env=seed_env, cwd=ROOT, check=True)
            sh(*manage, "seed_demo", "--password", secrets.token_urlsafe(12), env=seed_env,
               cwd=ROOT)
            sh(*manage, "collectstatic", "--noinput", "-v", "0",
               env={**self.env, **{k: seed_env[k] for k in ("STATIC_ROOT", "DATABASE_URL")}},
               cwd=ROOT)
            (seed_dir / "ready").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
            print(f"seed made (migrated, seeded, static collected) in "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        self.psql(f"CREATE DATABASE {DATABASE} TEMPLATE {seed_db}")
        shutil.copytree(seed_dir / "var", self.dir / "var")
        import redis

        redis.Redis.from_url(self.args.redis).flushdb()
        code = f"USERS = {self.args.users}\nPROCESSES = {self.args.processes}\n" + WORLD
        world: dict[str, Any] = run_python(self.env, code, timeout=1200)
        world["base"] = f"https://127.0.0.1:{self.args.port}"
        world["search_words"] = ["mobilité", "assemblée", "transport", "budget", "santé"]
        (self.dir / "world.json").write_text(json.dumps(world))
        print(f"{len(world['people'])} sessions on {world['titulaires']} titulaires of "
              f"{world['subgroups']} subgroups, in {time.monotonic() - started:.0f} s", flush=True)
        return world

    # --- processes ----------------------------------------------------------------------
    def start_daphne(self, index: int) -> subprocess.Popen[bytes]:
        sock = self.sockets[index]
        sock.unlink(missing_ok=True)
        log = (self.dir / f"daphne-{index + 1}.log").open("ab")
        process = subprocess.Popen(  # noqa: S603 - our venv's daphne, documented arguments
            [str(BIN / "daphne"), *proxy_deploy.daphne_arguments(sock)],
            env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not sock.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"daphne {index + 1} did not start: see {log.name}")
            time.sleep(0.2)
        return process

    def start(self) -> None:
        for index in range(self.args.daphnes):
            self.daphnes.append(self.start_daphne(index))
        worker_log = (self.dir / "worker.log").open("ab")
        self.worker = subprocess.Popen(  # noqa: S603
            [sys.executable, "manage.py", "db_worker", "--interval", "5"],
            env=self.env, cwd=ROOT, stdout=worker_log, stderr=subprocess.STDOUT,
        )
        self.processes.append(self.worker)
        cert, key = self.dir / "tls.crt", self.dir / "tls.key"
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
           "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert))
        site = proxy_deploy.render({
            "DAPHNE_SERVERS": proxy_deploy.upstream_lines(self.sockets),
            "LISTEN": f"127.0.0.1:{self.args.port}",
            "SERVER_NAME": "127.0.0.1",
            "TLS_CERTIFICATE": str(cert),
            "TLS_CERTIFICATE_KEY": str(key),
            "STATIC_ROOT": self.env["STATIC_ROOT"],
            "PRIVATE_ROOT": self.env["PRIVATE_ROOT"],
        })
        prefix = self.dir / "nginx"
        # Which process served each request, for the failover count (no client address).
        log_format = '$msec $status $request_time "$upstream_addr" "$request_method $uri"'
        conf = prefix / "nginx.conf"
        prefix.mkdir()
        conf.write_text(proxy_deploy.standalone(site, prefix, workers=self.args.nginx_workers,
                                                log_format=log_format))
        self.nginx_conf = conf
        sh(NGINX, "-t", "-q", "-p", str(prefix), "-c", str(conf))
        nginx_log = (prefix / "logs" / "stderr.log").open("ab")
        self.nginx = subprocess.Popen(  # noqa: S603 - Debian's nginx in the foreground
            [NGINX, "-p", str(prefix), "-c", str(conf)], stdout=nginx_log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(self.nginx)
        deadline = time.monotonic() + 30
        while True:
            try:
                status, _h, _b = https_get(f"https://127.0.0.1:{self.args.port}/healthz")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("nginx + daphne did not answer /healthz within 30 s")
            time.sleep(0.5)

    def stop(self) -> None:
        for process in [*self.processes, *[d for d in self.daphnes if d is not None]]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.processes, *[d for d in self.daphnes if d is not None]]:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self.redis is not None:
            self.redis.stop()

    def drop(self) -> None:
        try:
            self.psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            if self.args.drop_seed:
                self.psql(f"DROP DATABASE IF EXISTS {DATABASE}_seed WITH (FORCE)")
                shutil.rmtree(SEED_DIR, ignore_errors=True)
            if self.redis is None:
                import redis

                redis.Redis.from_url(self.args.redis).flushdb()
        except Exception as error:  # noqa: BLE001 - report, do not hide the run's result
            print(f"cleanup failed: {error}", flush=True)


def check_proxy(stack: Stack, world: dict[str, Any]) -> dict[str, Any]:
    """The proxy configuration does what docs/deploy.md says, through the running nginx."""
    base = world["base"]
    cookie = world["people"][0]["cookie"]
    out: dict[str, Any] = {}
    status, _headers, body = https_get(f"{base}/healthz")
    out["healthz"] = status
    path = f"/bibliotheque/{world['document']}/fichiers/{world['file']}/telecharger/"
    status, headers, body = https_get(base + path, {"Cookie": cookie})
    out["download_status"] = status
    out["download_bytes_match"] = len(body) == world["file_size"] and body.startswith(b"%PDF")
    out["download_no_accel_header"] = "X-Accel-Redirect" not in headers
    out["download_csp"] = headers.get("Content-Security-Policy", "")
    # Straight to the internal location: refused (404), with or without a session.
    status, _h, _b = https_get(f"{base}/_library/{world['storage_name']}", {"Cookie": cookie})
    out["internal_location_status"] = status
    # Anonymous: the download is refused by the application, nginx serves nothing.
    status, _h, body = https_get(base + path)
    out["download_anonymous_status"] = status
    out["download_anonymous_leaks"] = body.startswith(b"%PDF")
    # The client address Django sees, behind 1 trusted proxy, with a forged X-Forwarded-For.
    code = (
        "from django.test import RequestFactory\n"
        "from config.middleware import TrustedProxyMiddleware\n"
        "seen = {}\n"
        "def view(request):\n"
        "    seen['addr'] = request.META['REMOTE_ADDR']\n"
        "mw = TrustedProxyMiddleware(view)\n"
        "mw(RequestFactory().get('/', HTTP_X_FORWARDED_FOR='192.0.2.1, 127.0.0.1',"
        " REMOTE_ADDR=''))\n"
        "print(json.dumps(seen))\n"
    )
    out["django_client_address"] = run_python(stack.env, code)["addr"]
    return out


def nginx_upstreams(
    log: Path, kill_at_epoch: float | None, restart_epoch: float | None = None
) -> dict[str, Any]:
    """WebSocket handshakes (101) per daphne before the kill, between the kill and the
    restart, and after it, from nginx's log. A line is written when the socket ends;
    $msec minus $request_time is when it began."""
    before: Counter[str] = Counter()
    after: Counter[str] = Counter()
    restarted: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    for line in log.read_text().splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4:
            continue
        ended, status, duration = float(parts[0]), parts[1], parts[2]
        upstream = parts[3].split('"')[1]
        statuses[status] += 1
        if status != "101":
            continue
        began = ended - float(duration)
        name = Path(upstream.split(",")[-1].strip().removeprefix("unix:")).stem
        if restart_epoch is not None and began >= restart_epoch:
            restarted[name] += 1
        elif kill_at_epoch is not None and began >= kill_at_epoch:
            after[name] += 1
        else:
            before[name] += 1
    return {"sockets_opened_before_kill": dict(before),
            "sockets_opened_between_kill_and_restart": dict(after),
            "sockets_opened_after_restart": dict(restarted), "statuses": dict(statuses)}


def read_stats(prefix: Path) -> list[dict[str, Any]]:
    rows = []
    with (prefix.parent / f"{prefix.name}_stats.csv").open() as fh:
        for row in csv.DictReader(fh):
            rows.append({
                "type": row["Type"], "name": row["Name"],
                "count": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "p50": row["50%"], "p99": row["99%"],
                "max": round(float(row["Max Response Time"] or 0)),
                "rps": round(float(row["Requests/s"]), 2),
            })
    return rows


def run(args: argparse.Namespace) -> int:
    stack = Stack(args)
    out = stack.dir / "out"
    report: dict[str, Any] = {"args": vars(args), "dir": str(stack.dir)}
    print(f"working in {stack.dir}; load average before: {loadavg()}", flush=True)
    report["load_before"] = loadavg()
    try:
        world = stack.prepare()
        stack.start()
        report["proxy_checks"] = check_proxy(stack, world)
        print(json.dumps(report["proxy_checks"]), flush=True)

        if args.lock:
            # Setting up is no measurement; only the load itself holds the machine's
            # bench lock (as bench/chat_fanout.py --lock does).
            import fcntl

            lock_file = Path(args.lock).open("a")  # noqa: SIM115 - held until the load ends
            print(f"waiting for {args.lock} at {time.strftime('%H:%M:%S')}", flush=True)
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            print(f"holding {args.lock} at {time.strftime('%H:%M:%S')}", flush=True)
            report["load_before"] = loadavg()
        sampler = Sampler()
        sampler.groups = {
            "nginx": lambda: children(stack.nginx.pid),
            **{
                f"daphne-{i + 1}": (lambda i=i: [stack.daphnes[i].pid]  # type: ignore[union-attr]
                                    if stack.daphnes[i] is not None else [])
                for i in range(args.daphnes)
            },
            "worker": lambda: [stack.worker.pid],
            "postgres (agora_proxy backends)": lambda: backend_pids(args.pg),
            "redis-server": lambda: (
                [stack.redis.process.pid] if stack.redis and stack.redis.process
                else pids_named("redis-server")
            ),
        }
        env = {
            **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
            "PROXY_LOAD_WORLD": str(stack.dir / "world.json"),
            "PROXY_LOAD_OUT": str(out),
            "PROXY_LOAD_THINK": args.think,
            "PROXY_LOAD_PROCESSES": str(args.processes),
            "PYTHONPATH": str(ROOT),
        }
        prefix = out / "locust"
        out.mkdir()
        command = [
            str(BIN / "locust"), "-f", str(ROOT / "bench" / "proxy_locustfile.py"),
            "--headless", "-u", str(args.users), "-r", str(args.spawn_rate),
            "-t", f"{args.duration}s", "--processes", str(args.processes),
            "--csv", str(prefix), "--only-summary", "--stop-timeout", "20",
            "--loglevel", "WARNING",
        ]
        report["locust_command"] = " ".join(command)
        locust_log = (stack.dir / "locust.log").open("ab")
        started = time.monotonic()
        started_epoch = time.time()
        locust = subprocess.Popen(  # noqa: S603
            command, env=env, cwd=ROOT, stdout=locust_log, stderr=subprocess.STDOUT
        )
        sampler.groups["locust (generator)"] = lambda: children(locust.pid)
        sampler.start()
        ramp = args.users / args.spawn_rate
        kill_after = ramp + (args.duration - ramp) / 2
        kill_epoch = None
        killed_pid = None
        restarted = False
        restart_epoch: float | None = None
        while locust.poll() is None:
            elapsed = time.monotonic() - started
            if args.kill and kill_epoch is None and elapsed >= kill_after:
                victim = stack.daphnes[1]
                assert victim is not None
                killed_pid = victim.pid
                victim.send_signal(signal.SIGKILL)
                victim.wait()
                kill_epoch = time.time()
                report["killed"] = {"daphne": 2, "at_s": round(elapsed, 1)}
                print(f"killed daphne 2 (pid {killed_pid}) at {elapsed:.0f} s", flush=True)
            if (args.kill and kill_epoch is not None and not restarted
                    and time.time() - kill_epoch >= args.restart_after):
                stack.daphnes[1] = stack.start_daphne(1)
                restarted = True
                restart_epoch = time.time()
                report["killed"]["restarted_at_s"] = round(time.monotonic() - started, 1)
                print(f"restarted daphne 2 at {time.monotonic() - started:.0f} s", flush=True)
            time.sleep(0.5)
        ended = time.monotonic()
        sampler.stopping.set()
        report["locust_exit"] = locust.returncode
        report["load_after"] = loadavg()
        if args.lock:
            lock_file.close()  # releases the lock
        report["stats"] = read_stats(prefix)
        # Steady state only: after the ramp, before the end.
        report["resources"] = sampler.summary(started + ramp + 5, ended - 5)
        report["nginx"] = nginx_upstreams(stack.dir / "nginx" / "logs" / "access.log",
                                          kill_epoch, restart_epoch)
        report["started_epoch"] = started_epoch
        report["verification"] = verify(stack, out)
    finally:
        stack.stop()
        if not args.keep:
            stack.drop()
            shutil.rmtree(stack.dir / "var", ignore_errors=True)
    print_report(report)
    (stack.dir / "report.json").write_text(json.dumps(report, indent=1, default=str))
    ok = (
        report.get("verification", {}).get("ok", False)
        and all(row["failures"] == 0 for row in report.get("stats", []))
    )
    return 0 if ok else 1


def backend_pids(pg: str) -> list[int]:
    try:
        done = sh("psql", f"{pg}/postgres", "-Atqc",
                  f"SELECT pid FROM pg_stat_activity WHERE datname = '{DATABASE}'")  # noqa: S608
    except subprocess.CalledProcessError:
        return []
    return [int(x) for x in done.stdout.split()]


def verify(stack: Stack, out: Path) -> dict[str, Any]:
    acked: list[str] = []
    edits: list[tuple[str, str]] = []
    seen: dict[str, list[set[str]]] = {}
    room_of: dict[str, str] = {}
    reconnects: list[float] = []
    failed: list[Any] = []
    # Each worker writes its file at test_stop and again, marked final, when it quits
    # (after the master's exit): only final files count, or the check would pass on what
    # an early stop wrote.
    deadline = time.monotonic() + 120

    def final_files() -> list[Path]:
        return [p for p in sorted(out.glob("locust-*.json"))
                if json.loads(p.read_text()).get("final")]

    while len(final_files()) < stack.args.processes and time.monotonic() < deadline:
        time.sleep(1)
    files = final_files()
    for path in files:
        data = json.loads(path.read_text())
        for message in data["acked_messages"]:
            acked.append(message["client_id"])
            room_of[message["client_id"]] = message["room"]
        edits += [(e["draft"], e["token"]) for e in data["acked_edits"]]
        for room in data["observed_rooms"]:
            seen.setdefault(room, []).append(set(data["seen_by_observers"].get(room, [])))
        reconnects += data["reconnects"]
        failed += data["failed"]
    drafts = sorted({d for d, _t in edits})
    code = (f"ACKED_MESSAGES = {json.dumps(acked)}\nACKED_EDITS = {json.dumps(edits)}\n"
            f"DRAFT_IDS = {json.dumps(drafts)}\n" + CHECK)
    stored = run_python(stack.env, code, timeout=600)
    undelivered = [c for c in acked if any(c not in s for s in seen.get(room_of[c], [set()]))]
    stored["generator_processes_reporting"] = len(files)
    stored["messages_not_delivered_to_every_observer"] = len(undelivered)
    stored["observers_per_room"] = {room: len(sets) for room, sets in seen.items()}
    stored["socket_reconnects"] = len(reconnects)
    stored["failed_actions"] = len(failed)
    stored["ok"] = (
        not stored["messages_missing"] and stored["edits_missing_count"] == 0
        and not undelivered and len(files) == stack.args.processes
    )
    return stored


def print_report(report: dict[str, Any]) -> None:
    print("\n| action | requests | failures | p50 ms | p99 ms | max ms | per s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in report.get("stats", []):
        print(f"| {row['type']} {row['name']} | {row['count']} | {row['failures']} | "
              f"{row['p50']} | {row['p99']} | {row['max']} | {row['rps']} |")
    print("\n| process | CPU % of one core | memory (PSS) max MB |")
    print("|---|---:|---:|")
    for name, values in report.get("resources", {}).items():
        print(f"| {name} | {values['cpu_percent']} | {values['memory_mb_max']} |")
    for key in ("proxy_checks", "killed", "nginx", "verification", "load_before", "load_after",
                "locust_command", "locust_exit", "dir"):
        if key in report:
            print(f"\n{key}: {json.dumps(report[key], default=str)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--duration", type=int, default=600, help="seconds of load")
    parser.add_argument("--spawn-rate", type=float, default=10.0, help="users started a second")
    parser.add_argument("--processes", type=int, default=2, help="Locust processes")
    parser.add_argument("--think", default="20,60", help="seconds between a user's actions")
    parser.add_argument("--daphnes", type=int, default=4)
    parser.add_argument("--nginx-workers", type=int, default=1)
    parser.add_argument("--port", type=int, default=18680)
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--redis", default="", help="default: a private redis-server")
    parser.add_argument("--no-kill", dest="kill", action="store_false")
    parser.add_argument("--restart-after", type=float, default=30.0)
    parser.add_argument("--lock", default="",
                        help="a lock file (/tmp/agora-bench.lock) held only while the load "
                             "runs: set up before taking it, check after releasing it")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--fresh", action="store_true", help="migrate and seed again")
    parser.add_argument("--drop-seed", action="store_true",
                        help="drop the seed database and directory at the end")
    parser.add_argument("--quick", action="store_true", help="100 users for 60 s")
    parser.add_argument("--prepare-only", action="store_true",
                        help="make the seed (migrate, seed_demo, collectstatic) and stop: it "
                             "is no measurement, so it may run outside the bench lock")
    args = parser.parse_args()
    if args.prepare_only:
        stack = Stack(args)
        try:
            stack.prepare()
        finally:
            stack.stop()
            stack.drop()
            shutil.rmtree(stack.dir, ignore_errors=True)
        return 0
    if args.quick:
        args.users, args.duration, args.spawn_rate = 100, 60, 20.0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
