"""The conversation frames of /ws/ on the real ASGI app, with real session cookies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from forums import realtime as chat
from forums.events import RoomAccessChangedEvent, room_group
from forums.models import Message
from realtime import guards, hub
from realtime.bus import send_event_on_commit, user_group
from tests.realtime.chat import Socket, World, make_world, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def world() -> World:
    return await sync_to_async(make_world)()


@pytest.fixture
async def sockets(world: World) -> AsyncIterator[dict[str, Socket]]:
    opened: dict[str, Socket] = {}
    yield opened
    for socket in opened.values():
        await socket.close()


async def socket_of(world: World, name: str, opened: dict[str, Socket]) -> Socket:
    cookie = await sync_to_async(session_cookie)(getattr(world, name))
    socket = await Socket(cookie).open()
    opened[f"{name}-{len(opened)}"] = socket
    return socket


def remove_from_subgroup(world: World) -> None:
    subgroup = world.mobility.subgroup
    assert subgroup is not None
    subgroup.members.remove(world.bob)


async def test_hello_lists_every_readable_room_with_unread_counts(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    rooms = {r["id"]: r for r in alice.hello["rooms"]}
    assert str(world.mobility.pk) in rooms
    assert str(world.plenary.pk) in rooms
    assert str(world.health.pk) not in rooms
    assert set(rooms[str(world.mobility.pk)]) == {"id", "kind", "name", "unread"}
    assert rooms[str(world.mobility.pk)]["kind"] == "subgroup"


async def test_message_reaches_the_room_and_acknowledges_the_sender_once(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    await alice.subscribe(world.mobility)
    await bob.subscribe(world.mobility)
    await alice.next_of("presence")  # bob arrived
    ack = await alice.say(world.mobility, "Bonjour <script>alert(1)</script> **tous**")
    assert "<script>" not in ack["message"]["body_html"]
    assert ack["message"]["author"]["id"] == str(world.alice.pk)
    received = await bob.next_of("message")
    assert received["message"]["id"] == ack["message"]["id"]
    assert received["message"]["client_id"] == ack["message"]["client_id"]
    await alice.nothing()  # the broadcast copy is not sent to the sender again


async def test_resending_a_client_id_returns_the_same_message(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    await alice.subscribe(world.mobility)
    client_id = str(uuid.uuid4())
    first = await alice.say(world.mobility, "Une seule fois", client_id)
    # After a reconnect the browser resends what it had not seen acknowledged.
    await alice.close()
    again = await socket_of(world, "alice", sockets)
    second = await again.say(world.mobility, "Une seule fois", client_id)
    assert second["message"]["id"] == first["message"]["id"]
    assert await Message.objects.filter(client_id=client_id).acount() == 1


async def test_person_of_another_subgroup_gets_the_same_answer_as_for_a_missing_room(
    world: World, sockets: dict[str, Socket]
) -> None:
    carol = await socket_of(world, "carol", sockets)
    hidden = await carol.ask({"type": "subscribe", "room": str(world.mobility.pk)})
    missing = await carol.ask({"type": "subscribe", "room": str(uuid.uuid4())})
    assert hidden["type"] == missing["type"] == "error"
    assert hidden["code"] == missing["code"] == "not_found"
    assert hidden["detail"] == missing["detail"]


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "message.send", "body": "x", "thread": None, "client_id": "C"},
        {"type": "history", "thread": None, "before": None},
        {"type": "resync", "after": 0},
        {"type": "typing"},
    ],
    ids=["send", "history", "resync", "typing"],
)
async def test_other_subgroup_cannot_use_the_room_in_any_way(
    world: World, sockets: dict[str, Socket], frame: dict[str, Any]
) -> None:
    carol = await socket_of(world, "carol", sockets)
    frame = {**frame, "room": str(world.mobility.pk)}
    if "client_id" in frame:
        frame["client_id"] = str(uuid.uuid4())
    answer = await carol.ask(frame)
    assert answer["type"] == "error"
    assert answer["code"] == "not_found"
    assert await Message.objects.filter(room=world.mobility).acount() == 0


async def test_substitute_reads_the_plenary_but_cannot_send_in_it(
    world: World, sockets: dict[str, Socket]
) -> None:
    sam = await socket_of(world, "sam", sockets)
    alice = await socket_of(world, "alice", sockets)
    await sam.subscribe(world.plenary)
    client_id = str(uuid.uuid4())
    refused = await sam.ask(
        {
            "type": "message.send",
            "room": str(world.plenary.pk),
            "thread": None,
            "body": "Puis-je parler ?",
            "client_id": client_id,
        }
    )
    assert refused["type"] == "error"
    assert refused["code"] == "forbidden"
    assert refused["client_id"] == client_id
    typing = await sam.ask({"type": "typing", "room": str(world.plenary.pk)})
    assert typing["code"] == "forbidden"
    await alice.say(world.plenary, "Bienvenue à toutes et tous")
    received = await sam.next_of("message")
    assert received["message"]["body_html"].startswith("Bienvenue")


async def test_reactions_edits_and_deletions_reach_the_room(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    await alice.subscribe(world.mobility)
    await bob.subscribe(world.mobility)
    await alice.next_of("presence")
    message_id = (await alice.say(world.mobility, "Premier jet"))["message"]["id"]
    await bob.next_of("message")

    await bob.send({"type": "react", "message": message_id, "emoji": "👍"})
    for socket in (alice, bob):
        reaction = await socket.next_of("reaction")
        assert reaction["message"] == message_id
        assert reaction["reactions"] == {"👍": 1}
        # Then the page's rendering, which shows who reacted (forums.actions.do_react).
        shown = (await socket.next_of("message.updated"))["message"]
        assert shown["id"] == message_id and 'data-reactors="' in shown["html"]["fr"]

    await alice.send({"type": "edit", "message": message_id, "body": "Version corrigée"})
    edited = (await bob.next_of("message.updated"))["message"]
    assert "corrigée" in edited["body_html"] and edited["edited_at"]
    await alice.next_of("message.updated")

    refused = await bob.ask({"type": "edit", "message": message_id, "body": "Pas à moi"})
    assert refused["code"] == "forbidden"
    refused = await bob.ask({"type": "delete", "message": message_id})
    assert refused["code"] == "forbidden"

    await alice.send({"type": "delete", "message": message_id})
    deleted = (await bob.next_of("message.updated"))["message"]
    assert deleted["deleted"] is True and deleted["body_html"] == ""


async def test_history_pages_backwards_with_has_more(
    world: World, sockets: dict[str, Socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat, "HISTORY_PAGE", 3)
    alice = await socket_of(world, "alice", sockets)
    ids = [(await alice.say(world.mobility, f"Message {i}"))["message"]["id"] for i in range(5)]
    room = str(world.mobility.pk)
    page = await alice.ask({"type": "history", "room": room, "thread": None, "before": None})
    assert page["type"] == "history"
    assert [m["id"] for m in page["messages"]] == ids[2:]
    assert page["has_more"] is True
    older = await alice.ask({"type": "history", "room": room, "thread": None, "before": ids[2]})
    assert [m["id"] for m in older["messages"]] == ids[:2]
    assert older["has_more"] is False


async def test_typing_is_relayed_to_the_others_at_most_once_per_interval(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    await alice.subscribe(world.mobility)
    await bob.subscribe(world.mobility)
    await alice.next_of("presence")
    for _ in range(3):
        await alice.send({"type": "typing", "room": str(world.mobility.pk)})
    typing = await bob.next_of("typing")
    assert typing == {
        "type": "typing",
        "room": str(world.mobility.pk),
        "user": {"id": str(world.alice.pk), "name": world.alice.public_name},
    }
    await bob.nothing()
    await alice.nothing()  # one's own typing is not echoed


async def test_presence_lists_who_has_the_room_open_and_announces_departures(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    await alice.subscribe(world.mobility)
    subscribed = await bob.subscribe(world.mobility)
    assert {u["id"] for u in subscribed["present"]} == {str(world.alice.pk), str(world.bob.pk)}
    arrived = await alice.next_of("presence")
    assert arrived["online"] is True
    assert [u["id"] for u in arrived["users"]] == [str(world.bob.pk)]
    await bob.ask({"type": "unsubscribe", "room": str(world.mobility.pk)})
    left = await alice.next_of("presence")
    assert left["online"] is False
    assert [u["id"] for u in left["users"]] == [str(world.bob.pk)]


async def test_unsubscribed_socket_no_longer_receives_the_room(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    await bob.subscribe(world.mobility)
    answer = await bob.ask({"type": "unsubscribe", "room": str(world.mobility.pk)})
    assert answer == {"type": "unsubscribed", "room": str(world.mobility.pk)}
    await alice.say(world.mobility, "Personne ne m'écoute")
    # Still a reader: the room list's count grows, but the message itself is not sent.
    assert (await bob.receive())["type"] == "unread.bump"
    await bob.nothing()


async def test_read_marker_sends_the_new_unread_count_to_the_reader(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    first = await alice.say(world.mobility, "Un")
    last = await alice.say(world.mobility, "Deux")
    thread = first["message"]["thread"]
    await bob.send({"type": "read", "thread": thread, "up_to": first["message"]["id"]})
    assert await bob.next_of("unread") == {
        "type": "unread", "room": str(world.mobility.pk), "unread": 1
    }
    await bob.send({"type": "read", "thread": thread, "up_to": last["message"]["id"]})
    assert (await bob.next_of("unread"))["unread"] == 0
    refused = await (await socket_of(world, "carol", sockets)).ask(
        {"type": "read", "thread": thread, "up_to": 1}
    )
    assert refused["code"] == "not_found"


async def test_removed_member_stops_receiving_the_room_at_once(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    await bob.subscribe(world.mobility)
    await sync_to_async(remove_from_subgroup)(world)

    def announce() -> None:
        send_event_on_commit(
            RoomAccessChangedEvent(room=str(world.mobility.pk)), [user_group(world.bob.pk)]
        )

    await sync_to_async(announce)()
    assert await bob.receive() == {
        "type": "unsubscribed",
        "room": str(world.mobility.pk),
        "reason": "access_ended",
    }
    await alice.say(world.mobility, "Bob ne doit plus lire ceci")
    await bob.nothing()


async def test_relay_rechecks_access_when_no_change_was_announced(
    world: World, sockets: dict[str, Socket], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat, "ABILITY_TTL", 0.0)
    alice = await socket_of(world, "alice", sockets)
    bob = await socket_of(world, "bob", sockets)
    await bob.subscribe(world.mobility)
    await sync_to_async(remove_from_subgroup)(world)
    await alice.say(world.mobility, "Secret")
    assert (await bob.next_of("unsubscribed"))["reason"] == "access_ended"
    await bob.nothing()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "subscribe"}, "invalid"),
        ({"type": "subscribe", "room": 12}, "invalid"),
        ({"type": "subscribe", "room": "not-a-uuid"}, "invalid"),
        (
            {"type": "message.send", "room": "ROOM", "thread": None, "body": 3, "client_id": "C"},
            "invalid",
        ),
        ({"type": "message.send", "room": "ROOM", "thread": None, "body": "x"}, "invalid"),
        (
            {
                "type": "message.send",
                "room": "ROOM",
                "thread": None,
                "body": "   ",
                "client_id": "C",
            },
            "empty",
        ),
        (
            {
                "type": "message.send",
                "room": "ROOM",
                "thread": None,
                "body": "x" * 5000,
                "client_id": "C",
            },
            "too_long",
        ),
        (
            {
                "type": "message.send",
                "room": "ROOM",
                "thread": "OTHER",
                "body": "x",
                "client_id": "C",
            },
            "not_found",
        ),
        ({"type": "history", "room": "ROOM", "thread": None, "before": "3"}, "invalid"),
        ({"type": "resync", "room": "ROOM", "after": -1}, "invalid"),
        ({"type": "resync", "room": "ROOM", "after": True}, "invalid"),
        ({"type": "read", "thread": "OTHER", "up_to": 1}, "not_found"),
        ({"type": "react", "message": "1", "emoji": "👍"}, "invalid"),
        ({"type": "edit", "message": 999999, "body": "x"}, "not_found"),
        ({"type": "delete", "message": 999999}, "not_found"),
        ({"type": "levitate"}, "unknown_type"),
    ],
)
async def test_refused_frames_get_an_error_and_the_socket_stays_open(
    world: World, sockets: dict[str, Socket], frame: dict[str, Any], code: str
) -> None:
    other_thread = await sync_to_async(lambda: str(world.health.threads.get().pk))()
    replacements = {"ROOM": str(world.mobility.pk), "OTHER": other_thread, "C": str(uuid.uuid4())}
    frame = {k: replacements.get(v, v) if isinstance(v, str) else v for k, v in frame.items()}
    alice = await socket_of(world, "alice", sockets)
    answer = await alice.ask(frame)
    assert answer["type"] == "error", answer
    assert answer["code"] == code
    assert answer["detail"]
    assert await alice.ask({"type": "ping"}) == {"type": "pong"}


async def test_oversized_frame_is_refused_without_closing(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    huge = {
        "type": "message.send",
        "room": str(world.mobility.pk),
        "thread": None,
        "body": "x" * (70 * 1024),
        "client_id": str(uuid.uuid4()),
    }
    answer = await alice.ask(huge)
    assert answer["code"] == "too_large"
    assert await alice.ask({"type": "ping"}) == {"type": "pong"}


async def test_flooding_socket_is_told_to_slow_down_then_closed(
    world: World, sockets: dict[str, Socket]
) -> None:
    alice = await socket_of(world, "alice", sockets)
    for _ in range(int(hub.FRAME_BURST)):
        await alice.send({"type": "ping"})
    for _ in range(int(hub.FRAME_BURST)):
        assert (await alice.receive())["type"] == "pong"
    await alice.send({"type": "ping"})
    answer = await alice.receive()
    assert answer["code"] == "rate_limited"
    for _ in range(int(-hub.FRAME_DEBT_CLOSE) + 5):
        await alice.send({"type": "ping"})
    while True:
        output = await alice.communicator.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == guards.CLOSE_TOO_MANY_FRAMES
            break


async def test_room_events_published_by_domain_code_reach_subscribers(
    world: World, sockets: dict[str, Socket]
) -> None:
    bob = await socket_of(world, "bob", sockets)
    await bob.subscribe(world.mobility)
    assert room_group(world.mobility.pk) == f"room.{world.mobility.pk}"


@pytest.mark.parametrize(
    "event",
    [
        {"type": "reaction", "room": "r", "message": "1", "reactions": {}},
        {"type": "typing", "room": "r"},
        {"type": "unread", "room": "r", "unread": 1, "extra": True},
        {"type": "nonsense"},
    ],
    ids=["wrong-type", "missing-field", "extra-field", "unknown"],
)
def test_event_schema_check_rejects_drift(event: dict[str, Any]) -> None:
    from realtime.events import check_event

    with pytest.raises(ValueError):
        check_event(event)
