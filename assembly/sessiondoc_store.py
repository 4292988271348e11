"""The sessions' documents as a Yjs document kind: "sessiondoc" at
/ws/session-docs/<document id>, stored by the workshops' generic storage
(workshops/ydocs.py) and edited with the drafts' editor (static/drafts/editor.js).

Registered in AssemblyConfig.ready(). Rights are ``assembly.sessiondocs.abilities``: the
people responsible write until it is delivered; the others who may read get updates but
what they send is never applied, stored or relayed; anyone else gets the same answer as
for a missing document (4404)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404

from assembly import sessiondocs
from realtime.yjs.store import DocAbilities, Limits
from workshops import ydocs


class SessionDocStore(ydocs.YDocStore):
    kind = sessiondocs.KIND
    ROOTS = sessiondocs.ROOTS

    def limits(self) -> Limits:
        return Limits(
            int(getattr(settings, "DRAFT_MAX_UPDATE_BYTES", 512 * 1024)),
            int(getattr(settings, "DRAFT_MAX_DOCUMENT_BYTES", 8 * 1024 * 1024)),
            int(getattr(settings, "DRAFT_COMPACT_EVERY", 500)),
        )

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        from deliberation.proposals import writer_identity

        try:
            document = sessiondocs.access_session_document(user, doc_id)
        except Http404:
            return None
        rights = document.get_abilities(user)
        return DocAbilities(
            write=rights["write"],
            identity={**writer_identity(user), "id": str(user.pk)},
            extra={
                "me": str(user.pk),
                "comment": False,
                "suggest_only": False,
                "facilitate": rights["write"],
                "frozen": document.delivered_at is not None,
                "frozen_note": "",
                "status": sessiondocs.status_of(document),
                "status_label": "",
            },
        )
