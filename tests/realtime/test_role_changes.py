"""Role changes reach open sockets: a membership ended or a staff role removed takes the
person's access away on the sockets they already hold, within seconds, in every process."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, grant_role, revoke_role
from assembly import actions as assembly_actions
from assembly.models import EndReason, Membership
from deliberation.models import Draft, DraftUpdate
from forums import realtime as chat
from forums.actions import ensure_rooms
from forums.models import Room, RoomKind
from realtime import guards
from realtime.yjs import protocol as yp
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from tests import factories
from tests.realtime.chat import Socket, session_cookie
from tests.realtime.ydrafts import YClient, make_draft

pytestmark = pytest.mark.django_db(transaction=True)


@dataclasses.dataclass
class World:
    alice: User  # titulaire, member of « Mobilités »
    bob: User  # titulaire, member of « Mobilités »
    fabien: User  # facilitator of « Mobilités », no other role
    dora: User  # DCCU (with her authenticator), in no subgroup
    plenary: Room
    staff: Room
    mobility: Room
    draft: Draft


def make_world() -> World:
    from allauth.mfa.models import Authenticator

    assembly = factories.make_assembly()
    mandate = factories.make_mandate(assembly)
    alice = factories.make_titulaire(assembly, email="alice@example.org")
    bob = factories.make_titulaire(assembly, email="bob@example.org")
    fabien = factories.UserFactory(email="fabien@example.org", roles=[Role.FACILITATEUR])
    dora = factories.UserFactory(email="dora@example.org", roles=[Role.DCCU])
    Authenticator.objects.create(user=dora, type=Authenticator.Type.TOTP, data={})
    subgroup = assembly_actions.do_create_subgroup(
        None, mandate=mandate, name="Mobilités", members=[alice, bob], facilitators=[fabien]
    )
    ensure_rooms(mandate)
    return World(
        alice=alice,
        bob=bob,
        fabien=fabien,
        dora=dora,
        plenary=Room.objects.get(kind=RoomKind.PLENARY, mandate=mandate),
        staff=Room.objects.get(kind=RoomKind.STAFF, mandate=mandate),
        mobility=Room.objects.get(subgroup=subgroup),
        draft=make_draft(subgroup),
    )


@pytest.fixture
async def world() -> AsyncIterator[World]:
    yield await sync_to_async(make_world)()
    await DocHub.current().close()


@pytest.fixture
async def opened() -> AsyncIterator[list[Socket | YClient]]:
    sockets: list[Socket | YClient] = []
    yield sockets
    for socket in sockets:
        if isinstance(socket, Socket):
            await socket.close()
        else:
            try:
                await socket.close()
            except Exception:  # noqa: S110 - already closed by the server
                pass


async def chat_socket(user: User, opened: list[Any]) -> Socket:
    socket = await Socket(await sync_to_async(session_cookie)(user)).open()
    opened.append(socket)
    return socket


async def draft_socket(user: User, world: World, opened: list[Any]) -> YClient:
    client = await YClient.connect(user, world.draft.pk)
    opened.append(client)
    await client.socket.send_to(bytes_data=yp.agora_message({"type": "hello"}))
    await client.drain_until(lambda: client.controls)
    assert client.controls[-1]["edit"] is True or client.controls[-1]["facilitate"] is True
    return client


async def access_ended(socket: Socket, room: Room, timeout: float = 3) -> None:
    """The socket is told, within seconds, that it no longer follows the room."""
    frame = await socket.next_of("unsubscribed", timeout=timeout)
    assert frame == {"type": "unsubscribed", "room": str(room.pk), "reason": "access_ended"}


async def draft_closed(client: YClient, code: int, timeout: float = 3) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        message = await client.socket.receive_output(timeout=max(0.01, deadline - loop.time()))
        if message["type"] == "websocket.close":
            assert message.get("code") == code
            return


async def write(socket: Socket, room: Room) -> None:
    await socket.send(
        {
            "type": "message.send",
            "room": str(room.pk),
            "thread": None,
            "body": "encore là ?",
            "client_id": str(uuid.uuid4()),
        }
    )


async def refused(socket: Socket, room: Room, *, written: bool = False) -> None:
    """A message to the room is refused as if the room did not exist (nothing revealed)."""
    if not written:
        await write(socket, room)
    answer = await socket.next_of("error")
    assert answer["code"] == "not_found", answer


async def say(speaker: Socket, room: Room, body: str) -> None:
    await speaker.send(
        {"type": "message.send", "room": str(room.pk), "thread": None, "body": body,
         "client_id": str(uuid.uuid4())}
    )
    assert (await speaker.next_of("message"))["message"]["body_html"]


async def not_relayed(listener: Socket, speaker: Socket, room: Room) -> None:
    await say(speaker, room, "Une nouvelle que seuls les membres lisent")
    await listener.nothing(0.5)


def end_membership(user: User, reason: str) -> None:
    dccu = factories.UserFactory(roles=[Role.DCCU])
    membership = Membership.objects.open().get(user=user)
    assembly_actions.do_end_membership(dccu, membership, reason=reason, note="Déménagement")


@pytest.mark.parametrize("reason", [EndReason.RESIGNATION, EndReason.MANDATE_END])
async def test_ended_membership_ends_access_on_open_sockets(
    world: World, opened: list[Any], reason: str
) -> None:
    alice = await chat_socket(world.alice, opened)
    bob = await chat_socket(world.bob, opened)
    await alice.subscribe(world.plenary)
    await bob.subscribe(world.plenary)
    writer = await draft_socket(world.alice, world, opened)

    await sync_to_async(end_membership)(world.alice, reason)

    await access_ended(alice, world.plenary)
    await not_relayed(alice, bob, world.plenary)
    await refused(alice, world.plenary)
    # No role left: the draft is no longer hers to read (the documented 4404).
    await draft_closed(writer, CLOSE_NOT_FOUND)


@pytest.mark.parametrize("how", ["revoke_role", "groups.remove", "group.user_set.remove"])
async def test_removed_facilitator_role_ends_access_on_open_sockets(
    world: World, opened: list[Any], how: str
) -> None:
    fabien = await chat_socket(world.fabien, opened)
    dora = await chat_socket(world.dora, opened)
    await fabien.subscribe(world.staff)
    await dora.subscribe(world.staff)
    facilitator = await draft_socket(world.fabien, world, opened)

    def remove() -> None:
        group = Group.objects.get(name=Role.FACILITATEUR.value)
        if how == "revoke_role":
            revoke_role(world.fabien, Role.FACILITATEUR)
        elif how == "groups.remove":
            world.fabien.groups.remove(group)
        else:
            group.user_set.remove(world.fabien)

    await sync_to_async(remove)()

    await access_ended(fabien, world.staff)
    await not_relayed(fabien, dora, world.staff)
    await refused(fabien, world.staff)
    await draft_closed(facilitator, CLOSE_NOT_FOUND)


async def test_removed_dccu_role_ends_subgroup_room_access(
    world: World, opened: list[Any]
) -> None:
    dora = await chat_socket(world.dora, opened)
    bob = await chat_socket(world.bob, opened)
    await dora.subscribe(world.mobility)
    await bob.subscribe(world.mobility)

    def demote() -> None:
        grant_role(world.dora, Role.AGENT)  # still staff: the socket itself stays open
        revoke_role(world.dora, Role.DCCU)

    await sync_to_async(demote)()

    await access_ended(dora, world.mobility)
    await not_relayed(dora, bob, world.mobility)
    await refused(dora, world.mobility)
    # What she still may read is untouched.
    await dora.subscribe(world.staff)


async def test_a_role_change_nobody_announced_is_caught_by_the_periodic_check(
    world: World, opened: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notice lost by the channel layer (or a membership whose end date just passed)
    must not leave old rights on a socket for hours: roles are re-read with the abilities."""
    monkeypatch.setattr(chat, "ABILITY_TTL", 0.1)
    monkeypatch.setattr(guards, "ROLES_TTL", 0.1)
    alice = await chat_socket(world.alice, opened)
    bob = await chat_socket(world.bob, opened)
    await alice.subscribe(world.plenary)
    await bob.subscribe(world.plenary)
    writer = await draft_socket(world.alice, world, opened)

    def end_quietly() -> None:  # an update: no operation, no signal, no notice
        Membership.objects.filter(user=world.alice).update(
            end=timezone.localdate(), end_reason=EndReason.MANDATE_END
        )

    await sync_to_async(end_quietly)()
    await asyncio.sleep(0.3)

    # Her next frame finds her roles old: they are read again, and the plenary goes.
    await write(alice, world.plenary)
    await access_ended(alice, world.plenary)
    await refused(alice, world.plenary, written=True)
    await not_relayed(alice, bob, world.plenary)
    await writer.type(1, 0, "plus membre ")
    await draft_closed(writer, CLOSE_NOT_FOUND)
    assert await sync_to_async(DraftUpdate.objects.count)() == 0
