"""Live notifications and unread counts on /ws/: mentions, direct messages, unread.bump."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from asgiref.sync import sync_to_async

from forums import actions
from forums.events import NotificationEvent
from forums.models import Room
from realtime.bus import send_event_on_commit, user_group
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


async def test_a_mention_notifies_the_person_mentioned_only(
    world: World, sockets: list[Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    carol = await socket_of(world, "carol", sockets)
    sam = await socket_of(world, "sam", sockets)
    await alice.subscribe(world.plenary)
    ack = await alice.say(world.plenary, f"Qu'en pense @{world.bob.display_name} ? Secret 42")
    notification = await bob.next_of("notification")
    assert notification["kind"] == "mention"
    assert notification["room"] == str(world.plenary.pk)
    assert notification["message"] == ack["message"]["id"]
    assert world.alice.public_name in notification["text"]
    assert world.plenary.name in notification["text"]
    assert "Secret 42" not in notification["text"]  # never what was said
    for other in (carol, sam):  # they read the plenary: a bump, no notification
        assert (await other.receive())["type"] == "unread.bump"
        await other.nothing()
    await alice.nothing()  # neither a bump nor a notification for one's own message


async def test_a_direct_message_notifies_the_other_participant(
    world: World, sockets: list[Socket]
) -> None:
    room = await sync_to_async(actions.do_create_direct_room)(
        world.alice, participants=[world.bob]
    )
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    carol = await socket_of(world, "carol", sockets)
    await alice.subscribe(room)
    ack = await alice.say(room, "Un mot en privé")
    # The chat's notice, the room's count, and the notification centre's bell.
    frames = [await bob.receive(), await bob.receive(), await bob.receive()]
    by_type = {frame["type"]: frame for frame in frames}
    assert set(by_type) == {"notification", "unread.bump", "inbox.new"}
    assert by_type["inbox.new"]["kind"] == "direct" and by_type["inbox.new"]["unread"] == 1
    assert by_type["notification"]["kind"] == "direct"
    assert by_type["notification"]["message"] == ack["message"]["id"]
    assert "Un mot" not in by_type["notification"]["text"]
    assert by_type["unread.bump"] == {
        "type": "unread.bump", "room": str(room.pk), "message": ack["message"]["id"],
        "author": str(world.alice.pk),
    }
    await bob.nothing()
    await carol.nothing()
    await alice.nothing()


async def test_unread_bump_reaches_readers_of_the_room_only(
    world: World, sockets: list[Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    carol = await socket_of(world, "carol", sockets)
    await alice.subscribe(world.mobility)
    ack = await alice.say(world.mobility, "Point sur les transports")
    bump = await bob.next_of("unread.bump")  # not subscribed: the room list's count
    assert bump["room"] == str(world.mobility.pk)
    assert bump["message"] == ack["message"]["id"]
    await bob.nothing()
    await carol.nothing()  # not a reader of « Mobilités »


async def test_a_socket_with_the_room_open_gets_the_message_not_a_bump(
    world: World, sockets: list[Socket]
) -> None:
    """The chat page counts nothing: its `message` is the news. The room list of the same
    person, on another socket that subscribes to nothing, still counts the bump."""
    alice = await socket_of(world, "alice", sockets)
    bob_chat = await socket_of(world, "bob", sockets)
    bob_list = await socket_of(world, "bob", sockets)
    await bob_chat.subscribe(world.mobility)
    ack = await alice.say(world.mobility, "Point sur les transports")
    frames = [await bob_chat.receive()]
    while frames[-1]["type"] != "message":
        frames.append(await bob_chat.receive())
    assert frames[-1]["message"]["id"] == ack["message"]["id"]
    assert "unread.bump" not in [frame["type"] for frame in frames]
    bump = await bob_list.next_of("unread.bump")
    assert bump["message"] == ack["message"]["id"]
    await bob_chat.nothing()
    await bob_list.nothing()


async def test_losing_access_stops_the_bumps(world: World, sockets: list[Socket]) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)

    def remove_bob() -> None:
        subgroup = world.mobility.subgroup
        assert subgroup is not None
        subgroup.members.remove(world.bob)
        actions.subgroup_people_changed(subgroup, {world.bob.pk})

    await sync_to_async(remove_bob)()
    await bob.nothing(0.5)  # the access change was handled (nothing is forwarded)
    await alice.subscribe(world.mobility)
    await alice.say(world.mobility, "Sans Bob")
    await bob.nothing()


async def test_no_notification_for_a_room_the_person_cannot_read(
    world: World, sockets: list[Socket]
) -> None:
    carol = await socket_of(world, "carol", sockets)
    bob = await socket_of(world, "bob", sockets)

    def publish(room: Room, person_id: object) -> None:
        send_event_on_commit(
            NotificationEvent(kind="mention", room=str(room.pk), message=1, text="x"),
            [user_group(person_id)],
        )

    await sync_to_async(publish)(world.mobility, world.carol.pk)
    await carol.nothing(0.5)
    await sync_to_async(publish)(world.mobility, world.bob.pk)
    assert (await bob.receive())["type"] == "notification"
