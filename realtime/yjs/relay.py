"""Live drafts: the y-websocket sync server at /ws/drafts/<draft id> (see docs/protocol.md)."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def draft_group(draft_id: Any) -> str:
    """One channel per daphne process that has this draft open (not one per socket)."""
    return f"draft.{draft_id}"


def _send(draft_id: Any, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(draft_group(draft_id), message)


def broadcast_update(draft_id: Any, data: bytes) -> None:
    """Relay an update the server stored itself (restore) once the transaction commits."""
    transaction.on_commit(
        lambda: _send(
            draft_id,
            {
                "type": "draft.update",
                "draft": str(draft_id),
                "origin": "",
                "ids": [],
                "updates": [data],
            },
        )
    )


def announce_draft_changed(draft_id: Any) -> None:
    """The draft was frozen or reopened, or its proposal changed status: every open socket
    re-reads its abilities (an editor may become a reader) once the transaction commits."""
    transaction.on_commit(
        lambda: _send(draft_id, {"type": "draft.control", "draft": str(draft_id)})
    )


def announce_comments_changed(draft_id: Any) -> None:
    """Comments were added, answered or resolved: open editors re-fetch them."""
    transaction.on_commit(
        lambda: _send(draft_id, {"type": "draft.comments", "draft": str(draft_id)})
    )
