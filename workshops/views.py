"""The workshops' pages (« ateliers »): the list of a person's walls and boards, the idea
wall's page (a reading-order list of its notes rendered here, so it reads without
JavaScript; the live client enhances it), its facilitator forms, projection and export.

Walls are loaded through `walls.access_wall` only: one that is missing or may not be read
is a 404, the same answer. Whiteboards' pages are in workshops/views_boards.py.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from config.errors import error_text
from forums.access import access_room, readable_rooms
from forums.models import Room, RoomKind
from workshops import rules, walls
from workshops.forms import DEFAULT_COLUMNS, ModeForm, RoundForm, WallForm
from workshops.models import Board, Wall, WallMode
from workshops.wall_text import wall_text

WORKSHOP_ROOMS = (RoomKind.SUBGROUP, RoomKind.PLENARY)


def ws_base(request: HttpRequest, path: str) -> str:
    """The websocket base a stock y-websocket `WebsocketProvider` takes as `serverUrl`
    (the document's id is its room name): wss://host/ws/walls."""
    scheme = "wss" if request.is_secure() else "ws"
    return f"{scheme}://{request.get_host()}/ws/{path}"


def _back(wall: Wall) -> str:
    return reverse("workshops:wall", args=[wall.pk])


def _facilitating(request: AuthenticatedRequest, wall: Wall) -> dict[str, bool]:
    abilities = wall.get_abilities(request.user)
    if not abilities["facilitate"]:
        raise PermissionDenied(_("Only the room's facilitators can do this."))
    return abilities


# --- Lists ------------------------------------------------------------------------------------


def _listing(user: Any, rooms: list[Room]) -> list[dict[str, Any]]:
    by_room: dict[Any, dict[str, Any]] = {
        room.pk: {
            "room": room,
            "walls": [],
            "boards": [],
            "facilitate": room.get_abilities(user)["moderate"],
        }
        for room in rooms
    }
    for wall in Wall.objects.filter(room__in=rooms).order_by("-created_at"):
        by_room[wall.room_id]["walls"].append(wall)
    for board in Board.objects.filter(room__in=rooms).order_by("-created_at"):
        by_room[board.room_id]["boards"].append(board)
    return list(by_room.values())


@login_required
@require_GET
def index(request: AuthenticatedRequest) -> HttpResponse:
    """The walls and boards of every room the person reads, room by room, newest first."""
    rooms = [r for r in readable_rooms(request.user) if r.kind in WORKSHOP_ROOMS]
    rooms.sort(key=lambda r: (r.kind != RoomKind.PLENARY, r.name))
    return render(
        request, "workshops/index.html", {"rooms": _listing(request.user, rooms), "room": None}
    )


@login_required
@require_GET
def room_workshops(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    room = access_room(request.user, room_id)
    if room.kind not in WORKSHOP_ROOMS:
        raise PermissionDenied(_("This room has no workshops."))
    return render(
        request, "workshops/index.html", {"rooms": _listing(request.user, [room]), "room": room}
    )


@login_required
@require_http_methods(["GET", "POST"])
def wall_create(request: AuthenticatedRequest, room_id: uuid.UUID) -> HttpResponse:
    room = access_room(request.user, room_id)
    if room.kind not in WORKSHOP_ROOMS or not room.get_abilities(request.user)["moderate"]:
        raise PermissionDenied(_("Only the room's facilitators can create a wall here."))
    form = WallForm(request.POST or None, initial={"columns": str(DEFAULT_COLUMNS)})
    if request.method == "POST" and form.is_valid():
        wall = walls.create_wall(
            room,
            question=form.cleaned_data["question"],
            by=request.user,
            columns=form.cleaned_data["columns"],
            anonymous_allowed=form.cleaned_data["anonymous_allowed"],
        )
        messages.success(request, _("The wall is created."))
        return redirect(_back(wall))
    return render(request, "workshops/wall_create.html", {"room": room, "form": form})


# --- The wall's page --------------------------------------------------------------------------


def client_config(
    request: AuthenticatedRequest, wall: Wall, extra: dict[str, Any], *, projection: bool = False
) -> dict[str, Any]:
    """What the wall's client reads from the page (json_script "wall-config"); the live
    state (mode, round, results…) comes with the socket's "abilities" message too."""
    return {
        "wall": str(wall.pk),
        "question": wall.question,
        "wsUrl": ws_base(request, walls.WALL_PATH),
        "sheetUrl": ws_base(request, walls.SHEET_PATH),
        "projection": projection,
        "propose": wall.room.subgroup_id is not None and not projection,
        "columns": extra["columns"],
        "colours": [{"key": key, "label": str(label)} for key, label in colour_labels()],
        "me": extra["me"],
        "mode": extra["mode"],
        "anonymous": extra["anonymous"],
        "facilitate": extra["facilitate"],
        "limits": {
            **extra["limits"],
            "cluster": rules.limit("WALL_CLUSTER_NAME_MAX_CHARS"),
            "comment": rules.limit("WALL_COMMENT_MAX_CHARS"),
        },
        "urls": {
            "page": _back(wall),
            "projection": reverse("workshops:wall_projection", args=[wall.pk]),
            "proposal": reverse("workshops:wall_proposal", args=[wall.pk]),
            "export": reverse("workshops:wall_export", args=[wall.pk]),
        },
        "labels": wall_labels(),
    }


def colour_labels() -> list[tuple[str, str]]:
    return [
        ("jaune", _("yellow")),
        ("rose", _("pink")),
        ("bleu", _("blue")),
        ("vert", _("green")),
        ("orange", _("orange")),
        ("violet", _("purple")),
    ]


def wall_labels() -> dict[str, str]:
    """The client's words, in the page's language."""
    return {
        "addNote": _("Add a note"),
        "moveTo": _("Move to…"),
        "group": _("Group"),
        "newGroup": _("New group"),
        "noGroup": _("No group"),
        "comment": _("Comment"),
        "delete": _("Delete"),
        "anonymous": _("Anonymous"),
        "dots": _("Dots"),
        "dotsLeft": _("Dots left: %(n)s"),
        "results": _("Results"),
        "refused": _("Your change was refused: the wall has been reloaded."),
        "silent": _("Silent writing: only you see your notes until the facilitator reveals them."),
        "readonly": _("This wall is read-only."),
        "vote": _("Dot vote in progress."),
        "createProposal": _("Create a proposal"),
    }


def _wall_context(
    request: AuthenticatedRequest, wall: Wall, *, projection: bool = False
) -> dict[str, Any]:
    from workshops.stores import wall_extra

    abilities = wall.get_abilities(request.user)
    extra = wall_extra(wall, request.user, abilities)
    content = walls.wall_content(wall.pk)
    round_ = walls.current_round(wall)
    counts = walls.dot_counts(round_)
    sections = walls.reading_order(wall, content)
    for section in sections:
        for group in section["groups"]:
            group["dots"] = counts.get(group["target"], 0)
            for note in group["notes"]:
                note["dots"] = counts.get(note["target"], 0)
    mine: list[dict[str, Any]] = []
    if extra["sheet"]:
        from workshops import ydocs

        sheet = ydocs.content(ydocs.load(extra["sheet"], walls.SHEET_ROOTS).doc, walls.SHEET_ROOTS)
        mine = [{"key": k, **v} for k, v in sorted(sheet["notes"].items()) if isinstance(v, dict)]
    return {
        "wall": wall,
        "room": wall.room,
        "abilities": abilities,
        "locked": walls.is_locked(wall),
        "sections": sections,
        "notes_count": sum(len(g["notes"]) for s in sections for g in s["groups"]),
        "my_sheet_notes": mine,
        "round": round_,
        "results": extra["results"],
        "voters": extra["round"].get("voters") if extra["round"] else None,
        "config": client_config(request, wall, extra, projection=projection),
        "wall_text": wall_text(),
        "ydoc_url": ws_base(request, walls.WALL_PATH),
        "mode_form": ModeForm(initial={"mode": wall.mode}),
        "round_form": RoundForm(),
        "settings_form": WallForm(
            initial={
                "question": wall.question,
                "columns": WallForm.columns_text(wall.columns or []),
                "anonymous_allowed": wall.anonymous_allowed,
            }
        ),
        "modes": WallMode.choices,
        "may_propose": wall.room.subgroup_id is not None,
    }


@login_required
@require_GET
def wall(request: AuthenticatedRequest, wall_id: uuid.UUID) -> HttpResponse:
    wall = walls.access_wall(request.user, wall_id)
    return render(request, "workshops/wall.html", _wall_context(request, wall))


@login_required
@require_GET
def wall_projection(request: AuthenticatedRequest, wall_id: uuid.UUID) -> HttpResponse:
    """The room's screen: the wall full screen, live, with the results once revealed."""
    wall = walls.access_wall(request.user, wall_id)
    _facilitating(request, wall)
    return render(
        request, "workshops/wall_projection.html", _wall_context(request, wall, projection=True)
    )


# --- Facilitators' forms ----------------------------------------------------------------------


@login_required
@require_POST
def wall_mode(request: AuthenticatedRequest, wall_id: uuid.UUID) -> HttpResponse:
    wall = walls.access_wall(request.user, wall_id)
    _facilitating(request, wall)
    form = ModeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a mode."))
        return redirect(_back(wall))
    mode = form.cleaned_data["mode"]
    leaving_silent = wall.mode == WallMode.SILENT and mode != WallMode.SILENT
    moved = walls.set_mode(wall, mode, by=request.user)
    if leaving_silent:
        messages.success(
            request, _("The notes are revealed (%(n)s moved onto the wall).") % {"n": moved}
        )
    messages.success(
        request, _("The wall is now in « %(mode)s » mode.") % {"mode": WallMode(mode).label}
    )
    return redirect(_back(wall))


@login_required
@require_POST
def wall_round(request: AuthenticatedRequest, wall_id: uuid.UUID) -> HttpResponse:
    wall = walls.access_wall(request.user, wall_id)
    _facilitating(request, wall)
    action = request.POST.get("action", "")
    if action == "open":
        form = RoundForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose between 1 and 20 dots per person."))
            return redirect(_back(wall))
        walls.open_round(wall, dots=form.cleaned_data["dots"], by=request.user)
        messages.success(request, _("The vote is open."))
    elif action == "close":
        if walls.close_round(wall, by=request.user) is None:
            messages.error(request, _("No vote is open on this wall."))
        else:
            messages.success(
                request, _("The vote is closed; reveal the results when you are ready.")
            )
    elif action == "reveal":
        if walls.reveal_round(wall, by=request.user) is None:
            messages.error(request, _("There is no vote to reveal."))
        else:
            messages.success(request, _("The results are shown to everyone."))
    else:
        messages.error(request, _("Unknown action."))
    return redirect(_back(wall))


@login_required
@require_POST
def wall_settings(request: AuthenticatedRequest, wall_id: uuid.UUID) -> HttpResponse:
    wall = walls.access_wall(request.user, wall_id)
    _facilitating(request, wall)
    form = WallForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return redirect(_back(wall))
    walls.update_settings(
        wall,
        question=form.cleaned_data["question"],
        columns=form.cleaned_data["columns"],
        anonymous_allowed=form.cleaned_data["anonymous_allowed"],
    )
    messages.success(request, _("The wall's settings are saved."))
    return redirect(_back(wall))


@login_required
@require_POST
def wall_proposal(request: AuthenticatedRequest, wall_id: uuid.UUID) -> HttpResponse:
    """« Créer une proposition » from a note or a group: a new proposal of the subgroup."""
    wall = walls.access_wall(request.user, wall_id)
    target = request.POST.get("target", "")
    try:
        proposal = walls.proposal_from(
            wall, request.user, target, back_url=request.build_absolute_uri(_back(wall))
        )
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, error_text(exc))
        return redirect(_back(wall))
    messages.success(request, _("The proposal is started from the wall."))
    return redirect("proposal", proposal.pk)


@login_required
@require_GET
def wall_export(request: AuthenticatedRequest, wall_id: uuid.UUID) -> HttpResponse:
    """The wall as a Word document, from its stored state (no browser)."""
    from deliberation.export import DOCX_MIME
    from deliberation.views_export import download
    from workshops.export import wall_docx

    wall = walls.access_wall(request.user, wall_id)
    return download(wall_docx(wall), DOCX_MIME, wall.question, ".docx")
