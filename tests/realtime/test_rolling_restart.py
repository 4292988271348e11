"""An upgrade's rolling restart (docs/deploy.md « Upgrading »): two daphne processes behind
the proxy are restarted one after the other while people chat and co-write. Clients move
to the process still running, as nginx sends them there, then back; nothing they had
acknowledged is lost or doubled, and /metrics, answered by either process, counts the
sockets and messages of both (prometheus-client's multiprocess mode).

test_restarts.py restarts the only process; test_drafts_processes.py loses the relay
between two; this is the two together, as an upgrade does it.
"""

from __future__ import annotations

import asyncio
import re
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.realtime.live import SETUP, run_in_own_loop
from tests.realtime.restart_clients import (
    Client,
    YClient,
    assert_exactly_once,
    has_all,
    private_redis,
)
from tests.realtime.servers import (
    Daphne,
    django_env,
    draft_world,
    migrate,
    private_database,
    run_python,
    stored_draft,
)

pytestmark = pytest.mark.production_stack


@pytest.fixture
def layer_redis(tmp_path: Path) -> Iterator[str]:
    with private_redis(tmp_path) as url:
        yield url


def metric(server: Daphne, name: str, **labels: str) -> float:
    """One series summed over every process, read from whichever process answers."""
    # 60 s: a fresh process loads every view on its first request, slow on a loaded machine.
    with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=60) as r:  # noqa: S310
        text = r.read().decode()
    total = 0.0
    for line in text.splitlines():
        head, _brace, rest = line.partition("{")
        if head != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', rest))
        if all(found.get(key) == value for key, value in labels.items()):
            total += float(line.rpartition(" ")[2])
    return total


def restarted(server: Daphne) -> Daphne:
    """The same address, a new process: what `systemctl restart agora@N` does."""
    server.stop()
    again = Daphne(server.env)
    again.port = server.port
    again.__enter__()
    return again


def environment(tmp_path: Path, redis: str, database: dict[str, str]) -> dict[str, str]:
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    return django_env(
        tmp_path, REDIS_URL=redis, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), **database
    )


def test_a_rolling_restart_keeps_every_acknowledged_message(
    layer_redis: str, tmp_path: Path
) -> None:
    with private_database() as database:
        env = environment(tmp_path, layer_redis, database)
        migrate(env)
        people = run_python(env, SETUP)
        servers = [Daphne(env).__enter__(), Daphne(env).__enter__()]
        try:
            run_in_own_loop(chat_through_rolling_restart(servers, people), timeout=180)
        finally:
            for server in servers:
                server.stop()


async def chat_through_rolling_restart(servers: list[Daphne], people: dict[str, str]) -> None:
    room = people["room"]
    alice = Client(servers[0], people["alice"], room)
    bob = Client(servers[1], people["bob"], room)
    acked: dict[str, int] = {}

    async def bob_says(body: str) -> None:
        client_id = str(uuid.uuid4())
        acked[client_id] = await bob.say(body, client_id)

    try:
        for client in (alice, bob):
            await client.connect()
            await client.subscribe()
        await bob_says("Avant la mise à jour")
        await alice.receive_until("message")
        # Either process answers for both: one socket on each.
        assert await asyncio.to_thread(metric, servers[0], "agora_sockets_open", kind="hub") == 2

        for turn in range(2):
            # Process `turn` is restarted; its clients go to the other one, as nginx does.
            other = servers[1 - turn]
            movers = [client for client in (alice, bob) if client.server is servers[turn]]
            unsure = str(uuid.uuid4())
            if bob in movers:  # stopped before he reads the acknowledgement
                await bob.send_only("Pendant l'arrêt", unsure)
            servers[turn] = await asyncio.to_thread(restarted, servers[turn])
            for client in movers:
                await client.wait_closed()
                client.server = other
                await client.connect()
                await client.subscribe()
                if client is alice:
                    await alice.resync()  # what she missed while away
            if bob in movers:
                acked[unsure] = await bob.say("Pendant l'arrêt", unsure)  # resent, same id
            await bob_says(f"Après le redémarrage {turn + 1}")
            # The stopped process's sockets are no longer counted; the moved ones are.
            assert await asyncio.to_thread(
                metric, servers[turn], "agora_sockets_open", kind="hub"
            ) == 2

        await alice.resync()
        assert len(set(acked.values())) == len(acked)
        assert_exactly_once(alice, list(acked.values()))
        # Counters keep the share of the processes that were restarted.
        posted = await asyncio.to_thread(
            metric, servers[0], "agora_chat_messages_total", room_kind="subgroup"
        )
        assert posted == len(acked)
    finally:
        await alice.close()
        await bob.close()


def test_a_rolling_restart_keeps_every_draft_edit(
    layer_redis: str, tmp_path: Path
) -> None:
    with private_database() as database:
        env = environment(tmp_path, layer_redis, database)
        migrate(env)
        world = draft_world(env)
        servers = [Daphne(env).__enter__(), Daphne(env).__enter__()]
        words: list[str] = []
        try:
            run_in_own_loop(draft_through_rolling_restart(servers, world, words), timeout=180)
        finally:
            for server in servers:
                server.stop()
        stored = stored_draft(env, world["draft"])["text"]
        assert all(word in stored for word in words), (words, stored)


async def draft_through_rolling_restart(
    servers: list[Daphne], world: dict[str, Any], words: list[str]
) -> None:
    draft = world["draft"]
    alice = YClient("alice", servers[0], world["writers"][0], draft)
    bob = YClient("bob", servers[1], world["writers"][1], draft)
    try:
        await alice.connect()
        await bob.connect()
        for turn in range(2):
            word = f"avant{turn}"
            await alice.type(f" {word}")
            words.append(word)
            # Bob has it: it was stored before it was relayed (docs/protocol.md).
            await bob.until(word, has_all(bob, words), timeout=10)
            servers[turn] = await asyncio.to_thread(restarted, servers[turn])
            other = servers[1 - turn]
            for client in (alice, bob):
                if client.server is not other:
                    # The editor's provider reconnects and syncs both ways (its copy first).
                    await client.close()
                    client.server = other
                    client.synced.clear()
                    await client.connect()
            word = f"apres{turn}"
            await bob.type(f" {word}")
            words.append(word)
            await alice.until(word, has_all(alice, words), timeout=10)
        assert await asyncio.to_thread(metric, servers[0], "agora_yjs_updates_relayed_total") >= 4
    finally:
        await alice.close()
        await bob.close()
