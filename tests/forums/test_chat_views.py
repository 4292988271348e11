# ruff: noqa: F811 - the fixtures of test_views.py are imported by name
"""What one does to a message from the chat page, role by role: link, edit, delete, react,
mark unread; files and images through the library's checks; a long text refused whole,
never cut; why someone cannot write; who is in the room."""

from __future__ import annotations

import io
import json
import re
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from forums import actions
from forums.models import Attachment, Message, Reaction, ReadMarker, Room
from tests import factories
from tests.forums.people import READS_SUBGROUP, client_for, login

JSON = {"HTTP_ACCEPT": "application/json"}
# Who may write in a subgroup room: its members and facilitators (the DCCU reads only).
WRITES_SUBGROUP = {"member", "facilitator"}
ROLES = ["member", "other_member", "facilitator", "substitute", "agent", "dccu", "dpd"]


def _png(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def mine(room: Room, member: User) -> Message:
    return factories.send(member, room, "Rendez-vous à la mairie à 18 h")


# --- Per role ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_author_edits_a_message_and_others_never_learn_more(
    role: str, people: dict[str, User], mine: Message
) -> None:
    client = client_for(role, people)
    url = reverse("forums:edit", args=[mine.pk])
    got = client.get(url, **JSON)
    posted = client.post(url, {"body": "Rendez-vous à la mairie à 19 h"}, **JSON)
    mine.refresh_from_db()
    if role == "member":
        assert got.status_code == 200 and got.json()["body"] == "Rendez-vous à la mairie à 18 h"
        assert posted.status_code == 200
        assert mine.body == "Rendez-vous à la mairie à 19 h" and mine.edited_at is not None
    else:
        expected = 403 if role in READS_SUBGROUP else 404
        assert (got.status_code, posted.status_code) == (expected, expected)
        assert mine.body == "Rendez-vous à la mairie à 18 h" and mine.edited_at is None


@pytest.mark.parametrize("role", ROLES)
def test_the_author_and_the_rooms_moderators_delete_a_message(
    role: str, people: dict[str, User], mine: Message
) -> None:
    response = client_for(role, people).post(reverse("forums:delete", args=[mine.pk]), **JSON)
    mine.refresh_from_db()
    if role in {"member", "facilitator", "dccu"}:  # the author; the subgroup's moderators
        assert response.status_code == 200 and mine.deleted_at is not None and mine.body == ""
    else:
        assert response.status_code == (403 if role in READS_SUBGROUP else 404)
        assert mine.deleted_at is None


@pytest.mark.parametrize("role", ROLES)
def test_who_writes_in_the_room_reacts(
    role: str, people: dict[str, User], message: Message
) -> None:
    client = client_for(role, people)
    url = reverse("forums:react", args=[message.pk])
    response = client.post(url, {"emoji": "👍"}, **JSON)
    if role in WRITES_SUBGROUP:
        assert response.status_code == 200
        assert Reaction.objects.filter(message=message, user=people[role], emoji="👍").exists()
        client.post(url, {"emoji": "👍", "add": "0"}, **JSON)
        assert not Reaction.objects.filter(message=message).exists()
        refused = client.post(url, {"emoji": "🍕"}, **JSON)
        assert refused.status_code == 400 and "réaction" in refused.json()["error"]
    else:
        assert response.status_code == (403 if role in READS_SUBGROUP else 404)
        assert not Reaction.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_mark_as_unread_moves_the_readers_marker_back(
    role: str, people: dict[str, User], room: Room, message: Message, other: User
) -> None:
    later = factories.send(other, room, "Et le bus de 8 h ?")
    client = client_for(role, people)
    if role in READS_SUBGROUP:
        client.get(reverse("forums:room", args=[room.pk]))  # reads everything
    response = client.post(reverse("forums:unread", args=[message.pk]), **JSON)
    if role in READS_SUBGROUP:
        assert response.status_code == 200 and response.json() == {"unread": 2}
        marker = ReadMarker.objects.get(user=people[role], thread=message.thread)
        assert marker.last_read_id == message.pk - 1 < later.pk
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_a_message_link_opens_the_room_at_that_message(
    role: str,
    people: dict[str, User],
    room: Room,
    message: Message,
    other: User,
    settings: Any,
) -> None:
    settings.FORUMS_RATE_LIMIT = (1000, 10)
    for n in range(60):  # the message is no longer among the last fifty
        factories.send(other, room, f"Message {n}", client_id=uuid.uuid4())
    client = client_for(role, people)
    response = client.get(reverse("forums:permalink", args=[message.pk]))
    if role not in READS_SUBGROUP:
        assert response.status_code == 404
        return
    target = reverse("forums:room", args=[room.pk]) + f"?message={message.pk}#m{message.pk}"
    assert response.status_code == 302 and response["Location"] == target
    page = client.get(target).content.decode()
    assert f'id="m{message.pk}"' in page and f'data-target="{message.pk}"' in page


# --- Long messages: refused whole, never cut -----------------------------------------------


def test_a_16000_character_paste_is_refused_with_its_count_and_kept(
    room: Room, member: User
) -> None:
    client = login(member)
    page = client.get(reverse("forums:room", args=[room.pk])).content.decode()
    composer = re.search(r"<textarea[^>]*>", page)
    assert composer and "maxlength" not in composer.group(0)  # the browser must not cut
    text = "Lorem ipsum dolor sit amet. " * 572  # 16,016 characters
    response = client.post(
        reverse("forums:send", args=[room.pk]), {"body": text, "client_id": str(uuid.uuid4())}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "16\u202f015 caractères pour 4\u202f000 au maximum" in html
    assert "rien n&#x27;a été coupé" in html
    assert text.strip() in html  # back in the composer, whole
    assert not Message.objects.filter(room=room).exists()
    over_socket = client.post(
        reverse("forums:send", args=[room.pk]),
        {"body": text, "client_id": str(uuid.uuid4())},
        **JSON,
    )
    assert over_socket.status_code == 400 and "16\u202f015" in over_socket.json()["error"]


def test_an_edit_past_the_limit_is_refused_and_the_message_unchanged(
    mine: Message, member: User
) -> None:
    response = login(member).post(reverse("forums:edit", args=[mine.pk]), {"body": "x" * 4001})
    assert response.status_code == 400 and "4\u202f001 caractères" in response.content.decode()
    mine.refresh_from_db()
    assert mine.body == "Rendez-vous à la mairie à 18 h"


# --- Files and images ------------------------------------------------------------------------


def _send_files(client: Client, room: Room, *files: Any, body: str = "") -> Any:
    return client.post(
        reverse("forums:send", args=[room.pk]),
        {"body": body, "client_id": str(uuid.uuid4()), "files": list(files)},
        **JSON,
    )


def test_an_image_is_checked_stored_and_shown_as_a_thumbnail(
    room: Room, member: User, other: User, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    image = SimpleUploadedFile("plan d'accès.png", _png(), "image/png")
    response = _send_files(login(member), room, image, body="Le plan")
    assert response.status_code == 200
    shown = response.json()["message"]
    stored = Attachment.objects.get()
    assert (stored.name, stored.content_type, stored.kind) == (
        "plan d'accès.png",
        "image/png",
        "file",
    )
    assert "<img" in shown["html"]["fr"] and "Le plan" in shown["html"]["fr"]
    thumb = login(other).get(reverse("forums:attachment", args=[stored.pk]) + "?voir=1")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/png"
    assert thumb["Content-Disposition"].startswith("inline")
    download = login(other).get(reverse("forums:attachment", args=[stored.pk]))
    assert download["Content-Disposition"].startswith("attachment")


def test_a_file_alone_needs_no_text_and_a_pdf_shows_its_name_and_size(
    room: Room, member: User, settings: Any, tmp_path: Any
) -> None:
    import pypdfium2  # the library's own checks open PDFs with pdfium

    settings.MEDIA_ROOT = tmp_path
    pdf = pypdfium2.PdfDocument.new()
    pdf.new_page(200, 200)
    out = io.BytesIO()
    pdf.save(out)
    response = _send_files(
        login(member), room, SimpleUploadedFile("compte-rendu.pdf", out.getvalue())
    )
    assert response.status_code == 200
    html = response.json()["message"]["html"]["fr"]
    assert "compte-rendu.pdf" in html and "octets" in html and "<img" not in html


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("photo.png", b"<html><script>alert(1)</script></html>", "page web"),
        ("photo.png", b"\x7fELF\x02\x01\x01" + b"\0" * 100, "programme"),
        ("photo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "SVG"),
        ("vide.png", b"", "vide"),
    ],
)
def test_a_refused_file_says_why_in_french_and_nothing_is_kept(
    room: Room,
    member: User,
    settings: Any,
    tmp_path: Any,
    name: str,
    content: bytes,
    reason: str,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    response = _send_files(login(member), room, SimpleUploadedFile(name, content), body="Regardez")
    assert response.status_code == 400
    error = response.json()["error"]
    assert name in error and reason in error, error
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert not any(tmp_path.rglob("*.*")) and not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_too_large_or_too_many_files_are_refused(
    room: Room, member: User, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.FORUMS_FILE_MAX_BYTES = 1024 * 1024
    big = SimpleUploadedFile("grand.png", _png(1200, 1200) + b"\0" * (1024 * 1024))
    response = _send_files(login(member), room, big)
    error = response.json()["error"]
    assert response.status_code == 400 and "grand.png" in error
    assert "trop lourd\u00a0: 1 Mo au maximum" in error, error
    six = [SimpleUploadedFile(f"p{n}.png", _png()) for n in range(6)]
    response = _send_files(login(member), room, *six)
    assert response.status_code == 400 and "5 fichiers" in response.json()["error"]
    assert not Attachment.objects.exists()


def test_who_cannot_write_cannot_send_files(
    people: dict[str, User], room: Room, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    dccu = login(people["dccu"])
    response = dccu.post(
        reverse("forums:send", args=[room.pk]),
        {"body": "x", "files": [SimpleUploadedFile("a.png", _png())]},
    )
    assert response.status_code == 302 and not Attachment.objects.exists()
    outsider_response = _send_files(
        login(people["other_member"]), room, SimpleUploadedFile("a.png", _png())
    )
    assert outsider_response.status_code == 404


# --- Replies -------------------------------------------------------------------------------


def test_a_reply_quotes_the_message_it_answers(room: Room, member: User, message: Message) -> None:
    response = login(member).post(
        reverse("forums:send", args=[room.pk]),
        {
            "body": "Oui, il ne passe plus",
            "client_id": str(uuid.uuid4()),
            "reply_to": str(message.pk),
        },
    )
    assert response.status_code == 302
    reply = Message.objects.get(body="Oui, il ne passe plus")
    assert reply.reply_to == message
    html = json.dumps(actions.serialize_message(reply)["html"]["fr"], ensure_ascii=False)
    assert "En réponse à Zoé M." in html and "Le bus de 7 h 12" in html


# --- Who cannot write, and who is here ---------------------------------------------------------


def test_a_substitute_reads_why_they_cannot_write_in_the_plenary(
    people: dict[str, User], room: Room
) -> None:
    plenary = factories.plenary_room(room.subgroup.mandate)
    page = login(people["substitute"]).get(reverse("forums:room", args=[plenary.pk]))
    html = page.content.decode()
    assert (
        "Les remplaçant·es lisent la plénière\u00a0; vous pourrez écrire si un siège se "
        "libère." in html
    )
    assert 'id="composer"' not in html


def test_the_dccu_and_a_muted_member_read_their_own_reason(
    people: dict[str, User], room: Room, message: Message, facilitator: User, member: User
) -> None:
    html = login(people["dccu"]).get(reverse("forums:room", args=[room.pk])).content.decode()
    assert "sans y écrire" in html
    mute = actions.do_mute_person(facilitator, room, member, minutes=60, reason="Propos blessants")
    html = login(member).get(reverse("forums:room", args=[room.pk])).content.decode()
    assert "Propos blessants" in html and 'id="composer"' not in html
    # Until when, written the one way (« 7 déc. 2026, 4 h 20 », not « 7 décembre, 04:20 »).
    from config.dates import format_when

    assert format_when(mute.until) in html


def test_the_room_lists_its_people_with_their_role_badge(
    room: Room, member: User, other: User, facilitator: User
) -> None:
    html = login(member).get(reverse("forums:room", args=[room.pk])).content.decode()
    panel = html[html.index('id="people-list"') :]
    panel = panel[: panel.index("</ul>")]
    for person in (member, other, facilitator):
        assert f'data-user="{person.pk}"' in panel
    assert "badge--role" in panel  # the facilitator's « animation »


def test_without_javascript_the_message_page_offers_reply_react_edit_delete_and_unread(
    room: Room, member: User, mine: Message, message: Message
) -> None:
    client = login(member)
    own = client.get(reverse("forums:message", args=[mine.pk])).content.decode()
    for url in ("forums:edit", "forums:delete", "forums:react", "forums:unread"):
        assert reverse(url, args=[mine.pk]) in own, url
    theirs = client.get(reverse("forums:message", args=[message.pk])).content.decode()
    assert reverse("forums:edit", args=[message.pk]) not in theirs
    assert reverse("forums:delete", args=[message.pk]) not in theirs
    assert f'name="reply_to" value="{message.pk}"' in theirs
    # The plain forms work: react, then edit one's own message through its page.
    client.post(reverse("forums:react", args=[message.pk]), {"emoji": "🙏"})
    assert Reaction.objects.filter(message=message, user=member, emoji="🙏").exists()
    form = client.get(reverse("forums:edit", args=[mine.pk])).content.decode()
    assert "Rendez-vous à la mairie à 18 h" in form
    saved = client.post(reverse("forums:edit", args=[mine.pk]), {"body": "À 19 h finalement"})
    assert saved.status_code == 302
    mine.refresh_from_db()
    assert mine.body == "À 19 h finalement"
