"""/ws/boards/<id>: the whiteboard's storage and checks (its pages and client are the
whiteboard's own): rights from the room, element limits, files from the library only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pycrdt
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import override_settings

from config.asgi import application
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of
from tests.workshops.walltools import closed_with, edit, hello, outcome, send
from workshops import walls, ydocs

pytestmark = pytest.mark.django_db(transaction=True)


class World:
    def __init__(self) -> None:
        assembly = factories.make_assembly()
        self.alice = factories.make_titulaire(assembly, first_name="Alice")
        self.bob = factories.make_titulaire(assembly, first_name="Bob")
        self.other = factories.make_titulaire(assembly, first_name="Olga")
        self.subgroup = factories.make_subgroup(assembly, members=[self.alice, self.bob])
        self.board = walls.create_board(
            factories.room_of(self.subgroup), title="Carte", by=self.alice
        )
        self.image = factories.DocumentFactory(kind="fichier")
        self.hidden = factories.DocumentFactory(kind="fichier", audience="equipe")


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(World)()
    await DocHub.current().close()


def rectangle(key: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": key,
        "type": "rectangle",
        "x": 10,
        "y": 20,
        "width": 100,
        "height": 50,
        "version": 1,
        "isDeleted": False,
        **extra,
    }


async def attempt(user: Any, where: str, change: Any) -> str:
    client = await YClient.connect(user, None, path=where)
    await hello(client)
    try:
        return await outcome(client, edit(client.doc, change))
    finally:
        await client.close()


@override_settings(BOARD_MAX_ELEMENTS=2, BOARD_MAX_ELEMENT_BYTES=400)
async def test_a_shape_drawn_by_one_reaches_the_other_within_the_limits(world: World) -> None:
    where = f"/ws/boards/{world.board.pk}"
    a = await YClient.connect(world.alice, None, path=where)
    b = await YClient.connect(world.bob, None, path=where)
    abilities = await hello(a)
    await hello(b)
    assert abilities["edit"] is True
    assert abilities["limits"] == {"elements": 2, "element_bytes": 400, "files": 200}
    assert str(world.image.pk) in abilities["documents"]
    assert str(world.hidden.pk) not in abilities["documents"]

    def elements(doc: pycrdt.Doc) -> pycrdt.Map:
        return doc.get("elements", type=pycrdt.Map)

    await send(a, edit(a.doc, lambda d: elements(d).__setitem__("rect-1", rectangle("rect-1"))))
    await b.drain_until(lambda: "rect-1" in elements(b.doc))
    assert elements(b.doc)["rect-1"]["width"] == 100
    await send(
        a,
        edit(
            a.doc,
            lambda d: d.get("files", type=pycrdt.Map).__setitem__(
                "file-1", {"document": str(world.image.pk), "mimeType": "image/png"}
            ),
        ),
    )
    await b.drain_until(lambda: "file-1" in b.doc.get("files", type=pycrdt.Map))
    await send(a, edit(a.doc, lambda d: elements(d).__setitem__("rect-2", rectangle("rect-2"))))
    await b.drain_until(lambda: "rect-2" in elements(b.doc))
    where_ = where
    for change, reason in [
        (lambda d: elements(d).__setitem__("rect-3", rectangle("rect-3")), "limit"),
        (
            lambda d: elements(d).__setitem__("rect-1", rectangle("rect-1", text="x" * 400)),
            "too_long",
        ),
        (lambda d: elements(d).__setitem__("rect-1", "pas un objet"), "shape"),
        (lambda d: elements(d).__setitem__("rect-1", pycrdt.Map({"id": "rect-1"})), "shape"),
        (
            lambda d: d.get("files", type=pycrdt.Map).__setitem__(
                "file-2", {"document": str(world.hidden.pk)}
            ),
            "unknown",
        ),
        (
            lambda d: d.get("files", type=pycrdt.Map).__setitem__(
                "file-3", {"document": "https://ailleurs.example/image.png"}
            ),
            "shape",
        ),
        (
            lambda d: d.get("files", type=pycrdt.Map).__setitem__(
                "file-4", {"dataURL": "data:image/png;base64,AAAA"}
            ),
            "shape",
        ),
        (lambda d: d.get("autre", type=pycrdt.Map).__setitem__("k", 1), "root"),
    ]:
        assert await attempt(world.bob, where_, change) == reason
    # Deleting is always allowed; the stored board keeps what was accepted.
    assert await attempt(world.bob, where_, lambda d: elements(d).pop("rect-2")) == ""
    await a.drain_until(lambda: "rect-2" not in elements(a.doc))
    stored = ydocs.content(
        await sync_to_async(lambda: ydocs.load(world.board.pk, walls.BOARD_ROOTS).doc)(),
        walls.BOARD_ROOTS,
    )
    assert sorted(stored["elements"]) == ["rect-1"] and sorted(stored["files"]) == ["file-1"]
    # Someone of another room: the same answer as a missing board.
    cookie = await sync_to_async(cookie_of)(world.other)
    socket = WebsocketCommunicator(application, where, headers=[HOST, ORIGIN, (b"cookie", cookie)])
    assert (await socket.connect())[0]
    await closed_with(socket, CLOSE_NOT_FOUND)
    for client in (a, b):
        await client.close()
