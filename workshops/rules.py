"""What the server accepts in a wall, a silent-writing sheet and a board: the checks run on
every update before it applies (realtime/yjs/store.py, CheckedDocStore), in the event
loop — no database here; what they need about the person is in the abilities' `extra`.

Limits are settings read at each use (tests lower them), documented in docs/protocol.md.
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Iterable
from typing import Any

import pycrdt
from django.conf import settings

from realtime.yjs.store import Change, Verdict

COLOURS = ("jaune", "rose", "bleu", "vert", "orange", "violet")
ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{6,40}$")
ELEMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
NOTE_FIELDS = {"text", "colour", "column", "cluster", "order", "author", "name"}
CLUSTER_FIELDS = {"name", "column", "order"}
COMMENT_FIELDS = {"id", "author", "name", "text", "at"}

# Refusal codes (the client is told {"type": "refused", "reason": code}).
MODE = "mode"  # the wall's mode does not let this person change that
NOT_YOURS = "not_yours"  # someone else's note or comment, or a name not one's own
SHAPE = "shape"  # not the documented shape (docs/protocol.md)
TOO_LONG = "too_long"
LIMIT = "limit"  # too many notes, clusters, comments, elements or files
UNKNOWN = "unknown"  # a comment on a missing note, a file outside the library


def limit(name: str) -> int:
    defaults = {
        "WALL_MAX_NOTES": 1000,
        "WALL_NOTE_MAX_CHARS": 300,
        "WALL_MAX_CLUSTERS": 200,
        "WALL_CLUSTER_NAME_MAX_CHARS": 80,
        "WALL_MAX_COMMENTS_PER_NOTE": 200,
        "WALL_COMMENT_MAX_CHARS": 500,
        "BOARD_MAX_ELEMENTS": 2000,
        "BOARD_MAX_ELEMENT_BYTES": 64 * 1024,
        "BOARD_MAX_FILES": 200,
    }
    return int(getattr(settings, name, defaults[name]))


def touched(changes: Iterable[Change]) -> dict[str, set[str]]:
    """The entries of each root map an update touched (a note, a cluster, a comment list,
    an element), whatever the depth of the change."""
    found: dict[str, set[str]] = {}
    for change in changes:
        key = change.path[1] if len(change.path) > 1 else change.key
        found.setdefault(str(change.path[0]), set()).add(str(key))
    return found


def entry(root: pycrdt.Map, key: str) -> Any:
    return root[key] if key in root else None


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


SHARED = (
    pycrdt.Text,
    pycrdt.Array,
    pycrdt.Map,
    pycrdt.XmlFragment,
    pycrdt.XmlElement,
    pycrdt.XmlText,
)


def _flat_map(value: Any) -> bool:
    """A Y.Map whose values are plain JSON (a note, a group), no shared type inside."""
    return isinstance(value, pycrdt.Map) and not any(
        isinstance(item, SHARED) for item in value.values()
    )


def _plain(value: Any) -> Any:
    return value.to_py() if isinstance(value, pycrdt.Map | pycrdt.Array) else value


# --- Walls and sheets -------------------------------------------------------------------------


class WallCheck:
    """One update on a wall (or, with `sheet`, on a person's silent-writing sheet)."""

    def __init__(self, before: pycrdt.Doc, after: pycrdt.Doc, extra: dict[str, Any], sheet: bool):
        self.before, self.after, self.extra, self.sheet = before, after, extra, sheet
        me = extra.get("me") or {}
        self.me, self.name = str(me.get("key", "")), str(me.get("name", ""))
        self.facilitate = bool(extra.get("facilitate"))
        self.columns = {str(c.get("key", "")) for c in extra.get("columns") or []} | {""}
        self.facts: list[Any] = []

    def run(self, changes: list[Change]) -> Verdict:
        mode = self.extra.get("mode")
        if self.sheet and mode != "silent":
            return Verdict(refused=MODE)
        if not self.sheet and not self.facilitate and mode != "open":
            return Verdict(refused=MODE)
        checks = {"notes": self.note, "clusters": self.cluster, "comments": self.comments}
        for root, keys in sorted(touched(changes).items()):
            if root not in checks or (self.sheet and root != "notes"):
                return Verdict(refused=SHAPE)
            old_root = self.before.get(root, type=pycrdt.Map)
            new_root = self.after.get(root, type=pycrdt.Map)
            for key in sorted(keys):
                refused = checks[root](key, entry(old_root, key), entry(new_root, key))
                if refused:
                    return Verdict(refused=refused)
        return Verdict(facts=self.facts)

    def own(self, key: str, note: dict[str, Any]) -> bool:
        author = note.get("author", "")
        return (bool(author) and author == self.me) or key in (self.extra.get("own") or [])

    def note(self, key: str, old: Any, new: Any) -> str:
        before = _plain(old) if old is not None else None
        if new is None:
            if before is None or self.facilitate or self.own(key, before):
                return ""
            return NOT_YOURS
        if not _flat_map(new):
            return SHAPE
        after: dict[str, Any] = dict(new.to_py() or {})
        if set(after) - NOTE_FIELDS:
            return SHAPE
        if before is None:
            if not ITEM_ID.match(key):
                return SHAPE
            if len(self.after.get("notes", type=pycrdt.Map)) > limit("WALL_MAX_NOTES"):
                return LIMIT
            if not isinstance(after.get("text"), str) or after.get("colour") not in COLOURS:
                return SHAPE
            anonymous = (after.get("author"), after.get("name")) == ("", "")
            if anonymous and not self.extra.get("anonymous"):
                return NOT_YOURS
            if not anonymous and (after.get("author"), after.get("name")) != (self.me, self.name):
                return NOT_YOURS
            if anonymous and not self.sheet:
                # The sender's own anonymous notes, for their next edits on this socket.
                self.extra.setdefault("own", []).append(key)
            if not self.sheet:
                self.facts.append(("note", key, anonymous))
            changed = set(after)
        else:
            changed = {f for f in NOTE_FIELDS if before.get(f) != after.get(f)}
            if changed & {"author", "name"}:
                return NOT_YOURS
            if changed & {"text", "colour"} and not (self.facilitate or self.own(key, before)):
                return NOT_YOURS
        return self._note_fields(after, changed)

    def _note_fields(self, note: dict[str, Any], changed: set[str]) -> str:
        for field in changed:
            value = note.get(field)
            if field == "text":
                if not isinstance(value, str):
                    return SHAPE
                if len(value) > limit("WALL_NOTE_MAX_CHARS"):
                    return TOO_LONG
            elif field == "colour" and value not in COLOURS:
                return SHAPE
            elif field == "column" and value not in self.columns:
                return SHAPE
            elif field == "cluster" and not (
                value == "" or (isinstance(value, str) and ITEM_ID.match(value))
            ):
                return SHAPE
            elif field == "order" and not _number(value):
                return SHAPE
            elif field in ("author", "name") and not isinstance(value, str):
                return SHAPE
        return ""

    def cluster(self, key: str, old: Any, new: Any) -> str:
        if new is None:
            return ""
        if not _flat_map(new) or not ITEM_ID.match(key):
            return SHAPE
        value: dict[str, Any] = dict(new.to_py() or {})
        if set(value) - CLUSTER_FIELDS:
            return SHAPE
        if old is None and len(self.after.get("clusters", type=pycrdt.Map)) > limit(
            "WALL_MAX_CLUSTERS"
        ):
            return LIMIT
        name = value.get("name", "")
        if not isinstance(name, str):
            return SHAPE
        if len(name) > limit("WALL_CLUSTER_NAME_MAX_CHARS"):
            return TOO_LONG
        if value.get("column", "") not in self.columns:
            return SHAPE
        if "order" in value and not _number(value["order"]):
            return SHAPE
        return ""

    def comments(self, key: str, old: Any, new: Any) -> str:
        before = {str(c.get("id")): c for c in (_plain(old) or []) if isinstance(c, dict)}
        if new is not None and not isinstance(new, pycrdt.Array):
            return SHAPE
        items = list(new) if new is not None else []
        if not all(isinstance(item, dict) for item in items):
            return SHAPE
        after = {str(c.get("id")): c for c in items}
        if len(after) != len(items):
            return SHAPE  # two comments with one id
        for comment_id, comment in before.items():
            if comment_id not in after:
                if not (self.facilitate or (self.me and comment.get("author") == self.me)):
                    return NOT_YOURS
            elif after[comment_id] != comment:
                return NOT_YOURS  # comments are not edited: removed, or added anew
        added = [c for i, c in after.items() if i not in before]
        if added and key not in self.after.get("notes", type=pycrdt.Map):
            return UNKNOWN
        if len(after) > limit("WALL_MAX_COMMENTS_PER_NOTE"):
            return LIMIT
        for comment in added:
            if set(comment) != COMMENT_FIELDS or not ITEM_ID.match(str(comment["id"])):
                return SHAPE
            if (comment["author"], comment["name"]) != (self.me, self.name):
                return NOT_YOURS
            text, at = comment["text"], comment["at"]
            if not isinstance(text, str) or not text.strip() or not isinstance(at, str):
                return SHAPE
            if len(text) > limit("WALL_COMMENT_MAX_CHARS") or len(at) > 40:
                return TOO_LONG
        return ""


def check_wall(
    before: pycrdt.Doc,
    after: pycrdt.Doc,
    changes: list[Change],
    extra: dict[str, Any],
    *,
    sheet: bool = False,
) -> Verdict:
    return WallCheck(before, after, extra, sheet).run(changes)


# --- Boards -----------------------------------------------------------------------------------


def check_board(
    before: pycrdt.Doc, after: pycrdt.Doc, changes: list[Change], extra: dict[str, Any]
) -> Verdict:
    """Elements are plain JSON objects (Excalidraw's) by id; files map an id to
    {"document": <library document id>} (an image of the library, read by the board)."""
    documents = extra.get("documents")
    for root, keys in touched(changes).items():
        if root not in ("elements", "files"):
            return Verdict(refused=SHAPE)
        old_root = before.get(root, type=pycrdt.Map)
        new_root = after.get(root, type=pycrdt.Map)
        added = False
        for key in keys:
            value = entry(new_root, key)
            if value is None:
                continue
            if not isinstance(value, dict) or not ELEMENT_ID.match(key):
                return Verdict(refused=SHAPE)
            added = added or key not in old_root
            if root == "elements":
                size = len(json.dumps(value, separators=(",", ":")))
                if size > limit("BOARD_MAX_ELEMENT_BYTES"):
                    return Verdict(refused=TOO_LONG)
            else:
                refused = _file_entry(value, documents)
                if refused:
                    return Verdict(refused=refused)
        top = limit("BOARD_MAX_ELEMENTS") if root == "elements" else limit("BOARD_MAX_FILES")
        if added and len(new_root) > top:
            return Verdict(refused=LIMIT)
    return Verdict()


def _file_entry(value: dict[str, Any], documents: list[str] | None) -> str:
    if set(value) - {"document", "mimeType"} or not isinstance(value.get("document"), str):
        return SHAPE
    if not isinstance(value.get("mimeType", ""), str) or len(value.get("mimeType", "")) > 100:
        return SHAPE
    try:
        document = str(uuid.UUID(value["document"]))
    except ValueError:
        return SHAPE
    if documents is not None and document not in documents:
        return UNKNOWN
    return ""
