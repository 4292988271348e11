"""The votes' frames on /ws/: the live count says how many voted, never what; the result
arrives when the vote closes; who may not read the vote learns nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from decisions.actions import do_cast_ballot, do_close_vote, do_create_vote, do_open_vote
from tests import factories
from tests.decisions.world import Plenary, make_plenary
from tests.realtime.chat import Socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def plenary() -> Plenary:
    return await sync_to_async(make_plenary)()


@pytest.fixture
async def opened() -> AsyncIterator[list[Socket]]:
    sockets: list[Socket] = []
    yield sockets
    for socket in sockets:
        await socket.close()


async def connect(user: Any, opened: list[Socket]) -> Socket:
    socket = await Socket(await sync_to_async(session_cookie)(user)).open()
    opened.append(socket)
    return socket


async def next_of(socket: Socket, kind: str) -> dict[str, Any]:
    while True:
        frame = await socket.receive(timeout=15)
        if frame["type"] == kind:
            return frame
        assert frame["type"] in ("presence", "inbox.new", "inbox.count", "unread"), frame


def _open(plenary: Plenary) -> Any:
    return do_open_vote(
        plenary.facilitator,
        do_create_vote(
            plenary.facilitator, plenary.mandate, "Adoptez-vous la proposition ?", "majorite"
        ),
    )


async def test_the_count_goes_live_and_the_result_comes_at_closing(
    plenary: Plenary, opened: list[Socket]
) -> None:
    vote = await sync_to_async(_open)(plenary)
    projection = await connect(plenary.facilitator, opened)
    await projection.send({"type": "vote.watch", "vote": str(vote.pk)})
    state = await next_of(projection, "vote.state")
    assert (state["status"], state["voted"], state["eligible"], state["html"]) == (
        "ouvert",
        0,
        5,
        "",
    )
    contre = await sync_to_async(lambda: str(vote.options.get(code="contre").pk))()
    await sync_to_async(do_cast_ballot)(plenary.members[0], vote, {"choice": contre})
    count = await next_of(projection, "vote.count")
    assert count == {"type": "vote.count", "vote": str(vote.pk), "voted": 1, "eligible": 5}
    await sync_to_async(do_close_vote)(plenary.facilitator, vote)
    closed = await next_of(projection, "vote.closed")
    assert closed["voted"] == 1
    assert "Résultat" in closed["html"] and "Contre" in closed["html"]


async def test_who_may_not_read_the_vote_gets_the_answer_of_a_missing_one(
    plenary: Plenary, opened: list[Socket]
) -> None:
    vote = await sync_to_async(_open)(plenary)
    outsider = await sync_to_async(factories.UserFactory)()
    socket = await connect(outsider, opened)
    for vote_id in (str(vote.pk), str(uuid.uuid4())):
        await socket.send({"type": "vote.watch", "vote": vote_id})
        error = await next_of(socket, "error")
        assert error["code"] == "not_found"
    await socket.send({"type": "vote.watch", "vote": "pas-un-id"})
    assert (await next_of(socket, "error"))["code"] == "invalid"
