"""The relay's shortcut (realtime/daphne.py): a frame built once, written to each socket.

Under a real daphne the consumer's send leads to the protocol, and a frame written there
arrives as the client's binary message, in order with what the ASGI send writes."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import websockets

from realtime.daphne import binary_frame, daphne_protocol, write_frame
from tests.realtime.servers import Daphne, django_env


async def probe(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "websocket":
        return
    await receive()
    await send({"type": "websocket.accept"})
    protocol = daphne_protocol(send)
    for payload in (b"court", b"x" * 300, b"y" * 70_000):  # the three length encodings
        assert write_frame(protocol, binary_frame(payload))
    await send({"type": "websocket.send", "bytes": b"par daphne"})
    await receive()


def test_a_frame_written_to_the_protocol_reaches_the_client_in_order(tmp_path: Path) -> None:
    with Daphne(django_env(tmp_path), app="tests.realtime.test_daphne_frames:probe") as server:

        async def read() -> list[bytes]:
            async with websockets.connect(server.url("/x"), max_size=2**20) as socket:
                return [await socket.recv() for _ in range(4)]  # type: ignore[misc]

        got = asyncio.run(read())
    assert got == [b"court", b"x" * 300, b"y" * 70_000, b"par daphne"]


async def _bare_probe(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    found = daphne_protocol(send) is not None
    await send({"type": "websocket.send", "text": "protocol" if found else "none"})
    await receive()


def _stacked_probe() -> Any:
    from config.asgi import websocket_stack

    return websocket_stack(_bare_probe)


stacked_probe = _stacked_probe()


def test_the_shortcut_is_found_through_the_sites_websocket_stack(tmp_path: Path) -> None:
    """config.asgi wraps every socket's send (session, metrics…): the relay must still find
    daphne's protocol behind them, or each relay pays the ASGI send per socket again."""
    app = "tests.realtime.test_daphne_frames:stacked_probe"
    with Daphne(django_env(tmp_path), app=app) as server:

        async def read() -> Any:
            async with websockets.connect(server.url("/x"), origin=server.origin) as socket:
                return await socket.recv()

        got = asyncio.run(read())
    assert got == "protocol"


def test_outside_daphne_there_is_no_shortcut() -> None:
    async def send(message: Any) -> None: ...

    assert daphne_protocol(send) is None
    assert write_frame(None, binary_frame(b"x")) is False


def test_a_frame_the_kernel_takes_in_part_keeps_the_rest_in_order() -> None:
    """Written at once when the transport holds nothing; what the kernel does not take, and
    any frame after it, waits in Twisted's buffer, in order."""
    import socket
    from types import SimpleNamespace

    from twisted.internet import tcp

    ours, theirs = socket.socketpair()
    ours.setblocking(False)
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    transport = tcp.Connection(ours, None)
    transport.connected = 1
    transport.startWriting = lambda: None  # no reactor here: Twisted would write later
    protocol = SimpleNamespace(STATE_OPEN=3, state=3, transport=transport)
    try:
        big, small = binary_frame(b"a" * 200_000), binary_frame(b"b")
        assert write_frame(protocol, big)
        sent = len(big) - transport._tempDataLen
        assert 0 < sent < len(big)  # the kernel took part of it, at once
        assert write_frame(protocol, small)  # behind the rest: not written now
        assert b"".join(transport._tempDataBuffer) == big[sent:] + small
        theirs.setblocking(False)
        received = b""
        while len(received) < sent:
            received += theirs.recv(1 << 20)
        assert received == big[:sent]
    finally:
        ours.close()
        theirs.close()
