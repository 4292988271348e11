"""The library on the /ws/ socket: news of documents published for the audiences a person
reads. A live feature of ``realtime.hub`` (registered in DocumentsConfig)."""

from __future__ import annotations

from typing import Any

from documents.events import library_group
from realtime.hub import LiveFeature


class LibraryFeature(LiveFeature):
    name = "library"
    events = ("library.",)

    def __init__(self, socket: Any) -> None:
        super().__init__(socket)
        self.groups: set[str] = set()

    @classmethod
    def access(cls, user: Any) -> list[str]:
        return _audiences(user)

    async def connect(self, loaded: list[str]) -> dict[str, Any]:
        self.groups = {library_group(audience) for audience in loaded}
        await self.socket.join_all(sorted(self.groups))
        return {}

    async def relay(self, event: dict[str, Any]) -> None:
        # Checked at once for this person: never news of a document they may not read.
        if await self.socket.call(_may_read_document, self.socket.user, event.get("document")):
            await self.socket.send_json(event)

    async def roles_changed(self) -> None:
        await self._follow_audiences()

    async def _follow_audiences(self) -> None:
        audiences = await self.socket.call(_audiences, self.socket.user)
        wanted = {library_group(audience) for audience in audiences}
        for group in self.groups - wanted:
            await self.socket.leave(group)
        for group in sorted(wanted - self.groups):
            await self.socket.join(group)
        self.groups = wanted


def _audiences(user: Any) -> list[str]:
    from accounts.roles import user_roles
    from documents.models import audiences_for

    return [str(audience) for audience in audiences_for(user_roles(user))]


def _may_read_document(user: Any, document_id: Any) -> bool:
    from documents.models import Document

    try:
        document = Document.objects.filter(pk=document_id).first() if document_id else None
    except (ValueError, TypeError):
        return False
    return document is not None and bool(document.get_abilities(user)["read"])
