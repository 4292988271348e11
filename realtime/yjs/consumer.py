"""The socket at /ws/<kind path>/<document id>: y-websocket, authorised per document.

The kind (drafts, ...) comes from the route (realtime/yjs/registry.py); what a person may
do with the document is its store's answer (realtime/yjs/store.py)."""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime.bus import session_group, user_group
from realtime.daphne import daphne_protocol, server_send, write_frame
from realtime.frames import FrameError
from realtime.guards import SocketGuards, TokenBucket
from realtime.yjs import protocol as yp
from realtime.yjs import relay
from realtime.yjs.hub import DocHub, YDocSession
from realtime.yjs.registry import get as get_kind
from realtime.yjs.store import DocAbilities, DocStore

logger = logging.getLogger(__name__)

CLOSE_MALFORMED = 4400  # a message that does not parse, or an update that does not apply
CLOSE_NOT_FOUND = 4404  # no such document, or not one this person may read (same answer)
CLOSE_TOO_LARGE = 4413  # an update above the kind's limit or a document above its cap
CLOSE_TOO_MANY = 4429  # far more messages than anyone typing sends

# Token bucket per socket. A fast typist sends about 20 messages a second (one update and
# one caret move per key); benches raise the rate through the settings.
FRAME_BURST = float(getattr(settings, "DRAFT_FRAME_BURST", 200))
FRAME_RATE = float(getattr(settings, "DRAFT_FRAME_RATE", 60))


class YDocConsumer(SocketGuards, AsyncWebsocketConsumer):
    session: YDocSession | None = None
    abilities: DocAbilities

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.store: DocStore = get_kind(kind).store

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.session = None
        self.hello = False
        self.budget = TokenBucket(FRAME_BURST, FRAME_RATE)
        self.send_frame = server_send(self.base_send)
        self.wire = daphne_protocol(self.send_frame)
        user = self.scope.get("user")
        self.doc_id = str(self.scope["url_route"]["kwargs"]["doc_id"])
        if await self._guard(user):
            return
        self.user = user
        # On Channels' database thread, not the engine's writer thread: a crowd connecting
        # does not delay anyone's keystrokes.
        abilities = await database_sync_to_async(self.store.abilities)(user, self.doc_id)
        if abilities is None:
            await self._refuse(CLOSE_NOT_FOUND)
            return
        self.abilities = abilities
        await self._remember_roles()
        session = self.scope.get("session")
        groups = [user_group(user.pk)]
        if session is not None and session.session_key:
            groups.append(session_group(session.session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        hub = DocHub.current()
        session = await hub.session(self.kind, self.doc_id)
        while session.closed:  # it retired while this socket waited: open it again
            session = await hub.session(self.kind, self.doc_id)
        session.add(self)
        self.session = session
        # The server's state vector first: the client answers with what we lack.
        await self.send_bytes(yp.sync_step1(session.state_vector()))
        if session.awareness:
            await self.send_bytes(yp.awareness_message(self._awareness_snapshot(session)))

    async def disconnect(self, code: int) -> None:
        self._release_socket_slot()
        if self.session is not None:
            await self.session.remove(self)
            self.session = None
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_bytes(self, data: bytes) -> None:
        try:
            await self.send_frame({"type": "websocket.send", "bytes": data})
        except Exception:
            # The socket is going away; its disconnect removes it from the session.
            logger.debug("yjs socket gone while sending", exc_info=True)

    async def send_framed(self, data: bytes, frame: bytes) -> None:
        """Send `data`, already framed as `frame` (realtime.daphne.binary_frame) by the
        caller for every socket it relays to."""
        if not write_frame(self.wire, frame):
            await self.send_bytes(data)

    async def send_control(self, content: dict[str, Any]) -> None:
        if self.hello:
            await self.send_bytes(yp.agora_message(content))

    def _control_abilities(self) -> dict[str, Any]:
        return {"type": "abilities", "edit": self.abilities.write, **self.abilities.extra}

    async def refresh_abilities(self) -> bool:
        """Read the abilities again and tell the editor; False (and closed) if unreadable."""
        abilities = await database_sync_to_async(self.store.abilities)(self.user, self.doc_id)
        if abilities is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return False
        self.abilities = abilities
        await self.send_control(self._control_abilities())
        return True

    async def roles_changed(self, message: dict[str, Any]) -> None:
        """The person's roles changed (realtime.bus.recheck_user_sockets): an editor may
        become a reader, a reader lose the draft (4404)."""
        if await self._reload_user() is not None:
            await self.refresh_abilities()

    async def session_close(self, event: dict[str, Any]) -> None:
        await self.close(code=int(event.get("code", 4001)))

    async def event_relay(self, message: dict[str, Any]) -> None:
        """The person's conversation events (unread counts, notifications) travel on the
        user group too; they are for /ws/, not for this socket."""

    # --- Incoming ----------------------------------------------------------------------

    def _take_token(self) -> bool:
        return self.budget.take() >= -FRAME_BURST

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        session = self.session
        if session is None or session.closed:
            await self.close(code=1011)
            return
        if not self._take_token():
            await self.close(code=CLOSE_TOO_MANY)
            return
        if self._roles_stale():  # a change nobody announced (see realtime.guards.ROLES_TTL)
            changed = await self._reload_user()
            if changed is None or (changed and not await self.refresh_abilities()):
                return
        if bytes_data is None:
            await self.close(code=CLOSE_MALFORMED)
            return
        try:
            await self._handle(session, bytes_data)
        except yp.ProtocolError:
            await self.close(code=CLOSE_MALFORMED)

    async def _handle(self, session: YDocSession, data: bytes) -> None:
        reader = yp.Reader(data)
        kind = reader.var_uint()
        if kind == yp.MESSAGE_SYNC:
            step = reader.var_uint()
            payload = reader.var_bytes()
            if step == yp.SYNC_STEP1:
                await self.send_bytes(yp.sync_step2(session.update_for(payload)))
            elif step in (yp.SYNC_STEP2, yp.SYNC_UPDATE):
                await self._update(session, payload)
            else:
                raise yp.ProtocolError("unknown sync step")
        elif kind == yp.MESSAGE_AWARENESS:
            await self._awareness(session, reader.var_bytes())
        elif kind == yp.MESSAGE_QUERY_AWARENESS:
            await self.send_bytes(yp.awareness_message(self._awareness_snapshot(session)))
        elif kind == yp.MESSAGE_AGORA:
            try:
                content = json.loads(reader.var_string())
            except ValueError as exc:
                raise yp.ProtocolError("control message is not JSON") from exc
            if not isinstance(content, dict):
                raise yp.ProtocolError("control message is not an object")
            if content.get("type") == "hello":
                self.hello = True
                await self.send_control(self._control_abilities())
            else:
                await self._control(content)
        elif kind == yp.MESSAGE_AUTH:
            pass  # permissions are decided by the server; nothing to read from clients
        else:
            raise yp.ProtocolError("unknown message type")

    async def _update(self, session: YDocSession, update: bytes) -> None:
        limits = self.store.limits()
        if len(update) > limits.max_update_bytes:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if not self.abilities.write or session.locked:
            # Readers (and everyone on a locked document) sync like anyone, but what they
            # send is never applied, stored or relayed.
            return
        if update == b"\x00\x00":
            return
        if session.stored_bytes + len(update) > limits.max_document_bytes:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        try:
            verdict = session.check(update, self.abilities)
            if verdict is not None and verdict.refused:
                # Never applied, stored or relayed; our client resyncs from scratch.
                await self.send_control({"type": "refused", "reason": verdict.refused})
                return
            effective = session.apply(update, shadowed=verdict is not None)
        except Exception:
            await self.close(code=CLOSE_MALFORMED)
            return
        if effective:
            session.enqueue(self, effective, self.user.pk, verdict.facts if verdict else None)

    async def _control(self, content: dict[str, Any]) -> None:
        """A control message of the document's kind (a dot vote on a wall): the kind's
        store answers, or refuses with a coded error; kinds without controls ignore them."""
        handler = getattr(self.store, "control", None)
        if handler is None or not self.hello:
            return
        try:
            reply = await database_sync_to_async(handler)(
                self.user, self.doc_id, content, self.abilities
            )
        except FrameError as error:
            await self.send_control(
                {"type": "error", "code": error.code, "message": str(error.detail)}
            )
            return
        if reply is not None:
            await self.send_control(reply)

    async def _awareness(self, session: YDocSession, payload: bytes) -> None:
        identity = self.abilities.identity
        entries = []
        for entry in yp.parse_awareness(payload):
            owner = session.awareness.get(entry.client_id)
            if owner is not None and owner[2] is not None and owner[2] is not self:
                continue  # another socket's client id: not this one's to change
            entries.append(entry)
            if entry.state != "null":
                try:
                    state = json.loads(entry.state)
                except ValueError as exc:
                    raise yp.ProtocolError("awareness state is not JSON") from exc
                if isinstance(state, dict):
                    # Nobody writes under another name: the server imposes the identity.
                    state["user"] = dict(identity)
                    entry.state = json.dumps(state, separators=(",", ":"))
                session.awareness[entry.client_id] = (entry.clock, entry.state, self)
            else:
                session.awareness.pop(entry.client_id, None)
        if not entries:
            return
        rewritten = yp.encode_awareness(entries)
        await session.send_all(yp.awareness_message(rewritten), but=self)
        await session.hub.publish(session, {"type": relay.AWARENESS, "payload": rewritten})

    @staticmethod
    def _awareness_snapshot(session: YDocSession) -> bytes:
        return yp.encode_awareness(
            [
                yp.AwarenessEntry(client_id, clock, state)
                for client_id, (clock, state, _) in session.awareness.items()
            ]
        )
