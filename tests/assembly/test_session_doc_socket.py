"""/ws/session-docs/<id>: the people responsible write, the people convened read once it
is delivered (what they send is never stored), anyone else gets a missing document."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pycrdt
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from accounts.roles import Role
from assembly import sessiondocs
from assembly.models import Session, SessionDocument, SessionKind
from config.asgi import application
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of
from tests.workshops.walltools import closed_with, hello
from workshops import ydocs

pytestmark = pytest.mark.django_db(transaction=True)


class World:
    def __init__(self) -> None:
        assembly = factories.make_assembly()
        self.facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
        self.member = factories.make_titulaire(assembly)
        self.outsider = factories.make_titulaire(assembly)
        self.dccu = factories.UserFactory(roles=[Role.DCCU])
        subgroup = factories.make_subgroup(
            assembly, members=[self.member], facilitators=[self.facilitator]
        )
        starts = timezone.now() - dt.timedelta(days=3)
        session = Session.objects.create(
            assembly=assembly, kind=SessionKind.SOUS_GROUPE, subgroup=subgroup,
            title="Atelier", starts_at=starts, ends_at=starts + dt.timedelta(hours=2),
        )
        self.minutes = SessionDocument.objects.get(session=session)
        self.path = f"/ws/session-docs/{self.minutes.pk}"


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(World)()
    await DocHub.current().close()


def stored_text(document_id: Any) -> str:
    doc = ydocs.load(document_id, sessiondocs.ROOTS).doc
    return str(doc.get(sessiondocs.FRAGMENT, type=pycrdt.XmlFragment))


async def stored_eventually(document_id: Any, text: str) -> str:
    """The stored text once it holds `text` (the engine stores on its own thread), or as
    it is after a few seconds."""
    stored = ""
    for _ in range(30):
        stored = await sync_to_async(stored_text)(document_id)
        if text in stored:
            break
        await asyncio.sleep(0.1)
    return stored


async def refused_as_missing(user: Any, path: str) -> None:
    cookie = await sync_to_async(cookie_of)(user)
    socket = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN, (b"cookie", cookie)])
    assert (await socket.connect())[0]
    await closed_with(socket, CLOSE_NOT_FOUND)


async def test_responsible_writes_convened_reads_once_delivered_others_get_nothing(
    world: World,
) -> None:
    # Before delivery, a member of the subgroup does not read the minutes yet.
    await refused_as_missing(world.member, world.path)
    await refused_as_missing(world.outsider, world.path)

    writer = await YClient.connect(world.facilitator, None, path=world.path)
    abilities = await hello(writer)
    assert abilities["edit"] is True and abilities["frozen"] is False
    await writer.type(3, 0, "Onze personnes présentes.")
    assert "Onze personnes présentes." in await stored_eventually(
        world.minutes.pk, "Onze personnes présentes."
    )

    await sync_to_async(sessiondocs.do_deliver_session_document)(world.facilitator, world.minutes)
    # The writer's open socket is told it may no longer write.
    await writer.drain_until(
        lambda: any(c["type"] == "abilities" and c["edit"] is False for c in writer.controls)
    )
    await writer.type(3, 0, "Ajout après la remise. ")

    reader = await YClient.connect(world.member, None, path=world.path)
    abilities = await hello(reader)
    assert abilities["edit"] is False and abilities["frozen"] is True
    assert "Onze personnes présentes." in str(reader.text_root)
    await reader.type(1, 0, "Texte d'un membre. ")
    assert await reader.nothing_more()
    stored = await stored_eventually(world.minutes.pk, "Texte d'un membre.")
    assert "Texte d'un membre." not in stored and "Ajout après la remise." not in stored

    # Someone not convened still gets the answer of a missing document.
    await refused_as_missing(world.outsider, world.path)
    await refused_as_missing(world.member, "/ws/session-docs/00000000-0000-0000-0000-000000000000")
    for client in (writer, reader):
        await client.close()
