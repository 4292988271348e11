"""The call frames of /ws/ on the real ASGI app, role by role (docs/protocol.md « Calls »)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from calls.models import Call, CallParticipation
from tests.calls.sockets import CallSocket
from tests.calls.world import CallWorld, make_call_world
from tests.realtime.chat import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

SENDING = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n"
LISTENING = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n"


@pytest.fixture
async def world() -> CallWorld:
    return await sync_to_async(make_call_world)()


@pytest.fixture
async def opened() -> AsyncIterator[list[CallSocket]]:
    sockets: list[CallSocket] = []
    yield sockets
    for socket in sockets:
        await socket.close()


@pytest.fixture
def connect(world: CallWorld, opened: list[CallSocket]) -> Any:
    async def open_as(name: str) -> CallSocket:
        cookie = await sync_to_async(session_cookie)(getattr(world, name))
        socket = await CallSocket(cookie).open()
        opened.append(socket)
        return socket

    return open_as


async def test_watching_shows_who_is_in_the_call_live(world: CallWorld, connect: Any) -> None:
    bob = await connect("bob")
    await bob.send({"type": "call.watch", "room": str(world.mobility.pk)})
    empty = await bob.state()
    assert empty["live"] is False and empty["participants"] == []
    alice = await connect("alice")
    joined = await alice.join(world.mobility)
    assert joined["media"] == {"mode": "mesh", "iceServers": []}
    assert joined["may_speak"] is True
    assert joined["abilities"]["moderate"] is False
    state = await bob.state()
    assert [p["name"] for p in state["participants"]] == ["Alice"]
    assert state["live"] is True and state["mode"] == "mesh"


@pytest.mark.parametrize("frame", ["call.watch", "call.join"])
async def test_outsider_gets_the_answer_of_a_missing_room(
    world: CallWorld, connect: Any, frame: str
) -> None:
    carol = await connect("carol")
    hidden = await carol.error({"type": frame, "room": str(world.mobility.pk)})
    missing = await carol.error({"type": frame, "room": str(uuid.uuid4())})
    assert hidden["code"] == missing["code"] == "not_found"
    assert hidden["detail"] == missing["detail"]
    assert not await sync_to_async(Call.objects.exists)()


@pytest.mark.parametrize(
    ("name", "speaks", "moderates"),
    [("alice", True, False), ("sam", False, False), ("agnes", True, False), ("fanny", True, True)],
)
async def test_each_role_joins_the_plenary_with_its_right_to_speak(
    world: CallWorld, connect: Any, name: str, speaks: bool, moderates: bool
) -> None:
    socket = await connect(name)
    joined = await socket.join(world.plenary)
    assert joined["may_speak"] is speaks
    assert joined["abilities"]["moderate"] is moderates
    assert joined["abilities"]["share_screen"] is (speaks and name in ("agnes", "fanny"))


async def test_signal_goes_to_the_one_person_it_is_for(world: CallWorld, connect: Any) -> None:
    alice, bob = await connect("alice"), await connect("bob")
    await alice.join(world.mobility)
    await bob.join(world.mobility)
    await alice.state_with(2)
    offer = {"type": "offer", "sdp": SENDING}
    await alice.send({"type": "call.signal", "to": str(world.bob.pk), "sdp": offer})
    received = await bob.next_of("call.signal")
    assert received["sender"] == str(world.alice.pk) and received["sdp"] == offer
    await bob.send(
        {
            "type": "call.signal",
            "to": str(world.alice.pk),
            "candidate": {
                "candidate": "candidate:1 1 udp 1 10.99.0.1 5000 typ host",
                "sdpMid": "0",
                "sdpMLineIndex": 0,
            },
        }
    )
    candidate = await alice.next_of("call.signal")
    assert candidate["candidate"]["sdpMid"] == "0" and candidate["sdp"] is None
    # Carol, in her own subgroup's call, is out of reach.
    carol = await connect("carol")
    await carol.join(world.health)
    refused = await alice.error({"type": "call.signal", "to": str(world.carol.pk), "sdp": offer})
    assert refused["code"] == "not_in_call"
    assert "call.signal" not in [frame["type"] for frame in await carol.drain()]


async def test_listener_cannot_publish_until_given_the_floor(
    world: CallWorld, connect: Any
) -> None:
    sam, fanny, alice = await connect("sam"), await connect("fanny"), await connect("alice")
    await sam.join(world.plenary)
    await alice.join(world.plenary)
    await fanny.join(world.plenary)
    await sam.state_with(3)
    to_alice = str(world.alice.pk)
    refused = await sam.error(
        {"type": "call.signal", "to": to_alice, "sdp": {"type": "offer", "sdp": SENDING}}
    )
    assert refused["code"] == "may_not_speak"
    asked = await sam.error({"type": "call.media", "publish": True})
    assert asked["code"] == "may_not_speak"
    await sam.send(
        {"type": "call.signal", "to": to_alice, "sdp": {"type": "offer", "sdp": LISTENING}}
    )
    assert (await alice.next_of("call.signal"))["sdp"]["sdp"] == LISTENING
    # A hand, the floor, and then the same offer goes through.
    await sam.send({"type": "call.hand", "raised": True})
    raised = await fanny.state()
    assert raised["hands"] == [str(world.sam.pk)]
    refused = await alice.error({"type": "call.floor", "user": str(world.sam.pk), "give": True})
    assert refused["code"] == "forbidden"
    await fanny.send({"type": "call.floor", "user": str(world.sam.pk), "give": True})
    media = await sam.next_of("call.media")
    assert media["may_speak"] is True and media["media"] == {"mode": "mesh", "iceServers": []}
    await sam.send(
        {"type": "call.signal", "to": to_alice, "sdp": {"type": "offer", "sdp": SENDING}}
    )
    assert (await alice.next_of("call.signal"))["sdp"]["sdp"] == SENDING
    await fanny.send({"type": "call.floor", "user": str(world.sam.pk), "give": False})
    assert (await sam.next_of("call.media"))["may_speak"] is False


async def test_facilitator_mutes_lowers_hands_and_ends_for_everyone(
    world: CallWorld, connect: Any
) -> None:
    alice, bob, fanny = await connect("alice"), await connect("bob"), await connect("fanny")
    for socket in (alice, bob, fanny):
        await socket.join(world.mobility)
    await alice.state_with(3)
    assert (await alice.error({"type": "call.mute", "user": "all"}))["code"] == "forbidden"
    assert (await alice.error({"type": "call.end"}))["code"] == "forbidden"
    lowering = {"type": "call.hand", "raised": False, "user": str(world.bob.pk)}
    assert (await alice.error(lowering))["code"] == "forbidden"
    await fanny.send({"type": "call.mute", "user": str(world.alice.pk)})
    muted = await alice.next_of("call.muted")
    assert muted["user"] == str(world.alice.pk) and muted["by"] == str(world.fanny.pk)
    await bob.send({"type": "call.hand", "raised": True})
    await fanny.until_state(lambda s: len(s["hands"]) == 1)
    await alice.send({"type": "call.hand", "raised": True})
    state = await fanny.until_state(lambda s: len(s["hands"]) == 2)
    assert state["hands"] == [str(world.bob.pk), str(world.alice.pk)]  # in the order raised
    await fanny.send({"type": "call.hand", "raised": False, "user": "all"})
    await bob.until_state(lambda s: s["hands"] == [])
    await fanny.send({"type": "call.end"})
    for socket in (alice, bob):
        ended = await socket.next_of("call.ended")
        assert ended["room"] == str(world.mobility.pk)
    after = await alice.error({"type": "call.hand", "raised": True})
    assert after["code"] == "not_in_call"


async def test_closing_the_tab_takes_the_person_out_at_once(world: CallWorld, connect: Any) -> None:
    alice, bob = await connect("alice"), await connect("bob")
    await alice.join(world.mobility)
    await bob.join(world.mobility)
    await alice.state_with(2)
    await bob.close()
    state = await alice.state_with(1)
    assert state["participants"][0]["id"] == str(world.alice.pk)


async def test_a_silent_socket_leaves_the_call_after_the_heartbeat_timeout(
    world: CallWorld, connect: Any
) -> None:
    alice, bob = await connect("alice"), await connect("bob")
    await alice.join(world.mobility)
    await bob.join(world.mobility)
    await alice.state_with(2)
    await sync_to_async(
        CallParticipation.objects.filter(user=world.bob, left_at__isnull=True).update
    )(seen_at=timezone.now() - timedelta(minutes=5))
    await alice.send({"type": "call.ping"})
    assert (await alice.state_with(1))["participants"][0]["id"] == str(world.alice.pk)
    left = await bob.next_of("call.left")
    assert left["reason"] == "timeout"
    assert (await bob.error({"type": "call.ping"}))["code"] == "not_in_call"


async def test_a_second_tab_takes_the_call_over(world: CallWorld, connect: Any) -> None:
    first, second = await connect("alice"), await connect("alice")
    await first.join(world.mobility)
    await second.join(world.mobility)
    assert (await first.next_of("call.left"))["reason"] == "elsewhere"
    await first.close()
    await second.send({"type": "call.ping"})
    received = [frame["type"] for frame in await second.drain(0.5)]
    assert "error" not in received and "call.left" not in received, received
    rows = await sync_to_async(list)(CallParticipation.objects.filter(left_at__isnull=True))
    assert len(rows) == 1


async def test_mesh_call_refuses_one_more_than_its_size(
    world: CallWorld, connect: Any, settings: Any
) -> None:
    settings.CALLS_MESH_MAX = 1
    alice, bob = await connect("alice"), await connect("bob")
    await alice.join(world.mobility)
    refused = await bob.error({"type": "call.join", "room": str(world.mobility.pk)})
    assert refused["code"] == "call_too_large"
    assert "1" in refused["detail"] and "serveur" in refused["detail"]


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "call.leave"},
        {"type": "call.ping"},
        {"type": "call.end"},
        {"type": "call.hand", "raised": True},
        {"type": "call.mute", "user": "all"},
        {"type": "call.media"},
        {"type": "call.signal", "to": str(uuid.uuid4()), "sdp": None},
    ],
)
async def test_frames_about_a_call_need_to_be_in_one(
    world: CallWorld, connect: Any, frame: dict[str, Any]
) -> None:
    alice = await connect("alice")
    assert (await alice.error(frame))["code"] == "not_in_call"


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "call.join", "room": "pas-un-uuid"},
        {"type": "call.watch"},
        {"type": "call.hand", "raised": "oui"},
    ],
)
async def test_malformed_frames_are_refused(
    world: CallWorld, connect: Any, frame: dict[str, Any]
) -> None:
    alice = await connect("alice")
    if frame["type"] == "call.hand":
        await alice.join(world.mobility)
    assert (await alice.error(frame))["code"] == "invalid"


async def test_signal_with_both_or_neither_description_nor_candidate_is_invalid(
    world: CallWorld, connect: Any
) -> None:
    alice, bob = await connect("alice"), await connect("bob")
    await alice.join(world.mobility)
    await bob.join(world.mobility)
    for extra in (
        {},
        {"sdp": {"type": "offer", "sdp": LISTENING}, "candidate": {"candidate": ""}},
        {"sdp": {"type": "pranswer", "sdp": LISTENING}},
        {"sdp": "texte"},
    ):
        frame = {"type": "call.signal", "to": str(world.bob.pk), **extra}
        assert (await alice.error(frame))["code"] == "invalid", extra


async def test_removed_from_the_subgroup_leaves_its_call(world: CallWorld, connect: Any) -> None:
    alice, bob = await connect("alice"), await connect("bob")
    await alice.join(world.mobility)
    await bob.join(world.mobility)
    await alice.state_with(2)

    def remove_bob() -> None:
        from assembly import actions as assembly_actions

        subgroup = world.mobility.subgroup
        assert subgroup is not None
        assembly_actions.do_set_subgroup_people(
            None, subgroup, members=[world.alice], facilitators=[world.fanny]
        )

    await sync_to_async(remove_bob)()
    gone = await bob.next_of("call.unwatched")
    assert gone["reason"] == "access_ended"
    assert [p["id"] for p in (await alice.state_with(1))["participants"]] == [str(world.alice.pk)]


async def test_room_list_sockets_hear_call_live_for_the_rooms_they_read(
    world: CallWorld, connect: Any
) -> None:
    """The room list (static/js/rooms.js) watches no call: ``call.live`` reaches it through
    the readers group of every room the person reads, and only those."""
    bob, carol = await connect("bob"), await connect("carol")
    alice = await connect("alice")
    await alice.join(world.mobility)

    async def next_live(socket: CallSocket) -> dict[str, Any]:
        while True:
            frame = await socket.receive()
            if frame["type"] == "call.live":
                return frame

    started = await next_live(bob)
    room = str(world.mobility.pk)
    assert started == {"type": "call.live", "room": room, "live": True, "count": 1}
    await alice.send({"type": "call.leave"})
    ended = await next_live(bob)
    assert ended["room"] == str(world.mobility.pk)
    assert ended["live"] is False and ended["count"] == 0
    # Carol reads the plenary and « Santé », not « Mobilités »: nothing about its call.
    assert not [frame for frame in await carol.drain() if frame["type"] == "call.live"]
