"""/ws/walls/<id> and /ws/wall-sheets/<id>: the idea wall's rules on the real ASGI app, with
the database behind it — rights per role, limits, modes, silent writing, dot votes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pycrdt
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from accounts.roles import Role, grant_role
from config.asgi import application
from realtime.yjs import protocol as yp
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of
from tests.workshops.walltools import (
    closed_with,
    control,
    edit,
    hello,
    note_update,
    outcome,
    refused,
    send,
)
from workshops import walls, ydocs
from workshops.models import Dot, NoteAuthor, Wall, WallMode, WallSheet, YDocumentUpdate

pytestmark = pytest.mark.django_db(transaction=True)


class World:
    def __init__(self) -> None:
        assembly = factories.make_assembly()
        self.alice = factories.make_titulaire(assembly, first_name="Alice")
        self.bob = factories.make_titulaire(assembly, first_name="Bob")
        self.other = factories.make_titulaire(assembly, first_name="Olga")  # no subgroup
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
            columns=[{"key": "idees", "label": "Idées"}, {"key": "questions", "label": "?"}],
        )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(World)()
    await DocHub.current().close()


def path(world: World) -> str:
    return f"/ws/walls/{world.wall.pk}"


async def join(user: Any, where: str) -> tuple[YClient, dict[str, Any]]:
    client = await YClient.connect(user, None, path=where)
    return client, await hello(client)


def notes_of(client: YClient) -> pycrdt.Map:
    return client.doc.get("notes", type=pycrdt.Map)


def stored_notes(doc_id: Any, roots: Any = walls.WALL_ROOTS) -> dict[str, Any]:
    return dict(ydocs.content(ydocs.load(doc_id, roots).doc, roots)["notes"])


async def mine(client: YClient, abilities: dict[str, Any], key: str, **fields: Any) -> None:
    me = abilities["me"]
    await send(client, note_update(client.doc, key, author=me["key"], name=me["name"], **fields))


async def attempt(user: Any, where: str, change: Any) -> str:
    """A fresh client of `user` makes one change: the reason it is refused for ("" if the
    server took it). A client told of a refusal starts again from scratch, as ours does."""
    client, _ = await join(user, where)
    try:
        return await outcome(client, edit(client.doc, lambda doc: change(client)))
    finally:
        await client.close()


async def set_mode(world: World, mode: str) -> int:
    return await sync_to_async(walls.set_mode)(world.wall, mode, by=world.facilitator)


async def test_members_write_notes_others_see_them_and_outsiders_get_4404(world: World) -> None:
    a, abilities = await join(world.alice, path(world))
    b, _ = await join(world.bob, path(world))
    assert abilities["edit"] is True and abilities["mode"] == "open"
    assert abilities["me"]["key"] == f"u{world.alice.pk}" and abilities["facilitate"] is False
    assert abilities["columns"] == [
        {"key": "idees", "label": "Idées"},
        {"key": "questions", "label": "?"},
    ]
    assert abilities["limits"] == {"notes": 1000, "text": 300}
    await mine(a, abilities, "note-1", text="Un banc", column="idees")
    await b.drain_until(lambda: "note-1" in notes_of(b))
    row = await sync_to_async(NoteAuthor.objects.get)(wall=world.wall, note="note-1")
    assert row.person_id == world.alice.pk and not row.anonymous
    # Bob writes under Alice's name: refused, never stored or relayed.
    stored = await sync_to_async(YDocumentUpdate.objects.filter(document_id=world.wall.pk).count)()
    await mine(b, abilities, "note-2")
    assert await refused(b, 1) == ["not_yours"]
    assert await a.nothing_more()
    assert (
        await sync_to_async(YDocumentUpdate.objects.filter(document_id=world.wall.pk).count)()
        == stored
    )
    # Someone of no room of the wall, and a missing wall: the same 4404.
    for where in (
        path(world),
        "/ws/walls/4c4b8a43-8a7d-4b36-9d52-5b0c0c3b8e4e",
        "/ws/walls/pas-un-uuid",
    ):
        cookie = await sync_to_async(cookie_of)(world.other)
        socket = WebsocketCommunicator(
            application, where, headers=[HOST, ORIGIN, (b"cookie", cookie)]
        )
        assert (await socket.connect())[0]
        await closed_with(socket, CLOSE_NOT_FOUND)
    for client in (a, b):
        await client.close()


async def test_authors_and_facilitators_edit_texts_any_writer_arranges(world: World) -> None:
    a, abilities = await join(world.alice, path(world))
    b, _ = await join(world.bob, path(world))
    f, f_abilities = await join(world.facilitator, path(world))
    assert f_abilities["facilitate"] is True
    await mine(a, abilities, "note-1", text="Un banc")
    for client in (b, f):
        await client.drain_until(lambda c=client: "note-1" in notes_of(c))

    def note(client: YClient) -> Any:
        return notes_of(client)["note-1"]

    # Bob moves it and groups it: any writer arranges.
    await send(b, edit(b.doc, lambda d: note(b).update({"column": "questions", "order": 3})))
    await send(
        b,
        edit(
            b.doc,
            lambda d: d.get("clusters", type=pycrdt.Map).__setitem__(
                "grp-001", pycrdt.Map({"name": "Mobilier", "column": "questions", "order": 0})
            ),
        ),
    )
    await send(b, edit(b.doc, lambda d: note(b).__setitem__("cluster", "grp-001")))
    await a.drain_until(lambda: note(a).get("cluster") == "grp-001")
    assert note(a)["column"] == "questions"
    # A column that does not exist: refused.
    await send(b, edit(b.doc, lambda d: note(b).__setitem__("column", "ailleurs")))
    assert await refused(b, 1) == ["shape"]
    # Bob changes her text or colour, or deletes her note: refused.
    for change in (
        lambda c: note(c).__setitem__("text", "Pas de banc"),
        lambda c: note(c).__setitem__("colour", "rose"),
        lambda c: notes_of(c).pop("note-1"),
    ):
        assert await attempt(world.bob, path(world), change) == "not_yours"
    # Her author cannot be rewritten, even by herself.
    await send(a, edit(a.doc, lambda d: note(a).__setitem__("name", "Quelqu'un")))
    assert await refused(a, 1) == ["not_yours"]
    # The facilitator edits the text; Alice (fresh) deletes her note.
    await send(f, edit(f.doc, lambda d: note(f).__setitem__("text", "Un banc ombragé")))
    a2, _ = await join(world.alice, path(world))
    await a2.drain_until(lambda: "note-1" in notes_of(a2) and note(a2)["text"] == "Un banc ombragé")
    await send(a2, edit(a2.doc, lambda d: notes_of(a2).pop("note-1")))
    await f.drain_until(lambda: "note-1" not in notes_of(f))
    assert await sync_to_async(stored_notes)(world.wall.pk) == {}
    for client in (a, a2, b, f):
        await client.close()


@override_settings(WALL_MAX_NOTES=2, WALL_NOTE_MAX_CHARS=10)
async def test_limits_and_shapes_are_enforced(world: World) -> None:
    a, abilities = await join(world.alice, path(world))
    me = abilities["me"]

    def add(key: str, **fields: Any) -> Any:
        return lambda c: c.doc.apply_update(
            note_update(c.doc, key, author=me["key"], name=me["name"], **fields)
        )

    for change, reason in [
        (add("note-1", text="x" * 11), "too_long"),
        (add("court", text="Un"), "shape"),  # an id shorter than 6
        (add("note-2", text="Un", colour="noir"), "shape"),
        (
            lambda c: notes_of(c).__setitem__(
                "note-3",
                pycrdt.Map(
                    {
                        "text": pycrdt.Text("Un"),
                        "colour": "jaune",
                        "author": me["key"],
                        "name": me["name"],
                    }
                ),
            ),
            "shape",
        ),  # a shared type inside a note
        (lambda c: notes_of(c).__setitem__("note-4", {"text": "plat"}), "shape"),
        (lambda c: c.doc.get("ailleurs", type=pycrdt.Map).__setitem__("k", 1), "root"),
    ]:
        assert await attempt(world.alice, path(world), change) == reason
    await mine(a, abilities, "note-5", text="Un")
    await mine(a, abilities, "note-6", text="Deux")
    await a.drain_until(lambda: len(a.received_updates) >= 0)
    watcher, _ = await join(world.bob, path(world))
    await watcher.drain_until(lambda: "note-6" in notes_of(watcher))  # stored, then relayed
    assert await attempt(world.alice, path(world), add("note-7", text="Trois")) == "limit"
    assert sorted(await sync_to_async(stored_notes)(world.wall.pk)) == ["note-5", "note-6"]
    for client in (a, watcher):
        await client.close()


async def test_anonymous_notes_hide_the_name_and_the_server_keeps_the_author(
    world: World,
) -> None:
    a, abilities = await join(world.alice, path(world))
    assert abilities["anonymous"] is False
    await send(a, note_update(a.doc, "anon-1", text="Secret"))
    assert await refused(a, 1) == ["not_yours"]
    await a.close()
    await sync_to_async(walls.update_settings)(
        world.wall, question="Que faire ?", columns=world.wall.columns, anonymous_allowed=True
    )
    a, abilities = await join(world.alice, path(world))
    b, _ = await join(world.bob, path(world))
    assert abilities["anonymous"] is True
    await send(a, note_update(a.doc, "anon-1", text="Secret"))
    await b.drain_until(lambda: "anon-1" in notes_of(b))
    assert notes_of(b)["anon-1"].to_py()["name"] == "" == notes_of(b)["anon-1"].to_py()["author"]
    row = await sync_to_async(NoteAuthor.objects.get)(wall=world.wall, note="anon-1")
    assert row.person_id == world.alice.pk and row.anonymous
    # Alice edits her anonymous note (on this socket, and on a new one); Bob cannot.
    await send(a, edit(a.doc, lambda d: notes_of(a)["anon-1"].__setitem__("text", "Secret 2")))
    a2, again = await join(world.alice, path(world))
    assert again["own"] == ["anon-1"]
    await a2.drain_until(lambda: notes_of(a2)["anon-1"]["text"] == "Secret 2")
    await send(a2, edit(a2.doc, lambda d: notes_of(a2)["anon-1"].__setitem__("text", "Secret 3")))
    await b.drain_until(lambda: notes_of(b)["anon-1"]["text"] == "Secret 3")
    await send(b, edit(b.doc, lambda d: notes_of(b)["anon-1"].__setitem__("text", "Moi")))
    assert await refused(b, 1) == ["not_yours"]
    for client in (a, a2, b):
        await client.close()


async def test_comments_are_signed_and_removed_by_their_author_or_a_facilitator(
    world: World,
) -> None:
    a, abilities = await join(world.alice, path(world))
    b, b_abilities = await join(world.bob, path(world))
    f, _ = await join(world.facilitator, path(world))
    await mine(a, abilities, "note-1", text="Un banc")
    await b.drain_until(lambda: "note-1" in notes_of(b))
    me = b_abilities["me"]

    def comment(client: YClient, key: str, who: dict[str, str], text: str = "D'accord") -> bytes:
        def change(doc: pycrdt.Doc) -> None:
            comments = doc.get("comments", type=pycrdt.Map)
            if key not in comments:
                comments[key] = pycrdt.Array()
            comments[key].append(
                {
                    "id": f"comment-{len(comments[key])}-{len(text)}",
                    "author": who["key"],
                    "name": who["name"],
                    "text": text,
                    "at": "2026-12-07T10:00:00Z",
                }
            )

        return edit(client.doc, change)

    await send(b, comment(b, "note-1", me))
    await f.drain_until(lambda: "note-1" in f.doc.get("comments", type=pycrdt.Map))
    for where, who, text, reason in [
        ("note-1", abilities["me"], "Signé Alice", "not_yours"),
        ("missing-note", me, "Sur rien", "unknown"),
        ("note-1", me, "x" * 501, "too_long"),
    ]:

        def change(c: YClient, where: str = where, who: Any = who, text: str = text) -> None:
            c.doc.apply_update(comment(c, where, who, text))

        assert await attempt(world.bob, path(world), change) == reason
    # Alice cannot remove Bob's comment; the facilitator can.
    await a.drain_until(lambda: "note-1" in a.doc.get("comments", type=pycrdt.Map))
    await send(a, edit(a.doc, lambda d: d.get("comments", type=pycrdt.Map)["note-1"].pop(0)))
    assert await refused(a, 1) == ["not_yours"]
    await send(f, edit(f.doc, lambda d: d.get("comments", type=pycrdt.Map)["note-1"].pop(0)))
    await b.drain_until(lambda: len(b.doc.get("comments", type=pycrdt.Map)["note-1"]) == 0)
    for client in (a, b, f):
        await client.close()


async def test_vote_and_readonly_modes_leave_the_wall_to_facilitators_or_nobody(
    world: World,
) -> None:
    a, abilities = await join(world.alice, path(world))
    f, _ = await join(world.facilitator, path(world))
    await mine(a, abilities, "note-1", text="Un banc")
    await f.drain_until(lambda: "note-1" in notes_of(f))
    count = len(a.controls)
    await set_mode(world, WallMode.VOTE)
    await a.drain_until(lambda: any(c.get("mode") == "vote" for c in a.controls[count:]))
    await mine(a, abilities, "note-2", text="Encore")
    assert await refused(a, 1) == ["mode"]
    await send(f, edit(f.doc, lambda d: notes_of(f)["note-1"].__setitem__("order", 5)))
    await a.drain_until(lambda: notes_of(a)["note-1"]["order"] == 5)
    # Read-only: nobody writes; what is sent is not applied, stored or relayed.
    count = len(f.controls)
    await set_mode(world, WallMode.READONLY)
    for client in (a, f):
        await client.drain_until(lambda c=client: c.controls[-1].get("mode") == "readonly")
    assert [c for c in f.controls[count:] if c["type"] == "abilities"][-1]["edit"] is False
    await send(f, edit(f.doc, lambda d: notes_of(f)["note-1"].__setitem__("order", 9)))
    assert await a.nothing_more()
    assert (await sync_to_async(stored_notes)(world.wall.pk))["note-1"]["order"] == 5
    for client in (a, f):
        await client.close()


async def test_silent_writing_is_hidden_server_side_until_revealed(world: World) -> None:
    await set_mode(world, WallMode.SILENT)
    a, abilities = await join(world.alice, path(world))
    b, b_abilities = await join(world.bob, path(world))
    f, f_abilities = await join(world.facilitator, path(world))
    assert (
        abilities["sheet"] and b_abilities["sheet"] and abilities["sheet"] != b_abilities["sheet"]
    )
    # Members cannot write on the wall meanwhile.
    await mine(a, abilities, "note-0", text="Trop tôt")
    assert await refused(a, 1) == ["mode"]
    # Alice writes on her sheet; nobody else may open it, whatever their role.
    sheet_path = f"/ws/wall-sheets/{abilities['sheet']}"
    s, s_abilities = await join(world.alice, sheet_path)
    assert s_abilities["edit"] is True and s_abilities["mode"] == "silent"
    await mine(s, s_abilities, "sheet-1", text="Mon idée", column="idees")
    name = s_abilities["me"]["name"]
    assert (
        await attempt(
            world.alice,
            sheet_path,
            lambda c: c.doc.apply_update(
                note_update(c.doc, "sheet-2", text="Son nom, sans auteur", author="", name=name)
            ),
        )
        == "not_yours"
    )
    for user in (world.bob, world.facilitator, world.other):
        cookie = await sync_to_async(cookie_of)(user)
        socket = WebsocketCommunicator(
            application, sheet_path, headers=[HOST, ORIGIN, (b"cookie", cookie)]
        )
        assert (await socket.connect())[0]
        await closed_with(socket, CLOSE_NOT_FOUND)
    await s.drain_until(lambda: "sheet-1" in notes_of(s))
    sheet_id = abilities["sheet"]
    assert sorted(await sync_to_async(stored_notes)(sheet_id, walls.SHEET_ROOTS)) == ["sheet-1"]
    assert await b.nothing_more() and await f.nothing_more()
    assert "sheet-1" not in notes_of(b) and "sheet-1" not in notes_of(f)
    # The wall's page shows nobody else's sheet either.
    # « Révéler »: the notes move onto the wall, live, with their author recorded; the
    # sheet is emptied.
    moved = await set_mode(world, WallMode.OPEN)
    assert moved == 1
    await b.drain_until(lambda: "sheet-1" in notes_of(b))
    assert notes_of(b)["sheet-1"].to_py()["name"] == abilities["me"]["name"]
    await s.drain_until(lambda: "sheet-1" not in notes_of(s))
    row = await sync_to_async(NoteAuthor.objects.get)(wall=world.wall, note="sheet-1")
    assert row.person_id == world.alice.pk
    assert await sync_to_async(stored_notes)(sheet_id, walls.SHEET_ROOTS) == {}
    # Once open again, the sheet refuses notes.
    await s.drain_until(lambda: s.controls[-1].get("mode") == "open")
    await mine(s, s_abilities, "sheet-3", text="Après")
    assert await refused(s, 1) == ["mode"]
    for client in (a, b, f, s):
        await client.close()


async def test_dots_never_exceed_the_round_even_with_concurrent_frames(world: World) -> None:
    a, abilities = await join(world.alice, path(world))
    await mine(a, abilities, "note-1", text="Un banc")
    await mine(a, abilities, "note-2", text="Une fontaine")
    b, _ = await join(world.bob, path(world))
    await b.drain_until(lambda: "note-2" in notes_of(b))
    reply = await control(a, {"type": "dot", "action": "add", "target": "n:note-1"}, "dots")
    assert reply == {"type": "error", "code": "no_round", "message": reply["message"]}
    round_ = await sync_to_async(walls.open_round)(world.wall, dots=2, by=world.facilitator)
    await a.drain_until(
        lambda: any(
            (c.get("round") or {}).get("id") == round_.pk
            for c in a.controls
            if c["type"] == "abilities"
        )
    )
    reply = await control(a, {"type": "dot", "action": "add", "target": "n:ailleurs"}, "dots")
    assert reply["code"] == "unknown_target"
    # Alice sends six dots at once on three sockets: two are placed, never more.
    sockets = [a] + [(await join(world.alice, path(world)))[0] for _ in range(2)]
    frame = yp.agora_message({"type": "dot", "action": "add", "target": "n:note-1"})
    seen = [len(s.controls) for s in sockets]
    await asyncio.gather(*(s.socket.send_to(bytes_data=frame) for s in sockets for _ in "ab"))
    answers: list[dict[str, Any]] = []
    for s, start in zip(sockets, seen, strict=True):
        await s.drain_until(
            lambda s=s, start=start: (
                len([c for c in s.controls[start:] if c["type"] in ("dots", "error")]) >= 2
            )
        )
        answers += [c for c in s.controls[start:] if c["type"] in ("dots", "error")]
    count = await sync_to_async(Dot.objects.filter(person=world.alice).count)()
    assert count == 2
    assert sorted(c.get("code", c["type"]) for c in answers) == ["dots"] * 2 + ["no_dots_left"] * 4
    # A dot taken back can be placed elsewhere.
    reply = await control(a, {"type": "dot", "action": "remove", "target": "n:note-1"}, "dots")
    assert reply["left"] == 1 and reply["mine"] == {"n:note-1": 1}
    reply = await control(a, {"type": "dot", "action": "add", "target": "n:note-2"}, "dots")
    assert reply == {
        "type": "dots",
        "round": round_.pk,
        "left": 0,
        "mine": {"n:note-1": 1, "n:note-2": 1},
    }
    await control(b, {"type": "dot", "action": "add", "target": "n:note-2"}, "dots")
    # Results hidden until revealed: neither the abilities nor the page tell them.
    b2, b_abilities = await join(world.bob, path(world))
    assert b_abilities["results"] is None and "voters" not in b_abilities["round"]
    f, f_abilities = await join(world.facilitator, path(world))
    assert f_abilities["round"]["voters"] == 2 and f_abilities["results"] is None
    await sync_to_async(walls.reveal_round)(world.wall, by=world.facilitator)
    for client in (b2, f, a):
        await client.drain_until(lambda c=client: any(m["type"] == "results" for m in c.controls))
    results = [m for m in b2.controls if m["type"] == "results"][-1]
    assert results["ranking"] == [
        {"target": "n:note-2", "label": "Une fontaine", "dots": 2},
        {"target": "n:note-1", "label": "Un banc", "dots": 1},
    ]
    reply = await control(a, {"type": "dot", "action": "add", "target": "n:note-1"}, "dots")
    assert reply["code"] == "no_round"
    for client in (*sockets, b, b2, f):
        await client.close()


async def test_a_facilitator_arranges_and_a_dccu_reads_then_facilitates(world: World) -> None:
    dccu = await sync_to_async(factories.UserFactory)()
    await sync_to_async(grant_role)(dccu, Role.DCCU)
    from allauth.mfa.models import Authenticator

    await sync_to_async(Authenticator.objects.create)(
        user=dccu, type=Authenticator.Type.TOTP, data={}
    )
    d, abilities = await join(dccu, path(world))
    assert abilities["facilitate"] is True and abilities["edit"] is True
    assert await sync_to_async(Wall.objects.filter(pk=world.wall.pk).exists)()
    sheet = await sync_to_async(WallSheet.objects.filter(wall=world.wall).count)()
    assert sheet == 0
    await d.close()
