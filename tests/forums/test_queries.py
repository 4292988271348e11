"""Reading conversations stays cheap: query counts do not grow with messages or rooms."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from forums import actions, queries
from forums.models import Attachment, AttachmentKind, Message, Reaction, Room
from tests import factories


@pytest.fixture(autouse=True)
def _no_rate_limit(settings: Any) -> None:
    settings.FORUMS_RATE_LIMIT = (10_000, 1)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(assembly: Assembly) -> list[User]:
    return [factories.make_titulaire(assembly) for _ in range(3)]


@pytest.fixture
def room(assembly: Assembly, people: list[User]) -> Room:
    return factories.room_of(factories.make_subgroup(assembly, members=people))


def fill(room: Room, people: list[User], n: int) -> None:
    """``n`` messages by several people, with reactions and a voice message now and then."""
    for i in range(n):
        message = factories.send(people[i % len(people)], room, f"Message {i}")
        Reaction.objects.create(message=message, user=people[(i + 1) % len(people)], emoji="👍")
        if i % 3 == 0:
            attachment = Attachment(message=message, kind=AttachmentKind.VOICE, name="voix.webm",
                                    content_type="audio/webm", size=3, duration_seconds=2.5,
                                    transcript="Bonjour")
            attachment.file.save("voix.webm", ContentFile(b"abc"), save=True)


@pytest.mark.parametrize("reader", ["history", "messages_after"])
def test_a_page_of_history_costs_the_same_for_5_or_40_messages(
    room: Room, people: list[User], reader: str, django_assert_num_queries: Any
) -> None:
    viewer = people[0]

    def page() -> list[dict[str, Any]]:
        if reader == "history":
            messages = queries.history(viewer, room, limit=50)
        else:
            messages = queries.messages_after(viewer, room, after=0)
        return [queries.serialize_message(m, viewer) for m in messages]

    fill(room, people, 5)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert len(page()) == 5
    fill(room, people, 35)
    with django_assert_num_queries(len(few)):
        data = page()
    assert len(data) == 40
    assert data[0]["reactions"] == {"👍": 1}
    assert data[0]["attachments"][0]["transcript"] == "Bonjour"


def test_unread_counts_cost_one_query_for_any_number_of_rooms(
    assembly: Assembly, people: list[User], django_assert_num_queries: Any
) -> None:
    viewer = people[0]
    rooms = []
    for i in range(6):
        room = factories.room_of(factories.make_subgroup(
            assembly, members=people, name=f"Groupe {i}"
        ))
        fill(room, people[1:], i + 1)
        rooms.append(room)
    with django_assert_num_queries(1):
        counts = queries.unread_counts(viewer, rooms[:2])
    with django_assert_num_queries(1):
        counts = queries.unread_counts(viewer, rooms)
    assert counts == {str(room.pk): i + 1 for i, room in enumerate(rooms)}


def test_room_list_costs_the_same_for_2_or_8_rooms(
    assembly: Assembly, people: list[User], django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    viewer = people[0]
    for i in range(2):
        factories.make_subgroup(assembly, members=people, name=f"Groupe {i}")
    queries.room_summaries(User.objects.get(pk=viewer.pk))  # warm the content-type cache
    viewer = User.objects.get(pk=viewer.pk)
    with CaptureQueriesContext(connection) as few:
        assert len(queries.room_summaries(viewer)) == 2 + 1  # and the plenary
    for i in range(2, 8):
        factories.make_subgroup(assembly, members=people, name=f"Groupe {i}")
    viewer = User.objects.get(pk=viewer.pk)
    with django_assert_num_queries(len(few)):
        assert len(queries.room_summaries(viewer)) == 8 + 1


def test_deleted_and_hidden_messages_show_nothing_to_members_but_moderators_see_hidden(
    room: Room, people: list[User]
) -> None:
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    room.subgroup.facilitators.add(facilitator)
    hidden = factories.send(people[1], room, "Propos déplacés")
    actions.do_hide_message(facilitator, hidden, reason="Insulte")
    deleted = factories.send(people[1], room, "Oups")
    actions.do_delete_message(people[1], deleted)
    member_view = {m["id"]: m for m in map(
        lambda m: queries.serialize_message(m, people[0]), queries.history(people[0], room)
    )}
    assert member_view[hidden.pk]["body_html"] == "" and member_view[hidden.pk]["hidden"]
    assert member_view[deleted.pk]["body_html"] == "" and member_view[deleted.pk]["deleted"]
    moderator_view = queries.serialize_message(
        Message.objects.get(pk=hidden.pk), facilitator
    )
    assert moderator_view["body_html"] == "Propos déplacés"


def test_search_finds_only_visible_messages_in_rooms_the_viewer_reads(
    assembly: Assembly, people: list[User]
) -> None:
    mine = factories.room_of(factories.make_subgroup(assembly, members=people[:2], name="A"))
    theirs = factories.room_of(factories.make_subgroup(assembly, members=people[2:], name="B"))
    found = factories.send(people[1], mine, "Le transport à la demande à Revel")
    factories.send(people[2], theirs, "Le transport à la demande à Muret")
    gone = factories.send(people[1], mine, "Transport à la demande, brouillon")
    actions.do_delete_message(people[1], gone)
    results = queries.search_messages(people[0], "TRANSPORT à la demande")
    assert [m.pk for m in results] == [found.pk]
    assert queries.search_messages(people[0], "   ") == []


def test_history_of_a_room_the_viewer_cannot_read_is_not_found(
    room: Room, assembly: Assembly
) -> None:
    stranger = factories.make_titulaire(assembly)
    with pytest.raises(Http404):
        queries.history(stranger, room)
    with pytest.raises(Http404):
        queries.messages_after(stranger, room, after=0)


def test_thread_list_shows_threads_with_unread_counts(
    room: Room, people: list[User]
) -> None:
    thread = actions.do_create_thread(
        people[1], room, title="Transport à la demande", body="<p>Qui l'utilise ?</p>"
    )
    factories.send(people[2], room, "Moi", thread=thread, client_id=uuid.uuid4())
    listed = queries.threads(people[0], room)
    assert [t.title for t in listed] == ["Général", "Transport à la demande"]
    assert queries.thread_unread_counts(people[0], room) == {str(thread.pk): 2}


def test_a_page_with_hidden_messages_looks_up_the_viewers_abilities_once(
    room: Room, people: list[User], django_assert_max_num_queries: Any
) -> None:
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    assert room.subgroup is not None
    room.subgroup.facilitators.add(facilitator)
    for i in range(6):
        message = factories.send(people[1], room, f"Hors charte {i}")
        actions.do_hide_message(facilitator, message, reason="Charte")
    page = queries.history(facilitator, room)

    with CaptureQueriesContext(connection) as one:
        queries.serialize_messages(page[:1], User.objects.get(pk=facilitator.pk))
    viewer = User.objects.get(pk=facilitator.pk)
    with django_assert_max_num_queries(len(one)):  # one abilities check, not one per message
        data = queries.serialize_messages(page, viewer)
    assert [m["body_html"] for m in data] == [f"Hors charte {i}" for i in range(6)]
    members = queries.serialize_messages(page, people[0])
    assert {m["body_html"] for m in members} == {""}


def test_a_direct_room_without_a_name_is_called_after_the_others(
    people: list[User], django_assert_max_num_queries: Any
) -> None:
    room = actions.do_create_direct_room(people[0], participants=[people[1], people[2]])
    [summary] = [s for s in queries.room_summaries(people[0]) if s["id"] == str(room.pk)]
    assert summary["name"] == ", ".join(sorted([people[1].public_name,
                                                people[2].public_name]))
