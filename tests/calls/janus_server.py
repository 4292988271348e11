"""A real Janus Gateway for the calls tests, on the configuration Agora generates."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.test.utils import override_settings

from calls import mediaserver
from tests.tools import program_or_skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, directory: Path, http_port: int, admin_port: int) -> None:
        self.directory = directory
        self.http_port = http_port
        self.admin_port = admin_port
        self.api_url = f"http://127.0.0.1:{http_port}/janus"
        self.admin_url = f"http://127.0.0.1:{admin_port}/admin"

    def settings(self) -> dict[str, Any]:
        return {
            "CALLS_JANUS_DIR": self.directory,
            "CALLS_JANUS_SERVERS": [],
            "CALLS_JANUS_ADMIN_URL": self.admin_url,
            "CALLS_JANUS_URL": self.api_url,
            "CALLS_JANUS_ADMIN_SECRET": "",
            "CALLS_JANUS_PLUGIN_KEY": "",
        }


def janus_or_skip() -> str:
    return program_or_skip("janus", "the calls through Janus (apt-get install janus)")


@contextmanager
def running_janus(directory: Path) -> Iterator[Server]:
    """Janus on `manage.py janus_config`'s files, on free loopback ports, stopped after."""
    binary = janus_or_skip()
    server = Server(directory, free_port(), free_port())
    with override_settings(**server.settings()):
        mediaserver.write_configuration(http_port=server.http_port, admin_port=server.admin_port)
        command = mediaserver.command_line(binary)
    process = subprocess.Popen(  # noqa: S603 (our own binary and configuration)
        command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(server.api_url + "/info", timeout=1):  # noqa: S310
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (directory / "janus.log").read_text(errors="replace")
                    pytest.fail(f"janus did not start:\n{log[-3000:]}")
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
