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


def new_wall_doc() -> pycrdt.Doc:
    return ydocs.new_doc(WALL_ROOTS)


def new_board_doc() -> pycrdt.Doc:
    return ydocs.new_doc(BOARD_ROOTS)


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


# --- Reading a wall ---------------------------------------------------------------------------


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


# --- Modes and silent writing -----------------------------------------------------------------


def announce_wall_changed(wall: Wall) -> None:
    """Mode, round or columns changed: every socket of the wall and of its sheets re-reads
    its abilities (once the transaction commits)."""
    from realtime.yjs import relay

    relay.announce_abilities_changed(WALL_KIND, wall.pk)
    for sheet_id in wall.sheets.values_list("pk", flat=True):
        relay.announce_abilities_changed(SHEET_KIND, sheet_id)


def set_mode(wall: Wall, mode: str, *, by: Any) -> int:
    """Switch the wall's mode; leaving silent writing reveals every sheet (« révéler »).
    Returns how many notes the reveal moved onto the wall."""
    if mode not in WallMode.values:
        raise ValidationError(_("Unknown mode."))
    moved = 0
    with transaction.atomic():
        locked = Wall.objects.select_for_update().get(pk=wall.pk)
        previous = locked.mode
        Wall.objects.filter(pk=wall.pk).update(mode=mode, mode_changed_at=timezone.now())
        wall.mode = mode
        if previous == WallMode.SILENT and mode != WallMode.SILENT:
            moved = reveal_sheets(wall)
        announce_wall_changed(wall)
    return moved


def _clean_note(note: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    from workshops import rules

    text = note.get("text")
    colour = note.get("colour")
    order = note.get("order")
    return {
        "text": text[: rules.limit("WALL_NOTE_MAX_CHARS")] if isinstance(text, str) else "",
        "colour": colour if colour in rules.COLOURS else rules.COLOURS[0],
        "column": note.get("column") if note.get("column") in columns else "",
        "cluster": "",
        "order": order if isinstance(order, int | float) and not isinstance(order, bool) else 0,
        "author": str(note.get("author") or ""),
        "name": str(note.get("name") or ""),
    }


def reveal_sheets(wall: Wall) -> int:
    """Move every sheet's notes onto the wall as one server update (stored, relayed live,
    their authors recorded) and empty the sheets. Notes above the wall's limit stay on
    their sheets."""
    from workshops import rules
    from workshops.stores import append_server_update

    doc = ydocs.load(wall.pk, WALL_ROOTS).doc
    before = doc.get_state()
    notes = doc.get("notes", type=pycrdt.Map)
    columns = {str(c.get("key")) for c in wall.columns or []}
    top = rules.limit("WALL_MAX_NOTES")
    authors: list[tuple[Any, Any]] = []
    emptied: list[tuple[Any, bytes]] = []
    for sheet in wall.sheets.order_by("created_at", "pk"):
        sheet_doc = ydocs.load(sheet.pk, SHEET_ROOTS).doc
        sheet_notes = sheet_doc.get("notes", type=pycrdt.Map)
        sheet_before = sheet_doc.get_state()
        taken = []
        with doc.transaction(), sheet_doc.transaction():
            for key, value in sorted(sheet_notes.items()):
                if len(notes) >= top:
                    break
                plain = value.to_py() if isinstance(value, pycrdt.Map) else None
                if not isinstance(plain, dict):
                    continue
                target = key if key not in notes else f"{key[:32]}-{sheet.pk.hex[:6]}"
                note = _clean_note(plain, columns)
                notes[target] = pycrdt.Map(note)
                authors.append((sheet.owner_id, ("note", target, note["author"] == "")))
                taken.append(key)
            for key in taken:
                del sheet_notes[key]
        if taken:
            emptied.append((sheet.pk, sheet_doc.get_update(sheet_before)))
    if not authors:
        return 0
    append_server_update(WALL_KIND, wall.pk, doc.get_update(before))
    record_note_authors(wall.pk, authors)
    for sheet_id, update in emptied:
        append_server_update(SHEET_KIND, sheet_id, update)
    return len(authors)


# --- Rounds, from the facilitator's forms -----------------------------------------------------


def open_round(wall: Wall, *, dots: int, by: Any) -> VoteRound:
    """Close any open round, open a new one with `dots` per person, switch to vote mode."""
    if not 1 <= dots <= 20:
        raise ValidationError(_("Choose between 1 and 20 dots per person."))
    with transaction.atomic():
        wall.rounds.filter(closed_at__isnull=True).update(closed_at=timezone.now())
        round_ = VoteRound.objects.create(
            wall=wall, dots=dots, opened_by=by if getattr(by, "pk", None) else None
        )
        if wall.mode != WallMode.VOTE:
            set_mode(wall, WallMode.VOTE, by=by)
        announce_wall_changed(wall)
    return round_


def close_round(wall: Wall, *, by: Any) -> VoteRound | None:
    with transaction.atomic():
        round_ = wall.rounds.filter(closed_at__isnull=True).first()
        if round_ is not None:
            round_.closed_at = timezone.now()
            round_.save(update_fields=["closed_at"])
            announce_wall_changed(wall)
    return round_


def reveal_round(wall: Wall, *, by: Any) -> VoteRound | None:
    """Close the current round if open and show its results to everyone, live."""
    from realtime.yjs import relay

    with transaction.atomic():
        round_ = current_round(wall)
        if round_ is None:
            return None
        now = timezone.now()
        round_.closed_at = round_.closed_at or now
        round_.revealed_at = round_.revealed_at or now
        round_.save(update_fields=["closed_at", "revealed_at"])
        relay.announce(
            WALL_KIND,
            wall.pk,
            {
                "type": "results",
                "round": round_.pk,
                "ranking": ranking(round_),
            },
        )
        announce_wall_changed(wall)
    return round_


def update_settings(
    wall: Wall, *, question: str, columns: list[dict[str, str]], anonymous_allowed: bool
) -> None:
    with transaction.atomic():
        Wall.objects.filter(pk=wall.pk).update(
            question=question, columns=columns, anonymous_allowed=anonymous_allowed
        )
        wall.question, wall.columns = question, columns
        wall.anonymous_allowed = anonymous_allowed
        announce_wall_changed(wall)


# --- Reading order (the page without JavaScript, the export) ----------------------------------


def reading_order(wall: Wall, content: dict[str, Any]) -> list[dict[str, Any]]:
    """The wall as sections in reading order: one per column (one in all without columns),
    each with its groups (clusters by order, then notes outside any group) and their notes
    by order: [{"key", "label", "groups": [{"key", "name", "notes": [note…]}]}]."""

    def order(item: tuple[str, Any]) -> tuple[float, str]:
        value = item[1].get("order") if isinstance(item[1], dict) else None
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else 0
        return float(number), item[0]

    columns = [(str(c["key"]), str(c["label"])) for c in wall.columns or []] or [("", "")]
    keys = {key for key, _label in columns}
    clusters = {k: v for k, v in content.get("clusters", {}).items() if isinstance(v, dict)}
    comments = content.get("comments", {})
    sections = []
    for column, label in columns:
        groups: dict[str, list[dict[str, Any]]] = {}
        for key, note in sorted(content.get("notes", {}).items(), key=order):
            if not isinstance(note, dict):
                continue
            note_column = note.get("column") if note.get("column") in keys else columns[0][0]
            if note_column != column:
                continue
            cluster = str(note.get("cluster")) if note.get("cluster") in clusters else ""
            thread = comments.get(key) if isinstance(comments.get(key), list) else []
            groups.setdefault(cluster, []).append(
                {
                    "key": key,
                    "target": f"n:{key}",
                    **note,
                    "comments": [c for c in thread if isinstance(c, dict)],
                }
            )
        ordered = [
            {
                "key": key,
                "target": f"c:{key}",
                "name": str(cluster.get("name", "")),
                "notes": groups[key],
            }
            for key, cluster in sorted(clusters.items(), key=order)
            if key in groups
        ]
        if "" in groups:
            ordered.append({"key": "", "target": "", "name": "", "notes": groups[""]})
        sections.append({"key": column, "label": label, "groups": ordered})
    return sections


def dot_counts(round_: VoteRound | None) -> dict[str, int]:
    """Dots by target of a revealed round (nothing before it is revealed)."""
    if round_ is None or round_.revealed_at is None:
        return {}
    rows = round_.dot_set.values("target").annotate(n=Count("pk"))
    return {row["target"]: row["n"] for row in rows}


# --- From a note or a group to a proposal -----------------------------------------------------


def proposal_from(wall: Wall, user: Any, target: str, *, back_url: str) -> Any:
    """Start a proposal of the wall's subgroup from a note (its text) or a group (its name,
    its notes as a list), with a link back to the wall in the draft's first section."""
    from deliberation import draft_store, drafts
    from deliberation.proposals import do_create_proposal

    subgroup = wall.room.subgroup
    if subgroup is None:
        raise ValidationError(_("Only a subgroup's wall can start a proposal."))
    content = wall_content(wall.pk)
    label = target_label(content, target)
    if label is None:
        raise ValidationError(_("This note or group no longer exists."))
    if target.startswith("c:"):
        key = target[2:]
        items = [
            str(note.get("text", ""))
            for _key, note in sorted(content["notes"].items())
            if isinstance(note, dict) and note.get("cluster") == key
        ]
    else:
        items = [label]
    title = " ".join(label.split())[:200] or wall.question[:200]
    proposal = do_create_proposal(user, subgroup, title)
    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    with doc.transaction():
        at = 1 if len(fragment.children) else 0
        bullets = pycrdt.XmlElement(
            "bulletList",
            {},
            [
                pycrdt.XmlElement(
                    "listItem", {}, [pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(text)])]
                )
                for text in items
                if text.strip()
            ],
        )
        fragment.children.insert(at, bullets)
        source = pycrdt.XmlText()
        paragraph = pycrdt.XmlElement("paragraph", {}, [source])
        fragment.children.insert(at + 1, paragraph)
        words = _("From the idea wall « %(question)s »") % {"question": wall.question}
        source.insert(0, words, {"link": {"href": back_url}})
    draft_store.append_server_update(proposal.draft.pk, doc.get_update(before), user)
    return proposal
