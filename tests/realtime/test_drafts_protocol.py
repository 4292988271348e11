"""/ws/drafts/<id>: the y-websocket protocol on the real ASGI app, with the database behind it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pycrdt
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.roles import Role
from config.asgi import application
from deliberation import drafts
from deliberation.draft_store import announce_comments_changed, announce_draft_changed
from deliberation.models import Draft, DraftContribution, DraftUpdate
from realtime.guards import CLOSE_UNAUTHENTICATED
from realtime.yjs import protocol as yp
from realtime.yjs.consumer import (
    CLOSE_MALFORMED,
    CLOSE_NOT_FOUND,
    CLOSE_TOO_LARGE,
    CLOSE_TOO_MANY,
)
from realtime.yjs.hub import DocHub
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of, make_draft

pytestmark = pytest.mark.django_db(transaction=True)


class World:
    def __init__(self) -> None:
        assembly = factories.make_assembly()
        self.writer = factories.make_titulaire(assembly)
        self.writer2 = factories.make_titulaire(assembly)
        self.outsider = factories.make_titulaire(assembly)  # a titulaire of no subgroup: reads
        self.facilitator = factories.UserFactory()
        from accounts.roles import grant_role

        grant_role(self.facilitator, Role.FACILITATEUR)
        self.dpd = factories.UserFactory()
        grant_role(self.dpd, Role.DPD)
        from allauth.mfa.models import Authenticator

        Authenticator.objects.create(user=self.dpd, type=Authenticator.Type.TOTP, data={})
        self.nobody = factories.UserFactory()  # no role at all
        self.subgroup = factories.make_subgroup(
            assembly, members=[self.writer, self.writer2], facilitators=[self.facilitator]
        )
        self.draft = make_draft(self.subgroup)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(World)()
    await DocHub.current().close()


async def closed_with(client: YClient | WebsocketCommunicator, code: int) -> None:
    socket = client.socket if isinstance(client, YClient) else client
    while True:
        message = await socket.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            assert message.get("code") == code
            return


def stored_text(draft_id: Any) -> str:
    return drafts.doc_text(drafts.load(draft_id).doc)


async def test_sync_gives_the_stored_template(world: World) -> None:
    client = await YClient.connect(world.writer, world.draft.pk)
    assert client.text().startswith("## Findings") or "##" in client.text()
    assert client.text() == await sync_to_async(stored_text)(world.draft.pk)
    await client.close()


@pytest.mark.parametrize("suffix", ["/", "?room=x&v=2", "/?token=abc"])
async def test_path_with_slash_and_query(world: World, suffix: str) -> None:
    path = f"/ws/drafts/{world.draft.pk}{suffix.split('?')[0]}"
    query = suffix.split("?")[1] if "?" in suffix else ""
    socket_path = path + (f"?{query}" if query else "")
    client = await YClient.connect(world.writer, world.draft.pk, path=socket_path)
    assert "##" in client.text()
    await client.close()


async def test_update_is_stored_then_relayed_to_others_not_echoed(world: World) -> None:
    a = await YClient.connect(world.writer, world.draft.pk)
    b = await YClient.connect(world.writer2, world.draft.pk)
    await a.type(1, 0, "Bonjour ")
    await b.drain_until(lambda: b.received_updates)
    assert b.text() == a.text()
    assert "Bonjour " in b.text()
    assert await a.nothing_more()  # not echoed to the sender
    count = await sync_to_async(DraftUpdate.objects.filter(draft=world.draft).count)()
    assert count == 1
    assert "Bonjour " in await sync_to_async(stored_text)(world.draft.pk)
    contributors = await sync_to_async(
        lambda: set(
            DraftContribution.objects.filter(draft=world.draft).values_list("user", flat=True)
        )
    )()
    assert contributors == {world.writer.pk}
    await a.close()
    await b.close()


async def test_concurrent_writers_converge_and_a_newcomer_gets_the_same(world: World) -> None:
    a = await YClient.connect(world.writer, world.draft.pk)
    b = await YClient.connect(world.writer2, world.draft.pk)
    for i in range(10):
        await a.type(1, 0, f"a{i}")
        await b.type(3, 0, f"b{i}")
    await a.drain_until(lambda: len(a.received_updates) == 10)
    await b.drain_until(lambda: len(b.received_updates) == 10)
    assert a.text() == b.text()
    c = await YClient.connect(world.outsider, world.draft.pk)
    assert c.text() == a.text()
    for client in (a, b, c):
        await client.close()


async def test_reader_update_is_refused_and_never_relayed(world: World) -> None:
    writer = await YClient.connect(world.writer, world.draft.pk)
    reader = await YClient.connect(world.outsider, world.draft.pk)
    await reader.type(1, 0, "PIRATE ")
    assert await writer.nothing_more()
    assert "PIRATE" not in await sync_to_async(stored_text)(world.draft.pk)
    assert await sync_to_async(DraftUpdate.objects.count)() == 0
    # The reader still receives the writers' updates.
    await writer.type(1, 0, "Vrai ")
    await reader.drain_until(lambda: reader.received_updates)
    assert "Vrai " in reader.text()
    await writer.close()
    await reader.close()


async def test_frozen_draft_refuses_everyone_and_control_tells_editors(world: World) -> None:
    writer = await YClient.connect(world.writer, world.draft.pk)
    await writer.socket.send_to(bytes_data=yp.agora_message({"type": "hello"}))
    await writer.drain_until(lambda: writer.controls)
    assert writer.controls[-1]["edit"] is True
    assert writer.controls[-1]["frozen"] is False

    def freeze() -> None:
        Draft.objects.filter(pk=world.draft.pk).update(frozen=True)
        announce_draft_changed(world.draft.pk)

    await sync_to_async(freeze)()
    await writer.drain_until(lambda: len(writer.controls) == 2)
    assert writer.controls[-1]["edit"] is False
    assert writer.controls[-1]["frozen"] is True
    await writer.type(1, 0, "trop tard ")
    await asyncio.sleep(0.2)
    assert await sync_to_async(DraftUpdate.objects.count)() == 0
    await sync_to_async(announce_comments_changed)(world.draft.pk)
    await writer.drain_until(lambda: writer.controls[-1] == {"type": "comments.changed"})
    await writer.close()


async def test_awareness_is_relayed_under_the_server_imposed_name(world: World) -> None:
    a = await YClient.connect(world.writer, world.draft.pk)
    b = await YClient.connect(world.writer2, world.draft.pk)
    state = {"user": {"name": "Le Président", "color": "#000"}, "cursor": {"anchor": 1}}
    payload = yp.encode_awareness([yp.AwarenessEntry(a.doc.client_id, 1, json.dumps(state))])
    await a.socket.send_to(bytes_data=yp.awareness_message(payload))
    await b.drain_until(lambda: b.awareness)
    relayed = json.loads(b.awareness[-1].state)
    assert relayed["user"]["name"] == world.writer.public_name
    assert relayed["cursor"] == {"anchor": 1}
    # b cannot speak for a's client id.
    forged = yp.encode_awareness([yp.AwarenessEntry(a.doc.client_id, 9, json.dumps({}))])
    await b.socket.send_to(bytes_data=yp.awareness_message(forged))
    assert await a.nothing_more()
    # A newcomer gets the current states; when a leaves, others learn it.
    c = await YClient.connect(world.outsider, world.draft.pk, sync=False)
    await c.drain_until(lambda: c.awareness)
    assert json.loads(c.awareness[0].state)["user"]["name"] == world.writer.public_name
    await a.close()
    await b.drain_until(lambda: b.awareness[-1].state == "null")
    await b.close()
    await c.close()


@pytest.mark.parametrize(
    "frame",
    [
        b"\x00",  # sync without a step
        b"\x00\x02\x05ab",  # length beyond the end
        b"\x00\x02\x03\xff\xff\xff",  # an update that does not decode
        b"\x07",  # unknown message type
        b"\x00\x09\x00",  # unknown sync step
        b"\x01\x04\x01\x01\x01\x05",  # awareness truncated
        b"\xff\xff\xff\xff\xff\xff\xff\xff\xff",  # endless varUint
    ],
)
async def test_malformed_messages_close_4400_and_store_nothing(world: World, frame: bytes) -> None:
    client = await YClient.connect(world.writer, world.draft.pk)
    before = await sync_to_async(stored_text)(world.draft.pk)
    await client.socket.send_to(bytes_data=frame)
    await closed_with(client, CLOSE_MALFORMED)
    assert await sync_to_async(stored_text)(world.draft.pk) == before
    assert await sync_to_async(DraftUpdate.objects.count)() == 0


async def test_text_frame_closes_4400(world: World) -> None:
    client = await YClient.connect(world.writer, world.draft.pk)
    await client.socket.send_to(text_data="bonjour")
    await closed_with(client, CLOSE_MALFORMED)


async def test_oversized_update_closes_4413(world: World, settings: Any) -> None:
    client = await YClient.connect(world.writer, world.draft.pk)
    big = pycrdt.Doc()
    big.get("default", type=pycrdt.XmlFragment).children.append(
        pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText("x" * (drafts.MAX_UPDATE_BYTES + 10))])
    )
    await client.socket.send_to(bytes_data=yp.sync_update(big.get_update()))
    await closed_with(client, CLOSE_TOO_LARGE)
    assert await sync_to_async(DraftUpdate.objects.count)() == 0


async def test_document_cap_closes_4413(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drafts, "MAX_DOCUMENT_BYTES", 2000)
    client = await YClient.connect(world.writer, world.draft.pk)
    await client.type(1, 0, "x" * 3000)
    await closed_with(client, CLOSE_TOO_LARGE)
    assert await sync_to_async(DraftUpdate.objects.count)() == 0


async def test_flooding_closes_4429(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    client = await YClient.connect(world.writer, world.draft.pk)
    for _ in range(500):
        await client.socket.send_to(bytes_data=bytes((yp.MESSAGE_QUERY_AWARENESS,)))
    await closed_with(client, CLOSE_TOO_MANY)


async def test_refusals(world: World) -> None:
    # Anonymous.
    socket = WebsocketCommunicator(
        application, f"/ws/drafts/{world.draft.pk}", headers=[HOST, ORIGIN]
    )
    assert (await socket.connect())[0]
    await closed_with(socket, CLOSE_UNAUTHENTICATED)
    # Unknown draft, not a uuid, and a draft the person may not read: the same answer.
    for user, path in [
        (world.writer, "/ws/drafts/7b3f1bd4-3f5e-4e55-8a28-8b0a2b7c0c11"),
        (world.writer, "/ws/drafts/not-a-uuid"),
        (world.dpd, f"/ws/drafts/{world.draft.pk}"),
        (world.nobody, f"/ws/drafts/{world.draft.pk}"),
    ]:
        headers = [HOST, ORIGIN, (b"cookie", await sync_to_async(cookie_of)(user))]
        socket = WebsocketCommunicator(application, path, headers=headers)
        assert (await socket.connect())[0]
        await closed_with(socket, CLOSE_NOT_FOUND)


async def test_state_survives_a_new_process(world: World) -> None:
    """What the server acknowledged (relayed) is in the database: a fresh hub reads it."""
    a = await YClient.connect(world.writer, world.draft.pk)
    b = await YClient.connect(world.writer2, world.draft.pk)
    await a.type(1, 0, "Durable ")
    await b.drain_until(lambda: b.received_updates)
    await a.close()
    await b.close()
    await DocHub.current().close()  # as if daphne restarted
    c = await YClient.connect(world.outsider, world.draft.pk)
    assert "Durable " in c.text()
    assert c.text() == b.text()
    await c.close()


async def test_compaction_loses_nothing(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drafts, "COMPACT_EVERY", 5)
    a = await YClient.connect(world.writer, world.draft.pk)
    b = await YClient.connect(world.writer2, world.draft.pk)
    for i in range(12):
        await a.type(1, 0, f"{i};")
        await asyncio.sleep(0.02)
    await b.drain_until(lambda: len(b.received_updates) == 12)
    await asyncio.sleep(0.5)
    draft = await sync_to_async(Draft.objects.get)(pk=world.draft.pk)
    assert draft.compacted_at is not None
    assert await sync_to_async(DraftUpdate.objects.count)() < 12
    assert await sync_to_async(stored_text)(world.draft.pk) == b.text()
    await a.close()
    await b.close()


async def test_removed_member_becomes_a_reader_at_once(world: World) -> None:
    from assembly.actions import do_set_subgroup_people

    writer = await YClient.connect(world.writer2, world.draft.pk)
    await writer.socket.send_to(bytes_data=yp.agora_message({"type": "hello"}))
    await writer.drain_until(lambda: writer.controls)
    assert writer.controls[-1]["edit"] is True

    def remove() -> None:
        dccu = factories.UserFactory()
        from accounts.roles import grant_role

        grant_role(dccu, Role.DCCU)
        do_set_subgroup_people(
            dccu, world.subgroup, members=[world.writer], facilitators=[world.facilitator]
        )

    await sync_to_async(remove)()
    await writer.drain_until(lambda: len(writer.controls) == 2)
    assert writer.controls[-1]["edit"] is False
    await writer.type(1, 0, "plus membre ")
    await asyncio.sleep(0.2)
    assert await sync_to_async(DraftUpdate.objects.count)() == 0
    await writer.close()


async def test_a_pause_in_editing_records_a_version_with_its_writers(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from deliberation.models import DraftVersion, VersionKind
    from realtime.yjs import hub

    monkeypatch.setattr(hub, "VERSION_PAUSE", 0.3)
    monkeypatch.setattr(hub, "CATCHUP_SECONDS", 0.1)
    a = await YClient.connect(world.writer, world.draft.pk)
    b = await YClient.connect(world.writer2, world.draft.pk)
    await a.type(1, 0, "Première idée ")
    await b.type(3, 0, "Deuxième idée ")
    await a.drain_until(lambda: a.received_updates)

    def versions() -> list[tuple[str, set[Any], str]]:
        return [
            (v.kind, set(v.authors.values_list("pk", flat=True)), v.text)
            for v in DraftVersion.objects.filter(draft=world.draft).order_by("number")
        ]

    for _ in range(40):
        await asyncio.sleep(0.1)
        found = await sync_to_async(versions)()
        if found:
            break
    assert len(found) == 1
    kind, authors, text = found[0]
    assert kind == VersionKind.AUTO
    assert authors == {world.writer.pk, world.writer2.pk}
    assert "Première idée" in text and "Deuxième idée" in text
    # Nothing new: no second automatic version.
    await asyncio.sleep(0.6)
    assert len(await sync_to_async(versions)()) == 1
    await a.close()
    await b.close()


async def test_logout_closes_the_draft_socket(world: World) -> None:
    from realtime.bus import CLOSE_LOGGED_OUT, close_session_sockets

    cookie = await sync_to_async(cookie_of)(world.writer)
    socket = WebsocketCommunicator(
        application, f"/ws/drafts/{world.draft.pk}", headers=[HOST, ORIGIN, (b"cookie", cookie)]
    )
    assert (await socket.connect())[0]
    session_key = cookie.decode().split("=", 1)[1]
    await sync_to_async(close_session_sockets)(session_key)
    await closed_with(socket, CLOSE_LOGGED_OUT)


@pytest.mark.parametrize("path", ["/ws/", "DRAFT"])
async def test_sockets_wait_for_the_charter(world: World, path: str) -> None:
    """A hand-made client gets no live data before the notice is read and the charter
    accepted, exactly as pages redirect to /bienvenue/ (gdpr.middleware)."""
    from realtime.guards import CLOSE_WELCOME_REQUIRED

    newcomer = await sync_to_async(
        lambda: factories.make_titulaire(world.subgroup.mandate.assembly, accepted_policies=False)
    )()
    target = f"/ws/drafts/{world.draft.pk}" if path == "DRAFT" else path
    cookie = await sync_to_async(cookie_of)(newcomer)
    socket = WebsocketCommunicator(application, target, headers=[HOST, ORIGIN, (b"cookie", cookie)])
    assert (await socket.connect())[0]
    await closed_with(socket, CLOSE_WELCOME_REQUIRED)
