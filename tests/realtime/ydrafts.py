"""Helpers for draft-socket tests: a proposal with its draft, and a y-websocket client on pycrdt."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pycrdt
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from config.asgi import application
from deliberation import drafts
from deliberation.models import Draft, Proposal
from realtime.yjs import protocol as yp

# Browsers send both; the origin must be the site the socket is opened on.
HOST = (b"host", b"testserver")
ORIGIN = (b"origin", b"http://testserver")


def make_draft(subgroup: Any, *, title: str = "Proposition", frozen: bool = False) -> Draft:
    proposal = Proposal.objects.create(mandate=subgroup.mandate, subgroup=subgroup, title=title)
    return Draft.objects.create(proposal=proposal, snapshot=drafts.template_update(), frozen=frozen)


def cookie_of(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


class YClient:
    """A minimal y-websocket client: keeps a pycrdt document in sync over one socket."""

    def __init__(self, socket: WebsocketCommunicator) -> None:
        self.socket = socket
        self.doc = pycrdt.Doc()
        self.text_root = self.doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
        self.received_updates: list[bytes] = []
        self.awareness: list[yp.AwarenessEntry] = []
        self.controls: list[dict[str, Any]] = []

    @classmethod
    async def connect(
        cls, user: Any, draft_id: Any, *, path: str | None = None, sync: bool = True
    ) -> YClient:
        from asgiref.sync import sync_to_async

        cookie = await sync_to_async(cookie_of)(user) if user is not None else None
        headers = [HOST, ORIGIN] + ([(b"cookie", cookie)] if cookie else [])
        socket = WebsocketCommunicator(
            application, path or f"/ws/drafts/{draft_id}", headers=headers
        )
        connected, _ = await socket.connect()
        assert connected
        client = cls(socket)
        if sync:
            await client.sync()
        return client

    async def sync(self) -> None:
        """Sync step 1 both ways, as the stock provider does on connect."""
        first = await self.socket.receive_from(timeout=3)
        reply = self.handle(first)  # the server's step 1: answer with what it lacks
        if reply is not None:
            await self.socket.send_to(bytes_data=reply)
        await self.socket.send_to(bytes_data=yp.sync_step1(self.doc.get_state()))
        await self.drain_until(lambda: self.synced)

    synced = False

    def handle(self, message: bytes) -> bytes | None:
        reader = yp.Reader(message)
        kind = reader.var_uint()
        if kind == yp.MESSAGE_SYNC:
            step = reader.var_uint()
            payload = reader.var_bytes()
            if step == yp.SYNC_STEP1:
                return yp.sync_step2(self.doc.get_update(payload))
            self.doc.apply_update(payload)
            if step == yp.SYNC_STEP2:
                self.synced = True
            else:
                self.received_updates.append(payload)
        elif kind == yp.MESSAGE_AWARENESS:
            self.awareness.extend(yp.parse_awareness(reader.var_bytes()))
        elif kind == yp.MESSAGE_AGORA:
            self.controls.append(json.loads(reader.var_string()))
        return None

    async def drain_until(self, condition: Any, timeout: float = 3) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not condition():
            remaining = deadline - loop.time()
            assert remaining > 0, "condition not reached"
            message = await self.socket.receive_from(timeout=remaining)
            reply = self.handle(message)
            if reply is not None:
                await self.socket.send_to(bytes_data=reply)

    async def nothing_more(self, timeout: float = 0.3) -> bool:
        return await self.socket.receive_nothing(timeout=timeout)

    def text(self) -> str:
        return drafts.doc_text(self.doc)

    async def type(self, paragraph: int, offset: int, chars: str) -> bytes:
        """Insert text in the n-th block of the document and send the update."""
        before = self.doc.get_state()
        block = self.text_root.children[paragraph]
        block.children[0].insert(offset, chars)
        update = self.doc.get_update(before)
        await self.socket.send_to(bytes_data=yp.sync_update(update))
        return update

    async def close(self) -> None:
        await self.socket.disconnect()


async def until_stored(predicate: Any, timeout: float = 5.0) -> None:
    """Relayed before stored (realtime/yjs/hub.py): wait for the group commit. The
    predicate may return an awaitable (a database read through sync_to_async)."""
    import asyncio
    import inspect

    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        assert loop.time() < deadline, "not stored in time"
        await asyncio.sleep(0.02)
