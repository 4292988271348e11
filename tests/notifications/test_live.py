"""The bell's live events on /ws/ (docs/protocol.md, « inbox.* »): the recipient's sockets
only, checked against their types; the count in ``hello``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async

from notifications import actions
from notifications.models import Notification
from tests.realtime.chat import Socket, World, make_world, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def world() -> World:
    return await sync_to_async(make_world)()


@pytest.fixture
async def sockets() -> AsyncIterator[list[Socket]]:
    opened: list[Socket] = []
    yield opened
    for socket in opened:
        await socket.close()


async def socket_of(world: World, name: str, opened: list[Socket]) -> Socket:
    cookie = await sync_to_async(session_cookie)(getattr(world, name))
    socket = await Socket(cookie).open()
    opened.append(socket)
    return socket


async def next_inbox(socket: Socket, kind: str) -> dict[str, object]:
    """The next ``inbox.*`` frame, past the chat's own (message, bumps, its live notice)."""
    while True:
        frame = await socket.receive()
        if frame["type"] == kind:
            return frame
        assert not frame["type"].startswith("inbox."), frame


async def test_a_mention_reaches_the_bell_of_the_person_mentioned_only(
    world: World, sockets: list[Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    carol = await socket_of(world, "carol", sockets)
    assert bob.hello["inbox"] == {"unread": 0}
    await alice.subscribe(world.plenary)
    await alice.say(world.plenary, f"Qu'en pense @{world.bob.display_name} ? Secret 42")
    frame = await next_inbox(bob, "inbox.new")
    assert frame["kind"] == "mention" and frame["unread"] == 1
    assert world.alice.public_name in frame["text"] and "Secret 42" not in frame["text"]
    assert frame["url"].startswith(f"/discussions/salle/{world.plenary.pk}/#m")
    notification = await Notification.objects.aget(recipient=world.bob)
    assert frame["notification"] == str(notification.pk)
    # Carol reads the plenary: its unread count moves, her bell does not.
    assert (await carol.next_of("unread.bump"))["room"] == str(world.plenary.pk)
    await carol.nothing()


async def test_marking_read_updates_every_open_page_of_that_person(
    world: World, sockets: list[Socket]
) -> None:
    notification = await Notification.objects.acreate(
        recipient=world.bob, kind="mention", room=world.plenary, actor=world.alice
    )
    first = await socket_of(world, "bob", sockets)
    second = await socket_of(world, "bob", sockets)
    alice = await socket_of(world, "alice", sockets)
    assert first.hello["inbox"] == {"unread": 1}
    await sync_to_async(actions.do_mark_read)(world.bob, notification)
    for socket in (first, second):
        assert await next_inbox(socket, "inbox.count") == {"type": "inbox.count", "unread": 0}
    await alice.nothing()
