"""Seats change rights live: a substitute who accepts a seat writes in the plenary from
the socket they already had open; a member who resigns is refused on theirs."""

from __future__ import annotations

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
    refused = await sam.next_of("error")
    assert refused["type"] == "error"

    offer = await sync_to_async(resign_titulaire_of_sams_seat)(world)
    told = await sam.next_of("inbox.new")  # the offer, in the page at once
    assert (told["kind"], told["url"]) == ("seat_offer", "/mon-siege/")
    await sync_to_async(actions.do_accept_seat_offer)(world.sam, offer)

    await send(sam, world, "Bonjour, je suis la nouvelle titulaire")
    said = await sam.next_of("message")
    assert "nouvelle titulaire" in said["message"]["body_html"]
    heard = await alice.next_of("message")
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
    assert (await bob.next_of("message"))["message"]["body_html"]
    await alice.nothing(0.5)
