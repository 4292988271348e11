"""Issue 4 with real processes: nothing lost, nothing doubled across a server or Redis restart.

A network cut is covered by test_resync.py; here daphne and then a private
redis-server (never the machine's) are stopped and started again under live
clients that behave as docs/protocol.md asks: reconnect, subscribe, resync from
the last message id seen, resend unacknowledged messages with their client_id.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from pathlib import Path

import pytest
import websockets

from tests.realtime.live import SETUP, run_in_own_loop
from tests.realtime.restart_clients import Client, assert_exactly_once
from tests.realtime.servers import (
    Daphne,
    RedisServer,
    django_env,
    free_port,
    migrate,
    run_python,
)
from tests.tools import program_or_skip

CHATTER = ("presence", "typing", "unread")


def world(env: dict[str, str]) -> dict[str, str]:
    migrate(env)
    return run_python(env, SETUP)  # type: ignore[no-any-return]


# --- 1. Server restart -------------------------------------------------------------------


def test_server_restart_loses_and_doubles_nothing(tmp_path: Path) -> None:
    # One process at a time, so the in-memory channel layer is enough: no Redis needed.
    env = django_env(tmp_path, REDIS_URL="")
    people = world(env)
    first = Daphne(env)
    second: Daphne | None = None
    try:
        first.__enter__()
        second = Daphne(env)
        second.port = first.port  # the same address, as after a deploy
        run_in_own_loop(server_restart(first, second, people))
    finally:
        first.stop()
        if second is not None:
            second.stop()


async def server_restart(first: Daphne, second: Daphne, people: dict[str, str]) -> None:
    room = people["room"]
    alice = Client(first, people["alice"], room)
    bob = Client(first, people["bob"], room)
    try:
        await alice.connect()
        await alice.subscribe()
        await bob.connect()
        acked: dict[str, int] = {}
        for i in range(3):
            client_id = str(uuid.uuid4())
            acked[client_id] = await bob.say(f"Avant l'arrêt {i}", client_id)
        for _ in range(3):  # bounded: Alice receives them live
            if len(alice.seen) == 3:
                break
            await alice.receive_until("message")
        assert alice.seen == list(acked.values())

        # Bob sends two more and the server stops before he reads any acknowledgement:
        # he cannot know whether they were stored.
        unsure = [str(uuid.uuid4()) for _ in range(2)]
        for n, client_id in enumerate(unsure):
            await bob.send_only(f"Pendant l'arrêt {n}", client_id)
        await asyncio.to_thread(first.stop)
        await alice.wait_closed()
        await bob.wait_closed()

        await asyncio.to_thread(second.__enter__)
        bob.server = alice.server = second
        await bob.connect()
        # Resending with the same client_id never stores a second message, whether the
        # first attempt was stored (before the stop) or not.
        resent = {client_id: await bob.say("Renvoi", client_id) for client_id in unsure}
        again = next(iter(acked))
        assert await bob.say("Renvoi d'un message déjà acquitté", again) == acked[again]
        acked.update(resent)
        for i in range(2):  # while Alice is still away
            client_id = str(uuid.uuid4())
            acked[client_id] = await bob.say(f"Après le redémarrage {i}", client_id)

        await alice.connect()
        await alice.subscribe()
        missed = await alice.resync()
        assert missed == sorted(missed)
        client_id = str(uuid.uuid4())
        acked[client_id] = await bob.say("En direct", client_id)
        for _ in range(5):  # bounded
            if acked[client_id] in alice.seen:
                break
            await alice.receive_until("message")

        assert len(set(acked.values())) == len(acked)  # one stored message per client_id
        assert_exactly_once(alice, list(acked.values()))
        assert alice.seen == sorted(alice.seen)  # here live and resynced never interleave
    finally:
        await alice.close()
        await bob.close()


# --- 2. Redis restart --------------------------------------------------------------------


@pytest.fixture
def redis_server_or_skip() -> str:
    return program_or_skip("redis-server", "the Redis restart test")


@pytest.mark.production_stack  # runs once in CI, in the PostgreSQL + Redis pass
def test_redis_restart_loses_and_doubles_nothing(redis_server_or_skip: str, tmp_path: Path) -> None:
    redis = RedisServer(redis_server_or_skip, free_port(), tmp_path / "redis.log")
    server: Daphne | None = None
    try:
        redis.start()
        env = django_env(tmp_path, REDIS_URL=redis.url)
        people = world(env)
        server = Daphne(env)
        server.__enter__()
        run_in_own_loop(redis_restart(redis, server, people))
    finally:
        if server is not None:
            server.stop()
        redis.stop()


async def redis_restart(redis: RedisServer, server: Daphne, people: dict[str, str]) -> None:
    room = people["room"]
    alice = Client(server, people["alice"], room)
    bob = Client(server, people["bob"], room)
    try:
        for client in (alice, bob):
            await client.connect()
            await client.subscribe()
        acked: dict[str, int] = {}
        for i in range(3):
            client_id = str(uuid.uuid4())
            acked[client_id] = await bob.say(f"Avant la coupure de Redis {i}", client_id)
        for _ in range(3):  # bounded
            if len(alice.seen) == 3:
                break
            await alice.receive_until("message")
        assert alice.seen == list(acked.values())

        await asyncio.to_thread(redis.stop)
        # Sent while Redis is away: stored or not, acknowledged or not, Bob cannot tell.
        unsure = str(uuid.uuid4())
        with contextlib.suppress(websockets.ConnectionClosed):
            await bob.send_only("Pendant la coupure de Redis", unsure)
            with contextlib.suppress(TimeoutError, AssertionError):
                await bob.receive_until("message", timeout=2)
        await asyncio.to_thread(redis.start)  # empty: groups and queues are gone

        # Each socket either still works or was closed; a closed one reconnects and
        # subscribes again, as the browser does. Everyone then resyncs.
        for client in (alice, bob):
            if not await client.still_works():
                await client.close()
                await client.connect()
                await client.subscribe()
        acked[unsure] = await bob.say("Renvoi", unsure)
        await alice.resync()

        client_id = str(uuid.uuid4())
        acked[client_id] = await bob.say("En direct après la coupure", client_id)
        for _ in range(5):  # bounded: a live message must reach Alice again
            if acked[client_id] in alice.seen:
                break
            await alice.receive_until("message")

        assert len(set(acked.values())) == len(acked)
        assert_exactly_once(alice, list(acked.values()))
    finally:
        await alice.close()
        await bob.close()
