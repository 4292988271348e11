"""Reconnecting: a client gets exactly the messages it missed, none twice, none lost."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async

from forums import realtime as chat
from tests.realtime.chat import Socket, World, make_world, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def world() -> World:
    return await sync_to_async(make_world)()


@pytest.fixture
async def opened() -> AsyncIterator[list[Socket]]:
    sockets: list[Socket] = []
    yield sockets
    for socket in sockets:
        await socket.close()


async def connect(world: World, name: str, opened: list[Socket]) -> Socket:
    socket = await Socket(await sync_to_async(session_cookie)(getattr(world, name))).open()
    opened.append(socket)
    return socket


async def test_reconnected_client_receives_exactly_the_missed_messages(
    world: World, opened: list[Socket]
) -> None:
    alice = await connect(world, "alice", opened)
    bob = await connect(world, "bob", opened)
    await bob.subscribe(world.mobility)
    seen = (await alice.say(world.mobility, "Avant la coupure"))["message"]["id"]
    assert (await bob.next_of("message"))["message"]["id"] == seen

    await bob.close()  # the network drops
    missed = [
        (await alice.say(world.mobility, f"Pendant la coupure {i}"))["message"]["id"]
        for i in range(4)
    ]

    bob = await connect(world, "bob", opened)
    await bob.subscribe(world.mobility)
    answer = await bob.ask({"type": "resync", "room": str(world.mobility.pk), "after": seen})
    assert answer["type"] == "resync"
    assert [m["id"] for m in answer["messages"]] == missed
    assert answer["has_more"] is False
    assert [m["client_id"] for m in answer["messages"]]  # full message shapes
    await bob.nothing()


async def test_message_received_live_before_resync_is_not_sent_twice(
    world: World, opened: list[Socket]
) -> None:
    alice = await connect(world, "alice", opened)
    first = (await alice.say(world.mobility, "Vu"))["message"]["id"]
    missed = (await alice.say(world.mobility, "Manqué"))["message"]["id"]
    bob = await connect(world, "bob", opened)
    await bob.subscribe(world.mobility)
    # Sent after bob subscribed but before he asked to resync: it arrives live.
    live = (await alice.say(world.mobility, "En direct"))["message"]["id"]
    assert (await bob.next_of("message"))["message"]["id"] == live
    # (The live message's unread count may arrive before the answer.)
    await bob.send({"type": "resync", "room": str(world.mobility.pk), "after": first})
    answer = await bob.next_of("resync")
    assert [m["id"] for m in answer["messages"]] == [missed]
    after = (await alice.say(world.mobility, "Ensuite"))["message"]["id"]
    assert (await bob.next_of("message"))["message"]["id"] == after


async def test_long_gap_is_resynced_page_by_page_in_order(
    world: World, opened: list[Socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat, "RESYNC_PAGE", 2)
    alice = await connect(world, "alice", opened)
    sent = [(await alice.say(world.mobility, f"N° {i}"))["message"]["id"] for i in range(5)]
    bob = await connect(world, "bob", opened)
    received: list[int] = []
    after = 0
    for _ in range(10):  # bounded: 3 pages expected
        page = await bob.ask({"type": "resync", "room": str(world.mobility.pk), "after": after})
        received += [m["id"] for m in page["messages"]]
        if not page["has_more"]:
            break
        after = received[-1]
    assert received == sent


async def test_resync_of_a_room_one_may_not_read_reveals_nothing(
    world: World, opened: list[Socket]
) -> None:
    alice = await connect(world, "alice", opened)
    await alice.say(world.mobility, "Entre nous")
    carol = await connect(world, "carol", opened)
    answer = await carol.ask({"type": "resync", "room": str(world.mobility.pk), "after": 0})
    assert answer["type"] == "error" and answer["code"] == "not_found"
