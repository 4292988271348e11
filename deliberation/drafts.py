"""Drafts as stored Yjs documents: template, loading, appending, compaction, versions.

A draft's state is its `snapshot` merged with every `DraftUpdate` still stored for it.
Yjs updates commute and applying one twice is harmless, so the state never depends on
the order in which rows are read, and compaction only ever deletes rows it has merged
into the snapshot in the same transaction. The editor (Tiptap through y-prosemirror)
keeps its content in the `XmlFragment` named ``default``: blocks are `XmlElement`s named
after ProseMirror nodes (``heading`` with a numeric ``level``, ``paragraph``,
``bulletList``/``orderedList``/``listItem``, ``blockquote``, ``callout``, ``table``/
``tableRow``/``tableHeader``/``tableCell``, ``figureCaption``), and text carries marks as
formatting attributes (``bold``, ``italic``, ``link`` with ``href``, ``comment``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pycrdt
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from deliberation.models import (
    Draft,
    DraftContribution,
    DraftUpdate,
    DraftVersion,
)

FRAGMENT = "default"

# Limits (settings may lower them for tests and benches). See docs/protocol.md.
MAX_UPDATE_BYTES: int = getattr(settings, "DRAFT_MAX_UPDATE_BYTES", 512 * 1024)
MAX_DOCUMENT_BYTES: int = getattr(settings, "DRAFT_MAX_DOCUMENT_BYTES", 8 * 1024 * 1024)
# Updates are merged into the snapshot once this many are stored beside it.
COMPACT_EVERY: int = getattr(settings, "DRAFT_COMPACT_EVERY", 500)


def template_sections() -> list[tuple[str, str]]:
    """The sections every new draft starts with, in the assembly's language (French)."""
    with translation.override(settings.LANGUAGE_CODE):
        return [
            (_("Findings"), _("Describe what you observed, heard and read…")),
            (_("Proposal"), _("Say what you propose to the Département, concretely…")),
            (_("Expected impacts"), _("Say what will change, for whom, and how to measure it…")),
            (
                _("Points of attention"),
                _("Name the risks, the limits, the conditions for success…"),
            ),
        ]


def template_update() -> bytes:
    """A Yjs update that fills an empty draft with the template's headings and hints."""
    doc: pycrdt.Doc = pycrdt.Doc()
    fragment = doc.get(FRAGMENT, type=pycrdt.XmlFragment)
    with doc.transaction():
        for heading, _hint in template_sections():
            fragment.children.append(
                # A number, as Tiptap stores it (pycrdt's hint says str; any JSON value works).
                pycrdt.XmlElement("heading", {"level": 2}, [pycrdt.XmlText(heading)])  # type: ignore[arg-type]
            )
            # An empty paragraph: the editor shows the hint in it as a placeholder
            # (frontend/src/placeholder.js), nothing to delete before writing.
            fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText()]))
    return doc.get_update()


def new_doc(*updates: bytes) -> pycrdt.Doc:
    doc: pycrdt.Doc = pycrdt.Doc()
    doc.get(FRAGMENT, type=pycrdt.XmlFragment)
    for update in updates:
        if update:
            doc.apply_update(update)
    return doc


@dataclass
class Loaded:
    doc: pycrdt.Doc
    last_update_id: int
    stored_bytes: int
    frozen: bool


def load(draft_id: Any) -> Loaded:
    """The draft's full state from the database (snapshot plus the updates since)."""
    draft = Draft.objects.only("snapshot", "frozen").get(pk=draft_id)
    snapshot = bytes(draft.snapshot or b"")
    doc = new_doc(snapshot)
    last, size = 0, len(snapshot)
    for update_id, data in (
        DraftUpdate.objects.filter(draft_id=draft_id).order_by("id").values_list("id", "data")
    ):
        data = bytes(data)
        doc.apply_update(data)
        last, size = max(last, update_id), size + len(data)
    return Loaded(doc, last, size, draft.frozen)


def state(draft_id: Any) -> bytes:
    """The draft's full state as one Yjs update."""
    return load(draft_id).doc.get_update()


def append(draft_id: Any, items: list[tuple[bytes, Any]], *, known_authors: set[Any]) -> list[int]:
    """Store accepted updates (data, author id); return their ids once committed.

    This is on the path of every keystroke (nothing is relayed before it returns), so the
    usual case is one INSERT. Authors not in `known_authors` are first recorded as
    contributors since the last version (and added to the set), in the same transaction.
    """
    now = timezone.now()
    rows = [
        DraftUpdate(draft_id=draft_id, data=data, author_id=author, created_at=now)
        for data, author in items
    ]
    new_authors = {author for _, author in items if author is not None} - known_authors
    with transaction.atomic():
        DraftUpdate.objects.bulk_create(rows)
        for author in new_authors:
            DraftContribution.objects.get_or_create(draft_id=draft_id, user_id=author, version=None)
    known_authors.update(new_authors)
    return [row.pk for row in rows]


def mark_edited(draft_id: Any, when: Any) -> None:
    """Record when the draft was last written (at most every few seconds, not per update)."""
    Draft.objects.filter(pk=draft_id).update(last_edit_at=when)


def compact(draft_id: Any) -> tuple[int, int]:
    """Merge the stored updates into the snapshot; return (updates merged, snapshot bytes).

    Only rows read inside this transaction are deleted, so an update stored meanwhile
    stays beside the new snapshot and nothing is lost."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().only("snapshot").get(pk=draft_id)
        rows = list(
            DraftUpdate.objects.filter(draft_id=draft_id).order_by("id").values_list("id", "data")
        )
        if not rows:
            return 0, len(draft.snapshot or b"")
        doc = new_doc(bytes(draft.snapshot or b""), *(bytes(d) for _, d in rows))
        snapshot = doc.get_update()
        Draft.objects.filter(pk=draft_id).update(snapshot=snapshot, compacted_at=timezone.now())
        DraftUpdate.objects.filter(pk__in=[i for i, _ in rows]).delete()
    return len(rows), len(snapshot)


def create_version(
    draft_id: Any,
    kind: str,
    *,
    name: str = "",
    by: Any = None,
    only_if_changed: bool = False,
) -> DraftVersion | None:
    """Record the draft's current state as a version, with who wrote since the last one.

    With `only_if_changed` (automatic versions), nothing is recorded when the text is
    the same as the last version's and nobody wrote since: two processes noticing the
    same pause record it once."""
    with transaction.atomic():
        draft = Draft.objects.select_for_update().get(pk=draft_id)
        loaded = load(draft_id)
        text = doc_text(loaded.doc)
        pending = list(
            DraftContribution.objects.filter(draft=draft, version__isnull=True).values_list(
                "user_id", flat=True
            )
        )
        last = draft.versions.order_by("-number").first()
        if only_if_changed and last is not None and not pending and last.text == text:
            return None
        number = (draft.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = DraftVersion.objects.create(
            draft=draft,
            number=number,
            kind=kind,
            name=name[:200],
            state=loaded.doc.get_update(),
            text=text,
            created_by=by if by is None or getattr(by, "pk", None) else None,
        )
        if pending:
            version.authors.set(pending)  # type: ignore[arg-type]  # ids are accepted
            DraftContribution.objects.filter(draft=draft, version__isnull=True).update(
                version=version
            )
    return version


def restore_update(draft_id: Any, version: DraftVersion) -> bytes:
    """The update that makes the current content equal to `version`'s, as a new change.

    The current blocks are deleted and copies of the version's blocks inserted: history
    is kept (the change is one more update, and a version records it)."""
    current = load(draft_id).doc
    before = current.get_state()
    source = new_doc(bytes(version.state)).get(FRAGMENT, type=pycrdt.XmlFragment)
    target = current.get(FRAGMENT, type=pycrdt.XmlFragment)
    with current.transaction():
        while len(target.children):
            del target.children[len(target.children) - 1]
        for child in source.children:
            _append_copy(target.children, child)
    return current.get_update(before)


def _texts(node: Any) -> Iterator[Any]:
    for child in node.children:
        if isinstance(child, pycrdt.XmlText):
            yield child
        else:
            yield from _texts(child)


def replace_text(doc: pycrdt.Doc, pattern: re.Pattern[str], replacement: str) -> int:
    """Replace every match of `pattern` inside each text of the document, marks kept, in
    one transaction; return how many (an erasure replaces a person's names this way)."""
    replaced = 0
    with doc.transaction():
        for text in list(_texts(doc.get(FRAGMENT, type=pycrdt.XmlFragment))):
            chunks = list(text.diff())
            if not all(isinstance(chunk, str) for chunk, _attrs in chunks):
                continue  # an embedded object: offsets would not be those of the string
            plain = "".join(chunk for chunk, _attrs in chunks)
            matches = list(pattern.finditer(plain))
            for match in reversed(matches):
                # pycrdt counts UTF-8 bytes.
                start = len(plain[: match.start()].encode("utf-8"))
                end = len(plain[: match.end()].encode("utf-8"))
                attrs = _attrs_at(chunks, match.start())
                del text[start:end]
                text.insert(start, replacement, attrs)
            replaced += len(matches)
    return replaced


def _attrs_at(chunks: list[Any], index: int) -> dict[str, Any] | None:
    position = 0
    for chunk, attrs in chunks:
        position += len(chunk)
        if index < position:
            return dict(attrs) if attrs else None
    return None


def _append_copy(children: Any, node: Any) -> None:
    """Append to `children` a copy of `node` (from another document), marks included."""
    if isinstance(node, pycrdt.XmlText):
        text = children.append(pycrdt.XmlText())
        offset = 0
        for chunk, attrs in node.diff():
            if isinstance(chunk, str) and chunk:
                text.insert(offset, chunk, dict(attrs) if attrs else None)
                offset += len(chunk.encode("utf-8"))  # pycrdt counts UTF-8 bytes
        return
    element = children.append(pycrdt.XmlElement(str(node.tag), dict(node.attributes)))
    for child in node.children:
        _append_copy(element.children, child)


# --- Reading the content ----------------------------------------------------------------


@dataclass
class Run:
    text: str
    marks: dict[str, Any] = field(default_factory=dict)


@dataclass
class Block:
    """A node of the document: an element with children, or a text made of runs."""

    type: str
    attrs: dict[str, Any] = field(default_factory=dict)
    children: list[Block] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)

    def plain(self) -> str:
        if self.type == "#text":
            return "".join(run.text for run in self.runs)
        return "".join(child.plain() for child in self.children)


def to_blocks(doc: pycrdt.Doc) -> list[Block]:
    """The document as a tree of blocks, for export, diff and text."""
    fragment = doc.get(FRAGMENT, type=pycrdt.XmlFragment)
    return [_block(child) for child in fragment.children]


def _block(node: Any) -> Block:
    if isinstance(node, pycrdt.XmlText):
        runs = []
        for chunk, attrs in node.diff():
            if isinstance(chunk, str):
                runs.append(Run(chunk, dict(attrs or {})))
        return Block("#text", runs=runs)
    attrs = {key: value for key, value in node.attributes}
    return Block(str(node.tag), attrs, [_block(child) for child in node.children])


def iter_lines(blocks: Iterable[Block], depth: int = 0) -> Iterator[str]:
    """Readable lines of text: one per paragraph, heading, list item or table cell."""
    for block in blocks:
        if block.type == "heading":
            level = int(float(block.attrs.get("level", 2)))
            yield "#" * level + " " + block.plain()
        elif block.type in ("paragraph", "figureCaption", "codeBlock"):
            yield block.plain()
        elif block.type == "listItem":
            inner = list(iter_lines(block.children, depth + 1))
            if inner:
                yield "  " * depth + "• " + inner[0].lstrip()
                yield from inner[1:]
        elif block.type == "#text":
            yield block.plain()
        else:
            yield from iter_lines(block.children, depth)


def doc_text(doc: pycrdt.Doc) -> str:
    return "\n".join(iter_lines(to_blocks(doc)))
