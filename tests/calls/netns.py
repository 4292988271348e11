"""Run a test inside a private network namespace, as every test that carries media must.

The machines' network rule lets test traffic reach only the loopback range or hosts in
network namespaces the test creates (/work/shared/WEBRTC.md), and WebRTC gathers
candidates on every interface by itself. A media test therefore re-executes itself with
``unshare -n``: a namespace with its own loopback and one veth pair (10.99.0.1 and
10.99.0.2, two "hosts" of our own; libnice, Janus's ICE, ignores loopback). Inside, the
machine's PostgreSQL and Redis are out of reach: the test runs on the embedded defaults.

Usage, in a test::

    def test_something(request):
        if not netns.inside():
            netns.rerun_inside(request.node.nodeid)  # asserts the inner run passed
            return
        ...  # the real test, now in the namespace

``rerun_inside`` skips with a visible reason when the machine cannot create namespaces
(not root), except under CI=true, where it fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLAG = "AGORA_IN_NETNS"
ADDRESSES = ("10.99.0.1", "10.99.0.2")

SETUP = f"""set -e
ip link set lo up
ip link add veth0 type veth peer name veth1
ip addr add {ADDRESSES[0]}/24 dev veth0 && ip link set veth0 up
ip addr add {ADDRESSES[1]}/24 dev veth1 && ip link set veth1 up
exec "$@"
"""


def inside() -> bool:
    """True in the re-executed run, inside the private namespace."""
    return os.environ.get(FLAG) == "1"


def unavailable() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "private network namespaces need root (unshare -n); media tests skipped"
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed; media tests skipped"
    return None


def require() -> None:
    """Skip (or fail under CI=true) when namespaces cannot be made."""
    reason = unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


def command(argv: list[str]) -> list[str]:
    """``argv`` run inside a fresh namespace with the veth pair up."""
    return ["unshare", "-n", "bash", "-c", SETUP, "netns", *argv]


def environment() -> dict[str, str]:
    """The embedded defaults: the machine's database and Redis are not in the namespace."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env[FLAG] = "1"
    # Nothing to proxy inside: a proxy setting would send the browser nowhere.
    for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(name, None)
    env["NO_PROXY"] = env["no_proxy"] = "*"
    return env


def rerun_inside(nodeid: str, *, timeout: float = 240) -> None:
    """Run the test ``nodeid`` again with pytest inside a namespace; fail if it fails.

    Only in the embedded-defaults pass: the namespace has no PostgreSQL, so the inner run is
    on SQLite whatever the pass, and CI's PostgreSQL + Redis pass would only repeat it.
    """
    if os.environ.get("DATABASE_URL"):
        pytest.skip("runs in the embedded-defaults pass (the namespace has no PostgreSQL)")
    require()
    result = subprocess.run(  # noqa: S603 - our own interpreter and test id
        command(
            [
                sys.executable,
                "-m",
                "pytest",
                nodeid,
                "-q",
                "-x",
                "-p",
                "no:cacheprovider",
                "-o",
                "addopts=-ra --strict-markers",
            ]
        ),
        cwd=ROOT,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = (result.stdout + result.stderr)[-6000:]
    if result.returncode != 0 or " passed" not in result.stdout:
        pytest.fail(f"inside the private network namespace:\n{output}")
