"""The practice space (« bac à sable ») and the training mode (learning/sandbox.py,
learning/training.py, docs/training.md)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pycrdt
import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from config.asgi import application
from forums.access import readable_rooms
from forums.actions import do_send_message
from forums.models import Attachment, Message, Room, RoomKind
from gdpr.erasure import erase_person
from gdpr.registry import Erasure, get_declaration
from learning import sandbox, training
from learning.models import PracticeSpace
from learning.privacy import export_practice_space
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from tests import factories
from workshops import ydocs
from workshops.models import Wall, YDocument


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def write_in_draft(space: PracticeSpace, text: str) -> None:
    doc = ydocs.load(space.draft_id, sandbox.ROOTS).doc
    before = doc.get_state()
    fragment = doc.get(sandbox.FRAGMENT, type=pycrdt.XmlFragment)
    fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(text)]))
    ydocs.append(space.draft_id, [(doc.get_update(before), space.owner_id)], known_authors=set())


def draft_text(space: PracticeSpace) -> str:
    return str(ydocs.load(space.draft_id, sandbox.ROOTS).doc.get(
        sandbox.FRAGMENT, type=pycrdt.XmlFragment
    ))


# --- The space: created on first visit, one's own only -------------------------------------


@pytest.mark.django_db
def test_first_visit_creates_my_room_draft_and_wall_once(member: User) -> None:
    client = client_of(member)
    page = client.get(reverse("learning:sandbox"))
    assert page.status_code == 200
    space = PracticeSpace.objects.get(owner=member)
    assert space.room.kind == RoomKind.PRACTICE
    assert list(space.room.participants.all()) == [member]
    assert space.wall.room_id == space.room_id
    for url in (reverse("forums:room", args=[space.room_id]),
                reverse("workshops:wall", args=[space.wall_id]),
                reverse("learning:sandbox_draft")):
        assert url in page.content.decode()
        opened = client.get(url)
        assert opened.status_code == 200
        # Every way back leads somewhere I may go (the wall's, to the practice space).
        assert reverse("workshops:room", args=[space.room_id]) not in opened.content.decode()
    client.get(reverse("learning:sandbox"))
    assert PracticeSpace.objects.filter(owner=member).count() == 1
    assert Room.objects.filter(kind=RoomKind.PRACTICE).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["titulaire", "facilitateur", "dccu", "dpd"])
def test_nobody_else_reads_or_writes_my_practice_room_or_wall(
    role: str, assembly: Assembly, member: User
) -> None:
    space = sandbox.practice_space(member)
    other = (factories.make_titulaire(assembly) if role == "titulaire"
             else factories.UserFactory(roles=[Role(role)]))
    if role in {"dccu", "dpd"}:
        from accounts.demo import enrol_demo_totp

        enrol_demo_totp(other)
    client = client_of(other)
    assert client.get(reverse("forums:room", args=[space.room_id])).status_code == 404
    assert client.get(reverse("workshops:wall", args=[space.wall_id])).status_code == 404
    sent = client.post(reverse("forums:send", args=[space.room_id]),
                       {"body": "Intrusion", "client_id": str(uuid.uuid4())})
    assert sent.status_code == 404
    assert not Message.objects.filter(room=space.room).exists()
    assert space.room.get_abilities(other) == {"read": False, "write": False, "moderate": False}
    assert space.get_abilities(other) == {"read": False, "write": False, "reset": False}
    # Their own practice space is another one.
    assert sandbox.practice_space(other).pk != space.pk


@pytest.mark.django_db
def test_reset_deletes_messages_files_draft_and_wall_and_recreates_them(
    member: User, django_capture_on_commit_callbacks: Any
) -> None:
    space = sandbox.practice_space(member)
    message, _ = do_send_message(member, space.room, body="Mon premier essai",
                                 client_id=uuid.uuid4())
    attachment = Attachment.objects.create(
        message=message, kind="file", file=ContentFile(b"essai", name="essai.txt"),
        name="essai.txt", content_type="text/plain", size=5,
    )
    storage, stored = attachment.file.storage, attachment.file.name
    assert storage.exists(stored)
    write_in_draft(space, "Brouillon d'essai")
    assert "Brouillon d'essai" in draft_text(space)

    client = client_of(member)
    confirm = client.get(reverse("learning:sandbox_reset"))
    assert confirm.status_code == 200 and b"confirm-reset" in confirm.content
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("learning:sandbox_reset"))
    assert done.status_code == 302 and done["Location"] == reverse("learning:sandbox")

    assert not Message.objects.filter(pk=message.pk).exists()
    assert not Room.objects.filter(pk=space.room_id).exists()
    assert not Wall.objects.filter(pk=space.wall_id).exists()
    assert not YDocument.objects.filter(pk__in=[space.draft_id, space.wall_id]).exists()
    assert not storage.exists(stored)
    fresh = PracticeSpace.objects.get(owner=member)
    assert fresh.room_id != space.room_id and fresh.draft_id != space.draft_id
    assert not fresh.room.messages.exists() and draft_text(fresh) == ""
    assert client.get(reverse("forums:room", args=[fresh.room_id])).status_code == 200


@pytest.mark.django_db
def test_reset_only_accepts_a_post(member_client: Client) -> None:
    assert member_client.put(reverse("learning:sandbox_reset")).status_code == 405


# --- Out of the assembly's content ----------------------------------------------------------


@pytest.mark.django_db
def test_practice_and_training_rooms_stay_out_of_lists_search_and_notifications(
    assembly: Assembly, member: User
) -> None:
    from dashboards.queries import quiet_people
    from notifications.models import Notification

    other = factories.make_titulaire(assembly)
    space = sandbox.practice_space(member)
    shared = sandbox.training_room()
    do_send_message(member, space.room, body="Ornithorynque en bac à sable",
                    client_id=uuid.uuid4())
    answer = do_send_message(other, shared, body="Ornithorynque pour @tout le monde",
                             client_id=uuid.uuid4())[0]
    do_send_message(member, shared, body="Réponse d'essai", client_id=uuid.uuid4(),
                    reply_to=answer)

    for person in (member, other):
        kinds = {room.kind for room in readable_rooms(person)}
        assert RoomKind.PRACTICE not in kinds and RoomKind.TRAINING not in kinds
    found = client_of(member).get(reverse("search"), {"q": "Ornithorynque"})
    assert found.status_code == 200
    assert "en bac à sable" not in found.content.decode()
    assert "pour @tout le monde" not in found.content.decode()
    rooms_page = client_of(member).get(reverse("forums:rooms")).content.decode()
    assert str(space.room_id) not in rooms_page
    # Replying in the training room notifies nobody.
    assert not Notification.objects.filter(recipient=other).exists()
    # Writing in practice rooms is not taking part: the member is still « not seen ».
    subgroup = factories.make_subgroup(assembly, members=[member])
    User.objects.filter(pk=member.pk).update(last_login=None)
    assert member.pk in {row["person"].pk for row in quiet_people([subgroup])}


@pytest.mark.django_db
def test_the_dccu_empties_the_training_room_and_nobody_else_can(
    assembly: Assembly, member: User, dccu_client: Client
) -> None:
    shared = sandbox.training_room()
    do_send_message(member, shared, body="Bonjour à tous", client_id=uuid.uuid4())
    member_client = client_of(member)
    assert member_client.post(reverse("learning:training_room_reset")).status_code == 403
    assert shared.messages.count() == 1
    assert member_client.get(reverse("learning:training_room"))["Location"] == reverse(
        "forums:room", args=[shared.pk])
    assert dccu_client.post(reverse("learning:training_room_reset")).status_code == 302
    assert not Message.objects.filter(body="Bonjour à tous").exists()
    assert Room.objects.filter(kind=RoomKind.TRAINING).count() == 1


# --- Personal data ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_practice_space_is_declared_short_lived_in_the_copy_and_erased_with_me(
    member: User,
) -> None:
    declaration = get_declaration(PracticeSpace)
    assert declaration is not None
    assert declaration.retention.days == 30 and declaration.retention.since == "last_used_at"
    assert declaration.erasure == Erasure.DELETE and declaration.subject == "owner"

    space = sandbox.practice_space(member)
    write_in_draft(space, "Texte à retrouver")
    (copy,) = list(export_practice_space(member))
    assert "Texte à retrouver" in copy["draft"]

    do_send_message(member, space.room, body="À effacer", client_id=uuid.uuid4())
    erase_person(member, reason="test")
    assert not PracticeSpace.objects.filter(pk=space.pk).exists()
    assert not Room.objects.filter(pk=space.room_id).exists()
    assert not Message.objects.filter(room_id=space.room_id).exists()
    assert not YDocument.objects.filter(pk=space.draft_id).exists()


# --- Training mode ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_training_reset_refuses_to_run_when_training_mode_is_off(
    member: User, settings: Any
) -> None:
    settings.AGORA_TRAINING_MODE = False
    with pytest.raises(CommandError, match="mode formation"):
        call_command("training_reset")
    with pytest.raises(CommandError, match="training mode is off"):
        call_command("training_reset", "--schedule")
    assert User.objects.filter(pk=member.pk).exists()


@pytest.mark.django_db
def test_every_table_the_migrations_fill_survives_the_wipe() -> None:
    """A fresh test database holds only what the migrations wrote: the wipe keeps it all."""
    filled = {m._meta.label_lower for m in apps.get_models() if m.objects.exists()}
    assert filled <= training.KEEP, filled - training.KEEP


@pytest.mark.django_db
def test_training_reset_wipes_everything_and_seeds_the_demo_again(
    member: User, settings: Any
) -> None:
    settings.AGORA_TRAINING_MODE = True
    settings.AGORA_DEMO = True
    space = sandbox.practice_space(member)
    groups_before = set(apps.get_model("auth", "Group").objects.values_list("name", flat=True))
    call_command("training_reset", "--password", "formation-2026")
    assert not User.objects.filter(pk=member.pk).exists()
    assert not PracticeSpace.objects.filter(pk=space.pk).exists()
    demo = User.objects.get(email="membre001@example.org")
    assert demo.check_password("formation-2026")
    assert set(apps.get_model("auth", "Group").objects.values_list("name", flat=True)) \
        >= groups_before
    when = training.ensure_reset_scheduled()
    assert when is not None and training.ensure_reset_scheduled() == when


@pytest.mark.django_db
def test_training_mode_shows_its_banner_on_every_page(member_client: Client, settings: Any) -> None:
    settings.AGORA_TRAINING_MODE = False
    assert b'id="training-banner"' not in member_client.get("/aide/").content
    settings.AGORA_TRAINING_MODE = True
    for url in ("/", "/aide/", "/bac-a-sable/"):
        assert b'id="training-banner"' in member_client.get(url).content, url
    assert "Mode formation" in Client().get("/comptes/login/").content.decode()


def test_training_mode_cannot_be_turned_on_with_production_settings(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "AGORA_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "agora.example.org",
        "AGORA_DATA_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "AGORA_DEMO": "false",
        "AGORA_TRAINING_MODE": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode != 0
    assert "AGORA_TRAINING_MODE" in result.stderr


# --- Sockets: the existing consumers refuse anyone but the owner ----------------------------


@pytest.mark.django_db(transaction=True)
async def test_only_the_owner_opens_the_practice_draft_and_room_sockets() -> None:
    from tests.realtime.chat import HOST, ORIGIN, Socket, session_cookie
    from tests.realtime.ydrafts import YClient
    from tests.workshops.walltools import closed_with, hello

    assembly = await sync_to_async(factories.make_assembly)()
    owner = await sync_to_async(factories.make_titulaire)(assembly)
    other = await sync_to_async(factories.make_titulaire)(assembly)
    space = await sync_to_async(sandbox.practice_space)(owner)
    path = f"/ws/{sandbox.PATH}/{space.draft_id}"
    await sync_to_async(write_in_draft)(space, "Début.")
    try:
        writer = await YClient.connect(owner, None, path=path)
        assert (await hello(writer))["edit"] is True
        await writer.type(0, 0, "Je m'entraîne")
        for _ in range(30):
            if "Je m'entraîne" in await sync_to_async(draft_text)(space):
                break
            await asyncio.sleep(0.1)
        assert "Je m'entraîne" in await sync_to_async(draft_text)(space)
        # Wiped from another tab: the open editor is closed, as for a missing document.
        await sync_to_async(sandbox.do_reset_practice_space)(owner)
        await closed_with(writer.socket, CLOSE_NOT_FOUND)
        space = await sync_to_async(sandbox.practice_space)(owner)

        cookie = await sync_to_async(session_cookie)(other)
        socket = WebsocketCommunicator(application, path,
                                       headers=[HOST, ORIGIN, (b"cookie", cookie)])
        assert (await socket.connect())[0]
        await closed_with(socket, CLOSE_NOT_FOUND)

        hub = await Socket(cookie).open()
        refused = await hub.ask({"type": "subscribe", "room": str(space.room_id)})
        missing = await hub.ask({"type": "subscribe", "room": str(uuid.uuid4())})
        assert refused["type"] == missing["type"] == "error"
        assert refused["code"] == missing["code"] == "not_found"
        sent = await hub.ask({"type": "message.send", "room": str(space.room_id),
                              "thread": None, "body": "Intrusion", "client_id": "X1"})
        assert sent["type"] == "error"
        await hub.communicator.disconnect()
        assert not await Message.objects.filter(room_id=space.room_id).aexists()
    finally:
        await DocHub.current().close()
