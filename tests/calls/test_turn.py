"""calls/turn.py: the credentials Agora issues are the ones a real coturn (use-auth-secret) takes.

coturn listens on loopback only; turnutils_uclient (shipped with coturn) asks it for a relay
with the credential.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from calls import turn

SECRET = "test-static-auth-secret"


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def coturn() -> Iterator[int]:
    if not (shutil.which("turnserver") and shutil.which("turnutils_uclient")):
        if os.environ.get("CI") == "true":
            pytest.fail("coturn is not installed (CI installs it: apt-get install coturn)")
        pytest.skip("coturn is not installed here (apt-get install coturn)")
    port = _free_udp_port()
    process = subprocess.Popen(  # noqa: S603
        [
            str(shutil.which("turnserver")),
            "-n",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            f"--listening-port={port}",
            "--use-auth-secret",
            f"--static-auth-secret={SECRET}",
            "--realm=agora.test",
            "--no-tls",
            "--no-dtls",
            "--no-cli",
            "--allow-loopback-peers",
            "--log-file=stdout",
            "--simple-log",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not _answers(port):  # ready once it answers a STUN binding request
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("turnserver did not start")
        time.sleep(0.1)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        probe = subprocess.run(  # noqa: S603
            [str(shutil.which("turnutils_stunclient")), "-p", str(port), "127.0.0.1"],
            capture_output=True,
            timeout=1,
        )
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def _relay_works(port: int, username: str, password: str) -> bool:
    """True when coturn takes the credential and allocates a relay address for it."""
    try:
        out = subprocess.run(  # noqa: S603
            [
                str(shutil.which("turnutils_uclient")),
                "-v",
                "-u",
                username,
                "-w",
                password,
                "-p",
                str(port),
                "-n",
                "1",
                "-m",
                "1",
                "-y",
                "127.0.0.1",
            ],
            capture_output=True,
            text=True,
            timeout=4,
        ).stdout
    except subprocess.TimeoutExpired as exc:  # it echoes through the relay until stopped
        out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
    return "Received relay addr" in out


def test_coturn_accepts_the_credential_agora_issues(coturn: int) -> None:
    username, password = turn.turn_credentials("42", secret=SECRET, ttl=600)
    assert username.endswith(":42")
    assert _relay_works(coturn, username, password)


def test_coturn_refuses_an_expired_or_forged_credential(coturn: int) -> None:
    username, password = turn.turn_credentials("42", secret=SECRET, ttl=-10)
    assert not _relay_works(coturn, username, password)
    username, _ = turn.turn_credentials("42", secret=SECRET, ttl=600)
    _, other = turn.turn_credentials("43", secret=SECRET, ttl=600)
    assert not _relay_works(coturn, username, other)
    username, password = turn.turn_credentials("42", secret="not-the-secret", ttl=600)
    assert not _relay_works(coturn, username, password)


def test_ice_servers_follow_the_settings(settings: Any) -> None:
    settings.CALLS_STUN_URLS = []
    settings.CALLS_TURN_URLS = []
    assert turn.ice_servers("7") == []
    settings.CALLS_STUN_URLS = ["stun:turn.example.org:3478"]
    settings.CALLS_TURN_URLS = ["turn:turn.example.org:3478?transport=udp"]
    settings.CALLS_TURN_SECRET = SECRET
    stun, relay = turn.ice_servers("7")
    assert stun == {"urls": ["stun:turn.example.org:3478"]}
    assert relay["urls"] == ["turn:turn.example.org:3478?transport=udp"]
    expiry, user = str(relay["username"]).split(":")
    assert user == "7" and int(expiry) > time.time()
    nat = turn.janus_nat_settings()
    assert (nat["stun_server"], nat["stun_port"]) == ("turn.example.org", 3478)
    assert (nat["turn_server"], nat["turn_type"]) == ("turn.example.org", "udp")
