"""Real daphne processes (and a private redis-server) on 127.0.0.1 for the multi-process
tests and the benches."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
# daphne closes (1009) anything over 1 MB before reading it; the /ws/ consumer answers
# frames between 64 KB and 1 MB with a `too_large` error (docs/protocol.md).
DAPHNE_LIMITS = [
    "--websocket-max-message-size", "1048576", "--websocket-max-frame-size", "1048576",
    # A handshake waits up to 30 s for its accept instead of daphne's 5: under a reconnect
    # storm, dropping it after the work was done only sent the client back into the queue
    # (docs/performance.md, issue 18: 174 of 1,000 back within 60 s at 5 s, all at 30 s).
    "--websocket_connect_timeout", "30",
]


def redis_url() -> str:
    """The environment's Redis, else the local one: a database per test worker."""
    from tests.workers import redis_url_for, worker_index

    return os.environ.get("REDIS_URL") or redis_url_for(
        "redis://127.0.0.1:6379/0", worker_index() or 0
    )


def redis_reachable(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def django_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for child processes sharing one SQLite file and one Redis."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        AGORA_DATA_DIR=str(data_dir),
        REDIS_URL=redis_url(),
        CACHE_KEY_PREFIX=f"agora-test-{data_dir.name}",
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
    )
    env.update(extra)
    return env


def run_python(env: dict[str, str], code: str, timeout: float = 300) -> Any:
    """Run ``code`` with Django set up in a child process; it prints one JSON line last."""
    script = (
        "import django, json\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "settings.PASSWORD_HASHERS = ['django.contrib.auth.hashers.MD5PasswordHasher']\n" + code
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_migrate(env: dict[str, str]) -> None:
    """`manage.py migrate` in a child process, on the database ``env`` names."""
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )


# The first migrated database of this process, per kind: a SQLite file, or a PostgreSQL
# database used as the template of the next ones (dropped when the process ends).
_MIGRATED: dict[str, str] = {}


def migrate(env: dict[str, str]) -> None:
    """Give the new, empty database that ``env`` names the schema and reference rows of
    every migration. The first call of a process runs `manage.py migrate`; later ones copy
    that result (SQLite's backup API, or PostgreSQL's CREATE DATABASE … TEMPLATE), which
    takes a fraction of a second where migrating takes 15–25 s on two busy cores. The
    migrations themselves are tested where they are the subject (tests/assembly/
    test_migration.py, the browser tests' server, CI's makemigrations check)."""
    url = env.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        _copy_postgresql(env, url)
    else:
        _copy_sqlite(env)


def _copy_sqlite(env: dict[str, str]) -> None:
    import atexit
    import shutil
    import sqlite3

    if "sqlite" not in _MIGRATED:
        directory = Path(tempfile.mkdtemp(prefix="agora-migrated-"))
        atexit.register(shutil.rmtree, directory, True)
        run_migrate({**env, "AGORA_DATA_DIR": str(directory)})
        _MIGRATED["sqlite"] = str(directory / "agora.sqlite3")
    target = Path(env["AGORA_DATA_DIR"]) / "agora.sqlite3"
    target.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(_MIGRATED["sqlite"])) as source, \
            contextlib.closing(sqlite3.connect(target)) as copy:
        source.backup(copy)


def _copy_postgresql(env: dict[str, str], url: str) -> None:
    import atexit

    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    target = parts.path.strip("/")
    if "postgresql" not in _MIGRATED:
        template = f"agora_migrated_{os.getpid()}_{secrets.token_hex(4)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template)))
        atexit.register(_drop_database, admin, template)
        run_migrate({**env, "DATABASE_URL": urlunsplit(parts._replace(path=f"/{template}"))})
        _MIGRATED["postgresql"] = template
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(target)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(target), sql.Identifier(_MIGRATED["postgresql"])))


def _drop_database(admin: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with contextlib.suppress(psycopg.Error), psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))


class Daphne:
    """One daphne process; a context manager that always stops it."""

    def __init__(self, env: dict[str, str], app: str = "config.asgi:application") -> None:
        self.port = free_port()
        self.env = env
        self.app = app
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Daphne:
        daphne = str(Path(sys.executable).with_name("daphne"))
        # A file, not a pipe: nobody reads a pipe while the server runs, and a full
        # pipe would block daphne on its next log line.
        self.log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="daphne-", suffix=".log", delete=False
        )
        self.process = subprocess.Popen(  # noqa: S603
            [daphne, "-v", "1", "-b", "127.0.0.1", "-p", str(self.port), *DAPHNE_LIMITS, self.app],
            env=self.env,
            cwd=ROOT,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
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

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def log_tail(self, chars: int = 3000) -> str:
        return Path(self.log.name).read_text(errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def url(self, path: str = "/ws/") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


# --- Helpers for the live-draft tests (issue 5) ------------------------------------------

DRAFT_WORLD = """
from django.test import Client
from tests import factories
from tests.realtime.ydrafts import make_draft
assembly = factories.make_assembly()
writers = [factories.make_titulaire(assembly) for _ in range(3)]
reader = factories.make_titulaire(assembly)  # a titulaire of no subgroup: reads only
subgroup = factories.make_subgroup(assembly, members=writers)
draft = make_draft(subgroup)
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
print(json.dumps({"draft": str(draft.pk), "writers": [cookie(u) for u in writers],
                  "reader": cookie(reader)}))
"""


def draft_world(env: dict[str, str]) -> dict[str, Any]:
    """A draft (from the template) in a subgroup of three writers, and a reader outside it:
    {"draft": id, "writers": [cookie, cookie, cookie], "reader": cookie} (cookie = a
    ready `Cookie` header value). The database must be migrated."""
    return run_python(env, DRAFT_WORLD)  # type: ignore[no-any-return]


def stored_draft(env: dict[str, str], draft_id: str) -> dict[str, Any]:
    """What the database holds for a draft, read in a child process: its text
    (deliberation.drafts.doc_text) and its top-level blocks as [name, plain text]."""
    code = f"""
import pycrdt
from deliberation import drafts
doc = drafts.load({draft_id!r}).doc
def plain(node):
    if isinstance(node, pycrdt.XmlText):
        return "".join(c for c, _ in node.diff() if isinstance(c, str))
    return "".join(plain(child) for child in node.children)
blocks = [[getattr(node, "tag", None) or "#text", plain(node)]
          for node in doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment).children]
print(json.dumps({{"text": drafts.doc_text(doc), "blocks": blocks}}))
"""
    return run_python(env, code)  # type: ignore[no-any-return]


def kill(server: Daphne) -> None:
    """Stop a daphne abruptly (SIGKILL): nothing flushed on the way out."""
    if server.process is not None and server.process.poll() is None:
        server.process.kill()
        server.process.wait(timeout=10)


@contextlib.contextmanager
def private_database() -> Iterator[dict[str, str]]:
    """Extra `django_env` settings for child processes: nothing under SQLite (each test's
    data dir has its own file); under PostgreSQL (DATABASE_URL), a database of its own,
    created here and dropped after (never the test run's database)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        yield {}
        return
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = f"agora_servers_{os.getpid()}_{secrets.token_hex(4)}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield {"DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}"))}
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class RedisServer:
    """A private redis-server on a free port of 127.0.0.1, without persistence."""

    def __init__(self, executable: str, port: int, log: Path) -> None:
        self.executable = executable
        self.port = port
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - a fixed executable and arguments
                [
                    self.executable,
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--daemonize",
                    "no",
                ],  # fmt: skip
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.log_path.read_text(errors="replace")[-2000:])
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("redis-server did not start within 15 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
