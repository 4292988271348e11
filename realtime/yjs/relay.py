"""What the server itself sends to the open sockets of a document, on every process.

Messages go to the layer group of the document, which holds one channel per daphne
process that has it open (not one per socket); each process's hub hands them on.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

# Layer message types, between the hubs of the processes (never seen by a browser).
UPDATE = "yjs.update"  # stored updates: {"ids": [...], "updates": [bytes, ...]}
AWARENESS = "yjs.awareness"  # {"payload": bytes}, awareness entries already rewritten
ABILITIES = "yjs.abilities"  # every socket re-reads its abilities
CONTROL = "yjs.control"  # {"content": {...}}: a control message for every socket
JOINED = "yjs.joined"  # a process opened the document: relay to its channel too


def doc_group(kind: str, doc_id: Any) -> str:
    return f"{kind}.{doc_id}"


def _send(kind: str, doc_id: Any, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        message = {**message, "kind": kind, "doc": str(doc_id), "origin": ""}
        async_to_sync(layer.group_send)(doc_group(kind, doc_id), message)


def broadcast_update(kind: str, doc_id: Any, data: bytes) -> None:
    """Relay an update the server stored itself (restore, erasure) once the transaction
    commits."""
    transaction.on_commit(
        lambda: _send(kind, doc_id, {"type": UPDATE, "ids": [], "updates": [data]})
    )


def announce_abilities_changed(kind: str, doc_id: Any) -> None:
    """Every open socket re-reads its abilities (an editor may become a reader) once the
    transaction commits."""
    transaction.on_commit(lambda: _send(kind, doc_id, {"type": ABILITIES}))


def announce(kind: str, doc_id: Any, content: dict[str, Any]) -> None:
    """Send a control message (docs/protocol.md) to every open socket once the transaction
    commits."""
    transaction.on_commit(lambda: _send(kind, doc_id, {"type": CONTROL, "content": content}))
