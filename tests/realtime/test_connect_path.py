"""The /ws/ connect path stays cheap: ``hello`` costs the same queries whether a person reads
one room or thirty, a person's tabs reconnecting together read their access once, and what
is kept is forgotten as soon as their rooms or roles change (issue 18)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any
from unittest import mock

import pytest
from asgiref.sync import sync_to_async
from django.db.backends.utils import CursorWrapper

from accounts.models import User
from accounts.roles import Role
from assembly import actions as assembly_actions
from assembly.models import EndReason, Membership
from forums.actions import ensure_rooms
from forums.models import Room, RoomKind
from realtime.guards import CLOSE_WELCOME_REQUIRED
from realtime.hub import connect_cache
from tests import factories
from tests.realtime.chat import Socket, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


@dataclasses.dataclass
class World:
    mandate: Any
    assembly: Any
    solo: User  # titulaire in no subgroup: the plenary only
    busy: User  # titulaire in thirty subgroups
    plenary: Room


def make_world() -> World:
    assembly = factories.make_assembly()
    mandate = factories.make_mandate(assembly)
    solo = factories.make_titulaire(assembly, email="solo@example.org")
    busy = factories.make_titulaire(assembly, email="busy@example.org")
    for n in range(30):
        assembly_actions.do_create_subgroup(
            None, mandate=mandate, name=f"Groupe {n}", members=[busy]
        )
    ensure_rooms(mandate)
    return World(
        mandate=mandate,
        assembly=assembly,
        solo=solo,
        busy=busy,
        plenary=Room.objects.get(kind=RoomKind.PLENARY, mandate=mandate),
    )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(make_world)()


@pytest.fixture
async def opened() -> AsyncIterator[list[Socket]]:
    sockets: list[Socket] = []
    yield sockets
    for socket in sockets:
        await socket.close()


async def connect(user: User, opened: list[Socket]) -> Socket:
    socket = await Socket(await sync_to_async(session_cookie)(user)).open()
    opened.append(socket)
    return socket


@contextlib.contextmanager
def all_queries() -> Iterator[list[str]]:
    """Every query run while inside, whatever the thread: the consumer's calls run in the
    database thread of the communicator's context, not in the test's."""
    seen: list[str] = []
    execute = CursorWrapper.execute

    def counting(self: CursorWrapper, sql: str, params: Any = None) -> Any:
        seen.append(sql)
        return execute(self, sql, params)

    with mock.patch.object(CursorWrapper, "execute", counting):
        yield seen


async def counted_connect(user: User, opened: list[Socket]) -> tuple[Socket, int]:
    """Open a socket and count the queries it cost (the session and the person included)."""
    socket = Socket(await sync_to_async(session_cookie)(user))
    opened.append(socket)
    with all_queries() as seen:
        await socket.open()
    return socket, len(seen)


def room_ids(socket: Socket) -> set[str]:
    return {room["id"] for room in socket.hello["rooms"]}


async def test_hello_costs_the_same_queries_for_one_room_and_for_thirty(
    world: World, opened: list[Socket]
) -> None:
    await connect(world.solo, opened)  # the process's first socket fills its own caches
    connect_cache().clear()
    solo, solo_queries = await counted_connect(world.solo, opened)
    busy, busy_queries = await counted_connect(world.busy, opened)
    assert room_ids(solo) == {str(world.plenary.pk)}
    assert len(busy.hello["rooms"]) == 31  # the plenary and thirty subgroups
    assert busy_queries == solo_queries, (solo_queries, busy_queries)
    # Session, person, guards, roles, name, rooms and their counts, inbox: a constant.
    assert 4 < busy_queries <= 20


async def test_a_second_tab_within_seconds_reads_only_what_changes_by_the_second(
    world: World, opened: list[Socket]
) -> None:
    await connect(world.solo, opened)  # the process's first socket fills its own caches
    first, first_queries = await counted_connect(world.busy, opened)
    second, second_queries = await counted_connect(world.busy, opened)
    assert second.hello["rooms"] == first.hello["rooms"]
    assert second.hello["user"] == first.hello["user"]
    # The session and the person (login is never kept), the unread counts and the inbox.
    assert second_queries <= 4 < first_queries, (first_queries, second_queries)


async def test_unread_counts_in_hello_are_never_the_kept_ones(
    world: World, opened: list[Socket]
) -> None:
    reader = await connect(world.solo, opened)
    assert reader.hello["rooms"] == [
        {"id": str(world.plenary.pk), "kind": "plenary", "name": world.plenary.name, "unread": 0}
    ]
    speaker = await connect(world.busy, opened)
    await speaker.say(world.plenary, "Bonjour à toutes et à tous")
    again = await connect(world.solo, opened)
    assert again.hello["rooms"][0]["unread"] == 1


async def test_a_room_given_after_a_connection_is_in_the_next_hello_at_once(
    world: World, opened: list[Socket]
) -> None:
    await connect(world.solo, opened)  # what solo may follow is now kept
    subgroup = await sync_to_async(assembly_actions.do_create_subgroup)(
        None, mandate=world.mandate, name="Santé", members=[world.solo]
    )
    room = await sync_to_async(Room.objects.get)(subgroup=subgroup)
    again = await connect(world.solo, opened)
    assert str(room.pk) in room_ids(again)


async def test_a_room_taken_away_is_gone_from_the_next_hello_at_once(
    world: World, opened: list[Socket]
) -> None:
    first = await connect(world.busy, opened)
    room = await sync_to_async(Room.objects.select_related("subgroup").get)(name="Groupe 3")
    assert str(room.pk) in room_ids(first) and room.subgroup is not None
    await sync_to_async(assembly_actions.do_set_subgroup_people)(
        None, room.subgroup, members=[], facilitators=[]
    )
    again = await connect(world.busy, opened)
    assert str(room.pk) not in room_ids(again)


async def test_an_ended_membership_is_not_admitted_from_what_was_kept(
    world: World, opened: list[Socket]
) -> None:
    first = await connect(world.solo, opened)
    assert first.hello["rooms"]

    def end() -> None:
        dccu = factories.UserFactory(roles=[Role.DCCU])
        membership = Membership.objects.open().get(user=world.solo)
        assembly_actions.do_end_membership(
            dccu, membership, reason=EndReason.RESIGNATION, note="Déménagement"
        )

    await sync_to_async(end)()
    again = await connect(world.solo, opened)
    assert again.hello["rooms"] == []
    assert again.hello["user"]["roles"] == []


async def test_a_refusal_is_never_kept(world: World, opened: list[Socket]) -> None:
    """A person refused at the privacy gate who then accepts gets in at once."""
    from realtime import guards

    refuse = {"on": True}

    def gate(user: Any) -> bool:
        return refuse["on"]

    guards._gates.insert(0, (CLOSE_WELCOME_REQUIRED, gate))
    try:
        cookie = await sync_to_async(session_cookie)(world.solo)
        refused = Socket(cookie)
        opened.append(refused)
        ok, _ = await refused.communicator.connect()
        assert ok
        closed = await refused.communicator.receive_output(timeout=3)
        assert closed == {"type": "websocket.close", "code": CLOSE_WELCOME_REQUIRED}
        refuse["on"] = False
        assert connect_cache().get(str(world.solo.pk)) is None
        await connect(world.solo, opened)
    finally:
        guards._gates.remove((CLOSE_WELCOME_REQUIRED, gate))


async def test_a_change_committed_in_another_process_is_not_admitted_from_what_was_kept(
    world: World, opened: list[Socket]
) -> None:
    """Another process takes a room away: it cannot forget this process's kept access, but
    it writes the person's new access generation in the shared cache (Redis in
    production), and this process reads the access again at the next connection."""
    from realtime import hub

    first = await connect(world.busy, opened)
    room = await sync_to_async(Room.objects.select_related("subgroup").get)(name="Groupe 7")
    assert str(room.pk) in room_ids(first) and room.subgroup is not None
    assert connect_cache().get(str(world.busy.pk), hub.kept_access_generation(str(world.busy.pk)))

    def remove_in_another_process() -> None:
        elsewhere = hub.AccessCache()  # the other process's own kept entries
        with mock.patch.object(hub, "connect_cache", return_value=elsewhere):
            assembly_actions.do_set_subgroup_people(
                None, room.subgroup, members=[], facilitators=[]
            )

    await sync_to_async(remove_in_another_process)()
    again = await connect(world.busy, opened)
    assert str(room.pk) not in room_ids(again)


async def test_a_connection_takes_one_trip_to_the_database_thread(
    world: World, opened: list[Socket]
) -> None:
    """The person is read from the session inside the hub's one call (realtime/auth.py):
    a reconnect storm queues one trip per socket on the process's database thread, not
    two (Channels' AuthMiddleware would add its own)."""
    from channels.db import DatabaseSyncToAsync

    trips: list[str] = []
    handler = DatabaseSyncToAsync.thread_handler

    def counting(self: Any, loop: Any, *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(self.func, "__name__", repr(self.func)))
        return handler(self, loop, *args, **kwargs)

    await connect(world.solo, opened)  # the process's first socket fills its own caches
    with mock.patch.object(DatabaseSyncToAsync, "thread_handler", counting):
        socket = await connect(world.busy, opened)
    assert socket.hello["user"]["id"] == str(world.busy.pk)
    assert trips == ["_connect_data"], trips


async def test_the_sockets_database_thread_keeps_its_connection(
    world: World, opened: list[Socket]
) -> None:
    """With PostgreSQL's pool each call would give its connection back and borrow again,
    and every socket of the process would queue behind that one thread while HTTP
    requests held the pool (realtime/threads.py). The thread's connection outlives the
    calls that opened it, in the drafts' store threads too."""
    from asgiref.sync import SyncToAsync
    from django.db import connections

    from realtime.yjs import hub as yjs_hub

    def kept() -> tuple[bool, Any]:
        connection = connections["default"]
        return connection.connection is not None, connection.close_at

    await connect(world.solo, opened)
    assert SyncToAsync.single_thread_executor.submit(kept).result(timeout=10) == (True, None)

    def query() -> int:
        return User.objects.count()

    assert await yjs_hub.on_writer(query) >= 2
    assert yjs_hub._writer.submit(kept).result(timeout=10) == (True, None)
