"""Behind the nginx of docs/deploy.md (deploy/nginx/agora.conf, rendered), two daphne
processes started with the documented command line: sockets are upgraded, library files
leave through X-Accel-Redirect only after the application's check, and when one process
dies the other serves pages and new sockets at once."""

from __future__ import annotations

import os
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from tests.realtime.servers import (
    ROOT,
    django_env,
    free_port,
    migrate,
    private_database,
    redis_reachable,
    redis_url,
    run_python,
)

sys.path.insert(0, str(ROOT))

from bench import proxy_deploy  # noqa: E402

# Starts nginx and several daphne processes: runs once in CI, in the PostgreSQL + Redis pass.
pytestmark = pytest.mark.production_stack

PDF = b"%PDF-1.4\n% Agora proxy test\n" + b"0" * 4000 + b"\n%%EOF\n"
# PostgreSQL connections each daphne may hold (DATABASE_POOL_SIZE, config/settings.py).
POOL_SIZE = 3
TLS = ssl._create_unverified_context()  # noqa: S323 - the test's own self-signed certificate

WORLD = """
from django.test import Client
from django.conf import settings as conf
from pathlib import Path
from tests import factories
assembly = factories.make_assembly()
member = factories.make_titulaire(assembly)
document = factories.DocumentFactory(title="Note de cadrage")
file = factories.make_file(document, preview=False)
file.size = len(PDF)
file.save(update_fields=["size"])
path = Path(conf.PRIVATE_ROOT) / file.storage_name
path.parent.mkdir(parents=True, exist_ok=True)
path.write_bytes(PDF)
client = Client()
client.force_login(member)
cookie = f"{conf.SESSION_COOKIE_NAME}={client.cookies[conf.SESSION_COOKIE_NAME].value}"
print(json.dumps({"cookie": cookie, "document": str(document.pk), "file": str(file.pk),
                  "storage_name": file.storage_name}))
"""


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - our nginx
    try:
        with urllib.request.urlopen(request, context=TLS, timeout=20) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def hello(base: str, cookie: str) -> dict[str, Any]:
    import json

    with connect(
        base.replace("https://", "wss://") + "/ws/",
        ssl=TLS,
        origin=base,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        open_timeout=15,
    ) as socket:
        for _ in range(5):
            frame = json.loads(socket.recv(timeout=10))
            if frame["type"] == "hello":
                return frame  # type: ignore[no-any-return]
    raise AssertionError("no hello through nginx")


def wait_for(path: Path, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, f"{path} did not appear"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One stack for the module (migrating takes a while); the failover test goes last."""
    if not redis_reachable(redis_url()):
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis is required under CI and not reachable at {redis_url()}")
        pytest.skip(f"Redis not reachable at {redis_url()}")
    tmp_path = tmp_path_factory.mktemp("proxy")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    openssl = shutil.which("openssl") or "/usr/bin/openssl"
    assert Path(nginx).exists(), "nginx (Debian's package) is needed: .ci/run installs it"
    port = free_port()
    base = f"https://127.0.0.1:{port}"
    processes: list[subprocess.Popen[bytes]] = []
    with private_database() as database:
        env = django_env(
            tmp_path / "data",
            **database,
            PRIVATE_ROOT=str(tmp_path / "private"),
            LIBRARY_X_ACCEL_REDIRECT="/_library/",
            AGORA_TRUSTED_PROXY_COUNT="1",
            # Not production here (no collectstatic): the socket's https origin is trusted
            # explicitly instead of through X-Forwarded-Proto.
            CSRF_TRUSTED_ORIGINS=base,
            DATABASE_POOL_SIZE=str(POOL_SIZE),
        )
        migrate(env)
        world = run_python(env, f"PDF = {PDF!r}\n" + WORLD)
        sockets = [tmp_path / f"daphne-{i}.sock" for i in (1, 2)]
        try:
            for sock in sockets:
                log = tmp_path / f"{sock.stem}.log"
                process = subprocess.Popen(  # noqa: S603 - our daphne, documented arguments
                    [str(Path(sys.executable).with_name("daphne")),
                     *proxy_deploy.daphne_arguments(sock)],
                    env=env, cwd=ROOT, stdout=log.open("wb"), stderr=subprocess.STDOUT,
                )  # fmt: skip
                processes.append(process)
                wait_for(sock, process, log)
            subprocess.run(  # noqa: S603
                [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                 "-subj", "/CN=127.0.0.1", "-keyout", str(tmp_path / "tls.key"),
                 "-out", str(tmp_path / "tls.crt")],
                check=True, capture_output=True,
            )  # fmt: skip
            site = proxy_deploy.render({
                "DAPHNE_SERVERS": proxy_deploy.upstream_lines(sockets),
                "LISTEN": f"127.0.0.1:{port}",
                "SERVER_NAME": "127.0.0.1",
                "TLS_CERTIFICATE": str(tmp_path / "tls.crt"),
                "TLS_CERTIFICATE_KEY": str(tmp_path / "tls.key"),
                "STATIC_ROOT": str(tmp_path / "static"),
                "PRIVATE_ROOT": str(tmp_path / "private"),
            })  # fmt: skip
            conf = tmp_path / "nginx.conf"
            conf.write_text(proxy_deploy.standalone(site, tmp_path / "nginx"))
            proxy = subprocess.Popen(  # noqa: S603
                [nginx, "-p", str(tmp_path / "nginx"), "-c", str(conf)],
                stdout=(tmp_path / "nginx.log").open("wb"), stderr=subprocess.STDOUT,
            )  # fmt: skip
            processes.append(proxy)
            deadline = time.monotonic() + 30
            while True:
                try:
                    if get(base + "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "nginx.log").read_text()
                time.sleep(0.3)
            yield {"base": base, "daphnes": processes[:2],
                   "database_url": database.get("DATABASE_URL", ""), **world}
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)


def test_library_file_is_sent_by_nginx_after_the_application_checked_the_reader(
    proxied: dict[str, Any],
) -> None:
    base, cookie = proxied["base"], proxied["cookie"]
    path = f"/bibliotheque/{proxied['document']}/fichiers/{proxied['file']}/telecharger/"
    status, headers, body = get(base + path, {"Cookie": cookie})
    assert status == 200
    assert body == PDF  # the bytes come from nginx's internal location, not daphne
    assert "X-Accel-Redirect" not in headers
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    # Anonymous: the application refuses, nginx sends nothing of the file.
    status, _headers, body = get(base + path)
    assert PDF not in body
    assert status in (302, 403, 404)
    # The internal location cannot be asked for directly, even with a session.
    status, _headers, body = get(f"{base}/_library/{proxied['storage_name']}", {"Cookie": cookie})
    assert status == 404
    assert PDF not in body


def test_sockets_are_upgraded_through_nginx(proxied: dict[str, Any]) -> None:
    assert hello(proxied["base"], proxied["cookie"])["type"] == "hello"


def test_each_process_holds_no_more_database_connections_than_its_pool(
    proxied: dict[str, Any],
) -> None:
    """Under ASGI every HTTP request runs in a thread of its own: with persistent
    connections each kept one, and 1,000 users ran PostgreSQL out of connections
    (docs/performance.md). With the pool, 30 requests at once through the two processes
    never hold more than the two pools."""
    if not proxied["database_url"]:
        pytest.skip("PostgreSQL only: the embedded default has no connections to count")
    import psycopg

    base, cookie = proxied["base"], proxied["cookie"]
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        with psycopg.connect(proxied["database_url"], autocommit=True) as conn:
            while not done.is_set():
                row = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                ).fetchone()
                peak = max(peak, row[0] if row else 0)
                time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        with ThreadPoolExecutor(30) as requests:
            statuses = list(requests.map(
                lambda _: get(base + "/", {"Cookie": cookie})[0], range(90)))
    finally:
        done.set()
        sampler.join(timeout=10)
    assert statuses == [200] * 90
    assert 0 < peak <= 2 * POOL_SIZE, f"{peak} connections at once for two pools of {POOL_SIZE}"


def test_when_a_daphne_process_dies_the_other_serves_pages_and_sockets(
    proxied: dict[str, Any],
) -> None:
    base, cookie = proxied["base"], proxied["cookie"]
    first = proxied["daphnes"][0]
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    # least_conn alternates between idle processes: every other request would reach the
    # dead one, and nginx must pass each of those to the living one.
    statuses = [get(base + "/", {"Cookie": cookie})[0] for _ in range(8)]
    assert statuses == [200] * 8
    for _ in range(3):
        assert hello(base, cookie)["type"] == "hello"
