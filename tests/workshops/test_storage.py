"""workshops/ydocs.py: one storage for walls, sheets and boards — appends, catch-up,
compaction that loses nothing, versions with their authors, restore as a new change."""

from __future__ import annotations

from typing import Any

import pycrdt
import pytest

from deliberation.models import VersionKind
from tests import factories
from workshops import walls, ydocs
from workshops.models import YDocument, YDocumentUpdate

pytestmark = pytest.mark.django_db


def add_note(doc_id: Any, key: str, text: str, author: Any) -> int:
    doc = ydocs.load(doc_id, walls.WALL_ROOTS).doc
    before = doc.get_state()
    doc.get("notes", type=pycrdt.Map)[key] = pycrdt.Map({"text": text, "colour": "jaune"})
    return ydocs.append(doc_id, [(doc.get_update(before), author.pk)], known_authors=set())[0]


def texts(doc_id: Any) -> dict[str, str]:
    notes = ydocs.content(ydocs.load(doc_id, walls.WALL_ROOTS).doc, walls.WALL_ROOTS)["notes"]
    return {key: note["text"] for key, note in notes.items()}


def test_compaction_versions_and_restore() -> None:
    assembly = factories.make_assembly()
    alice, bob = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    subgroup = factories.make_subgroup(assembly, members=[alice, bob])
    wall = walls.create_wall(factories.room_of(subgroup), question="Quoi ?", by=alice)
    first = add_note(wall.pk, "note-1", "Un banc", alice)
    version = ydocs.create_version(wall.pk, walls.WALL_ROOTS, VersionKind.NAMED, by=alice)
    assert version is not None and list(version.authors.all()) == [alice]
    # Nothing written since: no automatic version.
    assert (
        ydocs.create_version(wall.pk, walls.WALL_ROOTS, VersionKind.AUTO, only_if_changed=True)
        is None
    )
    second = add_note(wall.pk, "note-2", "Une fontaine", bob)
    top, missing = ydocs.since(wall.pk, 0, {first})
    assert top == second and [i for i, _ in missing] == [second]
    assert ydocs.compact(wall.pk, walls.WALL_ROOTS)[0] == 2
    assert not YDocumentUpdate.objects.filter(document_id=wall.pk).exists()
    assert texts(wall.pk) == {"note-1": "Un banc", "note-2": "Une fontaine"}
    # Restore the first version as a new change: the later note goes, history stays.
    update = ydocs.restore_update(wall.pk, version, walls.WALL_ROOTS)
    ydocs.append(wall.pk, [(update, alice.pk)], known_authors=set())
    assert texts(wall.pk) == {"note-1": "Un banc"}
    restored = ydocs.load(wall.pk, walls.WALL_ROOTS).doc.get("notes", type=pycrdt.Map)
    assert isinstance(restored["note-1"], pycrdt.Map)  # a shared map again, as notes are
    auto = ydocs.create_version(wall.pk, walls.WALL_ROOTS, VersionKind.AUTO, only_if_changed=True)
    assert auto is not None and set(auto.authors.all()) == {alice, bob}
    assert YDocument.objects.get(pk=wall.pk).compacted_at is not None
