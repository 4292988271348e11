"""Suggestions (tracked changes) in a draft: what they look like in the Yjs document, the
server's check of a suggester's update, and the list of the suggestions a draft holds.

A suggestion is part of the draft's CRDT, written by the editor (frontend/src/suggest.js):

- an insertion is text carrying the mark ``insertion`` — in Yjs the formatting attribute
  ``{"insertion": {"author": "<user id>", "at": "<ISO 8601>"}}`` —, or a new block
  ``paragraph`` with the attribute ``suggestion`` (its author's id) whose text is all
  insertions of that author (« Entrée » in suggestion mode);
- a deletion is existing text carrying the mark ``deletion`` with the same attributes:
  the text stays until an editor accepts (it goes) or rejects (the mark goes).

Editors' updates are trusted (the engine does not check them). A person who may suggest
but not edit (docs/permissions.md) sends updates that `check_suggestion` reads: anything
but adding their own suggestions is refused, and never applied, stored or relayed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pycrdt

from deliberation.drafts import Block, Run
from realtime.yjs.store import Change

INSERTION = "insertion"
DELETION = "deletion"
BLOCK_ATTRIBUTE = "suggestion"  # on a paragraph a suggester added: its author's id
# Where a suggested paragraph may go: between blocks of the text, of a list item, a quote,
# a callout or a table cell (never inside a heading or a paragraph).
BLOCK_PARENTS = frozenset({"listItem", "blockquote", "callout", "tableCell", "tableHeader"})
MAX_AT_LENGTH = 40

# Refusal codes (the client resyncs whatever the code; they name the rule for the logs).
REFUSED_STRUCTURE = "structure"  # attributes of a block, blocks removed, unknown blocks
REFUSED_REMOVAL = "removal"  # text removed that is not the sender's own insertion
REFUSED_FORMAT = "format"  # formatting changed other than adding one's deletion mark
REFUSED_UNMARKED = "unmarked"  # text inserted without the sender's insertion mark
REFUSED_AUTHOR = "author"  # a suggestion under someone else's name


def _is_mine(value: Any, me: str) -> bool:
    if not isinstance(value, dict) or set(value) - {"author", "at"}:
        return False
    at = value.get("at")
    if not isinstance(at, str) or len(at) > MAX_AT_LENGTH:
        return False
    return value.get("author") == me


def _chunks(text: pycrdt.XmlText) -> list[tuple[str, dict[str, Any]]]:
    return [(str(part), dict(attrs or {})) for part, attrs in text.diff()]


def _attributes_between(text: pycrdt.XmlText, start: int, end: int) -> Iterator[dict[str, Any]]:
    """The formatting attributes of each run of `text` that overlaps [start, end), in the
    unit of pycrdt's deltas: UTF-8 bytes (« é » counts 2)."""
    position = 0
    for part, attrs in _chunks(text):
        following = position + len(part.encode("utf-8"))
        if following > start and position < end:
            yield attrs
        position = following
        if position >= end:
            return


def _node_at(root: Any, path: tuple[Any, ...]) -> Any:
    node = root
    for index in path:
        node = node.children[int(index)]
    return node


def _before_index(delta: list[dict[str, Any]], index: int) -> int | None:
    """Where the child now at `index` was before the update (None: it is new)."""
    after = before = 0
    for op in delta:
        if "retain" in op:
            count = int(op["retain"])
            if index < after + count:
                return before + index - after
            after += count
            before += count
        elif "insert" in op:
            count = len(op["insert"]) if isinstance(op["insert"], list) else 1
            if index < after + count:
                return None
            after += count
        elif "delete" in op:
            before += int(op["delete"])
    return before + index - after


class _Refused(Exception):
    def __init__(self, code: str) -> None:
        self.code = code


def check_suggestion(
    before: pycrdt.Doc, after: pycrdt.Doc, changes: list[Change], me: str, root: str
) -> str:
    """The refusal code for a suggester's update, or "" when all it does is add `me`'s
    suggestions (docs/protocol.md, « Suggestions »)."""
    try:
        _check(before, after, changes, me, root)
    except _Refused as refused:
        return refused.code
    return ""


def _check(
    before: pycrdt.Doc, after: pycrdt.Doc, changes: list[Change], me: str, root: str
) -> None:
    after_root = after.get(root, type=pycrdt.XmlFragment)
    before_root = before.get(root, type=pycrdt.XmlFragment)
    children_deltas = {
        change.path: change.delta or []
        for change in changes
        if change.action == "edit" and change.key is None
    }

    def before_node(path: tuple[Any, ...]) -> Any:
        node = before_root
        for depth in range(1, len(path)):
            index = _before_index(children_deltas.get(path[:depth], []), int(path[depth]))
            if index is None:
                raise _Refused(REFUSED_STRUCTURE)
            node = node.children[index]
        return node

    for change in changes:
        if change.path[:1] != (root,) or change.key is not None:
            raise _Refused(REFUSED_STRUCTURE)
        path = change.path[1:]
        target = _node_at(after_root, path)
        if isinstance(target, pycrdt.XmlText):
            _check_text(before_node(change.path), change.delta or [], me)
        else:
            parent_name = None if not path else str(target.tag)
            _check_children(before_node(change.path), change.delta or [], me, parent_name)


def _check_text(before: pycrdt.XmlText, delta: list[dict[str, Any]], me: str) -> None:
    position = 0
    for op in delta:
        if "retain" in op:
            count = int(op["retain"])
            attributes = op.get("attributes")
            if attributes and _all_mine(before, position, position + count, me):
                # My own pending text: I may format it (a link typed is linked), never
                # change its suggestion marks.
                if INSERTION in attributes or DELETION in attributes:
                    raise _Refused(REFUSED_FORMAT)
            elif attributes == {DELETION: None}:
                # Withdrawing my own deletion suggestion (an undo), nobody else's.
                for existing in _attributes_between(before, position, position + count):
                    if not _is_mine(existing.get(DELETION), me):
                        raise _Refused(REFUSED_AUTHOR)
            elif attributes:
                if set(attributes) != {DELETION} or not _is_mine(attributes[DELETION], me):
                    raise _Refused(_attribute_refusal(attributes, me))
                # Marking as deleted what nobody else marked: another's deletion stays theirs.
                for existing in _attributes_between(before, position, position + count):
                    if DELETION in existing and not _is_mine(existing[DELETION], me):
                        raise _Refused(REFUSED_AUTHOR)
            position += count
        elif "delete" in op:
            count = int(op["delete"])
            # Only one's own pending insertion may go (withdrawing it, as backspace does).
            for existing in _attributes_between(before, position, position + count):
                if not _is_mine(existing.get(INSERTION), me):
                    raise _Refused(REFUSED_REMOVAL)
            position += count
        elif "insert" in op:
            if not isinstance(op["insert"], str):
                raise _Refused(REFUSED_STRUCTURE)
            _check_inserted_attributes(dict(op.get("attributes") or {}), me)


def _all_mine(text: pycrdt.XmlText, start: int, end: int, me: str) -> bool:
    return all(
        _is_mine(attrs.get(INSERTION), me) and DELETION not in attrs
        for attrs in _attributes_between(text, start, end)
    )


def _attribute_refusal(attributes: dict[str, Any], me: str) -> str:
    for name in (DELETION, INSERTION):
        value = attributes.get(name)
        if isinstance(value, dict) and value.get("author") != me:
            return REFUSED_AUTHOR
    return REFUSED_FORMAT


def _check_inserted_attributes(attributes: dict[str, Any], me: str) -> None:
    insertion = attributes.get(INSERTION)
    if insertion is None:
        raise _Refused(REFUSED_UNMARKED)
    if not _is_mine(insertion, me):
        raise _Refused(REFUSED_AUTHOR)
    if attributes.get(DELETION) is not None:  # None: Yjs clearing a neighbour's mark
        raise _Refused(REFUSED_FORMAT)


def _check_children(
    before: Any, delta: list[dict[str, Any]], me: str, parent_name: str | None
) -> None:
    position = 0
    for op in delta:
        if "retain" in op:
            position += int(op["retain"])
        elif "delete" in op:
            count = int(op["delete"])
            # Only one's own suggested paragraph may go (withdrawn before anyone accepted it).
            for index in range(position, position + count):
                _check_suggested_block(before.children[index], me, REFUSED_REMOVAL)
            position += count
        elif "insert" in op:
            items = op["insert"] if isinstance(op["insert"], list) else [op["insert"]]
            for item in items:
                if isinstance(item, pycrdt.XmlText):
                    # The first words typed in an empty block: a text of its own.
                    _check_inserted_text(item, me)
                elif parent_name is not None and parent_name not in BLOCK_PARENTS:
                    raise _Refused(REFUSED_STRUCTURE)
                else:
                    _check_suggested_block(item, me, REFUSED_STRUCTURE)


def _attributes_of(node: Any) -> dict[str, Any]:
    # pycrdt's view iterates as (name, value) pairs (its type hints say otherwise).
    return {key: value for key, value in list(node.attributes)}


def _check_suggested_block(node: Any, me: str, refusal: str) -> None:
    """A paragraph the sender suggested: their attribute, and only their insertions."""
    if not isinstance(node, pycrdt.XmlElement) or node.tag != "paragraph":
        raise _Refused(refusal)
    attributes = _attributes_of(node)
    if set(attributes) != {BLOCK_ATTRIBUTE}:
        raise _Refused(refusal)
    if attributes[BLOCK_ATTRIBUTE] != me:
        raise _Refused(REFUSED_AUTHOR)
    for child in node.children:
        if not isinstance(child, pycrdt.XmlText):
            raise _Refused(refusal)
        _check_inserted_text(child, me)


def _check_inserted_text(text: pycrdt.XmlText, me: str) -> None:
    if _attributes_of(text):
        raise _Refused(REFUSED_STRUCTURE)
    for _part, attrs in _chunks(text):
        _check_inserted_attributes(attrs, me)


# --- Reading the suggestions of a draft ----------------------------------------------------------


@dataclass
class Suggestion:
    kind: str  # INSERTION or DELETION
    author: str
    at: str
    text: str


def suggestions_in(doc: pycrdt.Doc, root: str = "default") -> list[Suggestion]:
    """Every pending suggestion, in reading order; neighbouring runs of one kind by one
    author make one suggestion (as the editor shows them)."""
    found: list[Suggestion] = []

    def walk(node: Any) -> None:
        if isinstance(node, pycrdt.XmlText):
            start = len(found)  # a suggestion never runs on from one block into the next
            for part, attrs in _chunks(node):
                for kind in (INSERTION, DELETION):
                    value = attrs.get(kind)
                    if not isinstance(value, dict) or not value.get("author"):
                        continue
                    author, at = str(value["author"]), str(value.get("at") or "")
                    last = found[-1] if len(found) > start else None
                    if last and last.kind == kind and last.author == author:
                        last.text += part
                    else:
                        found.append(Suggestion(kind, author, at, part))
            return
        for child in node.children:
            walk(child)

    walk(doc.get(root, type=pycrdt.XmlFragment))
    return found


def without_pending(blocks: list[Block]) -> list[Block]:
    """The text as decided so far: pending suggestions left out, as if all were rejected
    (suggested text and paragraphs out, text suggested for deletion kept). The Word and
    HTML exports use it: what goes to the Département is what the writers accepted."""
    kept: list[Block] = []
    for block in blocks:
        if block.attrs.get(BLOCK_ATTRIBUTE):
            continue
        if block.type == "#text":
            runs = [
                Run(run.text, {k: v for k, v in run.marks.items() if k != DELETION})
                for run in block.runs
                if not isinstance(run.marks.get(INSERTION), dict)
            ]
            kept.append(Block(block.type, dict(block.attrs), [], runs))
        else:
            kept.append(Block(block.type, dict(block.attrs), without_pending(block.children), []))
    return kept
