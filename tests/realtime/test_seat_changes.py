"""Seats change rights live: a substitute who accepts a seat writes in the plenary from
the socket they already had open; a member who resigns is refused on theirs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from assembly import actions
from assembly.models import SeatOffer
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


async def socket_of(world: World, name: str, opened: list[Socket]) -> Socket:
    user = getattr(world, name)
    socket = await Socket(await sync_to_async(session_cookie)(user)).open()
    opened.append(socket)
    return socket


async def send(socket: Socket, world: World, body: str) -> None:
    await socket.send({"type": "message.send", "room": str(world.plenary.pk), "thread": None,
                       "body": body, "client_id": str(uuid.uuid4())})


async def until(socket: Socket, kind: str) -> dict[str, Any]:
    """The next frame of this type; the notifications and counts that may come first
    (in whichever order the processes deliver them) are skipped, never an error."""
    while True:
        frame = await socket.receive()
        if frame["type"] == kind:
            return frame
        assert frame["type"] != "error" or kind == "error", frame


async def write_within_seconds(socket: Socket, world: World, body: str) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 3
    while True:
        await send(socket, world, body)
        while True:
            frame = await socket.receive()
            if frame["type"] in ("message", "error"):
                break
        if frame["type"] == "message":
            return frame
        assert frame["code"] == "forbidden" and loop.time() < deadline, frame
        await asyncio.sleep(0.1)


def resign_titulaire_of_sams_seat(world: World) -> SeatOffer:
    """Sam's seat gets a titulaire who resigns: the seat is offered to Sam."""
    from assembly.models import Membership
    from tests import factories

    seat = Membership.objects.open().get(user=world.sam).seat
    leaving = factories.UserFactory()
    actions.do_add_membership(None, user=leaving, seat=seat, kind="titulaire",
                              start=seat.assembly.mandate_start)
    offer = actions.do_resign(leaving, confirmed=True)
    assert offer is not None and offer.user == world.sam
    return offer


async def test_a_promoted_substitute_writes_in_the_plenary_without_reconnecting(
    world: World, opened: list[Any]
) -> None:
    sam = await socket_of(world, "sam", opened)
    alice = await socket_of(world, "alice", opened)
    await sam.subscribe(world.plenary)
    await alice.subscribe(world.plenary)
    await send(sam, world, "Puis-je parler ?")
    refused = await until(sam, "error")
    assert refused["type"] == "error"

    offer = await sync_to_async(resign_titulaire_of_sams_seat)(world)
    told = await until(sam, "inbox.new")  # the offer, in the page at once
    assert (told["kind"], told["url"]) == ("seat_offer", "/mon-siege/")
    await sync_to_async(actions.do_accept_seat_offer)(world.sam, offer)

    # The new rights reach the open socket with the « roles changed » message, which
    # crosses the channel layer (Redis in production) after the commit: within moments.
    said = await write_within_seconds(sam, world, "Bonjour, je suis la nouvelle titulaire")
    assert "nouvelle titulaire" in said["message"]["body_html"]
    heard = await until(alice, "message")
    assert "nouvelle titulaire" in heard["message"]["body_html"]


async def test_a_resigned_member_is_refused_on_the_open_socket(
    world: World, opened: list[Any]
) -> None:
    alice = await socket_of(world, "alice", opened)
    bob = await socket_of(world, "bob", opened)
    await alice.subscribe(world.plenary)
    await bob.subscribe(world.plenary)

    await sync_to_async(actions.do_resign)(world.alice, confirmed=True, note="Je déménage")

    frame = await alice.next_of("unsubscribed")
    assert frame == {"type": "unsubscribed", "room": str(world.plenary.pk),
                     "reason": "access_ended"}
    await send(alice, world, "encore là ?")
    assert (await alice.next_of("error"))["code"] == "not_found"
    await send(bob, world, "Alice n'entend plus la plénière")
    assert (await until(bob, "message"))["message"]["body_html"]
    await alice.nothing(0.5)
