"""Conversation pages per role: who sees a room, posts, searches, reports and moderates."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from forums.models import Message, Mute, Report, Room, Thread
from forums.voice import do_add_voice_message
from tests import factories
from tests.forums.people import READS_SUBGROUP, client_for, login
from tests.forums.recordings import recording

ROLES = ["member", "other_member", "substitute", "agent", "dccu", "dpd", "anonymous"]


# --- Room list and room page ------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_room_list_shows_only_rooms_the_person_may_read(
    role: str, people: dict[str, User], room: Room
) -> None:
    response = client_for(role, people).get(reverse("forums:rooms"))
    if role == "anonymous":
        assert response.status_code == 302 and "/comptes/login/" in response["Location"]
        return
    assert response.status_code == 200
    link = reverse("forums:room", args=[room.pk])
    assert (link in response.content.decode()) == (role in READS_SUBGROUP)


@pytest.mark.parametrize("role", ROLES)
def test_room_page_is_404_for_who_may_not_read_it(
    role: str, people: dict[str, User], room: Room, message: Message
) -> None:
    response = client_for(role, people).get(reverse("forums:room", args=[room.pk]))
    if role == "anonymous":
        assert response.status_code == 302
    elif role in READS_SUBGROUP:
        assert response.status_code == 200
        assert "Le bus de 7 h 12" in response.content.decode()
    else:
        assert response.status_code == 404


def test_room_page_renders_history_and_composer_without_javascript(
    room: Room, member: User, message: Message
) -> None:
    response = login(member).get(reverse("forums:room", args=[room.pk]))
    html = response.content.decode()
    assert f'id="m{message.pk}"' in html
    assert f'action="{reverse("forums:send", args=[room.pk])}"' in html
    assert 'aria-live="polite"' in html
    assert "Nouveaux messages" in html  # the other's message is unread for me
    # The charter is pinned: the room's own, else the assembly's.
    assert "Charte" in html or "charte" in html


def test_unknown_room_is_404(member: User) -> None:
    response = login(member).get(reverse("forums:room", args=[uuid.uuid4()]))
    assert response.status_code == 404


def test_html_in_a_message_renders_inert(room: Room, member: User, other: User) -> None:
    factories.send(other, room, "<script>alert(1)</script><img src=x onerror=alert(2)>")
    html = login(member).get(reverse("forums:room", args=[room.pk])).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html


def test_older_messages_page_and_fragment(
    room: Room, member: User, other: User, settings: Any
) -> None:
    settings.FORUMS_RATE_LIMIT = (1000, 10)
    sent = [factories.send(other, room, f"message {i}") for i in range(55)]
    client = login(member)
    page = client.get(reverse("forums:room", args=[room.pk])).content.decode()
    assert "message 54" in page and "message 4<" not in page
    fragment = client.get(
        reverse("forums:older", args=[room.pk]), {"before": sent[5].pk, "fragment": 1}
    )
    assert fragment.status_code == 200
    body = fragment.content.decode()
    assert "message 4" in body and "message 5<" not in body and "<html" not in body


# --- Posting ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "other_member", "substitute", "dccu", "dpd"])
def test_posting_from_the_plain_form(role: str, people: dict[str, User], room: Room) -> None:
    client = client_for(role, people)
    response = client.post(
        reverse("forums:send", args=[room.pk]),
        {"body": "Bonjour depuis le formulaire", "client_id": str(uuid.uuid4())},
    )
    stored = Message.objects.filter(body="Bonjour depuis le formulaire").exists()
    if role == "member":
        assert response.status_code == 302 and stored
    elif role == "dccu":  # reads and moderates, does not talk in subgroups
        assert response.status_code == 302 and not stored
        follow = client.get(response["Location"])
        assert "écrire" in follow.content.decode()
    else:
        assert response.status_code == 404 and not stored


def test_the_same_form_posted_twice_stores_one_message(room: Room, member: User) -> None:
    client = login(member)
    data = {"body": "Une seule fois", "client_id": str(uuid.uuid4())}
    client.post(reverse("forums:send", args=[room.pk]), data)
    client.post(reverse("forums:send", args=[room.pk]), data)
    assert Message.objects.filter(body="Une seule fois").count() == 1


# --- Forum view -------------------------------------------------------------------------


def test_thread_list_new_thread_and_answer_later(
    room: Room, member: User, other: User, outsider: User
) -> None:
    client = login(member)
    response = client.get(reverse("forums:thread_new", args=[room.pk]))
    assert response.status_code == 200
    assert "django_ckeditor_5" in response.content.decode()
    response = client.post(
        reverse("forums:thread_new", args=[room.pk]),
        {"title": "Transport à la demande", "body": "<p>Mon <strong>avis</strong>"
         "<script>alert(1)</script></p>"},
    )
    thread = Thread.objects.get(title="Transport à la demande")
    assert response.status_code == 302 and response["Location"].endswith(f"{thread.pk}/")
    first = thread.messages.get()
    assert "<strong>avis</strong>" in first.body_html and "<script" not in first.body_html

    listing = login(other).get(reverse("forums:forum", args=[room.pk])).content.decode()
    assert "Transport à la demande" in listing
    # Its last activity in the one date format, not « il y a 0 minutes ».
    from config.dates import format_when

    thread.refresh_from_db()
    assert "dernière activité : <time" in listing
    assert format_when(thread.last_activity_at) in listing
    assert "il y a" not in listing
    answer = login(other).post(
        reverse("forums:send", args=[room.pk]),
        {"body": "Je suis d'accord", "thread": str(thread.pk), "client_id": str(uuid.uuid4())},
    )
    assert answer.status_code == 302 and str(thread.pk) in answer["Location"]
    page = client.get(reverse("forums:thread", args=[thread.pk])).content.decode()
    assert "Je suis d&#x27;accord" in page or "Je suis d'accord" in page
    assert login(outsider).get(reverse("forums:thread", args=[thread.pk])).status_code == 404


# --- Search -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "other_member", "dccu", "dpd"])
def test_search_finds_only_messages_of_readable_rooms(
    role: str, people: dict[str, User], message: Message
) -> None:
    response = client_for(role, people).get(reverse("forums:search"), {"q": "Montesquieu"})
    assert response.status_code == 200
    html = response.content.decode()
    found = 'class="card search-result"' in html and "7 h 12" in html
    assert found == (role in READS_SUBGROUP)


# --- Moderation -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "other_member", "facilitator", "dccu"])
def test_report_a_message(role: str, people: dict[str, User], message: Message) -> None:
    client = client_for(role, people)
    response = client.post(
        reverse("forums:report", args=[message.pk]), {"report-reason": "Propos blessants"}
    )
    if role == "other_member":
        assert response.status_code == 404
        assert not Report.objects.exists()
    else:
        assert response.status_code == 302
        assert Report.objects.filter(message=message, reporter=people[role]).exists()


def test_report_needs_a_reason(member: User, message: Message) -> None:
    response = login(member).post(reverse("forums:report", args=[message.pk]),
                                  {"report-reason": ""})
    assert response.status_code == 400 and not Report.objects.exists()


@pytest.mark.parametrize("role,allowed", [
    ("member", False), ("other_member", None), ("facilitator", True), ("dccu", True),
])
def test_hide_a_message(
    role: str, allowed: bool | None, people: dict[str, User], message: Message, member: User
) -> None:
    response = client_for(role, people).post(
        reverse("forums:hide", args=[message.pk]), {"hide-reason": "Hors charte"}
    )
    message.refresh_from_db()
    if allowed is None:
        assert response.status_code == 404
    elif not allowed:
        assert response.status_code == 403
    else:
        assert response.status_code == 302
        assert message.hidden_at is not None and message.hidden_reason == "Hors charte"
        html = login(member).get(reverse("forums:room", args=[message.room_id])).content.decode()
        assert "Montesquieu" not in html and "masqué" in html
    if not allowed:
        assert message.hidden_at is None


@pytest.mark.parametrize("role,allowed", [("member", False), ("facilitator", True)])
def test_mute_the_author_for_a_while(
    role: str, allowed: bool, people: dict[str, User], message: Message, other: User
) -> None:
    response = client_for(role, people).post(
        reverse("forums:mute", args=[message.pk]), {"mute-minutes": "60", "mute-reason": "Calme"}
    )
    assert response.status_code == (302 if allowed else 403)
    assert Mute.objects.filter(user=other, room=message.room).exists() == allowed


def test_message_page_offers_moderation_only_to_moderators(
    message: Message, member: User, facilitator: User
) -> None:
    url = reverse("forums:message", args=[message.pk])
    assert "masquer" not in login(member).get(url).content.decode()
    assert reverse("forums:hide", args=[message.pk]) in login(facilitator).get(url).content.decode()


# --- Direct messages --------------------------------------------------------------------


def test_new_conversation_lists_my_subgroup_first_then_everyone_sharing_the_plenary(
    room: Room, member: User, other: User, outsider: User
) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD], display_name="Delphine P.")
    client = login(member)
    page = client.get(reverse("forums:direct_new")).content.decode()
    # Zoé (my subgroup) comes first; « Hors Groupe » shares the plenary with me; the DPD
    # reads no conversation, so is nobody to write to.
    assert page.index("Mon sous-groupe") < page.index("Zoé M.") < page.index("Tous les autres")
    assert page.index("Tous les autres") < page.index("Hors Groupe")
    assert "Delphine P." not in page
    response = client.post(reverse("forums:direct_new"), {"participants": [str(other.pk)]})
    direct = Room.objects.get(kind="direct")
    assert response["Location"] == reverse("forums:room", args=[direct.pk])
    assert set(direct.participants.all()) == {member, other}
    refused = client.post(reverse("forums:direct_new"), {"participants": [str(dpd.pk)]})
    assert refused.status_code == 200 and Room.objects.filter(kind="direct").count() == 1
    assert login(outsider).get(reverse("forums:room", args=[direct.pk])).status_code == 404
    # Anyone of the plenary can be written to.
    client.post(reverse("forums:direct_new"), {"participants": [str(outsider.pk)]})
    assert Room.objects.filter(kind="direct", participants=outsider).count() == 1


def test_a_person_found_by_the_search_comes_ticked_in_new_conversation(
    room: Room, member: User, other: User
) -> None:
    import re

    dpd = factories.UserFactory(roles=[Role.DPD], display_name="Delphine P.")
    client = login(member)
    url = reverse("forums:direct_new")
    page = client.get(f"{url}?avec={other.pk}").content.decode()
    ticked = re.findall(r'<input type="checkbox"[^>]*checked[^>]*>', page)
    assert len(ticked) == 1 and str(other.pk) in ticked[0]
    assert f'value="{other.public_name}"' in page  # the list starts narrowed to them
    # Someone one may not write to (the DPD), or nonsense: nothing ticked, nothing said.
    for wanted in (str(dpd.pk), "pas-un-id"):
        page = client.get(f"{url}?avec={wanted}").content.decode()
        assert client.get(f"{url}?avec={wanted}").status_code == 200
        assert not re.findall(r'<input type="checkbox"[^>]*checked', page)
        assert "Delphine P." not in page


def test_new_conversation_says_why_nobody_is_listed(db: Any) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD])
    page = login(dpd).get(reverse("forums:direct_new")).content.decode()
    assert "Vous n'avez pas encore de place dans l'assemblée" in page.replace("&#x27;", "'")


# --- Attachments ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["member", "other_member", "dccu", "anonymous"])
def test_voice_file_is_served_only_to_readers(
    role: str, people: dict[str, User], room: Room, other: User, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    voice, _created = do_add_voice_message(
        other, room, upload=SimpleUploadedFile("x.webm", recording(), "audio/webm"),
        transcript="Bonjour", client_id=uuid.uuid4(),
    )
    attachment = voice.attachments.get()
    response = client_for(role, people).get(reverse("forums:attachment", args=[attachment.pk]))
    if role == "anonymous":
        assert response.status_code == 302
    elif role in READS_SUBGROUP:
        assert response.status_code == 200
        assert response["Content-Type"] == "audio/webm"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("inline")
        assert b"".join(response.streaming_content) == recording()
    else:
        assert response.status_code == 404


def test_a_non_audio_attachment_is_never_served_inline(
    room: Room, member: User, other: User, settings: Any, tmp_path: Any
) -> None:
    from forums.models import Attachment

    settings.MEDIA_ROOT = tmp_path
    message = factories.send(other, room, "Voici le document")
    item = Attachment.objects.create(
        message=message, kind="file", name="page.html", content_type="text/html", size=20,
        file=SimpleUploadedFile("page.html", b"<script>alert(1)</script>"),
    )
    response = login(member).get(reverse("forums:attachment", args=[item.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_nav_and_home_link_to_the_discussions(member_client: Client) -> None:
    html = member_client.get("/").content.decode()
    assert html.count(f'href="{reverse("forums:rooms")}"') >= 2


def test_staff_can_start_a_conversation_with_other_staff(db: Any) -> None:
    agent = factories.UserFactory(roles=[Role.AGENT], display_name="Hélène M.")
    dccu = factories.UserFactory(roles=[Role.DCCU], display_name="Claire D.")
    page = login(dccu).get(reverse("forums:direct_new")).content.decode()
    assert "Hélène M." in page and "Claire D." not in page
    assert login(agent).get(reverse("forums:direct_new")).status_code == 200
