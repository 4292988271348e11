"""Personal data held by the workshops: idea walls (notes, their authors, silent-writing
sheets, dot votes) and whiteboards. Their documents follow the mandate like the room's
messages: deleted 1 year after the end of the room's assembly."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pycrdt
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from assembly.models import mandate_end_in_office
from gdpr.registry import Anchor, Erasure, LegalBasis, Retention, declare
from workshops.models import (
    Board,
    Dot,
    NoteAuthor,
    VoteRound,
    Wall,
    WallSheet,
    YDocument,
    YDocumentContribution,
    YDocumentUpdate,
    YDocumentVersion,
)

DAYS = 365


# --- The access copy -----------------------------------------------------------------------


def _contents(wall_ids: set[Any]) -> dict[Any, dict[str, Any]]:
    from workshops import walls

    return {wall_id: walls.wall_content(wall_id) for wall_id in wall_ids}


def export_notes(person: Any) -> Iterator[dict[str, Any]]:
    """The notes the person wrote (anonymous ones too), with their text as it is now."""
    rows = list(
        NoteAuthor.objects.filter(person=person)
        .select_related("wall", "wall__room")
        .order_by("created_at", "pk")
    )
    contents = _contents({row.wall_id for row in rows})
    for row in rows:
        note = contents[row.wall_id]["notes"].get(row.note)
        yield {
            "id": str(row.pk),
            "wall": {"id": str(row.wall_id), "name": row.wall.question, "room": row.wall.room.name},
            # The note's text as it is on the wall now ("" once deleted).
            "note": {
                "id": row.note,
                "text": str(note.get("text", "")) if isinstance(note, dict) else "",
                "on_the_wall": isinstance(note, dict),
            },
            "anonymous": row.anonymous,
            "created_at": row.created_at,
        }


def export_dots(person: Any) -> Iterator[dict[str, Any]]:
    from workshops import walls

    rows = list(
        Dot.objects.filter(person=person)
        .select_related("round", "round__wall")
        .order_by("created_at", "pk")
    )
    contents = _contents({row.round.wall_id for row in rows})
    for row in rows:
        yield {
            "id": str(row.pk),
            "round": {"id": str(row.round_id), "name": row.round.wall.question},
            # The note or group the dot is on, and its words.
            "target": {
                "id": row.target,
                "name": walls.target_label(contents[row.round.wall_id], row.target) or "",
            },
            "created_at": row.created_at,
        }


def export_sheets(person: Any) -> Iterator[dict[str, Any]]:
    """The notes on the person's silent-writing sheets, not revealed yet."""
    from workshops import walls, ydocs

    for sheet in WallSheet.objects.filter(owner=person).select_related("wall"):
        notes = ydocs.content(ydocs.load(sheet.pk, walls.SHEET_ROOTS).doc, walls.SHEET_ROOTS)
        yield {
            "id": str(sheet.pk),
            "wall": {"id": str(sheet.wall_id), "name": sheet.wall.question},
            # The notes on the sheet, not revealed yet.
            "document": {
                "id": str(sheet.pk),
                "notes": [
                    str(n.get("text", "")) for n in notes["notes"].values() if isinstance(n, dict)
                ],
            },
            "created_at": sheet.created_at,
        }


def export_documents(person: Any) -> Iterator[dict[str, Any]]:
    """The walls and boards the person wrote on, with the comments they wrote there."""
    from workshops import walls

    documents = YDocument.objects.filter(
        pk__in=YDocumentContribution.objects.filter(user=person).values("document_id")
    ).order_by("created_at", "pk")
    key = walls.me_key(person)
    for document in documents:
        item: dict[str, Any] = {
            "id": str(document.pk),
            "kind": document.kind,
            "created_at": document.created_at,
            "last_edit_at": document.last_edit_at,
        }
        wall = Wall.objects.filter(pk=document.pk).first()
        board = Board.objects.filter(pk=document.pk).first()
        sheet = WallSheet.objects.filter(pk=document.pk).select_related("wall").first()
        # What the person wrote there, beside their notes (their own section): comments.
        written: dict[str, Any] = {
            "name": wall.question
            if wall
            else board.title
            if board
            else sheet.wall.question
            if sheet
            else "",
        }
        if wall is not None:
            comments = walls.wall_content(wall.pk)["comments"]
            written["comments"] = [
                {"note": note, "text": c.get("text", ""), "at": c.get("at", "")}
                for note, thread in sorted(comments.items())
                if isinstance(thread, list)
                for c in thread
                if isinstance(c, dict) and c.get("author") == key
            ]
        item["snapshot"] = written
        yield item


# --- Erasure -----------------------------------------------------------------------------------


def _scrub(text: Any, matcher: Any, pseudonym: str) -> Any:
    if matcher is None or not isinstance(text, str) or not matcher.regex.search(text):
        return text
    return matcher.sub(text, pseudonym)


def rewrite_wall(doc: pycrdt.Doc, key: str, pseudonym: str, matcher: Any) -> int:
    """In a wall's (or sheet's) document: the person's notes and comments signed with the
    pseudonym, and their names replaced in every text; returns how many entries changed."""
    changed = 0
    with doc.transaction():
        for note in doc.get("notes", type=pycrdt.Map).values():
            if not isinstance(note, pycrdt.Map):
                continue
            if key and note.get("author") == key and note.get("name") != pseudonym:
                note["name"] = pseudonym
                changed += 1
            text = note.get("text")
            if _scrub(text, matcher, pseudonym) != text:
                note["text"] = _scrub(text, matcher, pseudonym)
                changed += 1
        if "clusters" in doc.keys():
            for cluster in doc.get("clusters", type=pycrdt.Map).values():
                if isinstance(cluster, pycrdt.Map):
                    name = cluster.get("name")
                    if _scrub(name, matcher, pseudonym) != name:
                        cluster["name"] = _scrub(name, matcher, pseudonym)
                        changed += 1
        if "comments" in doc.keys():
            for thread in doc.get("comments", type=pycrdt.Map).values():
                if not isinstance(thread, pycrdt.Array):
                    continue
                for index, comment in enumerate(list(thread)):
                    if not isinstance(comment, dict):
                        continue
                    new = {**comment, "text": _scrub(comment.get("text"), matcher, pseudonym)}
                    if key and comment.get("author") == key:
                        new["name"] = pseudonym
                    if new != comment:
                        del thread[index]
                        thread.insert(index, new)
                        changed += 1
    return changed


def rewrite_board(doc: pycrdt.Doc, key: str, pseudonym: str, matcher: Any) -> int:
    """Names written in a board's text elements replaced by the pseudonym."""
    changed = 0
    elements = doc.get("elements", type=pycrdt.Map)
    with doc.transaction():
        for element_id, element in list(elements.items()):
            if not isinstance(element, dict):
                continue
            new = {**element}
            for field in ("text", "originalText"):
                new[field] = _scrub(element.get(field), matcher, pseudonym)
            new = {k: v for k, v in new.items() if k in element}
            if new != element:
                elements[element_id] = new
                changed += 1
    return changed


def erase_from_workshops(person: Any, pseudonym: str) -> dict[str, int]:
    """The person's silent-writing sheets go; on every wall their notes and comments are
    signed with the pseudonym and, everywhere (notes, groups, comments, board texts, and
    the versions of each), their names are replaced, as the server's own edit (open
    sockets receive it); each document changed is compacted, so the names are gone from
    its stored updates too."""
    from gdpr.scrub import NameMatcher
    from workshops import walls, ydocs
    from workshops.stores import append_server_update

    YDocument.objects.filter(sheet__owner=person).delete()
    matcher = NameMatcher.for_person(person)
    key = walls.me_key(person)
    kinds = {
        "wall": (walls.WALL_ROOTS, rewrite_wall),
        "wallsheet": (walls.SHEET_ROOTS, rewrite_wall),
        "board": (walls.BOARD_ROOTS, rewrite_board),
    }
    documents = 0
    for doc_id, kind in YDocument.objects.order_by("pk").values_list("pk", "kind").iterator():
        if kind not in kinds:
            # A session's minutes or notes (assembly.privacy): an administrative record,
            # kept as delivered.
            continue
        roots, rewrite = kinds[kind]
        doc = ydocs.load(doc_id, roots).doc
        before = doc.get_state()
        if rewrite(doc, key, pseudonym, matcher):
            append_server_update(kind, doc_id, doc.get_update(before))
            ydocs.compact(doc_id, roots)
            documents += 1
        for version in YDocumentVersion.objects.filter(document_id=doc_id).only("pk", "state"):
            old = ydocs.new_doc(roots, bytes(version.state))
            if rewrite(old, key, pseudonym, matcher):
                YDocumentVersion.objects.filter(pk=version.pk).update(state=old.get_update())
    return {"documents_rewritten": documents} if documents else {}


PEOPLE = _("members, substitutes and facilitators of the subgroups; DCCU team; agents")
READERS = _(
    "the people of the wall's or board's room: a subgroup's members and facilitators and "
    "the DCCU team; the whole assembly for the plenary"
)


def room_end(room: str) -> Anchor:
    """The end of the mandate of the assembly the room belongs to (as for its messages)."""
    return Anchor(
        f"end of the assembly of {room}",
        Coalesce(
            F(f"{room}__mandate__assembly__mandate_end"),
            F(f"{room}__subgroup__mandate__assembly__mandate_end"),
            mandate_end_in_office("created_at"),
        ),
    )


def document_end(document: str) -> Anchor:
    """The end of the assembly of the room of a wall, sheet or board document."""
    prefix = f"{document}__" if document else ""
    paths = [f"{prefix}wall__room", f"{prefix}board__room", f"{prefix}sheet__wall__room"]
    ends = []
    for room in paths:
        ends += [
            F(f"{room}__mandate__assembly__mandate_end"),
            F(f"{room}__subgroup__mandate__assembly__mandate_end"),
        ]
    return Anchor(
        f"end of the assembly of the room of {document or 'the document'}",
        Coalesce(*ends, mandate_end_in_office("created_at")),
    )


WITH_THE_ROOM = Retention(
    _(
        "Deleted 1 year after the end of the room's assembly's mandate, with everything "
        "written on it (like the room's messages)."
    ),
    days=DAYS,
    since=(room_end("room"), "created_at"),
)
WITH_THE_WALL = Retention(_("Deleted with its wall."))

declare(
    YDocument,
    subject="contributions__user",
    fields=("kind", "snapshot", "frozen", "created_at", "last_edit_at"),
    purpose=_(
        "Hold the current content of each idea wall, silent-writing sheet and "
        "whiteboard, written together live."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _(
            "Deleted 1 year after the end of its room's assembly's mandate (with its wall, "
            "sheet or board)."
        ),
        days=DAYS,
        since=(document_end(""), "created_at"),
    ),
    erasure=Erasure.KEEP,
    export=export_documents,
    categories_of_people=PEOPLE,
    recipients=READERS,
    notes=_(
        "The content is the collective work; the names written on notes and comments "
        "are replaced by the pseudonym on erasure (workshops.privacy)."
    ),
)
declare(
    YDocumentUpdate,
    subject="author",
    fields=("document", "created_at"),
    purpose=_(
        "Store every change made on a wall or board before it is sent to the others, "
        "so that nothing is lost."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _(
            "Merged into the document and deleted at its next compaction (after a few hundred "
            "changes); whatever remains is deleted with the document."
        )
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=_("nobody reads it directly: it makes up the wall's or board's content"),
)
declare(
    YDocumentVersion,
    subject="created_by",
    extra_subjects=("authors",),
    fields=("document", "number", "kind", "name", "created_by", "authors", "created_at"),
    purpose=_("Keep the history of a wall or board, to restore an earlier state."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("Deleted with its document.")),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=READERS,
)
declare(
    YDocumentContribution,
    subject="user",
    fields=("document", "version", "created_at"),
    purpose=_("Know who wrote on a wall or board since its last version."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("Deleted with its document.")),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=READERS,
)
declare(
    Wall,
    subject="created_by",
    fields=("room", "question", "columns", "mode", "anonymous_allowed", "created_by", "created_at"),
    purpose=_("Collect ideas on sticky notes in a room, group them and vote on them."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=WITH_THE_ROOM,
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=READERS,
)
declare(
    WallSheet,
    subject="owner",
    fields=("wall", "owner", "document", "created_at"),
    purpose=_(
        "Let each person write their notes alone before they are revealed to all "
        "(silent writing); a sheet is shown to its owner only."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=WITH_THE_WALL,
    erasure=Erasure.DELETE,
    export=export_sheets,
    categories_of_people=PEOPLE,
    recipients=_("the person only (the notes go onto the wall when revealed)"),
)
declare(
    NoteAuthor,
    subject="person",
    fields=("wall", "note", "anonymous", "created_at"),
    purpose=_(
        "Know who wrote each note, anonymous ones included, to moderate them, to "
        "let their author change them and for the access copy and erasure."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=WITH_THE_WALL,
    erasure=Erasure.PSEUDONYMISE,
    eraser=erase_from_workshops,
    export=export_notes,
    categories_of_people=PEOPLE,
    recipients=_("nobody: the server only (an anonymous note shows no name to anyone)"),
)
declare(
    VoteRound,
    subject="opened_by",
    fields=("wall", "dots", "opened_at", "closed_at", "revealed_at"),
    purpose=_("Run a dot vote on a wall."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=WITH_THE_WALL,
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=READERS,
)
declare(
    Dot,
    subject="person",
    fields=("round", "target", "created_at"),
    purpose=_(
        "Count the dots placed on notes and groups in a dot vote; only the totals "
        "are shown, once the facilitator reveals them."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=WITH_THE_WALL,
    erasure=Erasure.DELETE,
    export=export_dots,
    categories_of_people=PEOPLE,
    recipients=_("nobody sees who placed a dot; everyone sees the totals once revealed"),
)
declare(
    Board,
    subject="created_by",
    fields=("room", "title", "created_by", "created_at"),
    purpose=_("Draw together on a whiteboard in a room (maps, diagrams, images of the library)."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=WITH_THE_ROOM,
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=READERS,
)
