"""Stock Yjs clients (Node: `yjs` + `y-websocket`) against the whiteboard socket (issue 14).

frontend/test/boards-sync.test.mjs does the drawing with the document model the browser uses
(frontend/src/board/model.js); this test starts daphne, makes the board and the people, runs
it, then reads what the database holds.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.realtime.servers import ROOT, Daphne, django_env, migrate, private_database, run_python

FRONTEND = ROOT / "frontend"
NODE_TEST = FRONTEND / "test" / "boards-sync.test.mjs"

BOARD_WORLD = """
from django.test import Client
from deliberation.people import person_name_with_role
from tests import factories
from workshops import walls
assembly = factories.make_assembly()
alice, bob = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
reader = factories.make_substitute(assembly, factories.seat(assembly))  # reads the plenary
room = factories.plenary_room(factories.make_mandate(assembly))
board = walls.create_board(room, title="Carte des acteurs", by=None)
image = factories.DocumentFactory(kind="fichier", title="Plan du bourg", url="")
factories.make_file(image, mime_type="image/png", name="plan.png")
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
print(json.dumps({"board": str(board.pk), "a": cookie(alice), "b": cookie(bob),
                  "r": cookie(reader), "image": str(image.pk),
                  "name_a": person_name_with_role(alice)}))
"""


def stored_board(env: dict[str, str], board_id: str) -> dict[str, Any]:
    code = f"""
from workshops import walls, ydocs
content = ydocs.content(ydocs.load({board_id!r}, walls.BOARD_ROOTS).doc, walls.BOARD_ROOTS)
print(json.dumps(content))
"""
    return run_python(env, code)  # type: ignore[no-any-return]


def test_stock_clients_share_a_board_and_the_server_keeps_only_what_it_accepts(
    node: str, tmp_path: Path
) -> None:
    with private_database() as database:
        env = django_env(tmp_path, REDIS_URL="", **database)
        migrate(env)
        world = run_python(env, BOARD_WORLD)
        result = tmp_path / "board.json"
        with Daphne(env) as server:
            done = subprocess.run(  # noqa: S603 - our node and our test file
                [node, "--test", "--test-reporter=spec", str(NODE_TEST)],
                env={
                    **os.environ,
                    "AGORA_URL": server.url("/ws/boards"),
                    "ORIGIN": server.origin,
                    "AGORA_RESULT": str(result),
                    "BOARD_ID": world["board"],
                    "COOKIE_A": world["a"],
                    "COOKIE_B": world["b"],
                    "COOKIE_R": world["r"],
                    "LIBRARY_IMAGE": world["image"],
                    "NAME_A": world["name_a"],
                },
                cwd=FRONTEND,
                capture_output=True,
                text=True,
                timeout=90,
                check=False,
            )
            assert done.returncode == 0, (
                f"node --test failed ({done.returncode}):\n{(done.stdout + done.stderr)[-4000:]}"
                f"\n--- daphne ---\n{server.log_tail()}"
            )
        seen = json.loads(result.read_text())
        stored = stored_board(env, world["board"])

    # What every client ended with is what the database holds: nothing more, nothing less.
    assert stored == seen
    assert stored["elements"]["alice-1"]["version"] == 5
    assert stored["elements"]["bob-1"]["isDeleted"] is True
    image = world["image"]
    assert stored["files"] == {image: {"document": image, "mimeType": "image/png"}}
    assert "reader-1" not in stored["elements"]
