"""Drafts as a Yjs document kind: the store the sync engine (realtime/yjs) writes through,
and what the server tells the drafts' open sockets.

Registered in DeliberationConfig.ready() as kind "draft" at /ws/drafts/<draft id>."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pycrdt
from django.http import Http404

from deliberation import drafts, proposals, suggestions
from deliberation.models import Draft, DraftUpdate, VersionKind
from realtime.yjs import relay
from realtime.yjs.store import Change, DocAbilities, Limits, Loaded, Verdict

KIND = "draft"
PATH = "drafts"


class DraftStore:
    # Keystrokes reach the other writers before the group commit (realtime/yjs/hub.py):
    # an edit is durable once stored, and until then the clients holding it give it back.
    relay_before_store = True

    def limits(self) -> Limits:
        # Read at each use: settings and tests may lower them.
        return Limits(drafts.MAX_UPDATE_BYTES, drafts.MAX_DOCUMENT_BYTES, drafts.COMPACT_EVERY)

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        try:
            draft = proposals.access_draft(user, doc_id)
        except Http404:
            return None
        abilities = draft.get_abilities(user)
        edit, suggest = bool(abilities["edit"]), bool(abilities["suggest"])
        return DocAbilities(
            # A reader who may suggest sends updates too; they are checked, editors' not.
            write=edit or suggest,
            trusted=edit,
            # The id too: the editor names and colours suggestions by their author's id.
            identity={**proposals.writer_identity(user, draft.proposal), "id": str(user.pk)},
            extra={
                # Suggest only: the editor stays in suggestion mode, accepts nothing.
                "suggest_only": suggest and not edit,
                "me": str(user.pk),
                "comment": bool(abilities["comment"]),
                "facilitate": bool(abilities["facilitate"]),
                "frozen": bool(draft.frozen),
                "frozen_note": proposals.frozen_note(draft),
                "status": draft.proposal.status,
                "status_label": str(draft.proposal.get_status_display()),
            },
        )

    def load(self, doc_id: str) -> Loaded:
        loaded = drafts.load(doc_id)
        return Loaded(loaded.doc, loaded.last_update_id, loaded.stored_bytes, loaded.frozen)

    def append(
        self, doc_id: str, items: list[tuple[bytes, Any]], *, known_authors: set[Any]
    ) -> list[int]:
        return drafts.append(doc_id, items, known_authors=known_authors)

    def since(self, doc_id: str, after: int, seen: set[int]) -> tuple[int, list[tuple[int, bytes]]]:
        # Ids first, then only the rows not seen: most were relayed through the layer.
        ids = list(
            DraftUpdate.objects.filter(draft_id=doc_id, id__gt=after).values_list("id", flat=True)
        )
        top = max(ids, default=after)
        missing = [i for i in ids if i not in seen]
        rows = (
            DraftUpdate.objects.filter(pk__in=missing).order_by("id").values_list("id", "data")
            if missing
            else []
        )
        return top, [(i, bytes(d)) for i, d in rows]

    def compact(self, doc_id: str) -> tuple[int, int]:
        return drafts.compact(doc_id)

    def locked(self, doc_id: str) -> bool:
        frozen = Draft.objects.filter(pk=doc_id).values_list("frozen", flat=True).first()
        return bool(frozen)

    # --- Suggesters' updates (CheckedDocStore; editors' are trusted and never checked) ---

    def roots(self) -> dict[str, type]:
        return {drafts.FRAGMENT: pycrdt.XmlFragment}

    def check_update(
        self,
        doc_id: str,
        before: pycrdt.Doc,
        after: pycrdt.Doc,
        changes: list[Change],
        abilities: DocAbilities,
    ) -> Verdict:
        me = str(abilities.extra.get("me") or "")
        if not me or not abilities.extra.get("suggest_only"):
            return Verdict(refused="forbidden")
        return Verdict(
            refused=suggestions.check_suggestion(before, after, changes, me, drafts.FRAGMENT)
        )

    def record_facts(self, doc_id: str, facts: list[tuple[Any, Any]]) -> None:
        """Suggestions carry their author and time in the document: nothing else to keep."""

    def mark_edited(self, doc_id: str, when: datetime) -> None:
        drafts.mark_edited(doc_id, when)

    def record_version(self, doc_id: str) -> None:
        drafts.create_version(doc_id, VersionKind.AUTO, only_if_changed=True)


def append_server_update(draft_id: Any, data: bytes, author: Any = None) -> None:
    """Store an update made by the server (restore, erasure) and relay it to open editors."""
    drafts.append(draft_id, [(data, getattr(author, "pk", author))], known_authors=set())
    relay.broadcast_update(KIND, draft_id, data)


def announce_draft_changed(draft_id: Any) -> None:
    """The draft was frozen or reopened, or its proposal changed status: every open socket
    re-reads its abilities (an editor may become a reader) once the transaction commits."""
    relay.announce_abilities_changed(KIND, draft_id)


def announce_comments_changed(draft_id: Any) -> None:
    """Comments were added, answered or resolved: open editors re-fetch them."""
    relay.announce(KIND, draft_id, {"type": "comments.changed"})
