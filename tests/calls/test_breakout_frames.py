"""The breakout frames of /ws/ on the real ASGI app, role by role (docs/protocol.md « Calls »)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from calls.models import Call
from tests.calls.sockets import CallSocket
from tests.calls.world import CallWorld, make_call_world
from tests.realtime.chat import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


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


async def until(socket: CallSocket, kind: str, timeout: float = 3) -> dict[str, Any]:
    """The next frame of this type, any other skipped (each still checked by receive)."""
    while True:
        frame = await socket.receive(timeout)
        if frame["type"] == kind:
            return frame
        assert frame["type"] != "error", frame


async def in_plenary(connect: Any, world: CallWorld, *names: str) -> dict[str, CallSocket]:
    sockets = {}
    for name in names:
        sockets[name] = await connect(name)
        await sockets[name].join(world.plenary)
    await sockets[names[0]].state_with(len(names))
    return sockets


async def test_subgroups_round_trip(world: CallWorld, connect: Any) -> None:
    s = await in_plenary(connect, world, "fanny", "alice", "carol", "sam")
    await s["fanny"].send({"type": "call.breakout", "groups": "subgroups", "minutes": 7})
    countdown = await until(s["sam"], "call.breakouts")
    assert countdown["stayed"] == 2  # Fanny and Sam
    assert sorted(g["room"] for g in countdown["groups"]) == sorted(
        [str(world.mobility.pk), str(world.health.pk)]
    )
    sent = await until(s["alice"], "call.breakout")
    assert sent["target_room"] == str(world.mobility.pk) and sent["label"] == ""
    assert sent["ends_at"] == countdown["ends_at"]
    assert (await until(s["carol"], "call.breakout"))["target_room"] == str(world.health.pk)
    # Sam stays: no call.breakout for him.
    assert "call.breakout" not in [f["type"] for f in await s["sam"].drain()]
    # Alice's page joins her breakout: she leaves the plenary by that alone.
    await s["alice"].send(
        {"type": "call.join", "room": sent["target_room"], "call": sent["target_call"]}
    )
    joined = await until(s["alice"], "call.joined")
    assert joined["call"] == sent["target_call"]
    assert joined["breakout"]["parent"] == sent["call"]
    assert joined["breakout"]["ends_at"] == sent["ends_at"]
    await s["fanny"].until_state(
        lambda st: str(world.alice.pk) not in [p["id"] for p in st["participants"]]
    )
    # A message to every breakout, shown as text.
    await s["fanny"].send({"type": "call.broadcast", "text": "Encore <2> minutes"})
    heard = await until(s["alice"], "call.broadcast")
    assert heard["text"] == "Encore <2> minutes" and heard["by_name"] == "Fanny"
    assert heard["call"] == sent["target_call"]
    # Everyone back.
    await s["fanny"].send({"type": "call.recall"})
    recall = await until(s["alice"], "call.recall")
    assert recall["parent"] == sent["call"] and recall["reason"] == "recall"
    await s["alice"].send({"type": "call.join", "room": recall["parent_room"]})
    back = await until(s["alice"], "call.joined")
    assert back["call"] == sent["call"] and back["breakout"] is None
    assert not await sync_to_async(
        Call.objects.filter(parent_id=sent["call"], ended_at__isnull=True).exists
    )()


async def test_ad_hoc_group_has_its_own_events(world: CallWorld, connect: Any) -> None:
    s = await in_plenary(connect, world, "fanny", "alice", "bob")
    group = [str(world.alice.pk), str(world.bob.pk)]
    await s["fanny"].send({"type": "call.breakout", "groups": [group], "minutes": 5})
    sent = await until(s["alice"], "call.breakout")
    assert sent["target_room"] == str(world.plenary.pk) and sent["label"] == "Groupe 1"
    for name in ("alice", "bob"):
        await s[name].send(
            {"type": "call.join", "room": sent["target_room"], "call": sent["target_call"]}
        )
        assert (await until(s[name], "call.joined"))["label"] == "Groupe 1"
    state = await s["alice"].until_state(
        lambda st: st["call"] == sent["target_call"] and len(st["participants"]) == 2
    )
    assert {p["id"] for p in state["participants"]} == set(group)
    # Fanny, watching the plenary's room, does not hear the group's own states.
    frames = await s["fanny"].drain()
    assert all(f.get("call") != sent["target_call"] for f in frames if f["type"] == "call.state")


@pytest.mark.parametrize("who", ["alice", "sam", "agnes"])
async def test_only_facilitators_send_breakout_frames(
    world: CallWorld, connect: Any, who: str
) -> None:
    s = await in_plenary(connect, world, "fanny", who)
    for frame in (
        {"type": "call.breakout", "groups": "subgroups", "minutes": 5},
        {"type": "call.broadcast", "text": "Bonjour"},
        {"type": "call.recall"},
    ):
        refused = await s[who].error(frame)
        assert refused["code"] == "forbidden", refused
    assert not await sync_to_async(Call.objects.filter(parent__isnull=False).exists)()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ({"type": "call.breakout", "groups": "subgroups", "minutes": 0}, "invalid_minutes"),
        ({"type": "call.breakout", "groups": 3, "minutes": 5}, "invalid"),
        ({"type": "call.breakout", "groups": [[1]], "minutes": 5}, "invalid"),
        ({"type": "call.broadcast", "text": ""}, "invalid"),
        ({"type": "call.broadcast", "text": "x" * 501}, "too_large"),
        ({"type": "call.broadcast"}, "invalid"),
        ({"type": "call.recall"}, "no_breakouts"),
    ],
)
async def test_bad_breakout_frames_get_coded_errors(
    world: CallWorld, connect: Any, frame: dict[str, Any], code: str
) -> None:
    s = await in_plenary(connect, world, "fanny", "alice")
    assert (await s["fanny"].error(frame))["code"] == code


async def test_breakout_frames_outside_a_call_are_refused(world: CallWorld, connect: Any) -> None:
    fanny = await connect("fanny")
    refused = await fanny.error({"type": "call.recall"})
    assert refused["code"] == "not_in_call"
