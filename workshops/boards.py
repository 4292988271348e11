"""Whiteboards (« tableaux blancs »): who creates them, freezing, the library images they may
show, and their stored scene for exports. The socket side (rights, limits) is
workshops/stores.py (BoardStore); the pages are workshops/views_boards.py."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from documents.access import access_document, visible_documents
from documents.models import Document, DocumentFile, DocumentKind
from forums.models import Room, RoomKind
from realtime.yjs import relay
from workshops import walls, ydocs
from workshops.models import Board, YDocument

BOARD_ROOMS = (RoomKind.SUBGROUP, RoomKind.PLENARY)
MAX_TITLE = 200
# What Excalidraw shows as an image and a browser decodes safely. No SVG: an SVG may load
# other resources and run scripts.
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
IMAGE_MAX_BYTES = 10 * 1024 * 1024
IMAGES_LISTED = 300


def may_create_board(user: Any, room: Room) -> bool:
    """The room's facilitators and the DCCU (the room's ``moderate``), in a subgroup or the
    plenary that is not archived. Members draw on every board of their room but do not
    create them: a board is part of a session the facilitators prepare (like the flip charts
    of a room), and a list of boards anyone may add to soon hides the session's one."""
    return (
        room.kind in BOARD_ROOMS
        and room.archived_at is None
        and bool(room.get_abilities(user)["moderate"])
    )


def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Give the board a title."))
    if len(title) > MAX_TITLE:
        raise ValidationError(
            _("The title is too long (%(max)d characters at most).") % {"max": MAX_TITLE}
        )
    return title


def do_create_board(actor: Any, room: Room, title: str) -> Board:
    if not may_create_board(actor, room):
        raise PermissionDenied(_("Only the room's facilitators can create a whiteboard here."))
    return walls.create_board(room, title=clean_title(title), by=actor)


def do_freeze_board(actor: Any, board: Board, frozen: bool) -> Board:
    """Freeze the board (nobody draws; the end of a session) or reopen it: the room's
    facilitators and the DCCU. Open sockets re-read their abilities at once."""
    if not board.get_abilities(actor)["facilitate"]:
        raise PermissionDenied(_("Only the room's facilitators can freeze or reopen the board."))
    with transaction.atomic():
        document = YDocument.objects.select_for_update().get(pk=board.document_id)
        if document.frozen != frozen:
            document.frozen = frozen
            document.save(update_fields=["frozen"])
            relay.announce_abilities_changed(walls.BOARD_KIND, board.pk)
    board.document.frozen = frozen
    return board


# --- Images of the library --------------------------------------------------------------------


def readable_images(user: Any) -> list[dict[str, str]]:
    """The library's images this person may read (title, id, type), by title."""
    documents = (
        visible_documents(user)
        .filter(kind=DocumentKind.FILE, files__mime_type__in=IMAGE_TYPES)
        .distinct()
        .prefetch_related("files")
        .order_by("title")[:IMAGES_LISTED]
    )
    images = []
    for document in documents:
        current = document.current_file
        if current is not None and _usable(current):
            images.append(
                {"id": str(document.pk), "title": document.title, "mimeType": current.mime_type}
            )
    return images


def _usable(file: DocumentFile) -> bool:
    from documents.files import servable

    return file.mime_type in IMAGE_TYPES and file.size <= IMAGE_MAX_BYTES and servable(file)


def access_image(user: Any, document_id: Any) -> tuple[Document, DocumentFile]:
    """A library image the person may read, and its current file; 404 otherwise (also for a
    document that is no image)."""
    document = access_document(user, document_id)
    current = document.current_file
    if current is None or not _usable(current):
        raise Http404
    return document, current


def image_bytes(file: DocumentFile) -> bytes:
    from documents.files import library_storage

    with library_storage().open(file.storage_name, "rb") as fh:
        return fh.read(IMAGE_MAX_BYTES + 1)[:IMAGE_MAX_BYTES]


# --- The stored scene -------------------------------------------------------------------------


def stored_scene(board: Board) -> dict[str, Any]:
    """The board as the database holds it: {"elements": [live elements], "files": {id: entry}}
    (deleted elements left out)."""
    content = ydocs.content(ydocs.load(board.pk, walls.BOARD_ROOTS).doc, walls.BOARD_ROOTS)
    elements = [
        value
        for value in content["elements"].values()
        if isinstance(value, dict) and not value.get("isDeleted")
    ]
    elements.sort(key=lambda e: (str(e.get("index") or ""), str(e.get("id") or "")))
    files = {k: v for k, v in content["files"].items() if isinstance(v, dict)}
    return {"elements": elements, "files": files}
