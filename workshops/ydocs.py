"""The storage of every Yjs document of the workshops (walls, sheets, boards), written once
for all their kinds: loading, appending, catch-up, compaction, versions and restore.

The same approach as the drafts' (deliberation/drafts.py): a document's state is its
`snapshot` merged with every `YDocumentUpdate` still stored for it; updates commute, so
the state never depends on the order rows are read in, and compaction deletes only the
rows it merged into the snapshot, in the same transaction.
"""

from __future__ import annotations

from typing import Any

import pycrdt
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from realtime.yjs.store import Loaded
from workshops.models import YDocument, YDocumentContribution, YDocumentUpdate, YDocumentVersion

Roots = dict[str, type]


def new_doc(roots: Roots, *updates: bytes) -> pycrdt.Doc:
    doc: pycrdt.Doc = pycrdt.Doc()
    for name, root_type in roots.items():
        doc.get(name, type=root_type)
    for update in updates:
        if update:
            doc.apply_update(update)
    return doc


def load(doc_id: Any, roots: Roots) -> Loaded:
    """The document's full state (snapshot plus the updates since); `locked` is its
    `frozen` flag (a kind may lock it for more reasons)."""
    document = YDocument.objects.only("snapshot", "frozen").get(pk=doc_id)
    snapshot = bytes(document.snapshot or b"")
    doc = new_doc(roots, snapshot)
    last, size = 0, len(snapshot)
    rows = YDocumentUpdate.objects.filter(document_id=doc_id).order_by("id")
    for update_id, data in rows.values_list("id", "data"):
        data = bytes(data)
        doc.apply_update(data)
        last, size = max(last, update_id), size + len(data)
    return Loaded(doc, last, size, document.frozen)


def append(doc_id: Any, items: list[tuple[bytes, Any]], *, known_authors: set[Any]) -> list[int]:
    """Store accepted updates (data, author id) in one transaction; return their ids. New
    authors are recorded as contributors since the last version."""
    now = timezone.now()
    rows = [
        YDocumentUpdate(document_id=doc_id, data=data, author_id=author, created_at=now)
        for data, author in items
    ]
    new_authors = {author for _, author in items if author is not None} - known_authors
    with transaction.atomic():
        YDocumentUpdate.objects.bulk_create(rows)
        for author in new_authors:
            YDocumentContribution.objects.get_or_create(
                document_id=doc_id, user_id=author, version=None
            )
    known_authors.update(new_authors)
    return [row.pk for row in rows]


def since(doc_id: Any, after: int, seen: set[int]) -> tuple[int, list[tuple[int, bytes]]]:
    """The highest stored id above `after`, and the rows above it not in `seen`."""
    stored = YDocumentUpdate.objects.filter(document_id=doc_id, id__gt=after)
    ids = list(stored.values_list("id", flat=True))
    missing = [i for i in ids if i not in seen]
    rows = (
        YDocumentUpdate.objects.filter(pk__in=missing).order_by("id").values_list("id", "data")
        if missing
        else []
    )
    return max(ids, default=after), [(i, bytes(d)) for i, d in rows]


def compact(doc_id: Any, roots: Roots) -> tuple[int, int]:
    """Merge the stored updates into the snapshot; return (updates merged, snapshot bytes)."""
    with transaction.atomic():
        document = YDocument.objects.select_for_update().only("snapshot").get(pk=doc_id)
        stored = YDocumentUpdate.objects.filter(document_id=doc_id).order_by("id")
        rows = list(stored.values_list("id", "data"))
        if not rows:
            return 0, len(document.snapshot or b"")
        doc = new_doc(roots, bytes(document.snapshot or b""), *(bytes(d) for _, d in rows))
        snapshot = doc.get_update()
        YDocument.objects.filter(pk=doc_id).update(snapshot=snapshot, compacted_at=timezone.now())
        YDocumentUpdate.objects.filter(pk__in=[i for i, _ in rows]).delete()
    return len(rows), len(snapshot)


def mark_edited(doc_id: Any, when: Any) -> None:
    YDocument.objects.filter(pk=doc_id).update(last_edit_at=when)


def create_version(
    doc_id: Any,
    roots: Roots,
    kind: str,
    *,
    name: str = "",
    by: Any = None,
    only_if_changed: bool = False,
) -> YDocumentVersion | None:
    """Record the current state as a version, with who wrote since the last one; with
    `only_if_changed`, nothing when nobody wrote and the content is the last version's."""
    with transaction.atomic():
        document = YDocument.objects.select_for_update().get(pk=doc_id)
        doc = load(doc_id, roots).doc
        pending = list(
            YDocumentContribution.objects.filter(
                document=document, version__isnull=True
            ).values_list("user_id", flat=True)
        )
        last = document.versions.order_by("-number").first()
        if only_if_changed and last is not None and not pending:
            if content(new_doc(roots, bytes(last.state)), roots) == content(doc, roots):
                return None
        number = (document.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = YDocumentVersion.objects.create(
            document=document,
            number=number,
            kind=kind,
            name=name[:200],
            state=doc.get_update(),
            created_by=by if getattr(by, "pk", None) else None,
        )
        if pending:
            version.authors.set(pending)  # type: ignore[arg-type]  # ids are accepted
            YDocumentContribution.objects.filter(document=document, version__isnull=True).update(
                version=version
            )
    return version


def content(doc: pycrdt.Doc, roots: Roots) -> dict[str, Any]:
    """The document's content as plain Python values, root by root."""
    return {name: doc.get(name, type=root_type).to_py() for name, root_type in roots.items()}


def restore_update(doc_id: Any, version: YDocumentVersion, roots: Roots) -> bytes:
    """The update that makes the current content equal to `version`'s, as a new change
    (history is kept): every root emptied, then filled with copies of the version's
    entries, shared types copied as shared types."""
    current = load(doc_id, roots).doc
    before = current.get_state()
    source = new_doc(roots, bytes(version.state))
    with current.transaction():
        for name, root_type in roots.items():
            target, origin = current.get(name, type=root_type), source.get(name, type=root_type)
            if isinstance(target, pycrdt.Map):
                for key in list(target.keys()):
                    del target[key]
                for key, value in origin.items():
                    target[key] = copy_value(value)
            elif isinstance(target, pycrdt.Array):
                while len(target):
                    del target[len(target) - 1]
                target.extend([copy_value(value) for value in origin])
    return current.get_update(before)


def copy_value(value: Any) -> Any:
    """A copy of a value read from another document, to insert into this one."""
    if isinstance(value, pycrdt.Map):
        return pycrdt.Map({key: copy_value(item) for key, item in value.items()})
    if isinstance(value, pycrdt.Array):
        return pycrdt.Array([copy_value(item) for item in value])
    if isinstance(value, pycrdt.Text):
        return pycrdt.Text(str(value))
    return value


class YDocStore:
    """The engine's store (realtime/yjs/store.py) for one kind of this app; the kinds
    (workshops/stores.py) add rights, checks and controls."""

    kind = ""
    ROOTS: Roots = {}

    def roots(self) -> Roots:
        return self.ROOTS

    def limits(self) -> Any:
        raise NotImplementedError

    def load(self, doc_id: str) -> Loaded:
        loaded = load(doc_id, self.ROOTS)
        loaded.locked = loaded.locked or self.locked(doc_id)
        return loaded

    def append(
        self, doc_id: str, items: list[tuple[bytes, Any]], *, known_authors: set[Any]
    ) -> list[int]:
        return append(doc_id, items, known_authors=known_authors)

    def since(self, doc_id: str, after: int, seen: set[int]) -> tuple[int, list[tuple[int, bytes]]]:
        return since(doc_id, after, seen)

    def compact(self, doc_id: str) -> tuple[int, int]:
        return compact(doc_id, self.ROOTS)

    def locked(self, doc_id: str) -> bool:
        return bool(YDocument.objects.filter(pk=doc_id).values_list("frozen", flat=True).first())

    def mark_edited(self, doc_id: str, when: Any) -> None:
        mark_edited(doc_id, when)

    def record_version(self, doc_id: str) -> None:
        from deliberation.models import VersionKind

        create_version(doc_id, self.ROOTS, VersionKind.AUTO, only_if_changed=True)
