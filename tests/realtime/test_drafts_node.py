"""Stock Yjs clients (Node: `yjs` + `y-websocket`) against our draft sync server (issue 5).

frontend/test/drafts-sync.test.mjs does the typing; this test starts daphne, creates the
draft and the sessions, runs it, restarts daphne (SIGKILL: nothing flushed on the way
out) and runs its second phase, then reads what the database holds.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.realtime.servers import (
    ROOT,
    Daphne,
    django_env,
    draft_world,
    kill,
    migrate,
    private_database,
    stored_draft,
)

FRONTEND = ROOT / "frontend"
NODE_TEST = FRONTEND / "test" / "drafts-sync.test.mjs"


def run_node(node: str, server: Daphne, variables: dict[str, str], result: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "AGORA_URL": server.url("/ws/drafts"),
        "ORIGIN": server.origin,
        "AGORA_RESULT": str(result),
        **variables,
    }
    done = subprocess.run(  # noqa: S603 - our node and our test file
        [node, "--test", "--test-reporter=spec", str(NODE_TEST)],
        env=env,
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, (
        f"node --test failed ({done.returncode}):\n{output[-4000:]}\n"
        f"--- daphne ---\n{server.log_tail()}"
    )
    return json.loads(result.read_text())  # type: ignore[no-any-return]


def test_stock_clients_converge_and_the_text_survives_a_restart(node: str, tmp_path: Path) -> None:
    # One process at a time: the in-memory channel layer is enough (as in test_restarts).
    # Under DATABASE_URL (PostgreSQL) the daphnes get a database of their own.
    with private_database() as database:
        stock_clients(node, django_env(tmp_path, REDIS_URL="", **database), tmp_path)


def stock_clients(node: str, env: dict[str, str], tmp_path: Path) -> None:
    migrate(env)
    world = draft_world(env)
    draft = world["draft"]
    cookies = {"DRAFT_ID": draft, "COOKIE_A": world["writers"][0], "COOKIE_B": world["writers"][1]}

    with Daphne(env) as first:
        written = run_node(node, first, {**cookies, "AGORA_PHASE": "write"}, tmp_path / "w.json")
        # Converged means each writer got the other's updates; the group commit stores an
        # update milliseconds after relaying it, well before node has exited: a SIGKILL
        # now must lose nothing. (A kill inside that window: test_drafts_crash.py.)
        kill(first)

    with Daphne(env) as second:
        read = run_node(
            node,
            second,
            {
                "DRAFT_ID": draft,
                "COOKIE_C": world["reader"],
                "AGORA_PHASE": "read",
                "AGORA_EXPECTED_XML": written["xml"],
            },
            tmp_path / "r.json",
        )
    assert read["xml"] == written["xml"]

    stored = stored_draft(env, draft)
    assert stored["blocks"] == written["blocks"]
    for word in written["words"]:
        assert word in stored["text"]
    assert "LECTRICE" not in stored["text"]  # the reader's typing was never stored
