"""Two daphne processes sharing one Redis: a message sent through one reaches the other."""

from __future__ import annotations

import asyncio
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.realtime.live import SETUP, open_socket, receive
from tests.realtime.servers import Daphne, django_env, migrate, run_python

# Starts its own server processes on the production stack: runs once in CI, in the
# PostgreSQL + Redis pass (.ci/run).
pytestmark = pytest.mark.production_stack


def test_message_sent_through_one_process_reaches_a_client_of_the_other(
    redis_or_skip: None, tmp_path: Path
) -> None:
    env = django_env(tmp_path)
    migrate(env)
    world = run_python(env, SETUP)
    with Daphne(env) as first, Daphne(env) as second:
        # Its own loop in its own thread: independent of whatever loop the test
        # session (Playwright's, pytest-asyncio's) has running.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, exchange(first, second, world)).result(timeout=120)


async def exchange(first: Daphne, second: Daphne, world: dict[str, str]) -> None:
    room = world["room"]
    async with (
        open_socket(first, world["alice"]) as alice,
        open_socket(second, world["bob"]) as bob,
        open_socket(second, world["carol"]) as carol,
    ):
        for socket in (alice, bob, carol):
            assert (await receive(socket, "hello"))["type"] == "hello"
        await bob.send(json.dumps({"type": "subscribe", "room": room}))
        await receive(bob, "subscribed")
        await alice.send(json.dumps({"type": "subscribe", "room": room}))
        await receive(alice, "subscribed")
        # Bob's process learns through Redis that Alice opened the room.
        arrived = await receive(bob, "presence")
        assert arrived["online"] is True

        client_id = str(uuid.uuid4())
        await alice.send(
            json.dumps(
                {
                    "type": "message.send",
                    "room": room,
                    "thread": None,
                    "body": "Bonjour depuis l'autre serveur",
                    "client_id": client_id,
                }
            )
        )
        ack = await receive(alice, "message")
        assert ack["message"]["client_id"] == client_id
        received = await receive(bob, "message")
        assert received["message"]["id"] == ack["message"]["id"]
        assert "autre serveur" in received["message"]["body_html"]

        # Carol (another subgroup) on the same process as Bob hears nothing of it.
        await carol.send(json.dumps({"type": "subscribe", "room": room}))
        refused = await receive(carol, "error")
        assert refused["code"] == "not_found"


RESIGN = """
from assembly.actions import do_end_membership
from assembly.models import EndReason, Membership
membership = Membership.objects.open().get(user__email="alice@example.org")
do_end_membership(None, membership, reason=EndReason.RESIGNATION)
print(json.dumps({}))
"""


def test_a_membership_ended_in_another_process_reaches_open_sockets(
    redis_or_skip: None, tmp_path: Path
) -> None:
    """Roles changed by a process that holds no socket (the admin's, a command) reach the
    person's sockets on every daphne, through Redis (docs/protocol.md, roles.changed)."""
    env = django_env(tmp_path)
    migrate(env)
    world = run_python(env, SETUP.replace(
        '"room": str(world.mobility.pk)', '"room": str(world.mobility.pk), '
        '"plenary": str(world.plenary.pk)'
    ))
    with Daphne(env) as first, Daphne(env) as second:
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, resignation(first, second, env, world)).result(timeout=120)


async def resignation(
    first: Daphne, second: Daphne, env: dict[str, str], world: dict[str, str]
) -> None:
    plenary = world["plenary"]
    async with open_socket(first, world["alice"]) as alice, open_socket(
        second, world["alice"]
    ) as alice_elsewhere:
        for socket in (alice, alice_elsewhere):
            await receive(socket, "hello")
            await socket.send(json.dumps({"type": "subscribe", "room": plenary}))
            await receive(socket, "subscribed")
        await asyncio.get_running_loop().run_in_executor(None, run_python, env, RESIGN)
        for socket in (alice, alice_elsewhere):
            ended = await receive(socket, "unsubscribed")
            assert ended == {"type": "unsubscribed", "room": plenary, "reason": "access_ended"}
