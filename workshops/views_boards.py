"""The whiteboards' pages: creation, the board (Excalidraw, live), projection, freezing, the
library images it may show, and its PNG and PDF exports.

Boards are loaded through `walls.access_board` only: one that is missing or may not be read
is a 404, the same answer. The board's page works without JavaScript as far as it can: its
texts are listed and its exports download.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from config.errors import error_text
from deliberation.views_export import download
from forums.access import access_room
from workshops import board_export as exporter
from workshops import boards, walls
from workshops.board_text import board_text
from workshops.models import Board
from workshops.views import ws_base

logger = logging.getLogger(__name__)

NO_ID = "00000000-0000-0000-0000-000000000000"  # the client puts a document id in its place


def _back(board: Board) -> str:
    return reverse("workshops:board", args=[board.pk])


@login_required
@require_http_methods(["GET", "POST"])
def board_create(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    room = access_room(request.user, room_id)
    if not boards.may_create_board(request.user, room):
        raise PermissionDenied(_("Only the room's facilitators can create a whiteboard here."))
    title = request.POST.get("title", "") if request.method == "POST" else ""
    error = ""
    if request.method == "POST":
        try:
            board = boards.do_create_board(request.user, room, title)
        except ValidationError as exc:
            error = error_text(exc)
        else:
            messages.success(request, _("The whiteboard is created."))
            return redirect(_back(board))
    return render(
        request,
        "workshops/board_create.html",
        {"room": room, "title": title, "error": error, "max_title": boards.MAX_TITLE},
        status=400 if error else 200,
    )


def _board_context(
    request: AuthenticatedRequest, board: Board, *, projection: bool = False
) -> dict[str, Any]:
    abilities = board.get_abilities(request.user)
    frozen = board.document.frozen
    open_room = board.room.archived_at is None
    can_edit = bool(abilities["write"]) and open_room and not frozen and not projection
    scene = boards.stored_scene(board)
    return {
        "board": board,
        "room": board.room,
        "abilities": abilities,
        "can_edit": can_edit,
        "frozen": frozen,
        "mode": "projection" if projection else "edit",
        "ydoc_url": ws_base(request, walls.BOARD_PATH),
        "asset_path": static("boards/"),
        "images_url": reverse("workshops:board_images", args=[board.pk]),
        "image_url": reverse("workshops:board_image", args=[board.pk, NO_ID]),
        "texts": [
            e["text"] for e in scene["elements"] if e.get("type") == "text" and e.get("text")
        ],
        "board_text": board_text(),
    }


@login_required
@require_GET
def board(request: AuthenticatedRequest, board_id: uuid.UUID) -> HttpResponse:
    board = walls.access_board(request.user, board_id)
    return render(request, "workshops/board.html", _board_context(request, board))


@login_required
@require_GET
def board_projection(request: AuthenticatedRequest, board_id: uuid.UUID) -> HttpResponse:
    """The room's screen: the board full screen, live, read only; the projector is nobody."""
    board = walls.access_board(request.user, board_id)
    if not board.get_abilities(request.user)["facilitate"]:
        raise PermissionDenied(_("Only the room's facilitators can project the board."))
    return render(
        request, "workshops/board_projection.html", _board_context(request, board, projection=True)
    )


@login_required
@require_POST
def board_freeze(request: AuthenticatedRequest, board_id: uuid.UUID) -> HttpResponse:
    board = walls.access_board(request.user, board_id)
    frozen = request.POST.get("frozen") == "1"
    boards.do_freeze_board(request.user, board, frozen)
    if frozen:
        messages.success(request, _("The board is frozen: nobody can draw on it."))
    else:
        messages.success(request, _("The board is open again."))
    return redirect(_back(board))


@login_required
@require_GET
def board_images(request: AuthenticatedRequest, board_id: uuid.UUID) -> JsonResponse:
    """The library's images the person may place on the board (only who may draw)."""
    board = walls.access_board(request.user, board_id)
    if not board.get_abilities(request.user)["write"]:
        raise PermissionDenied(_("This board is read only for you."))
    return JsonResponse({"images": boards.readable_images(request.user)})


@login_required
@require_GET
def board_image(
    request: AuthenticatedRequest, board_id: uuid.UUID, document_id: uuid.UUID
) -> HttpResponseRedirect:
    """One image of the board: the library's own permission-checked address of its file (the
    library checks again when it serves it)."""
    walls.access_board(request.user, board_id)
    document, current = boards.access_image(request.user, document_id)
    return redirect("library_inline", document_id=document.pk, file_id=current.pk)


@login_required
@require_GET
async def board_export(request: HttpRequest, board_id: uuid.UUID, fmt: str) -> HttpResponse:
    """PNG or PDF of the board as stored, drawn by Excalidraw in headless Chromium
    (workshops/board_export.py)."""
    user = await request.auser()
    board = await sync_to_async(walls.access_board)(user, board_id)
    scene = await sync_to_async(exporter.scene_for)(user, board)
    try:
        data = await asyncio.to_thread(exporter.render, scene, fmt, board.title)
    except exporter.ExportBusy:
        response = HttpResponse(
            _("Other exports are being made: try again in a moment."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = "10"
        return response
    except exporter.ExportFailed:
        logger.exception("board export failed: %s", board.pk)
        return HttpResponse(
            _("The board could not be exported. Try again later."),
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    if fmt == "png":
        return download(data, exporter.PNG_MIME, board.title, ".png")
    return download(data, exporter.PDF_MIME, board.title, ".pdf")
