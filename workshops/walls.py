"""Idea walls: creation, who sees what, modes, silent-writing sheets and their reveal, dot
votes. The socket side (rights, checks, the dot control) is in workshops/stores.py."""

from __future__ import annotations

from typing import Any

import pycrdt
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from workshops import ydocs
from workshops.models import (
    Board,
    DocKind,
    Dot,
    NoteAuthor,
    VoteRound,
    Wall,
    WallMode,
    WallSheet,
    YDocument,
)

WALL_KIND = "wall"
WALL_PATH = "walls"
SHEET_KIND = "wallsheet"
SHEET_PATH = "wall-sheets"
BOARD_KIND = "board"
BOARD_PATH = "boards"

WALL_ROOTS: ydocs.Roots = {"notes": pycrdt.Map, "clusters": pycrdt.Map, "comments": pycrdt.Map}
SHEET_ROOTS: ydocs.Roots = {"notes": pycrdt.Map}
BOARD_ROOTS: ydocs.Roots = {"elements": pycrdt.Map, "files": pycrdt.Map}


def me_key(user: Any) -> str:
    """How a note names its author in the document: « u<pk> »."""
    return f"u{user.pk}"


# --- Creation and access ----------------------------------------------------------------------


def create_wall(
    room: Any,
    *,
    question: str,
    by: Any,
    columns: list[dict[str, str]] | None = None,
    anonymous_allowed: bool = False,
) -> Wall:
    with transaction.atomic():
        document = YDocument.objects.create(kind=DocKind.WALL)
        return Wall.objects.create(
            id=document.pk,
            document=document,
            room=room,
            question=question,
            columns=columns or [],
            anonymous_allowed=anonymous_allowed,
            created_by=by if getattr(by, "pk", None) else None,
        )


def create_board(room: Any, *, title: str, by: Any) -> Board:
    with transaction.atomic():
        document = YDocument.objects.create(kind=DocKind.BOARD)
        return Board.objects.create(
            id=document.pk,
            document=document,
            room=room,
            title=title,
            created_by=by if getattr(by, "pk", None) else None,
        )


def _get(model: Any, user: Any, pk: Any) -> Any:
    try:
        item = model.objects.select_related("room", "room__subgroup", "document").get(pk=pk)
    except (model.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if not item.get_abilities(user)["read"]:
        raise Http404
    return item


def access_wall(user: Any, wall_id: Any) -> Wall:
    """The wall, or 404 when it is missing or may not be read (the same answer)."""
    return _get(Wall, user, wall_id)  # type: ignore[no-any-return]


def access_board(user: Any, board_id: Any) -> Board:
    return _get(Board, user, board_id)  # type: ignore[no-any-return]


def is_locked(wall: Wall) -> bool:
    """Nobody writes on a read-only wall, a frozen one, or one of an archived room."""
    return (
        wall.mode == WallMode.READONLY or wall.document.frozen or wall.room.archived_at is not None
    )


def sheet_for(wall: Wall, user: Any) -> WallSheet:
    """The person's silent-writing sheet on the wall, made when first needed."""
    sheet = WallSheet.objects.filter(wall=wall, owner=user).first()
    if sheet is not None:
        return sheet
    try:
        with transaction.atomic():
            document = YDocument.objects.create(kind=DocKind.SHEET)
            return WallSheet.objects.create(
                id=document.pk, wall=wall, owner=user, document=document
            )
    except IntegrityError:  # made meanwhile by another socket of the person
        return WallSheet.objects.get(wall=wall, owner=user)


# --- Reading a wall ------------------------------------------------------------------------------


def wall_content(wall_id: Any) -> dict[str, Any]:
    """The stored wall as plain values: {"notes": {id: {...}}, "clusters": …, "comments": …}."""
    return ydocs.content(ydocs.load(wall_id, WALL_ROOTS).doc, WALL_ROOTS)


def target_label(content: dict[str, Any], target: str) -> str | None:
    """What a dot target names (a note's text, a cluster's name), None if it does not exist."""
    prefix, _sep, key = target.partition(":")
    if prefix == "n":
        note = content["notes"].get(key)
        return None if not isinstance(note, dict) else str(note.get("text", ""))
    if prefix == "c":
        cluster = content["clusters"].get(key)
        return None if not isinstance(cluster, dict) else str(cluster.get("name", ""))
    return None


# --- Rounds and dots --------------------------------------------------------------------------


def current_round(wall: Wall) -> VoteRound | None:
    return wall.rounds.order_by("-opened_at", "-pk").first()


def ranking(round_: VoteRound, content: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The targets by dots, most first (then by label): [{"target", "label", "dots"}]."""
    content = content if content is not None else wall_content(round_.wall_id)
    rows = round_.dot_set.values("target").annotate(n=Count("pk")).order_by("-n", "target")
    result = []
    for row in rows:
        label = target_label(content, row["target"])
        result.append(
            {
                "target": row["target"],
                "label": label if label is not None else _("(removed)"),
                "dots": row["n"],
            }
        )
    return result


def voters(round_: VoteRound) -> int:
    return round_.dot_set.values("person").distinct().count()


def my_dots(round_: VoteRound, user: Any) -> dict[str, int]:
    rows = round_.dot_set.filter(person=user).values("target").annotate(n=Count("pk"))
    return {row["target"]: row["n"] for row in rows}


class DotError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code, self.message = code, message


def place_dot(wall: Wall, user: Any, action: str, target: str) -> VoteRound:
    """Add or remove one of the person's dots in the open round. Nobody places more than the
    round's dots however many frames arrive at once: the round is locked while counting
    (PostgreSQL), and each dot takes one of the person's numbered slots (unique)."""
    if action not in ("add", "remove") or not isinstance(target, str):
        raise DotError("unknown_target", _("Unknown target."))
    with transaction.atomic():
        round_ = wall.rounds.select_for_update().filter(closed_at__isnull=True).first()
        if round_ is None:
            raise DotError("no_round", _("No vote is open on this wall."))
        if action == "remove":
            dot = round_.dot_set.filter(person=user, target=target).order_by("-slot").first()
            if dot is not None:
                dot.delete()
            return round_
        if target_label(wall_content(wall.pk), target) is None:
            raise DotError("unknown_target", _("This note or group no longer exists."))
        taken = set(round_.dot_set.filter(person=user).values_list("slot", flat=True))
        free = [slot for slot in range(1, round_.dots + 1) if slot not in taken]
        if not free:
            raise DotError("no_dots_left", _("You have placed all your dots."))
        try:
            with transaction.atomic():
                Dot.objects.create(round=round_, person=user, slot=free[0], target=target)
        except IntegrityError as exc:  # the same slot taken at once by another frame
            raise DotError("no_dots_left", _("You have placed all your dots.")) from exc
    return round_


def record_note_authors(wall_id: Any, facts: list[tuple[Any, Any]]) -> None:
    for author, fact in facts:
        kind, note, anonymous = fact
        if kind != "note":
            continue
        NoteAuthor.objects.update_or_create(
            wall_id=wall_id,
            note=note,
            defaults={
                "person_id": author,
                "anonymous": bool(anonymous),
                "created_at": timezone.now(),
            },
        )
