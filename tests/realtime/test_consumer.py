"""The /ws/ socket on the real ASGI app: who may connect, bad frames, closing a person's sockets."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from config.asgi import application
from realtime.bus import CLOSE_ACCESS_ENDED, close_user_sockets
from realtime.guards import CLOSE_TWO_FACTOR_REQUIRED, CLOSE_UNAUTHENTICATED
from tests import factories

# Browsers send both; the origin must be the site the socket is opened on.
HOST = (b"host", b"testserver")
ORIGIN = (b"origin", b"http://testserver")
pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user: User) -> bytes:
    """The session cookie of a fresh login, as the browser would send it."""
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def open_socket(
    cookie: bytes | None, origin: tuple[bytes, bytes] = ORIGIN
) -> WebsocketCommunicator:
    headers = [HOST, origin] + ([(b"cookie", cookie)] if cookie else [])
    return WebsocketCommunicator(application, "/ws/", headers=headers)


async def connected(cookie: bytes) -> WebsocketCommunicator:
    socket = await open_socket(cookie)
    ok, _ = await socket.connect()
    assert ok
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello"
    return socket


async def assert_closed_with(socket: WebsocketCommunicator, code: int) -> None:
    message = await socket.receive_output(timeout=2)
    assert message == {"type": "websocket.close", "code": code}


async def assert_still_open(socket: WebsocketCommunicator) -> None:
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}


@pytest.fixture
async def person() -> AsyncIterator[User]:
    yield await sync_to_async(factories.UserFactory)(email="personne@example.org")


async def test_logged_in_person_is_greeted_and_can_ping(person: User) -> None:
    socket = await open_socket(await sync_to_async(session_cookie)(person))
    ok, _ = await socket.connect()
    assert ok
    hello = await socket.receive_json_from()
    assert hello["type"] == "hello"
    assert hello["user"]["id"] == str(person.pk)
    await assert_still_open(socket)
    await socket.disconnect()


async def test_frames_do_not_queue_on_the_database_thread(
    person: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Channels sends every message through the one database thread first; ours skip it
    (realtime.guards.SocketGuards.dispatch) — frames and layer events alike."""
    import channels.consumer

    hops: list[None] = []

    async def counted() -> None:
        hops.append(None)

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    socket = await connected(await sync_to_async(session_cookie)(person))
    for _ in range(3):
        await assert_still_open(socket)
    await socket.disconnect()
    assert hops == []


async def test_anonymous_socket_is_refused() -> None:
    socket = await open_socket(None)
    await socket.connect()
    await assert_closed_with(socket, CLOSE_UNAUTHENTICATED)
    await socket.disconnect()


async def test_stale_session_cookie_is_refused() -> None:
    socket = await open_socket(f"{settings.SESSION_COOKIE_NAME}=doesnotexist".encode())
    await socket.connect()
    await assert_closed_with(socket, CLOSE_UNAUTHENTICATED)
    await socket.disconnect()


async def test_socket_from_another_origin_is_refused(person: User) -> None:
    cookie = await sync_to_async(session_cookie)(person)
    socket = await open_socket(cookie, origin=(b"origin", b"https://evil.example.com"))
    ok, _ = await socket.connect()
    assert not ok
    await socket.disconnect()


async def test_dccu_without_authenticator_app_is_refused() -> None:
    dccu = await sync_to_async(factories.UserFactory)(email="dccu@example.org", roles=[Role.DCCU])
    socket = await open_socket(await sync_to_async(session_cookie)(dccu))
    await socket.connect()
    await assert_closed_with(socket, CLOSE_TWO_FACTOR_REQUIRED)
    await socket.disconnect()


@pytest.mark.parametrize(
    "frame",
    [
        {"text_data": "this is not json"},
        {"text_data": "[1, 2, 3]"},
        {"text_data": '{"no": "type"}'},
        {"text_data": "[" * 60_000},  # under the 64 KB limit: reaches the parser
        {"bytes_data": b"\x00\x01"},
        {"text_data": '{"type": "nonsense"}'},
    ],
    ids=["not-json", "not-an-object", "no-type", "too-deep", "binary", "unknown-type"],
)
async def test_malformed_frame_gets_an_error_and_the_socket_stays_open(
    person: User, frame: dict[str, Any]
) -> None:
    socket = await connected(await sync_to_async(session_cookie)(person))
    await socket.send_to(**frame)
    reply = await socket.receive_json_from()
    assert reply["type"] == "error"
    assert reply["code"] in {"bad_frame", "unknown_type"}
    await assert_still_open(socket)
    await socket.disconnect()


async def test_close_user_sockets_closes_every_socket_of_that_person_only(person: User) -> None:
    other = await sync_to_async(factories.UserFactory)(email="autre@example.org")
    phone = await connected(await sync_to_async(session_cookie)(person))
    laptop = await connected(await sync_to_async(session_cookie)(person))
    neighbour = await connected(await sync_to_async(session_cookie)(other))

    # Called as domain code would, outside a transaction: on_commit runs at once.
    await sync_to_async(close_user_sockets)(person.pk)

    await assert_closed_with(phone, CLOSE_ACCESS_ENDED)
    await assert_closed_with(laptop, CLOSE_ACCESS_ENDED)
    await assert_still_open(neighbour)
    for socket in (phone, laptop, neighbour):
        await socket.disconnect()


async def test_close_user_sockets_waits_for_the_transaction_to_commit(person: User) -> None:
    from django.db import transaction

    socket = await connected(await sync_to_async(session_cookie)(person))

    def rolled_back() -> None:
        try:
            with transaction.atomic():
                close_user_sockets(person.pk)
                raise RuntimeError("roll back")
        except RuntimeError:
            pass

    await sync_to_async(rolled_back)()
    await assert_still_open(socket)
    await socket.disconnect()


async def test_sockets_are_capped_per_session_and_per_person(settings: Any) -> None:
    """200 sockets opened in a few seconds by one session: past the cap each new one is
    closed with 4409 (docs/protocol.md), the ones already open keep working, and a
    closed one frees its place. The person's cap holds across their sessions; another
    person is not affected."""
    from realtime.guards import CLOSE_TOO_MANY_SOCKETS

    settings.REALTIME_SOCKETS_PER_SESSION = 3
    settings.REALTIME_SOCKETS_PER_PERSON = 5
    camille = await sync_to_async(factories.UserFactory)(email="camille@example.org")
    dominique = await sync_to_async(factories.UserFactory)(email="dominique@example.org")
    laptop = await sync_to_async(session_cookie)(camille)
    phone = await sync_to_async(session_cookie)(camille)
    tablet = await sync_to_async(session_cookie)(camille)

    sockets = [await connected(laptop) for _ in range(3)]
    for _ in range(5):  # a script opening more: refused with a code that says why
        extra = await open_socket(laptop)
        await extra.connect()
        await assert_closed_with(extra, CLOSE_TOO_MANY_SOCKETS)
        await extra.disconnect()
    for socket in sockets:
        await assert_still_open(socket)

    # The person's cap (5) across sessions: two more from the phone, then none.
    sockets += [await connected(phone) for _ in range(2)]
    extra = await open_socket(tablet)
    await extra.connect()
    await assert_closed_with(extra, CLOSE_TOO_MANY_SOCKETS)
    await extra.disconnect()
    # Someone else is not concerned.
    other = await connected(await sync_to_async(session_cookie)(dominique))
    await assert_still_open(other)

    # Closing a tab frees its place.
    await sockets.pop(0).disconnect()
    sockets.append(await connected(tablet))
    for socket in [*sockets, other]:
        await socket.disconnect()


async def test_draft_sockets_count_against_the_same_cap(settings: Any) -> None:
    from realtime.guards import CLOSE_TOO_MANY_SOCKETS

    settings.REALTIME_SOCKETS_PER_SESSION = 2
    person = await sync_to_async(factories.UserFactory)(email="sacha@example.org")
    cookie = await sync_to_async(session_cookie)(person)
    sockets = [await connected(cookie) for _ in range(2)]
    draft = WebsocketCommunicator(
        application, f"/ws/drafts/{uuid.uuid4()}", headers=[HOST, ORIGIN, (b"cookie", cookie)]
    )
    await draft.connect()
    await assert_closed_with(draft, CLOSE_TOO_MANY_SOCKETS)
    await draft.disconnect()
    for socket in sockets:
        await socket.disconnect()
