"""Real daphne processes on 127.0.0.1 for the multi-process test and the benches."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# daphne closes (1009) anything over 128 KB before reading it; the consumer answers
# frames between 64 and 128 KB with a `too_large` error (docs/protocol.md).
DAPHNE_LIMITS = ["--websocket-max-message-size", "131072", "--websocket-max-frame-size", "131072"]


def redis_url() -> str:
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


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


def migrate(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=300,
    )


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
