"""The idea wall's client logic (frontend/src/walls/model.js) under Node with stock `yjs`:
reading order, moves and groups, two writers converging, and the server's rules as the page
mirrors them (frontend/test/wall-model.test.mjs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.tools import program_or_skip

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
NODE_TEST = FRONTEND / "test" / "wall-model.test.mjs"


def test_the_wall_client_logic_passes_its_node_tests() -> None:
    node = program_or_skip("node", "the wall client's tests")
    if not (FRONTEND / "node_modules" / "yjs" / "package.json").exists():
        pytest.fail("frontend/node_modules is missing: run `make test` (npm ci --prefix frontend)")
    done = subprocess.run(  # noqa: S603 - our node and our test file
        [node, "--test", "--test-reporter=tap", str(NODE_TEST)],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"node --test failed ({done.returncode}):\n{output[-4000:]}"
    assert "# fail 0" in output and "# pass " in output, output[-2000:]
