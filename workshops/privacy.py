"""Personal data held by the workshops: idea walls (notes, their authors, silent-writing
sheets, dot votes) and whiteboards. Their documents follow the mandate like the room's
messages: deleted 1 year after the end of the room's assembly."""

from __future__ import annotations

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from assembly.models import mandate_end_in_office
from gdpr.registry import Anchor, Erasure, LegalBasis, Retention, RetentionAction, declare
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
            "Merged into the document and deleted at its next compaction; whatever remains "
            "loses its author 1 year after the end of the room's assembly's mandate."
        ),
        days=DAYS,
        since=(document_end("document"), "created_at"),
        action=RetentionAction.ANONYMISE_FIELDS,
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=_("nobody reads it directly: it makes up the wall's or board's content"),
)
declare(
    YDocumentVersion,
    subject="created_by",
    extra_subjects=("authors",),
    fields=("document", "number", "kind", "name", "state", "created_by", "authors", "created_at"),
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
    fields=("wall", "owner", "created_at"),
    purpose=_(
        "Let each person write their notes alone before they are revealed to all "
        "(silent writing); a sheet is shown to its owner only."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=WITH_THE_WALL,
    erasure=Erasure.DELETE,
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
