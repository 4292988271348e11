"""Logging out closes that session's live sockets, end to end on the real ASGI app."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from config.asgi import application
from realtime.bus import CLOSE_CREDENTIALS_CHANGED, CLOSE_LOGGED_OUT
from tests import factories

PASSWORD = "motdepasse-test"  # tests.factories.UserFactory's password
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def browser_login(user: User) -> Client:
    """A browser that logged in through the real login form."""
    client = Client()
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def cookie_of(client: Client) -> bytes:
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def open_socket(client: Client) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[(b"cookie", cookie_of(client)), (b"host", b"testserver"), (b"origin", b"http://testserver")],
    )
    ok, _ = await socket.connect()
    assert ok
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


async def assert_closed_with(socket: WebsocketCommunicator, code: int) -> None:
    assert await socket.receive_output(timeout=2) == {"type": "websocket.close", "code": code}


async def assert_still_open(socket: WebsocketCommunicator) -> None:
    await socket.send_json_to({"type": "ping"})
    assert await socket.receive_json_from() == {"type": "pong"}


async def test_logout_closes_the_sessions_sockets_and_not_the_other_devices() -> None:
    person = await sync_to_async(factories.UserFactory)(email="personne@example.org")
    library_pc = await sync_to_async(browser_login)(person)
    phone = await sync_to_async(browser_login)(person)
    tab_1 = await open_socket(library_pc)
    tab_2 = await open_socket(library_pc)
    phone_socket = await open_socket(phone)

    response = await sync_to_async(library_pc.post)(reverse("account_logout"))
    assert response.status_code == 302

    await assert_closed_with(tab_1, CLOSE_LOGGED_OUT)
    await assert_closed_with(tab_2, CLOSE_LOGGED_OUT)
    await assert_still_open(phone_socket)
    for socket in (tab_1, tab_2, phone_socket):
        await socket.disconnect()


async def test_socket_reopened_with_the_old_cookie_after_logout_is_refused() -> None:
    person = await sync_to_async(factories.UserFactory)(email="personne@example.org")
    browser = await sync_to_async(browser_login)(person)
    old_cookie = cookie_of(browser)
    await sync_to_async(browser.post)(reverse("account_logout"))

    socket = WebsocketCommunicator(
        application,
        "/ws/",
        headers=[
            (b"cookie", old_cookie), (b"host", b"testserver"), (b"origin", b"http://testserver")
        ],
    )
    await socket.connect()
    message = await socket.receive_output(timeout=2)
    assert message["type"] == "websocket.close"
    await socket.disconnect()


async def test_password_change_closes_every_socket_of_the_person() -> None:
    # The change gives this session a new key and ends the other sessions: the
    # sockets opened before must not outlive it (the current tab reconnects).
    person = await sync_to_async(factories.UserFactory)(email="personne@example.org")
    browser = await sync_to_async(browser_login)(person)
    other_device = await sync_to_async(browser_login)(person)
    here = await open_socket(browser)
    there = await open_socket(other_device)

    new_password = "un-nouveau-mot-de-passe-2025"
    response = await sync_to_async(browser.post)(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302

    await assert_closed_with(here, CLOSE_CREDENTIALS_CHANGED)
    await assert_closed_with(there, CLOSE_CREDENTIALS_CHANGED)
    # The tab that changed the password is still logged in and may reconnect.
    again = await open_socket(browser)
    await assert_still_open(again)
    for socket in (here, there, again):
        await socket.disconnect()
