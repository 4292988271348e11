"""The whiteboard's pages: who may do what (role by role), creation, freezing, the page's
settings for stock clients, library images, the exports drawn by Chromium, and its words."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import pycrdt
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from documents.files import store_upload
from tests import factories
from workshops import board_export, boards, walls
from workshops.board_text import BOARD_MSGIDS, board_text
from workshops.models import Board
from workshops.stores import append_server_update

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous", "titulaire", "remplacant", "facilitateur", "agent", "dccu", "dpd",
    "comite_suivi", "no_role",
]  # fmt: skip
# docs/permissions.md, « Conversations »: a titulaire and a facilitator *of* the subgroup.
ROOM_ABILITIES: dict[str, dict[str, str]] = {
    "titulaire": {"subgroup": "rw", "plenary": "rw"},
    "remplacant": {"subgroup": "", "plenary": "r"},
    "facilitateur": {"subgroup": "rwm", "plenary": "rwm"},
    "agent": {"subgroup": "", "plenary": "rw"},
    "dccu": {"subgroup": "rm", "plenary": "rwm"},
    "dpd": {"subgroup": "", "plenary": ""},
    "comite_suivi": {"subgroup": "", "plenary": "rw"},
    "no_role": {"subgroup": "", "plenary": ""},
}
OK, INVALID, REDIRECT, FORBIDDEN, NOT_FOUND = "ok", "invalid", "redirect", "forbidden", "404"
# (method, URL, the room ability it needs, the answer once it has it). Freezing comes last.
BOARD_PAGES: list[tuple[str, str, str, str]] = [
    ("get", "/ateliers/salle/{room}/nouveau-tableau/", "m", OK),
    ("post", "/ateliers/salle/{room}/nouveau-tableau/", "m", INVALID),  # no title
    ("get", "/ateliers/tableaux/{board}/", "r", OK),
    ("get", "/ateliers/tableaux/{board}/projection/", "m", OK),
    ("get", "/ateliers/tableaux/{board}/images/", "w", OK),
    ("get", "/ateliers/tableaux/{board}/images/{image}/", "r", REDIRECT),  # to the library
    ("get", "/ateliers/tableaux/{board}/export.png", "r", OK),
    ("get", "/ateliers/tableaux/{board}/export.pdf", "r", OK),
    ("post", "/ateliers/tableaux/{board}/figer/", "m", REDIRECT),
]
PNG_1PX = b"\x89PNG\r\n\x1a\n"


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def person_for(role: str, assembly: Assembly) -> User | None:
    if role == "anonymous":
        return None
    if role == "titulaire":
        return factories.make_titulaire(assembly)
    if role == "remplacant":
        return factories.make_substitute(assembly, factories.seat(assembly))
    if role == "no_role":
        return factories.UserFactory()
    user = factories.UserFactory(roles=[Role(role)])
    if role in {"dccu", "dpd"}:
        enrol_demo_totp(user)
    return user


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def library_image(settings: Any, tmp_path: Path, uploader: User, colour=(220, 30, 30)) -> Any:
    settings.PRIVATE_ROOT = tmp_path / "private"
    document = factories.DocumentFactory(kind="fichier", title="Plan du bourg", url="")
    upload = SimpleUploadedFile("plan.png", png(40, 30, colour), content_type="image/png")
    store_upload(upload, document=document, user=uploader)
    return document


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_documented_answer_on_the_board_pages(
    role: str, assembly: Assembly, settings: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    # Who gets an answer is checked here; the drawing itself in test_export_* below and
    # tests/e2e/test_boards.py (one Chromium per export would make this walk minutes long).
    monkeypatch.setattr(board_export, "render", lambda scene, fmt, title: PNG_1PX)
    person = person_for(role, assembly)
    members = [person] if role == "titulaire" and person else []
    facilitators = [person] if role == "facilitateur" and person else []
    subgroup = factories.make_subgroup(assembly, members=members, facilitators=facilitators)
    image = library_image(settings, tmp_path, factories.UserFactory(roles=[Role.AGENT]))
    reads_image = person is not None and image.get_abilities(person)["read"]
    client = client_for(person)
    for kind, room in (
        ("subgroup", factories.room_of(subgroup)),
        ("plenary", factories.plenary_room(subgroup.mandate)),
    ):
        board = walls.create_board(room, title="Carte", by=None)
        for method, template, needs, answer in BOARD_PAGES:
            url = template.format(room=room.pk, board=board.pk, image=image.pk)
            abilities = ROOM_ABILITIES.get(role, {}).get(kind, "")
            if person is None:
                expect = "login"
            elif "r" not in abilities:
                expect = NOT_FOUND
            elif needs not in abilities:
                expect = FORBIDDEN
            elif "/images/{image}/" in template and not reads_image:
                expect = NOT_FOUND
            else:
                expect = answer
            response = getattr(client, method)(url)
            where = f"{role} in {kind}: {method} {url}"
            location = response.get("Location", "")
            if expect == "login":
                assert response.status_code == 302 and "/comptes/login/" in location, where
            elif expect == OK:
                assert response.status_code == 200, (where, response.status_code, location)
            elif expect == INVALID:
                assert response.status_code == 400, (where, response.status_code)
            elif expect == REDIRECT:
                assert response.status_code == 302, (where, response.status_code)
                assert "/comptes/" not in location, where
            elif expect == FORBIDDEN:
                assert response.status_code == 403, (where, response.status_code)
            else:
                assert response.status_code == 404, (where, response.status_code)
            if person is not None:
                assert "no-store" in response.get("Cache-Control", ""), where


def make_world(assembly: Assembly) -> dict[str, Any]:
    alice = factories.make_titulaire(assembly, first_name="Alice")
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    subgroup = factories.make_subgroup(assembly, members=[alice], facilitators=[facilitator])
    return {"alice": alice, "facilitator": facilitator, "room": factories.room_of(subgroup)}


def test_a_facilitator_creates_a_board_a_member_may_not(assembly: Assembly) -> None:
    world = make_world(assembly)
    url = f"/ateliers/salle/{world['room'].pk}/nouveau-tableau/"
    assert client_for(world["alice"]).post(url, {"title": "Mon tableau"}).status_code == 403
    response = client_for(world["facilitator"]).post(url, {"title": "  Carte   des acteurs "})
    board = Board.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/ateliers/tableaux/{board.pk}/"
    assert board.title == "Carte des acteurs" and board.created_by == world["facilitator"]
    assert board.room == world["room"] and board.document.kind == "board"
    too_long = client_for(world["facilitator"]).post(url, {"title": "x" * 201})
    assert too_long.status_code == 400 and Board.objects.count() == 1
    # The room's list links to the board and offers creation to the facilitator only.
    listing = client_for(world["facilitator"]).get(f"/ateliers/salle/{world['room'].pk}/")
    assert f"/ateliers/tableaux/{board.pk}/" in listing.text and "nouveau-tableau" in listing.text
    assert "nouveau-tableau" not in client_for(world["alice"]).get("/ateliers/").text


def test_the_page_carries_what_a_stock_client_needs_and_the_board_texts(
    assembly: Assembly,
) -> None:
    world = make_world(assembly)
    board = walls.create_board(world["room"], title="Carte", by=world["facilitator"])
    doc = walls.new_board_doc()
    elements = doc.get("elements", type=pycrdt.Map)
    elements["t1"] = {
        "id": "t1",
        "type": "text",
        "text": "Covoiturage",
        "version": 1,
        "index": "a0",
    }
    elements["t2"] = {"id": "t2", "type": "text", "text": "Effacé", "version": 2, "index": "a1",
                      "isDeleted": True}  # fmt: skip
    append_server_update(walls.BOARD_KIND, board.pk, doc.get_update())
    page = client_for(world["alice"]).get(f"/ateliers/tableaux/{board.pk}/").text
    assert 'data-ydoc-url="ws://testserver/ws/boards"' in page
    assert f'data-ydoc-room="{board.pk}"' in page
    assert 'data-can-edit="true"' in page and 'data-asset-path="/static/boards/"' in page
    assert "<li>Covoiturage</li>" in page and "Effacé" not in page
    assert "boards/board.js" in page and "drafts/editor.js" not in page


def test_a_frozen_board_is_read_only_and_reopens(assembly: Assembly) -> None:
    world = make_world(assembly)
    board = walls.create_board(world["room"], title="Carte", by=world["facilitator"])
    freeze = f"/ateliers/tableaux/{board.pk}/figer/"
    assert client_for(world["alice"]).post(freeze, {"frozen": "1"}).status_code == 403
    client_for(world["facilitator"]).post(freeze, {"frozen": "1"})
    board.document.refresh_from_db()
    assert board.document.frozen
    page = client_for(world["alice"]).get(f"/ateliers/tableaux/{board.pk}/").text
    assert 'data-can-edit="false"' in page and "figé" in page
    client_for(world["facilitator"]).post(freeze, {"frozen": "0"})
    board.document.refresh_from_db()
    assert not board.document.frozen


def test_images_come_from_the_library_the_person_reads(
    assembly: Assembly, settings: Any, tmp_path: Path
) -> None:
    world = make_world(assembly)
    board = walls.create_board(world["room"], title="Carte", by=world["facilitator"])
    image = library_image(settings, tmp_path, world["facilitator"])
    hidden = factories.DocumentFactory(kind="fichier", title="Interne", url="", audience="staff")
    store_upload(
        SimpleUploadedFile("i.png", png(5, 5, (0, 0, 0)), content_type="image/png"),
        document=hidden,
        user=world["facilitator"],
    )
    alice = client_for(world["alice"])
    listed = alice.get(f"/ateliers/tableaux/{board.pk}/images/").json()["images"]
    assert listed == [{"id": str(image.pk), "title": "Plan du bourg", "mimeType": "image/png"}]
    response = alice.get(f"/ateliers/tableaux/{board.pk}/images/{image.pk}/")
    assert response.status_code == 302
    served = alice.get(response["Location"])
    assert served.status_code == 200
    assert b"".join(served.streaming_content).startswith(b"\x89PNG")
    assert alice.get(f"/ateliers/tableaux/{board.pk}/images/{hidden.pk}/").status_code == 404


needs_chromium = pytest.mark.skipif(
    not any(Path(c).exists() for c in board_export.CHROMIUM_CANDIDATES)
    and not shutil.which("chromium"),
    reason="no Chromium on this machine",
)


@needs_chromium
def test_export_draws_the_stored_board_with_its_library_image(
    assembly: Assembly, settings: Any, tmp_path: Path
) -> None:
    world = make_world(assembly)
    board = walls.create_board(world["room"], title="Carte des acteurs", by=world["facilitator"])
    image = library_image(settings, tmp_path, world["facilitator"], colour=(220, 30, 30))
    doc = walls.new_board_doc()
    common = {"angle": 0, "strokeColor": "#1e1e1e", "backgroundColor": "transparent",
              "fillStyle": "solid", "strokeWidth": 2, "strokeStyle": "solid", "roughness": 0,
              "opacity": 100, "groupIds": [], "frameId": None, "roundness": None, "seed": 1,
              "version": 2, "versionNonce": 1, "isDeleted": False, "boundElements": None,
              "updated": 1, "link": None, "locked": False}  # fmt: skip
    with doc.transaction():
        doc.get("files", type=pycrdt.Map)[str(image.pk)] = {
            "document": str(image.pk), "mimeType": "image/png"
        }  # fmt: skip
        elements = doc.get("elements", type=pycrdt.Map)
        elements["img"] = {**common, "id": "img", "type": "image", "x": 0, "y": 0,
                           "width": 400, "height": 300, "index": "a0",
                           "fileId": str(image.pk), "status": "saved", "scale": [1, 1]}  # fmt: skip
        elements["txt"] = {**common, "id": "txt", "type": "text", "x": 0, "y": 320,
                           "width": 300, "height": 25, "index": "a1", "text": "Gare routière",
                           "originalText": "Gare routière", "fontSize": 20, "fontFamily": 5,
                           "textAlign": "left", "verticalAlign": "top", "containerId": None,
                           "autoResize": True, "lineHeight": 1.25}  # fmt: skip
    append_server_update(walls.BOARD_KIND, board.pk, doc.get_update())

    scene = board_export.scene_for(world["alice"], board)
    assert scene["files"][str(image.pk)]["dataURL"].startswith("data:image/png;base64,")
    picture = Image.open(io.BytesIO(board_export.render(scene, "png", board.title)))
    assert picture.format == "PNG" and picture.width >= 400 and picture.height >= 320
    reds = [
        p
        for p in picture.convert("RGB").get_flattened_data()
        if p[0] > 180 and p[1] < 80 and p[2] < 80
    ]
    assert len(reds) > 1000, "the library image is not in the export"
    pdf = board_export.render(scene, "pdf", board.title)
    assert pdf.startswith(b"%PDF")
    # Someone who may not read the image gets the board without it.
    outsider = factories.UserFactory()
    assert (
        boards.stored_scene(board)["files"] and not board_export.scene_for(outsider, board)["files"]
    )


def test_every_word_of_the_board_client_is_sent_and_translated(settings: Any) -> None:
    sources = Path(settings.BASE_DIR) / "frontend" / "src" / "board"
    used = set()
    for path in sources.glob("*.js"):
        used |= set(re.findall(r"gettext\('((?:[^'\\]|\\.)*)'\)", path.read_text()))
    assert used and used <= set(BOARD_MSGIDS), sorted(used - set(BOARD_MSGIDS))
    from django.utils import translation

    with translation.override("fr"):
        french = board_text()
    untranslated = [m for m in BOARD_MSGIDS if french[m] == m and m not in {"Menu"}]
    assert not untranslated, untranslated
    assert french["Insert an image from the library"] == "Insérer une image de la bibliothèque"
