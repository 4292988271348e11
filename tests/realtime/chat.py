"""Shared setup for the conversation socket tests: people, rooms and a checked socket."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from typing import Any

from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import User
from assembly import actions as assembly_actions
from config.asgi import application
from forums.actions import ensure_rooms
from forums.models import Room, RoomKind
from realtime.events import EVENT_TYPES, check_event
from tests import factories

# Browsers send both; the origin must be the site the socket is opened on.
HOST = (b"host", b"testserver")
ORIGIN = (b"origin", b"http://testserver")


@dataclasses.dataclass
class World:
    alice: User  # titulaire, subgroup « Mobilités »
    bob: User  # titulaire, subgroup « Mobilités »
    carol: User  # titulaire, subgroup « Santé »
    sam: User  # substitute: reads the plenary, may not write in it
    mobility: Room
    health: Room
    plenary: Room


def make_world() -> World:
    assembly = factories.make_assembly()
    mandate = factories.make_mandate(assembly)
    alice = factories.make_titulaire(assembly, email="alice@example.org")
    bob = factories.make_titulaire(assembly, email="bob@example.org")
    carol = factories.make_titulaire(assembly, email="carol@example.org")
    sam = factories.make_substitute(assembly, factories.seat(assembly), email="sam@example.org")
    mobility = assembly_actions.do_create_subgroup(
        None, mandate=mandate, name="Mobilités", members=[alice, bob]
    )
    health = assembly_actions.do_create_subgroup(
        None, mandate=mandate, name="Santé", members=[carol]
    )
    ensure_rooms(mandate)
    return World(
        alice=alice,
        bob=bob,
        carol=carol,
        sam=sam,
        mobility=Room.objects.get(subgroup=mobility),
        health=Room.objects.get(subgroup=health),
        plenary=Room.objects.get(kind=RoomKind.PLENARY, mandate=mandate),
    )


def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


class Socket:
    """A WebsocketCommunicator that checks every event it receives against its type."""

    def __init__(self, cookie: bytes) -> None:
        self.communicator = WebsocketCommunicator(
            application, "/ws/", headers=[HOST, ORIGIN, (b"cookie", cookie)]
        )
        self.hello: dict[str, Any] = {}

    async def open(self) -> Socket:
        ok, _ = await self.communicator.connect()
        assert ok
        self.hello = await self.receive()
        assert self.hello["type"] == "hello"
        return self

    async def send(self, frame: dict[str, Any]) -> None:
        await self.communicator.send_json_to(frame)

    async def receive(self, timeout: float = 3) -> dict[str, Any]:
        frame: dict[str, Any] = await self.communicator.receive_json_from(timeout=timeout)
        if frame["type"] in EVENT_TYPES:
            check_event(frame)
        return frame

    async def ask(self, frame: dict[str, Any]) -> dict[str, Any]:
        await self.send(frame)
        return await self.receive()

    async def subscribe(self, room: Room) -> dict[str, Any]:
        answer = await self.ask({"type": "subscribe", "room": str(room.pk)})
        assert answer["type"] == "subscribed", answer
        return answer

    async def say(self, room: Room, body: str, client_id: str | None = None) -> dict[str, Any]:
        """Send a message and return its acknowledgement."""
        client_id = client_id or str(uuid.uuid4())
        answer = await self.ask(
            {
                "type": "message.send",
                "room": str(room.pk),
                "thread": None,
                "body": body,
                "client_id": client_id,
            }
        )
        assert answer["type"] == "message", answer
        assert answer["message"]["client_id"] == client_id
        return answer

    async def next_of(self, kind: str, timeout: float = 3) -> dict[str, Any]:
        """The next frame of this type, skipping presence and typing chatter."""
        while True:
            frame = await self.receive(timeout)
            if frame["type"] == kind:
                return frame
            assert frame["type"] in ("presence", "typing", "unread", "unread.bump"), frame

    async def nothing(self, timeout: float = 0.3) -> None:
        assert await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        # A socket already closed (or broken by a failed assertion) must not turn one
        # failure into a cascade of teardown errors.
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await self.communicator.disconnect(timeout=2)
