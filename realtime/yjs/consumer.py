"""The socket at /ws/drafts/<draft id>: the y-websocket protocol, authorised per draft."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from realtime.bus import session_group, user_group
from realtime.consumers import SocketGuards
from realtime.yjs import protocol as yp
from realtime.yjs.hub import DraftHub, DraftRoom

logger = logging.getLogger(__name__)

CLOSE_MALFORMED = 4400  # a message that does not parse, or an update that does not apply
CLOSE_NOT_FOUND = 4404  # no such draft, or not one this person may read (same answer)
CLOSE_TOO_LARGE = 4413  # an update above DRAFT_MAX_UPDATE_BYTES or a document above the cap
CLOSE_TOO_MANY = 4429  # far more messages than anyone typing sends

# Token bucket per socket. A fast typist sends about 20 messages a second (one update and
# one caret move per key); benches raise the rate through the settings.
FRAME_BURST = float(getattr(settings, "DRAFT_FRAME_BURST", 200))
FRAME_RATE = float(getattr(settings, "DRAFT_FRAME_RATE", 60))


def _abilities(user: Any, draft_id: str) -> dict[str, Any] | None:
    from deliberation.models import Draft
    from deliberation.proposals import draft_abilities, writer_identity

    abilities = draft_abilities(user, draft_id)
    if abilities is None:
        return None
    draft = Draft.objects.select_related("proposal").get(pk=draft_id)
    abilities["frozen"] = draft.frozen
    abilities["status"] = draft.proposal.status
    abilities["status_label"] = str(draft.proposal.get_status_display())
    abilities["identity"] = writer_identity(user)
    return abilities


class DraftConsumer(SocketGuards, AsyncWebsocketConsumer):
    room: DraftRoom | None = None
    abilities: dict[str, Any]

    async def connect(self) -> None:
        self.groups_joined: list[str] = []
        self.room = None
        self.hello = False
        self.tokens = FRAME_BURST
        self.tokens_at = time.monotonic()
        user = self.scope.get("user")
        self.draft_id = str(self.scope["url_route"]["kwargs"]["draft_id"])
        if await self._guard(user):
            return
        self.user = user
        # On Channels' database thread, not the drafts' writer thread: a crowd connecting
        # does not delay anyone's keystrokes.
        abilities = await database_sync_to_async(_abilities)(user, self.draft_id)
        if abilities is None:
            await self._refuse(CLOSE_NOT_FOUND)
            return
        self.abilities = abilities
        session = self.scope.get("session")
        groups = [user_group(user.pk)]
        if session is not None and session.session_key:
            groups.append(session_group(session.session_key))
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.groups_joined.append(group)
        await self.accept()
        hub = DraftHub.current()
        room = await hub.room(self.draft_id)
        while room.closed:  # it retired while this socket waited: open it again
            room = await hub.room(self.draft_id)
        room.add(self)
        self.room = room
        # The server's state vector first: the client answers with what we lack.
        await self.send_bytes(yp.sync_step1(room.state_vector()))
        if room.awareness:
            await self.send_bytes(yp.awareness_message(self._awareness_snapshot(room)))

    async def disconnect(self, code: int) -> None:
        self._release_socket_slot()
        if self.room is not None:
            await self.room.remove(self)
            self.room = None
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def send_bytes(self, data: bytes) -> None:
        try:
            await self.send(bytes_data=data)
        except Exception:
            # The socket is going away; its disconnect removes it from the room.
            logger.debug("draft socket gone while sending", exc_info=True)

    async def send_control(self, content: dict[str, Any]) -> None:
        if self.hello:
            await self.send_bytes(yp.agora_message(content))

    def _control_abilities(self) -> dict[str, Any]:
        a = self.abilities
        return {
            "type": "abilities",
            "edit": bool(a["edit"]),
            "comment": bool(a["comment"]),
            "facilitate": bool(a["facilitate"]),
            "frozen": bool(a["frozen"]),
            "status": a["status"],
            "status_label": a["status_label"],
        }

    async def refresh_abilities(self) -> None:
        abilities = await database_sync_to_async(_abilities)(self.user, self.draft_id)
        if abilities is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.abilities = abilities
        await self.send_control(self._control_abilities())

    async def session_close(self, event: dict[str, Any]) -> None:
        await self.close(code=int(event.get("code", 4001)))

    async def event_relay(self, message: dict[str, Any]) -> None:
        """The person's conversation events (unread counts, notifications) travel on the
        user group too; they are for /ws/, not for this socket."""

    # --- Incoming ----------------------------------------------------------------------

    def _take_token(self) -> bool:
        now = time.monotonic()
        self.tokens = min(FRAME_BURST, self.tokens + (now - self.tokens_at) * FRAME_RATE)
        self.tokens_at = now
        self.tokens -= 1
        return self.tokens >= -FRAME_BURST

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        room = self.room
        if room is None or room.closed:
            await self.close(code=1011)
            return
        if not self._take_token():
            await self.close(code=CLOSE_TOO_MANY)
            return
        if bytes_data is None:
            await self.close(code=CLOSE_MALFORMED)
            return
        try:
            await self._handle(room, bytes_data)
        except yp.ProtocolError:
            await self.close(code=CLOSE_MALFORMED)

    async def _handle(self, room: DraftRoom, data: bytes) -> None:
        reader = yp.Reader(data)
        kind = reader.var_uint()
        if kind == yp.MESSAGE_SYNC:
            step = reader.var_uint()
            payload = reader.var_bytes()
            if step == yp.SYNC_STEP1:
                await self.send_bytes(yp.sync_step2(room.update_for(payload)))
            elif step in (yp.SYNC_STEP2, yp.SYNC_UPDATE):
                await self._update(room, payload)
            else:
                raise yp.ProtocolError("unknown sync step")
        elif kind == yp.MESSAGE_AWARENESS:
            await self._awareness(room, reader.var_bytes())
        elif kind == yp.MESSAGE_QUERY_AWARENESS:
            await self.send_bytes(yp.awareness_message(self._awareness_snapshot(room)))
        elif kind == yp.MESSAGE_AGORA:
            try:
                content = json.loads(reader.var_string())
            except ValueError as exc:
                raise yp.ProtocolError("control message is not JSON") from exc
            if isinstance(content, dict) and content.get("type") == "hello":
                self.hello = True
                await self.send_control(self._control_abilities())
        elif kind == yp.MESSAGE_AUTH:
            pass  # permissions are decided by the server; nothing to read from clients
        else:
            raise yp.ProtocolError("unknown message type")

    async def _update(self, room: DraftRoom, update: bytes) -> None:
        from deliberation.drafts import MAX_DOCUMENT_BYTES, MAX_UPDATE_BYTES

        if len(update) > MAX_UPDATE_BYTES:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if not self.abilities["edit"] or room.frozen:
            # Readers (and everyone on a frozen draft) sync like anyone, but what they
            # send is never applied, stored or relayed.
            return
        if update == b"\x00\x00":
            return
        if room.stored_bytes + len(update) > MAX_DOCUMENT_BYTES:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        try:
            effective = room.apply(update)
        except Exception:
            await self.close(code=CLOSE_MALFORMED)
            return
        if effective:
            room.enqueue(self, effective, self.user.pk)

    async def _awareness(self, room: DraftRoom, payload: bytes) -> None:
        identity = self.abilities["identity"]
        entries = []
        for entry in yp.parse_awareness(payload):
            owner = room.awareness.get(entry.client_id)
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
                room.awareness[entry.client_id] = (entry.clock, entry.state, self)
            else:
                room.awareness.pop(entry.client_id, None)
        if not entries:
            return
        rewritten = yp.encode_awareness(entries)
        await room.send_all(yp.awareness_message(rewritten), but=self)
        await room.hub.publish(room, {"type": "draft.awareness", "payload": rewritten})

    @staticmethod
    def _awareness_snapshot(room: DraftRoom) -> bytes:
        return yp.encode_awareness(
            [
                yp.AwarenessEntry(client_id, clock, state)
                for client_id, (clock, state, _) in room.awareness.items()
            ]
        )
