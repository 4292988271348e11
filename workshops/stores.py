"""The workshops' document kinds for the Yjs engine (realtime/yjs): `wall` at
/ws/walls/<wall id>, `wallsheet` at /ws/wall-sheets/<sheet id> (its owner only) and
`board` at /ws/boards/<board id>; registered in WorkshopsConfig.ready().

Rights come from the room (forums Room.get_abilities): read → read, write → write,
moderate (its facilitators, the DCCU) → facilitate. A document one may not read gets the
same answer as a missing one (4404). See docs/protocol.md, « Idea walls and whiteboards ».
"""

from __future__ import annotations

from typing import Any

import pycrdt
from django.conf import settings
from django.http import Http404

from realtime.frames import FrameError
from realtime.yjs import relay
from realtime.yjs.store import Change, DocAbilities, Limits, Verdict
from workshops import rules, walls, ydocs
from workshops.models import Wall, WallMode, WallSheet


def _limits(prefix: str) -> Limits:
    return Limits(
        int(getattr(settings, f"{prefix}_MAX_UPDATE_BYTES", 256 * 1024)),
        int(getattr(settings, f"{prefix}_MAX_DOCUMENT_BYTES", 8 * 1024 * 1024)),
        int(getattr(settings, f"{prefix}_COMPACT_EVERY", 500)),
    )


def _identity(user: Any) -> dict[str, str]:
    from deliberation.proposals import writer_identity

    return writer_identity(user)


def append_server_update(kind: str, doc_id: Any, data: bytes, author: Any = None) -> None:
    """Store an update made by the server (reveal, restore, erasure) and relay it."""
    ydocs.append(doc_id, [(data, getattr(author, "pk", author))], known_authors=set())
    relay.broadcast_update(kind, doc_id, data)


def wall_extra(wall: Wall, user: Any, abilities: dict[str, bool]) -> dict[str, Any]:
    """What the wall's client is told beside "edit" (docs/protocol.md)."""
    from deliberation.people import person_name
    from workshops.models import NoteAuthor

    facilitate = bool(abilities["facilitate"])
    sheet = ""
    if wall.mode == WallMode.SILENT and abilities["write"] and not walls.is_locked(wall):
        sheet = str(walls.sheet_for(wall, user).pk)
    round_ = walls.current_round(wall)
    round_info = results = None
    if round_ is not None:
        mine = walls.my_dots(round_, user)
        round_info = {
            "id": round_.pk,
            "dots": round_.dots,
            "left": max(0, round_.dots - sum(mine.values())),
            "mine": mine,
            "open": round_.is_open,
            "revealed": round_.revealed_at is not None,
        }
        if facilitate:
            round_info["voters"] = walls.voters(round_)
        if round_.revealed_at is not None:
            results = walls.ranking(round_)
    own = NoteAuthor.objects.filter(wall=wall, person=user, anonymous=True)
    return {
        "mode": wall.mode,
        "columns": [{"key": c["key"], "label": c["label"]} for c in wall.columns or []],
        "anonymous": wall.anonymous_allowed,
        "facilitate": facilitate,
        "me": {"key": walls.me_key(user), "name": person_name(user)},
        "sheet": sheet,
        "round": round_info,
        "results": results,
        "limits": {
            "notes": rules.limit("WALL_MAX_NOTES"),
            "text": rules.limit("WALL_NOTE_MAX_CHARS"),
        },
        "own": sorted(own.values_list("note", flat=True)),
    }


class CheckedStore(ydocs.YDocStore):
    """A kind of this app whose updates `rules` checks (realtime/yjs/store.py,
    CheckedDocStore); facts are recorded only by the wall (who wrote each note)."""

    def check(
        self, before: pycrdt.Doc, after: pycrdt.Doc, changes: list[Change], extra: dict[str, Any]
    ) -> Verdict:
        raise NotImplementedError

    def check_update(
        self,
        doc_id: str,
        before: pycrdt.Doc,
        after: pycrdt.Doc,
        changes: list[Change],
        abilities: DocAbilities,
    ) -> Verdict:
        return self.check(before, after, changes, abilities.extra)

    def record_facts(self, doc_id: str, facts: list[tuple[Any, Any]]) -> None:
        """Nothing to record (a sheet's notes get their author when they move onto the
        wall; boards record nothing)."""


class WallStore(CheckedStore):
    kind = walls.WALL_KIND
    ROOTS = walls.WALL_ROOTS

    def check(
        self, before: pycrdt.Doc, after: pycrdt.Doc, changes: list[Change], extra: dict[str, Any]
    ) -> Verdict:
        return rules.check_wall(before, after, changes, extra)

    def limits(self) -> Limits:
        return _limits("WALL")

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        try:
            wall = walls.access_wall(user, doc_id)
        except Http404:
            return None
        abilities = wall.get_abilities(user)
        write = (abilities["write"] or abilities["facilitate"]) and not walls.is_locked(wall)
        return DocAbilities(
            write=write, identity=_identity(user), extra=wall_extra(wall, user, abilities)
        )

    def locked(self, doc_id: str) -> bool:
        wall = Wall.objects.select_related("document", "room").filter(pk=doc_id).first()
        return wall is None or walls.is_locked(wall)

    def record_facts(self, doc_id: str, facts: list[tuple[Any, Any]]) -> None:
        walls.record_note_authors(doc_id, facts)

    def control(
        self, user: Any, doc_id: str, content: dict[str, Any], abilities: DocAbilities
    ) -> dict[str, Any] | None:
        if content.get("type") != "dot":
            raise FrameError("unknown", "Message inconnu.")
        try:
            wall = walls.access_wall(user, doc_id)
        except Http404 as exc:
            raise FrameError("forbidden", "Vous ne pouvez pas voter sur ce mur.") from exc
        if not wall.get_abilities(user)["write"] or walls.is_locked(wall):
            raise FrameError("forbidden", "Vous ne pouvez pas voter sur ce mur.")
        try:
            round_ = walls.place_dot(
                wall, user, str(content.get("action")), str(content.get("target", ""))
            )
        except walls.DotError as error:
            raise FrameError(error.code, error.message) from error
        mine = walls.my_dots(round_, user)
        relay.announce(
            self.kind,
            doc_id,
            {
                "type": "voters",
                "round": round_.pk,
                "voters": walls.voters(round_),
            },
        )
        return {
            "type": "dots",
            "round": round_.pk,
            "left": max(0, round_.dots - sum(mine.values())),
            "mine": mine,
        }


class SheetStore(CheckedStore):
    """A person's silent-writing sheet: only ever served to its owner, written while the
    wall is in silent mode."""

    kind = walls.SHEET_KIND
    ROOTS = walls.SHEET_ROOTS

    def check(
        self, before: pycrdt.Doc, after: pycrdt.Doc, changes: list[Change], extra: dict[str, Any]
    ) -> Verdict:
        return rules.check_wall(before, after, changes, extra, sheet=True)

    def limits(self) -> Limits:
        return _limits("WALL")

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        try:
            sheet = WallSheet.objects.select_related("wall").get(pk=doc_id)
        except (WallSheet.DoesNotExist, ValueError, TypeError, Exception):
            return None
        if sheet.owner_id != getattr(user, "pk", None):
            return None
        try:
            wall = walls.access_wall(user, sheet.wall_id)
        except Http404:
            return None
        abilities = wall.get_abilities(user)
        extra = wall_extra(wall, user, {**abilities, "facilitate": False})
        write = bool(abilities["write"]) and not walls.is_locked(wall)
        return DocAbilities(write=write, identity=_identity(user), extra=extra)


class BoardStore(CheckedStore):
    kind = walls.BOARD_KIND
    ROOTS = walls.BOARD_ROOTS

    def check(
        self, before: pycrdt.Doc, after: pycrdt.Doc, changes: list[Change], extra: dict[str, Any]
    ) -> Verdict:
        return rules.check_board(before, after, changes, extra)

    def limits(self) -> Limits:
        return _limits("BOARD")

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        from documents.access import visible_documents

        try:
            board = walls.access_board(user, doc_id)
        except Http404:
            return None
        abilities = board.get_abilities(user)
        documents = [str(pk) for pk in visible_documents(user).values_list("pk", flat=True)]
        return DocAbilities(
            write=bool(abilities["write"]) and board.room.archived_at is None,
            identity=_identity(user),
            extra={
                "facilitate": bool(abilities["facilitate"]),
                "documents": documents,
                "limits": {
                    "elements": rules.limit("BOARD_MAX_ELEMENTS"),
                    "element_bytes": rules.limit("BOARD_MAX_ELEMENT_BYTES"),
                    "files": rules.limit("BOARD_MAX_FILES"),
                },
            },
        )
