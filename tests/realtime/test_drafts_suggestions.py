"""Suggestions in drafts over /ws/drafts/<id>: a reader who may suggest sends updates the
server checks (deliberation/suggestions.py); anything but their own suggestions is refused,
never applied, stored or relayed. Editors' updates are not checked."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pycrdt
import pytest
from asgiref.sync import sync_to_async

from deliberation import drafts, suggestions
from deliberation.models import DraftUpdate
from realtime.yjs import protocol as yp
from realtime.yjs.hub import DocHub
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of, make_draft, until_stored

pytestmark = pytest.mark.django_db(transaction=True)
AT = "2026-12-07T02:00:00.000Z"


class World:
    def __init__(self) -> None:
        assembly = factories.make_assembly()
        self.writer = factories.make_titulaire(assembly)
        self.reader = factories.make_titulaire(assembly)  # of another subgroup: reads
        self.other_reader = factories.make_titulaire(assembly)
        self.subgroup = factories.make_subgroup(assembly, members=[self.writer])
        self.subgroup.reader_suggestions = True
        self.subgroup.save(update_fields=["reader_suggestions"])
        self.draft = make_draft(self.subgroup)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(World)()
    await DocHub.current().close()


def mark(user: Any) -> dict[str, str]:
    return {"author": str(user.pk), "at": AT}


def text_of(client: YClient, block: int) -> pycrdt.XmlText:
    return client.text_root.children[block].children[0]


def plain(text: pycrdt.XmlText) -> str:
    return "".join(part for part, _ in text.diff())


async def send(client: YClient, change: Any) -> None:
    before = client.doc.get_state()
    with client.doc.transaction():
        change(client.doc)
    await client.socket.send_to(bytes_data=yp.sync_update(client.doc.get_update(before)))


async def connect_with(cookie: bytes, draft_id: Any) -> YClient:
    """A client on a session made beforehand (no session written while sockets run)."""
    from channels.testing import WebsocketCommunicator

    from config.asgi import application

    socket = WebsocketCommunicator(
        application, f"/ws/drafts/{draft_id}", headers=[HOST, ORIGIN, (b"cookie", cookie)]
    )
    connected, _ = await socket.connect()
    assert connected
    client = YClient(socket)
    await client.sync()
    return client


async def hello(client: YClient) -> dict[str, Any]:
    await client.socket.send_to(bytes_data=yp.agora_message({"type": "hello"}))
    await client.drain_until(lambda: client.controls)
    return client.controls[-1]


def stored_count(draft: Any) -> int:
    return DraftUpdate.objects.filter(draft=draft).count()


async def refused(client: YClient, reason: str) -> None:
    await client.drain_until(lambda: client.controls and client.controls[-1]["type"] == "refused")
    assert client.controls[-1] == {"type": "refused", "reason": reason}


async def test_a_readers_update_that_does_more_than_suggest_is_refused(world: World) -> None:
    cookie = await sync_to_async(cookie_of)(world.reader)
    writer = await YClient.connect(world.writer, world.draft.pk)
    stored = await sync_to_async(stored_count)(world.draft)
    crafted = [
        # Plain text, as an editor would type it.
        (lambda doc, c: text_of(c, 0).insert(0, "Nos "), suggestions.REFUSED_UNMARKED),
        # Removing existing text.
        (lambda doc, c: text_of(c, 0).__delitem__(slice(0, 2)), suggestions.REFUSED_REMOVAL),
        # Formatting existing text.
        (lambda doc, c: text_of(c, 0).format(0, 3, {"bold": True}), suggestions.REFUSED_FORMAT),
        # A suggestion under the writer's name.
        (
            lambda doc, c: text_of(c, 0).insert(0, "Nos ", {"insertion": mark(world.writer)}),
            suggestions.REFUSED_AUTHOR,
        ),
        (
            lambda doc, c: text_of(c, 0).format(0, 3, {"deletion": mark(world.writer)}),
            suggestions.REFUSED_AUTHOR,
        ),
        # Changing a block (a heading's level), adding a heading, removing a block.
        (
            lambda doc, c: c.text_root.children[0].attributes.__setitem__("level", 1),
            suggestions.REFUSED_STRUCTURE,
        ),
        (
            lambda doc, c: c.text_root.children.insert(
                0, pycrdt.XmlElement("heading", {"level": 1}, [pycrdt.XmlText("Titre")])
            ),
            suggestions.REFUSED_STRUCTURE,
        ),
        (lambda doc, c: c.text_root.children.__delitem__(1), suggestions.REFUSED_REMOVAL),
    ]
    # A deletion suggested by the writer: the reader may not withdraw it.
    await send(
        writer, lambda doc: text_of(writer, 0).format(0, 2, {"deletion": mark(world.writer)})
    )
    await writer.drain_until(lambda: True)
    stored = await sync_to_async(stored_count)(world.draft) + 1
    crafted.append(
        (
            lambda doc, c: text_of(c, 0).format(0, 2, {"deletion": None}),
            suggestions.REFUSED_AUTHOR,
        )
    )
    for change, reason in crafted:
        # Each time a fresh client, as ours does after a refusal.
        reader = await connect_with(cookie, world.draft.pk)
        assert (await hello(reader))["suggest_only"] is True
        await send(reader, lambda doc, c=reader, f=change: f(doc, c))
        await refused(reader, reason)
        await reader.close()
    assert await writer.nothing_more()
    assert await sync_to_async(stored_count)(world.draft) == stored
    await writer.close()


async def test_a_readers_suggestion_is_stored_relayed_and_survives_reconnection(
    world: World,
) -> None:
    writer = await YClient.connect(world.writer, world.draft.pk)
    reader = await YClient.connect(world.reader, world.draft.pk)
    abilities = await hello(reader)
    assert abilities["edit"] is True and abilities["suggest_only"] is True
    assert abilities["me"] == str(world.reader.pk)

    def suggest(doc: pycrdt.Doc) -> None:
        heading = text_of(reader, 0)
        heading.format(0, 4, {"deletion": mark(world.reader)})
        heading.insert(len(plain(heading)), " communs", {"insertion": mark(world.reader)})
        # A new paragraph after the first heading, all of it the reader's.
        reader.text_root.children.insert(
            1,
            pycrdt.XmlElement(
                "paragraph",
                {"suggestion": str(world.reader.pk)},
                [pycrdt.XmlText()],
            ),
        )
        reader.text_root.children[1].children[0].insert(
            0, "Un banc.", {"insertion": mark(world.reader)}
        )

    await send(reader, suggest)
    await writer.drain_until(lambda: "communs" in writer.text())
    assert "Un banc." in writer.text()
    assert reader.controls[-1]["type"] == "abilities"  # nothing refused

    # The reader withdraws part of their own insertion (backspace): allowed.
    def withdraw(doc: pycrdt.Doc) -> None:
        heading = text_of(reader, 0)
        end = len(plain(heading))
        del heading[end - 2 : end]

    await send(reader, withdraw)
    await writer.drain_until(lambda: " commu" in writer.text() and "communs" not in writer.text())

    # Withdrawing a deletion mark: their own may go (an undo), the writer's may not.
    await send(reader, lambda doc: text_of(reader, 0).format(0, 2, {"deletion": None}))
    await writer.drain_until(
        lambda: suggestions.suggestions_in(writer.doc)[0].text == plain(text_of(writer, 0))[2:4]
    )
    await send(
        reader, lambda doc: text_of(reader, 0).format(0, 2, {"deletion": mark(world.reader)})
    )
    await writer.drain_until(
        lambda: suggestions.suggestions_in(writer.doc)[0].text == plain(text_of(writer, 0))[:4]
    )

    # Stored: a new client (and the server's own reading) sees the marks.
    again = await YClient.connect(world.other_reader, world.draft.pk)
    found = suggestions.suggestions_in(again.doc)
    assert [(s.kind, s.author, s.text) for s in found] == [
        ("deletion", str(world.reader.pk), plain(text_of(again, 0))[:4]),
        ("insertion", str(world.reader.pk), " commu"),
        ("insertion", str(world.reader.pk), "Un banc."),
    ]
    await until_stored(
        sync_to_async(lambda: len(suggestions.suggestions_in(drafts.load(world.draft.pk).doc)) == 3)
    )

    # The writer accepts (editors are not checked): the deletion goes, the insertion stays.
    def accept(doc: pycrdt.Doc) -> None:
        heading = text_of(writer, 0)
        heading.format(0, len(plain(heading)), {"insertion": None})
        del heading[0:4]

    await send(writer, accept)
    await reader.drain_until(lambda: not plain(text_of(reader, 0)).startswith("Find"))
    for client in (writer, reader, again):
        await client.close()


async def test_readers_do_not_suggest_unless_the_subgroup_allows_it(world: World) -> None:
    def forbid() -> None:
        world.subgroup.reader_suggestions = False
        world.subgroup.save(update_fields=["reader_suggestions"])

    await sync_to_async(forbid)()
    writer = await YClient.connect(world.writer, world.draft.pk)
    reader = await YClient.connect(world.reader, world.draft.pk)
    abilities = await hello(reader)
    assert abilities["edit"] is False and abilities["suggest_only"] is False
    await send(
        reader, lambda doc: text_of(reader, 0).insert(0, "Nos ", {"insertion": mark(world.reader)})
    )
    assert await writer.nothing_more()
    # The writer's own abilities: full editing, no check on the way.
    assert (await hello(writer))["suggest_only"] is False
    await send(writer, lambda doc: text_of(writer, 0).insert(0, "Nos "))
    session = DocHub.current().sessions[("draft", str(world.draft.pk))]
    await reader.drain_until(lambda: reader.text().startswith("## Nos"))
    assert session.shadow is None
    # The DCCU allows readers' suggestions: the open socket is told at once.
    from assembly.actions import do_set_reader_suggestions

    await sync_to_async(do_set_reader_suggestions)(None, world.subgroup, True)
    await reader.drain_until(lambda: reader.controls[-1].get("suggest_only") is True)
    # (A new client: this one's dropped update would hold back its next ones, as Yjs
    # orders a client's changes; our editor lets nobody type before they may suggest.)
    again = await YClient.connect(world.reader, world.draft.pk)
    await send(
        again, lambda doc: text_of(again, 0).insert(0, "Nos ", {"insertion": mark(world.reader)})
    )
    await writer.drain_until(lambda: "Nos Nos" in writer.text())
    for client in (writer, reader, again):
        await client.close()
