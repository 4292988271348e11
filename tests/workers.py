"""Two test workers on one machine (pytest-xdist, `make test`).

- Each worker gets its own Redis database and its own data directory, so that a cache
  flush, a channel group or a media file of one worker never reaches the other. The
  databases need nothing here: pytest-django gives each worker a test database of its own.
- Which tests go together (``pytest_xdist_make_scheduler``): the browser tests share one
  server and one Chromium (tests/e2e/conftest.py), so they are one unit of work, which
  comes first in the collection (tests/conftest.py) and starts first on one worker while
  the other takes the rest test by test; the modules that start a server once for all
  their tests (a module-scoped fixture) are a unit each, so that the server starts once.
  Units are handed out in the collection's order (xdist's reordering by size is off):
  each worker then runs the transactional tests, whose flush empties every table, after
  the others, as pytest-django orders them in one process.

Loaded with ``-p tests.workers`` (pyproject's addopts): a plugin named there is imported
before pytest-django reads the settings, which read these variables once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Tests that must run in the same worker, by the start of their node id.
TOGETHER = {
    "tests/e2e/": "browser",
    "tests/calls/test_janus.py::": "tests/calls/test_janus.py",
    "tests/calls/test_media_server.py::": "tests/calls/test_media_server.py",
    "tests/calls/test_turn.py::": "tests/calls/test_turn.py",
    "tests/realtime/test_proxy.py::": "tests/realtime/test_proxy.py",
}


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: a group above, or the test alone."""
    for start, unit in TOGETHER.items():
        if nodeid.startswith(start):
            return unit
    return nodeid


def worker_index() -> int | None:
    """0, 1… under pytest-xdist (gw0, gw1…), None in a single process."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name.removeprefix("gw")) if name.startswith("gw") else None


def redis_url_for(url: str, index: int) -> str:
    """The same server, the database ``index`` places after the configured one."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{base + index}"))


def _isolate() -> None:
    index = worker_index()
    if index is None:
        return
    if os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url_for(os.environ["REDIS_URL"], index)
    os.environ.setdefault("AGORA_DATA_DIR", str(ROOT / "var" / f"test-gw{index}"))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: Any, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class Together(LoadScopeScheduling):
        """xdist's scope scheduling on our units, in the collection's order."""

        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid)

    config.option.loadscopereorder = False
    return Together(config, log)


_isolate()
