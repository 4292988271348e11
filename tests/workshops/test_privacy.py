"""Privacy of the workshops on realistic data: two assemblies, people writing about each
other on walls and boards. The access copy holds a person's notes (anonymous ones too),
sheets and dots; erasure signs their notes and comments with the pseudonym and removes
their names from every text, stored bytes included; retention follows the mandate."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pycrdt
import pytest
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from deliberation.models import VersionKind
from gdpr.access_copy import items_for
from gdpr.erasure import erase_person
from gdpr.registry import get_declaration
from gdpr.retention import due_queryset
from tests import factories
from workshops import walls, ydocs
from workshops.models import (
    Dot,
    NoteAuthor,
    Wall,
    WallSheet,
    YDocument,
    YDocumentUpdate,
    YDocumentVersion,
)

pytestmark = pytest.mark.django_db

SYLVIE = {
    "first_name": "Sylvie",
    "last_name": "Martin",
    "display_name": "Sylvie M.",
    "email": "sylvie.martin@example.org",
}
MARCEL = {
    "first_name": "Marcel",
    "last_name": "Dupont",
    "display_name": "Marcel D.",
    "email": "marcel.dupont@example.org",
}
MERCIER = {
    "first_name": "Paul",
    "last_name": "Mercier",
    "display_name": "Paul M.",
    "email": "paul.mercier@example.org",
}


def write(doc_id: Any, roots: Any, author: Any, change: Any) -> None:
    doc = ydocs.load(doc_id, roots).doc
    before = doc.get_state()
    with doc.transaction():
        change(doc)
    ydocs.append(doc_id, [(doc.get_update(before), author.pk)], known_authors=set())


def note(user: Any, text: str, *, anonymous: bool = False) -> pycrdt.Map:
    return pycrdt.Map(
        {
            "text": text,
            "colour": "jaune",
            "column": "",
            "cluster": "",
            "order": 0,
            "author": "" if anonymous else walls.me_key(user),
            "name": "" if anonymous else user.display_name,
        }
    )


@pytest.fixture
def world() -> dict[str, Any]:
    today = timezone.localdate()
    current = factories.make_assembly()
    earlier = factories.make_assembly(
        name="Assemblée précédente",
        mandate_start=today - dt.timedelta(days=900),
        mandate_end=today - dt.timedelta(days=400),
    )
    sylvie = factories.make_titulaire(current, **SYLVIE)
    marcel = factories.make_titulaire(current, **MARCEL)
    mercier = factories.make_titulaire(earlier, **MERCIER)
    amandine = factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Amandine R.")
    subgroup = factories.make_subgroup(
        current, members=[sylvie, marcel], facilitators=[amandine], name="Transports"
    )
    wall = walls.create_wall(
        factories.room_of(subgroup), question="Quels bus ?", by=amandine, anonymous_allowed=True
    )

    def on_wall(doc: pycrdt.Doc) -> None:
        notes = doc.get("notes", type=pycrdt.Map)
        notes["sylvie-1"] = note(sylvie, "Un bus le mardi matin")
        notes["sylvie-2"] = note(sylvie, "Je n'ose pas le dire", anonymous=True)
        doc.get("comments", type=pycrdt.Map)["sylvie-1"] = pycrdt.Array(
            [
                {
                    "id": "comment-1",
                    "author": walls.me_key(sylvie),
                    "name": "Sylvie M.",
                    "text": "Et le jeudi.",
                    "at": "2026-12-07T10:00:00Z",
                }
            ]
        )

    write(wall.pk, walls.WALL_ROOTS, sylvie, on_wall)
    walls.record_note_authors(
        wall.pk, [(sylvie.pk, ("note", "sylvie-1", False)), (sylvie.pk, ("note", "sylvie-2", True))]
    )

    def marcel_writes(doc: pycrdt.Doc) -> None:
        doc.get("notes", type=pycrdt.Map)["marcel-1"] = note(
            marcel, "L'idée de Sylvie Martin, reprise par Marcel D. : un minibus."
        )
        doc.get("comments", type=pycrdt.Map)["sylvie-1"].append(
            {
                "id": "comment-2",
                "author": walls.me_key(marcel),
                "name": "Marcel D.",
                "text": "D'accord avec Sylvie M.",
                "at": "2026-12-07T10:05:00Z",
            }
        )

    write(wall.pk, walls.WALL_ROOTS, marcel, marcel_writes)
    walls.record_note_authors(wall.pk, [(marcel.pk, ("note", "marcel-1", False))])
    ydocs.create_version(wall.pk, walls.WALL_ROOTS, VersionKind.NAMED, name="Avant", by=amandine)
    sheet = walls.sheet_for(wall, sylvie)
    write(
        sheet.pk,
        walls.SHEET_ROOTS,
        sylvie,
        lambda d: d.get("notes", type=pycrdt.Map).__setitem__(
            "draft-1", note(sylvie, "Une idée pas encore montrée")
        ),
    )
    walls.open_round(wall, dots=2, by=amandine)
    walls.place_dot(wall, sylvie, "add", "n:marcel-1")
    board = walls.create_board(factories.room_of(subgroup), title="Carte", by=marcel)
    write(
        board.pk,
        walls.BOARD_ROOTS,
        marcel,
        lambda d: d.get("elements", type=pycrdt.Map).__setitem__(
            "text-1",
            {
                "id": "text-1",
                "type": "text",
                "text": "Le trajet de Sylvie Martin",
                "originalText": "Le trajet de Sylvie Martin",
            },
        ),
    )
    # The earlier assembly: a wall of its own, naming a place, not her.
    old_subgroup = factories.make_subgroup(
        earlier, members=[mercier], name="Routes", mandate=factories.make_mandate(earlier)
    )
    old_wall = walls.create_wall(factories.room_of(old_subgroup), question="Routes ?", by=mercier)
    write(
        old_wall.pk,
        walls.WALL_ROOTS,
        mercier,
        lambda d: d.get("notes", type=pycrdt.Map).__setitem__(
            "paul-1", note(mercier, "Le car de Saint-Martin est en retard")
        ),
    )
    return {
        "sylvie": sylvie,
        "marcel": marcel,
        "mercier": mercier,
        "amandine": amandine,
        "wall": wall,
        "sheet": sheet,
        "board": board,
        "old_wall": old_wall,
    }


def declaration(label: str) -> Any:
    from django.apps import apps

    found = get_declaration(apps.get_model(label))
    assert found is not None
    return found


def items(label: str, person: Any) -> list[dict[str, Any]]:
    return list(items_for(declaration(label), person))


def test_the_access_copy_holds_her_notes_sheets_dots_and_comments(world: dict[str, Any]) -> None:
    notes = items("workshops.NoteAuthor", world["sylvie"])
    assert sorted((n["note"]["id"], n["note"]["text"], n["anonymous"]) for n in notes) == [
        ("sylvie-1", "Un bus le mardi matin", False),
        ("sylvie-2", "Je n'ose pas le dire", True),
    ]
    assert [n["note"]["id"] for n in items("workshops.NoteAuthor", world["marcel"])] == ["marcel-1"]
    [sheet] = items("workshops.WallSheet", world["sylvie"])
    assert sheet["document"]["notes"] == ["Une idée pas encore montrée"]
    [dot] = items("workshops.Dot", world["sylvie"])
    assert dot["target"] == {
        "id": "n:marcel-1",
        "name": "L'idée de Sylvie Martin, reprise par Marcel D. : un minibus.",
    }
    documents = {d["id"]: d for d in items("workshops.YDocument", world["sylvie"])}
    wall = documents[str(world["wall"].pk)]
    assert wall["snapshot"]["comments"] == [
        {"note": "sylvie-1", "text": "Et le jeudi.", "at": "2026-12-07T10:00:00Z"}
    ]
    assert items("workshops.Dot", world["marcel"]) == []


def stored_bytes(doc_id: Any) -> bytes:
    return b"".join(
        [bytes(YDocument.objects.get(pk=doc_id).snapshot)]
        + [
            bytes(d)
            for d in YDocumentUpdate.objects.filter(document_id=doc_id).values_list(
                "data", flat=True
            )
        ]
        + [
            bytes(s)
            for s in YDocumentVersion.objects.filter(document_id=doc_id).values_list(
                "state", flat=True
            )
        ]
    )


def test_erasure_signs_her_work_with_the_pseudonym_and_removes_her_names(
    world: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    sylvie, wall = world["sylvie"], world["wall"]
    old_before = walls.wall_content(world["old_wall"].pk)
    with django_capture_on_commit_callbacks(execute=True):
        erase_person(sylvie, reason="test")
    pseudonym = User.objects.get(pk=sylvie.pk).pseudonym
    content = walls.wall_content(wall.pk)
    assert content["notes"]["sylvie-1"]["name"] == pseudonym
    assert content["notes"]["sylvie-2"]["name"] == ""  # anonymous it stays
    assert content["notes"]["marcel-1"]["text"] == (
        f"L'idée de {pseudonym}, reprise par Marcel D. : un minibus."
    )
    comments = content["comments"]["sylvie-1"]
    assert [c["name"] for c in comments] == [pseudonym, "Marcel D."]
    assert comments[1]["text"] == f"D'accord avec {pseudonym}"
    board = ydocs.content(ydocs.load(world["board"].pk, walls.BOARD_ROOTS).doc, walls.BOARD_ROOTS)
    assert board["elements"]["text-1"]["text"] == f"Le trajet de {pseudonym}"
    # Nothing stored names her any more: snapshots, updates, versions.
    for doc_id in (wall.pk, world["board"].pk):
        data = stored_bytes(doc_id)
        assert b"Martin" not in data and b"Sylvie" not in data
    # Her sheet is gone, her dots too; who wrote the notes stays known (pseudonymised).
    assert not WallSheet.objects.filter(pk=world["sheet"].pk).exists()
    assert not YDocument.objects.filter(pk=world["sheet"].pk).exists()
    assert not Dot.objects.filter(person=sylvie).exists()
    assert NoteAuthor.objects.filter(person=sylvie).count() == 2
    # The earlier assembly's wall, which does not name her, is untouched.
    assert walls.wall_content(world["old_wall"].pk) == old_before


def test_walls_of_an_ended_assembly_go_a_year_after_its_end(world: dict[str, Any]) -> None:
    # Both walls were written long ago (at least a year after writing, as messages).
    long_ago = timezone.now() - dt.timedelta(days=800)
    YDocument.objects.update(created_at=long_ago)
    Wall.objects.update(created_at=long_ago)
    due = due_queryset(declaration("workshops.YDocument"), now=timezone.now())
    assert set(due.values_list("pk", flat=True)) == {world["old_wall"].pk}
    due_walls = due_queryset(declaration("workshops.Wall"), now=timezone.now())
    assert list(due_walls.values_list("pk", flat=True)) == [world["old_wall"].pk]
    YDocument.objects.filter(pk__in=due).delete()
    assert list(Wall.objects.values_list("pk", flat=True)) == [world["wall"].pk]
