"""Browser tests: a real daphne server on a fresh demo database, driven by Chromium.

The server runs in its own processes exactly as `make run` starts it (migrate,
seed_demo, daphne and the background worker), on a throw-away SQLite file and,
when REDIS_URL is set, the Redis channel layer. Chromium is Debian's: Playwright's own browser
download does not work here. Without Chromium the tests are skipped with a
visible reason, except under CI=true where they must run.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "agora-demo-e2e"
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    if chromium_path():
        return
    if os.environ.get("CI") == "true":
        raise pytest.UsageError("CI=true but no Chromium found: .ci/run must install it.")
    skip = pytest.mark.skip(reason="no Chromium on this machine (apt-get install chromium)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def stt_server() -> Iterator[Any]:
    """Speech-to-text on for the session: a fake server of the OpenAI-compatible protocol
    (tests/forums/stt_server.py) that hears « Je propose un minibus le mardi matin. »."""
    from tests.forums.stt_server import fake_stt

    with fake_stt() as server:
        yield server


@pytest.fixture(scope="session")
def server_env(tmp_path_factory: pytest.TempPathFactory, stt_server: Any) -> dict[str, str]:
    data_dir = tmp_path_factory.mktemp("agora-e2e")
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(
        AGORA_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="config.settings",
        AGORA_ENV="development",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
    )
    env["EMAIL_FILE_PATH"] = str(data_dir / "mail")
    env.update(AGORA_STT_BACKEND="openai", AGORA_STT_URL=stt_server.url,
               AGORA_STT_MODEL="fake-whisper", AGORA_STT_TIMEOUT="10")
    # Web push on (a fresh VAPID pair), so that its opt-in is drawn and checked in the pages.
    env["WEBPUSH_VAPID_PUBLIC_KEY"], env["WEBPUSH_VAPID_PRIVATE_KEY"] = _vapid_pair()
    return env


def _vapid_pair() -> tuple[str, str]:
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return tuple(  # type: ignore[return-value]
        base64.urlsafe_b64encode(raw).decode().rstrip("=") for raw in (public, private)
    )


@pytest.fixture(scope="session")
def live_url(server_env: dict[str, str]) -> Iterator[str]:
    python = sys.executable
    for args in (["migrate", "--noinput"], ["seed_demo", "--password", DEMO_PASSWORD]):
        subprocess.run(  # noqa: S603
            [python, "manage.py", *args], cwd=ROOT, env=server_env, check=True,
            capture_output=True, timeout=300,
        )
    port = _free_port()
    log = open(Path(server_env["AGORA_DATA_DIR"]) / "daphne.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(  # noqa: S603
        [python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "--websocket-max-message-size", "1048576", "--websocket-max-frame-size", "1048576",
         "--websocket_connect_timeout", "30", "config.asgi:application"],
        cwd=ROOT, env=server_env, stdout=log, stderr=subprocess.STDOUT,
    )
    # The background worker, as `make run` starts it: access copies are built there.
    worker_log = open(Path(server_env["AGORA_DATA_DIR"]) / "worker.log", "wb")  # noqa: SIM115
    worker = subprocess.Popen(  # noqa: S603
        [python, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay",
         "--no-reload"],
        cwd=ROOT, env=server_env, stdout=worker_log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the test server did not start; see daphne.log")
            time.sleep(0.2)
        yield url
    finally:
        for child in (worker, process):
            child.terminate()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
        log.close()
        worker_log.close()


class SharedBrowser:
    """One Chromium for every browser test of the process, started by the first one and
    closed after the last one (pytest_runtest_teardown below): while Playwright is open,
    its event loop runs on the main thread and an async test cannot start its own, so the
    tests that a worker runs after the browser group need it closed."""

    def __init__(self) -> None:
        self._playwright: Any = None
        self._browser: Any = None

    def get(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            path = chromium_path()
            assert path is not None
            self._playwright = sync_playwright().start()
            self._browser = self._playwright.chromium.launch(
                executable_path=path,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-quic",
                      "--disable-background-networking", "--disable-component-update",
                      "--disable-sync", "--no-first-run",
                      # Voice messages: a fake microphone, and no permission prompt.
                      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
            )
        return self._browser

    def close(self) -> None:
        if self._browser is not None:
            self._browser.close()
            self._playwright.stop()
        self._browser = self._playwright = None


SHARED_BROWSER = SharedBrowser()


@pytest.fixture(scope="session")
def browser() -> Any:
    return SHARED_BROWSER.get()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """After the test's own fixtures (its pages) are gone: close Chromium when no browser
    test follows."""
    yield
    if nextitem is None or "e2e" not in nextitem.keywords:
        SHARED_BROWSER.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR", viewport={"width": 320, "height": 640},
                                  is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()
