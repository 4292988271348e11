"""The idea wall's pages: lists, creation, the page in reading order, facilitator forms,
proposals from notes, projection and export."""

from __future__ import annotations

import io
from typing import Any

import pycrdt
import pytest
from django.test import Client
from django.urls import reverse
from docx import Document

from accounts.roles import Role, grant_role
from deliberation import drafts
from deliberation.models import Proposal
from tests import factories
from workshops import walls, ydocs
from workshops.models import Wall, WallMode
from workshops.stores import append_server_update

pytestmark = pytest.mark.django_db


class World:
    def __init__(self) -> None:
        assembly = factories.make_assembly()
        self.alice = factories.make_titulaire(assembly, first_name="Alice")
        self.bob = factories.make_titulaire(assembly, first_name="Bob")
        self.outsider = factories.make_titulaire(assembly, first_name="Olga")
        self.facilitator = factories.UserFactory()
        grant_role(self.facilitator, Role.FACILITATEUR)
        self.subgroup = factories.make_subgroup(
            assembly, members=[self.alice, self.bob], facilitators=[self.facilitator]
        )
        self.room = factories.room_of(self.subgroup)
        self.wall = walls.create_wall(
            self.room,
            question="Comment se déplacer ?",
            by=self.facilitator,
            columns=[
                {"key": "idees", "label": "Idées"},
                {"key": "questions", "label": "Questions"},
            ],
        )


@pytest.fixture
def world() -> World:
    return World()


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def write_notes(wall: Wall, notes: dict[str, dict[str, Any]], clusters: dict[str, Any]) -> None:
    doc = ydocs.load(wall.pk, walls.WALL_ROOTS).doc
    before = doc.get_state()
    with doc.transaction():
        for key, note in notes.items():
            doc.get("notes", type=pycrdt.Map)[key] = pycrdt.Map(note)
        for key, cluster in clusters.items():
            doc.get("clusters", type=pycrdt.Map)[key] = pycrdt.Map(cluster)
    append_server_update(walls.WALL_KIND, wall.pk, doc.get_update(before))


def note(text: str, **fields: Any) -> dict[str, Any]:
    return {
        "text": text,
        "colour": "jaune",
        "column": "idees",
        "cluster": "",
        "order": 0,
        "author": "",
        "name": "",
        **fields,
    }


def test_the_wall_page_lists_notes_in_reading_order_without_javascript(world: World) -> None:
    write_notes(
        world.wall,
        {
            "note-b": note("Plus de bus", cluster="grp-001", order=2),
            "note-a": note("Des pistes cyclables", cluster="grp-001", order=1, name="Alice M."),
            "note-c": note("Qui paie ?", column="questions"),
        },
        {"grp-001": {"name": "Transports", "column": "idees", "order": 0}},
    )
    page = client_for(world.bob).get(reverse("workshops:wall", args=[world.wall.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-ydoc-room="{world.wall.pk}"' in html
    assert 'data-ydoc-url="ws://testserver/ws/walls"' in html
    assert (
        html.index("Transports")
        < html.index("Des pistes cyclables")
        < html.index("Plus de bus")
        < html.index("Qui paie ?")
    )
    assert 'id="wall-config"' in html
    assert "Facilitation" not in html and "Animation" not in html


def test_who_sees_and_who_facilitates(world: World) -> None:
    url = reverse("workshops:wall", args=[world.wall.pk])
    assert client_for(world.outsider).get(url).status_code == 404
    assert client_for(world.facilitator).get(url).status_code == 200
    mode = reverse("workshops:wall_mode", args=[world.wall.pk])
    assert client_for(world.alice).post(mode, {"mode": "readonly"}).status_code == 403
    assert client_for(world.facilitator).post(mode, {"mode": "readonly"}).status_code == 302
    world.wall.refresh_from_db()
    assert world.wall.mode == WallMode.READONLY
    create = reverse("workshops:wall_create", args=[world.room.pk])
    assert client_for(world.alice).get(create).status_code == 403
    response = client_for(world.facilitator).post(
        create, {"question": "Et demain ?", "columns": "Constats\nIdées", "anonymous_allowed": "on"}
    )
    new = Wall.objects.get(question="Et demain ?")
    assert response.status_code == 302 and new.anonymous_allowed
    assert new.columns == [
        {"key": "constats", "label": "Constats"},
        {"key": "idees", "label": "Idées"},
    ]
    index = client_for(world.alice).get(reverse("workshops:index")).content.decode()
    assert "Et demain ?" in index and "Comment se déplacer ?" in index


def test_a_proposal_starts_from_a_group_with_a_link_back(world: World) -> None:
    write_notes(
        world.wall,
        {
            "note-a": note("Des pistes cyclables", cluster="grp-001"),
            "note-b": note("Plus de bus", cluster="grp-001"),
        },
        {"grp-001": {"name": "Transports", "column": "idees", "order": 0}},
    )
    response = client_for(world.alice).post(
        reverse("workshops:wall_proposal", args=[world.wall.pk]), {"target": "c:grp-001"}
    )
    proposal = Proposal.objects.get(title="Transports")
    assert response.status_code == 302
    text = drafts.doc_text(drafts.load(proposal.draft.pk).doc)
    assert "• Des pistes cyclables" in text and "• Plus de bus" in text
    assert "Comment se déplacer ?" in text


def test_export_has_groups_as_headings_and_notes_as_lists(world: World) -> None:
    write_notes(
        world.wall,
        {"note-a": note("Des pistes cyclables", cluster="grp-001")},
        {"grp-001": {"name": "Transports", "column": "idees", "order": 0}},
    )
    response = client_for(world.bob).get(reverse("workshops:wall_export", args=[world.wall.pk]))
    assert response.status_code == 200
    document = Document(io.BytesIO(response.content))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "Idées") in styled
    assert ("Heading 2", "Transports") in styled
    assert ("List Bullet", "Des pistes cyclables") in styled


def test_in_silent_writing_the_page_shows_ones_own_sheet_only(world: World) -> None:
    walls.set_mode(world.wall, WallMode.SILENT, by=world.facilitator)
    sheet = walls.sheet_for(world.wall, world.alice)
    doc = ydocs.load(sheet.pk, walls.SHEET_ROOTS).doc
    doc.get("notes", type=pycrdt.Map)["sheet-1"] = pycrdt.Map(note("Mon idée secrète"))
    append_server_update(walls.SHEET_KIND, sheet.pk, doc.get_update())
    url = reverse("workshops:wall", args=[world.wall.pk])
    assert "Mon idée secrète" in client_for(world.alice).get(url).content.decode()
    for user in (world.bob, world.facilitator):
        assert "Mon idée secrète" not in client_for(user).get(url).content.decode()
    walls.set_mode(world.wall, WallMode.OPEN, by=world.facilitator)
    assert "Mon idée secrète" in client_for(world.bob).get(url).content.decode()


def test_the_demo_has_a_wall_and_a_board_in_each_subgroup(world: World) -> None:
    from workshops.demo import ensure_workshops
    from workshops.models import YDocument

    Wall.objects.all().delete()
    assert not YDocument.objects.exists()  # a wall deleted takes its document along
    assert ensure_workshops(world.subgroup.mandate) == (1, 1)
    assert ensure_workshops(world.subgroup.mandate) == (0, 0)
    wall = Wall.objects.get(room=world.room)
    content = walls.wall_content(wall.pk)
    assert len(content["notes"]) == 4 and list(content["clusters"]) == ["demo-groupe-1"]
    page = client_for(world.alice).get(reverse("workshops:wall", args=[wall.pk]))
    assert "Être accueilli près de chez soi" in page.content.decode()


def test_the_mandates_report_ends_with_its_walls_without_names(world: World) -> None:
    from deliberation.export import mandate_report_docx

    write_notes(
        world.wall,
        {"note-a": note("Des navettes le samedi", author=f"u{world.alice.pk}", name="Alice T.")},
        {},
    )
    # Another assembly's wall stays out of this mandate's report.
    elsewhere = World()
    write_notes(elsewhere.wall, {"note-b": note("Une idée d'ailleurs")}, {})
    empty = walls.create_wall(world.room, question="Mur vide ?", by=world.facilitator)

    document = Document(io.BytesIO(mandate_report_docx(world.subgroup.mandate)))
    styled = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "Annexe : murs d'idées") in styled
    assert ("Heading 2", "Comment se déplacer ?") in styled
    assert ("List Bullet", "Des navettes le samedi") in styled
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Alice" not in text
    assert "ailleurs" not in text
    assert empty.question not in text
