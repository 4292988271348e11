"""Only pages of the site itself open a socket: Origin compared by scheme, host and port.

A page served by another program on the same machine (another port) or over the
other scheme must not open a socket that carries the visitor's session cookie.
"""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from accounts.models import User
from config.asgi import application
from tests import factories
from tests.realtime.chat import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


async def handshake(cookie: bytes, host: str, origin: str, *extra: tuple[bytes, bytes]) -> bool:
    headers = [(b"host", host.encode()), (b"origin", origin.encode()), (b"cookie", cookie), *extra]
    socket = WebsocketCommunicator(application, "/ws/", headers=headers)
    ok, _ = await socket.connect()
    if ok:
        hello = await socket.receive_json_from()
        assert hello["type"] == "hello"
    await socket.disconnect()
    return bool(ok)


@pytest.fixture
async def cookie() -> bytes:
    person: User = await sync_to_async(factories.UserFactory)(email="camille@example.org")
    return await sync_to_async(session_cookie)(person)


@pytest.mark.parametrize(
    ("host", "origin", "accepted"),
    [
        ("testserver", "http://testserver", True),
        ("testserver", "http://testserver:80", True),
        ("testserver", "http://testserver:8080", False),  # another program, same machine
        ("testserver", "https://testserver", False),  # the connection is not secure
        ("localhost:8000", "http://localhost:8000", True),  # `make run`
        ("localhost:8000", "http://localhost:8001", False),
        ("localhost:8000", "http://localhost", False),
        ("localhost:8000", "http://127.0.0.1:8000", False),
        ("evil.example.com", "http://evil.example.com", False),  # not in ALLOWED_HOSTS
        ("testserver", "null", False),
    ],
)
async def test_origin_must_be_the_site_itself(
    cookie: bytes, host: str, origin: str, accepted: bool
) -> None:
    assert await handshake(cookie, host, origin) is accepted


async def test_behind_the_tls_proxy_the_origin_is_https_on_port_443(
    cookie: bytes, settings: pytest.FixtureRequest
) -> None:
    settings.ALLOWED_HOSTS = ["agora.example.org"]  # type: ignore[attr-defined]
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # type: ignore[attr-defined]
    proto = (b"x-forwarded-proto", b"https")
    host = "agora.example.org"
    assert await handshake(cookie, host, "https://agora.example.org", proto)
    assert not await handshake(cookie, host, "https://agora.example.org:8443", proto)
    assert not await handshake(cookie, host, "http://agora.example.org", proto)
    # Without the proxy's header the connection is plain http.
    assert not await handshake(cookie, host, "https://agora.example.org")


async def test_csrf_trusted_origins_are_compared_with_their_port(
    cookie: bytes, settings: pytest.FixtureRequest
) -> None:
    settings.CSRF_TRUSTED_ORIGINS = [  # type: ignore[attr-defined]
        "https://assemblee.example.org:8443",
        "https://*.cd31.example.org",
    ]
    assert await handshake(cookie, "testserver", "https://assemblee.example.org:8443")
    assert not await handshake(cookie, "testserver", "https://assemblee.example.org")
    assert await handshake(cookie, "testserver", "https://agora.cd31.example.org")
    assert not await handshake(cookie, "testserver", "https://agora.cd31.example.org:8443")
    assert not await handshake(cookie, "testserver", "http://agora.cd31.example.org")
