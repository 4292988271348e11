"""/ws/walls/<id> and /ws/wall-sheets/<id>: the idea wall's rules on the real ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pycrdt
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.roles import Role, grant_role
from config.asgi import application
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of
from tests.workshops.walltools import control, hello, note_update, send
from workshops import walls
from workshops.models import NoteAuthor

pytestmark = pytest.mark.django_db(transaction=True)


class World:
    def __init__(self) -> None:
        assembly = factories.make_assembly()
        self.alice = factories.make_titulaire(assembly, first_name="Alice")
        self.bob = factories.make_titulaire(assembly, first_name="Bob")
        self.outsider = factories.UserFactory()
        self.facilitator = factories.UserFactory()
        grant_role(self.facilitator, Role.FACILITATEUR)
        self.subgroup = factories.make_subgroup(
            assembly, members=[self.alice, self.bob], facilitators=[self.facilitator]
        )
        self.room = factories.room_of(self.subgroup)
        self.wall = walls.create_wall(
            self.room,
            question="Que faire ?",
            by=self.facilitator,
            columns=[{"key": "idees", "label": "Idées"}],
        )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(World)()
    await DocHub.current().close()


def path(world: World) -> str:
    return f"/ws/walls/{world.wall.pk}"


async def test_members_write_notes_others_see_them_and_outsiders_get_4404(world: World) -> None:
    a = await YClient.connect(world.alice, None, path=path(world))
    b = await YClient.connect(world.bob, None, path=path(world))
    abilities = await hello(a)
    await hello(b)
    assert abilities["edit"] is True and abilities["mode"] == "open"
    me = abilities["me"]
    assert me["key"] == f"u{world.alice.pk}"
    await send(
        a,
        note_update(
            a.doc, "note-1", text="Un banc", author=me["key"], name=me["name"], column="idees"
        ),
    )
    await b.drain_until(lambda: "note-1" in b.doc.get("notes", type=pycrdt.Map))
    row = await sync_to_async(NoteAuthor.objects.get)(wall=world.wall, note="note-1")
    assert row.person_id == world.alice.pk and not row.anonymous
    # Bob writes under Alice's name: refused.
    await send(b, note_update(b.doc, "note-2", author=me["key"], name=me["name"]))
    await b.drain_until(lambda: any(c["type"] == "refused" for c in b.controls))
    assert [c for c in b.controls if c["type"] == "refused"] == [
        {"type": "refused", "reason": "not_yours"}
    ]
    cookie = await sync_to_async(cookie_of)(world.outsider)
    socket = WebsocketCommunicator(
        application, path(world), headers=[HOST, ORIGIN, (b"cookie", cookie)]
    )
    connected, code = await socket.connect()
    if connected:
        closed = await socket.receive_output(timeout=3)
        code = closed.get("code")
    assert code == CLOSE_NOT_FOUND
    for client in (a, b):
        await client.close()


async def test_dots_are_counted_server_side_and_everyone_hears_the_voters(world: World) -> None:
    a = await YClient.connect(world.alice, None, path=path(world))
    b = await YClient.connect(world.bob, None, path=path(world))
    me = (await hello(a))["me"]
    await hello(b)
    await send(a, note_update(a.doc, "note-1", author=me["key"], name=me["name"]))
    await b.drain_until(lambda: "note-1" in b.doc.get("notes", type=pycrdt.Map))
    await sync_to_async(walls.open_round)(world.wall, dots=2, by=world.facilitator)
    dot = {"type": "dot", "action": "add", "target": "n:note-1"}
    assert await control(a, dot, "dots") == {
        "type": "dots",
        "round": (await sync_to_async(walls.current_round)(world.wall)).pk,
        "left": 1,
        "mine": {"n:note-1": 1},
    }
    # Bob, who did not vote, is told how many people voted.
    await b.drain_until(lambda: any(c["type"] == "voters" for c in b.controls))
    assert [c["voters"] for c in b.controls if c["type"] == "voters"] == [1]
    missing = {"type": "dot", "action": "add", "target": "n:nope-404"}
    assert (await control(a, missing, "dots"))["code"] == "unknown_target"
    cluster = {"type": "dot", "action": "add", "target": "c:group-1"}
    assert (await control(a, cluster, "dots"))["code"] == "unknown_target"
    assert (await control(a, dot, "dots"))["left"] == 0
    assert (await control(a, dot, "dots"))["code"] == "no_dots_left"
    await sync_to_async(walls.set_mode)(world.wall, "readonly", by=world.facilitator)
    assert (await control(b, dot, "dots"))["code"] == "forbidden"
    for client in (a, b):
        await client.close()
