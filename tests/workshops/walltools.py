"""Helpers for the workshops' tests: a subgroup with a wall, notes written as a client does."""

from __future__ import annotations

from typing import Any

import pycrdt

from realtime.yjs import protocol as yp


def note_update(
    doc: pycrdt.Doc,
    key: str,
    *,
    text: str = "Une idée",
    colour: str = "jaune",
    author: str = "",
    name: str = "",
    column: str = "",
    cluster: str = "",
    order: float = 0,
) -> bytes:
    """Add (or replace) a note in `doc` as the wall's client does; return the update."""
    before = doc.get_state()
    notes = doc.get("notes", type=pycrdt.Map)
    notes[key] = pycrdt.Map(
        {
            "text": text,
            "colour": colour,
            "column": column,
            "cluster": cluster,
            "order": order,
            "author": author,
            "name": name,
        }
    )
    return doc.get_update(before)


def edit(doc: pycrdt.Doc, change: Any) -> bytes:
    """Apply `change(doc)` and return the update it made."""
    before = doc.get_state()
    change(doc)
    return doc.get_update(before)


async def send(client: Any, update: bytes) -> None:
    await client.socket.send_to(bytes_data=yp.sync_update(update))


async def hello(client: Any) -> dict[str, Any]:
    await client.socket.send_to(bytes_data=yp.agora_message({"type": "hello"}))
    await client.drain_until(lambda: any(c["type"] == "abilities" for c in client.controls))
    return [c for c in client.controls if c["type"] == "abilities"][-1]


async def control(client: Any, content: dict[str, Any], reply: str) -> dict[str, Any]:
    count = len(client.controls)
    await client.socket.send_to(bytes_data=yp.agora_message(content))
    await client.drain_until(
        lambda: any(c["type"] in (reply, "error") for c in client.controls[count:])
    )
    return [c for c in client.controls[count:] if c["type"] in (reply, "error")][0]


async def closed_with(socket: Any, code: int) -> None:
    """Wait for the socket's close and check its code."""
    while True:
        message = await socket.receive_output(timeout=3)
        if message["type"] == "websocket.close":
            assert message.get("code") == code
            return


def refusals(client: Any) -> list[str]:
    return [c["reason"] for c in client.controls if c["type"] == "refused"]


async def refused(client: Any, count: int) -> list[str]:
    """Wait until the client was told of `count` refusals; return their reasons."""
    await client.drain_until(lambda: len(refusals(client)) >= count)
    return refusals(client)


async def outcome(client: Any, update: bytes) -> str:
    """Send `update`; the reason the server refuses it, or "" once nothing more comes."""
    await send(client, update)
    while True:
        reasons = refusals(client)
        if reasons:
            return str(reasons[0])
        if await client.socket.receive_nothing(timeout=0.5):
            return ""
        reply = client.handle(await client.socket.receive_from(timeout=3))
        if reply is not None:
            await client.socket.send_to(bytes_data=reply)
