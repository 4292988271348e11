"""New library documents reach, live on /ws/, exactly the people who may read them."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.roles import Role
from config.asgi import application
from documents import actions
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, cookie_of

pytestmark = pytest.mark.django_db(transaction=True)


async def connected(user: Any) -> WebsocketCommunicator:
    cookie = await sync_to_async(cookie_of)(user)
    socket = WebsocketCommunicator(application, "/ws/", headers=[HOST, ORIGIN, (b"cookie", cookie)])
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


async def library_events(socket: WebsocketCommunicator) -> list[dict[str, Any]]:
    events = []
    while not await socket.receive_nothing(timeout=0.3):
        event = await socket.receive_json_from()
        if event["type"].startswith("library."):
            events.append(event)
    return events


async def test_published_documents_reach_their_audience_only() -> None:
    def world() -> tuple[Any, Any, Any]:
        assembly = factories.make_assembly()
        member = factories.make_titulaire(assembly)
        agent = factories.UserFactory(roles=[Role.AGENT])
        other_member = factories.make_titulaire(assembly)
        return member, agent, other_member

    member, agent, other_member = await sync_to_async(world)()
    member_socket = await connected(member)
    agent_socket = await connected(agent)

    # Staff only: the agent hears of it, the member never does.
    await sync_to_async(actions.do_propose_document)(
        agent, kind="lien", title="Note interne", url="https://example.org/a", audience="equipe"
    )
    staff_news = await library_events(agent_socket)
    assert [e["title"] for e in staff_news] == ["Note interne"]
    assert await library_events(member_socket) == []

    # A member's proposal is news to nobody until a moderator publishes it.
    proposal = await sync_to_async(actions.do_propose_document)(
        other_member, kind="lien", title="Ma trouvaille", url="https://example.org/b"
    )
    assert await library_events(member_socket) == []
    assert await library_events(agent_socket) == []

    # For the assembly: both hear of it once published.
    facilitator = await sync_to_async(factories.UserFactory)(roles=[Role.FACILITATEUR])
    await sync_to_async(actions.do_publish_document)(facilitator, proposal)
    assert [e["document"] for e in await library_events(member_socket)] == [str(proposal.pk)]
    assert [e["document"] for e in await library_events(agent_socket)] == [str(proposal.pk)]
    await member_socket.disconnect()
    await agent_socket.disconnect()
