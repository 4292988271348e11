"""Open sockets counted per kind on the real ASGI app (config/metrics.py SocketMetrics), and
the /ws/ frames timed; what /metrics shows of them holds no person."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from config.logformat import RequestIdFilter
from tests import factories
from tests.metrics import sample, scrape

# Browsers send both; the origin must be the site the socket is opened on.
HOST = (b"host", b"testserver")
ORIGIN = (b"origin", b"http://testserver")


@pytest.mark.django_db(transaction=True)
async def test_open_sockets_are_counted_until_they_close() -> None:
    person = await sync_to_async(factories.UserFactory)(email="metrique@example.org")
    login = Client()
    await sync_to_async(login.force_login)(person)
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={login.cookies[name].value}".encode()
    client = Client()  # Prometheus: no session

    async def open_hub() -> float:
        text = await sync_to_async(scrape)(client)
        return sample(text, "agora_sockets_open", kind="hub")

    before = await open_hub()
    socket = WebsocketCommunicator(
        application, "/ws/", headers=[HOST, ORIGIN, (b"cookie", cookie)]
    )
    ok, _ = await socket.connect()
    assert ok
    assert (await socket.receive_json_from())["type"] == "hello"
    assert await open_hub() == before + 1
    # A frame a feature handles (here refused: no such room) is timed under its type.
    await socket.send_json_to({"type": "subscribe", "room": str(uuid.uuid4())})
    assert (await socket.receive_json_from())["type"] == "error"
    text = await sync_to_async(scrape)(client)
    assert sample(text, "agora_ws_frame_seconds_count", type="subscribe") >= 1
    await socket.disconnect()
    assert await open_hub() == before
    assert "metrique" not in (await sync_to_async(scrape)(client))


@pytest.mark.django_db(transaction=True)
async def test_a_refused_socket_is_counted_by_close_code_and_logged_with_its_id(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.REALTIME_SOCKETS_PER_PERSON = 1
    caplog.handler.addFilter(RequestIdFilter())  # as the server's handler does
    person = await sync_to_async(factories.UserFactory)(email="plafond@example.org")
    login = Client()
    await sync_to_async(login.force_login)(person)
    cookie = f"{settings.SESSION_COOKIE_NAME}={login.cookies[settings.SESSION_COOKIE_NAME].value}"
    client = Client()
    before = sample(await sync_to_async(scrape)(client), "agora_sockets_closed_total",
                    kind="hub", code="4409")
    headers = [HOST, ORIGIN, (b"cookie", cookie.encode())]
    first = WebsocketCommunicator(application, "/ws/", headers=headers)
    assert (await first.connect())[0]
    await first.receive_json_from()
    second = WebsocketCommunicator(application, "/ws/", headers=headers)
    await second.connect()
    assert await second.receive_output(timeout=2) == {"type": "websocket.close", "code": 4409}
    text = await sync_to_async(scrape)(client)
    assert sample(text, "agora_sockets_closed_total", kind="hub", code="4409") == before + 1
    refused = [r for r in caplog.records if r.getMessage().startswith("socket refused")]
    assert refused and re.fullmatch(r"[0-9a-f]{32}", refused[0].request_id)
    await first.disconnect()
