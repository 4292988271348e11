"""The demo's workshops (``seed_demo``): in each subgroup, one idea wall with a few notes
and a group, and one whiteboard with a few shapes. Idempotent: a subgroup that has a wall
(or a board) gets none more; the content is the same on every run."""

from __future__ import annotations

from typing import Any

import pycrdt

from workshops import walls
from workshops.models import Board, Wall
from workshops.stores import append_server_update

COLUMNS = [
    {"key": "constats", "label": "Constats"},
    {"key": "idees", "label": "Idées"},
    {"key": "questions", "label": "Questions"},
]
# (note id, member index, column, cluster, colour, text)
NOTES = [
    (
        "demo-note-1",
        0,
        "constats",
        "",
        "jaune",
        "Les horaires ne conviennent pas aux personnes qui travaillent.",
    ),
    ("demo-note-2", 1, "idees", "demo-groupe-1", "vert", "Un guichet unique près de chez soi."),
    ("demo-note-3", 2, "idees", "demo-groupe-1", "bleu", "Des permanences dans les mairies."),
    ("demo-note-4", 3, "questions", "", "rose", "Combien cela coûterait-il au Département ?"),
]
CLUSTER = (
    "demo-groupe-1",
    {"name": "Être accueilli près de chez soi", "column": "idees", "order": 0},
)


def _wall_update(wall: Wall, members: list[Any]) -> bytes:
    from deliberation.people import person_name

    doc = walls.new_wall_doc()
    notes = doc.get("notes", type=pycrdt.Map)
    with doc.transaction():
        doc.get("clusters", type=pycrdt.Map)[CLUSTER[0]] = pycrdt.Map(dict(CLUSTER[1]))
        for order, (key, index, column, cluster, colour, text) in enumerate(NOTES):
            author = members[index % len(members)] if members else None
            notes[key] = pycrdt.Map(
                {
                    "text": text,
                    "colour": colour,
                    "column": column,
                    "cluster": cluster,
                    "order": order,
                    "author": walls.me_key(author) if author else "",
                    "name": person_name(author) if author else "",
                }
            )
    return doc.get_update()


def _board_update() -> bytes:
    doc = walls.new_board_doc()
    base = {
        "angle": 0,
        "strokeColor": "#1e1e1e",
        "backgroundColor": "transparent",
        "fillStyle": "solid",
        "strokeWidth": 2,
        "strokeStyle": "solid",
        "roughness": 1,
        "opacity": 100,
        "groupIds": [],
        "frameId": None,
        "roundness": None,
        "seed": 1,
        "version": 1,
        "versionNonce": 1,
        "isDeleted": False,
        "boundElements": None,
        "updated": 1,
        "link": None,
        "locked": False,
    }
    elements = doc.get("elements", type=pycrdt.Map)
    with doc.transaction():
        elements["demo-rect"] = {
            **base,
            "id": "demo-rect",
            "type": "rectangle",
            "x": 100,
            "y": 100,
            "width": 240,
            "height": 120,
            "index": "a0",
        }
        elements["demo-text"] = {
            **base,
            "id": "demo-text",
            "type": "text",
            "x": 120,
            "y": 145,
            "width": 200,
            "height": 25,
            "index": "a1",
            "text": "Nos priorités",
            "originalText": "Nos priorités",
            "fontSize": 20,
            "fontFamily": 5,
            "textAlign": "left",
            "verticalAlign": "top",
            "containerId": None,
            "autoResize": True,
            "lineHeight": 1.25,
        }
    return doc.get_update()


def ensure_workshops(mandate: Any) -> tuple[int, int]:
    """(walls created, boards created) for the mandate's subgroups."""
    from assembly.models import Subgroup

    created_walls = created_boards = 0
    for subgroup in Subgroup.objects.filter(mandate=mandate).order_by("name"):
        room = getattr(subgroup, "room", None)
        if room is None:
            continue
        facilitator = subgroup.facilitators.order_by("pk").first()
        if not Wall.objects.filter(room=room).exists():
            wall = walls.create_wall(
                room,
                question="Comment rendre nos services plus proches des habitants ?",
                by=facilitator,
                columns=COLUMNS,
            )
            members = list(subgroup.members.order_by("pk")[:4])
            append_server_update(walls.WALL_KIND, wall.pk, _wall_update(wall, members))
            walls.record_note_authors(
                wall.pk,
                [
                    (members[index % len(members)].pk if members else None, ("note", key, False))
                    for key, index, *_rest in NOTES
                ],
            )
            created_walls += 1
        if not Board.objects.filter(room=room).exists():
            board = walls.create_board(room, title="Carte des idées", by=facilitator)
            append_server_update(walls.BOARD_KIND, board.pk, _board_update())
            created_boards += 1
    return created_walls, created_boards
