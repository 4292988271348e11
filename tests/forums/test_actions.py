"""Operations on conversations: sending, reading, editing, moderating (forums/actions.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from deliberation.people import person_name
from forums import actions, queries
from forums.models import Message, ReadMarker, Room, RoomKind, Thread
from gdpr.models import AuditEntry
from realtime.events import check_event
from tests import factories


@pytest.fixture
def facilitator(db: Any) -> User:
    return factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Amandine R.")


@pytest.fixture
def other(assembly: Assembly) -> User:
    return factories.make_titulaire(assembly, display_name="Zoé M.")


@pytest.fixture
def outsider(assembly: Assembly) -> User:
    return factories.make_titulaire(assembly, display_name="Hors Groupe")


@pytest.fixture
def room(assembly: Assembly, member: User, other: User, facilitator: User) -> Room:
    subgroup = factories.make_subgroup(
        assembly, members=[member, other], facilitators=[facilitator]
    )
    return factories.room_of(subgroup)


@pytest.fixture
def published(monkeypatch: Any) -> list[tuple[dict[str, Any], list[str]]]:
    """Events as they leave for the channel layer (after commit), each checked against its type."""
    sent: list[tuple[dict[str, Any], list[str]]] = []

    def record(event: Any, groups: list[str]) -> None:
        data = event.to_dict()
        check_event(data)
        sent.append((data, groups))

    monkeypatch.setattr(actions, "send_event_on_commit", record)
    return sent


# --- Sending ----------------------------------------------------------------------------


def test_member_sends_a_message_to_the_default_thread_and_everyone_in_the_room_hears(
    room: Room, member: User, published: list[Any]
) -> None:
    client_id = uuid.uuid4()
    message, created = actions.do_send_message(member, room, body="Bonjour !",
                                               client_id=client_id)
    assert created
    assert message.thread.is_default and message.thread.title == "Général"
    assert message.body_html == "Bonjour !"
    [(event, groups), (bump, bump_groups)] = published
    assert event["type"] == "message" and groups == [f"room.{room.pk}"]
    assert bump == {"type": "unread.bump", "room": str(room.pk), "message": message.pk,
                    "author": str(member.pk)}
    assert bump_groups == [f"readers.{room.pk}"]
    assert event["message"]["client_id"] == str(client_id)
    assert event["message"]["author"] == {
        "id": str(member.pk), "name": member.public_name, "role": ""}


def test_sending_twice_with_the_same_client_id_never_duplicates(
    room: Room, member: User, published: list[Any]
) -> None:
    client_id = str(uuid.uuid4())
    first, created = actions.do_send_message(member, room, body="Une fois", client_id=client_id)
    again, created_again = actions.do_send_message(member, room, body="Une fois",
                                                   client_id=client_id)
    assert created and not created_again
    assert again.pk == first.pk
    assert Message.objects.count() == 1
    assert len(published) == 2  # message and unread.bump; the replay publishes nothing new


def test_the_same_client_id_from_two_people_is_two_messages(
    room: Room, member: User, other: User
) -> None:
    client_id = uuid.uuid4()
    factories.send(member, room, client_id=client_id)
    factories.send(other, room, client_id=client_id)
    assert Message.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \n ", "empty"), ("x" * 4001, "too_long")],
)
def test_empty_or_too_long_messages_are_refused(
    room: Room, member: User, body: str, code: str
) -> None:
    with pytest.raises(ValidationError) as error:
        factories.send(member, room, body)
    assert error.value.code == code
    assert not Message.objects.exists()


def test_a_bad_client_id_or_format_is_refused(room: Room, member: User) -> None:
    with pytest.raises(ValidationError) as error:
        factories.send(member, room, client_id="pas-un-uuid")
    assert error.value.code == "bad_format"
    with pytest.raises(ValidationError) as error:
        factories.send(member, room, format="markdown")
    assert error.value.code == "bad_format"


def test_someone_outside_the_subgroup_cannot_tell_the_room_exists(
    room: Room, outsider: User
) -> None:
    with pytest.raises(Http404):
        factories.send(outsider, room)


def test_a_substitute_reads_the_plenary_but_cannot_write_there(assembly: Assembly) -> None:
    mandate = factories.make_mandate(assembly)
    plenary = factories.plenary_room(mandate)
    substitute = factories.make_substitute(assembly, factories.seat(assembly))
    assert queries.history(substitute, plenary) == []
    with pytest.raises(PermissionDenied):
        factories.send(substitute, plenary)


def test_a_thread_or_reply_from_another_room_is_refused(
    room: Room, member: User, assembly: Assembly
) -> None:
    plenary = factories.plenary_room(room.mandate)
    elsewhere = factories.send(member, plenary)
    with pytest.raises(ValidationError) as error:
        factories.send(member, room, thread=elsewhere.thread)
    assert error.value.code == "not_found"
    with pytest.raises(ValidationError) as error:
        factories.send(member, room, reply_to=elsewhere)
    assert error.value.code == "not_found"


def test_a_person_sending_too_fast_is_slowed_down(
    room: Room, member: User, settings: Any
) -> None:
    settings.FORUMS_RATE_LIMIT = (3, 60)
    for _ in range(3):
        factories.send(member, room)
    with pytest.raises(ValidationError) as error:
        factories.send(member, room)
    assert error.value.code == "rate_limited"
    assert Message.objects.count() == 3


def test_sending_moves_the_thread_to_the_top(room: Room, member: User) -> None:
    thread = actions.default_thread(room)
    Thread.objects.filter(pk=thread.pk).update(
        last_activity_at=timezone.now() - dt.timedelta(days=3)
    )
    message = factories.send(member, room)
    thread.refresh_from_db()
    assert thread.last_activity_at >= message.created_at
    # Sending does not mark what others said as read: only reading does.
    assert not ReadMarker.objects.filter(user=member).exists()


# --- What the text becomes ----------------------------------------------------------------


def test_html_and_scripts_in_a_chat_message_render_inert(room: Room, member: User) -> None:
    message = factories.send(
        member, room, '<script>alert("x")</script><img src=x onerror=alert(1)> **ok**'
    )
    assert "<script" not in message.body_html and "<img" not in message.body_html
    assert "&lt;script&gt;" in message.body_html
    assert "<strong>ok</strong>" in message.body_html


def test_links_open_safely_in_a_new_tab(room: Room, member: User) -> None:
    message = factories.send(member, room, "Voir https://haute-garonne.fr/aines, et _vite_")
    assert (
        '<a href="https://haute-garonne.fr/aines" target="_blank" '
        'rel="nofollow noopener noreferrer">https://haute-garonne.fr/aines</a>,'
    ) in message.body_html
    assert "<em>vite</em>" in message.body_html


def test_a_javascript_link_never_becomes_a_link(room: Room, member: User) -> None:
    message = factories.send(member, room, "javascript:alert(1) et <a href='javascript:x'>y</a>")
    assert "<a" not in message.body_html


def test_line_breaks_are_kept(room: Room, member: User) -> None:
    assert factories.send(member, room, "un\ndeux").body_html == "un<br>deux"


def test_mentions_of_people_in_the_room_are_recorded_and_highlighted(
    room: Room, member: User, other: User, outsider: User
) -> None:
    message = factories.send(member, room, "@zoé m. et @Hors Groupe, qu'en pensez-vous ?")
    assert list(message.mentions.all()) == [other]
    assert '<span class="mention">@Zoé M.</span>' in message.body_html
    # Someone who cannot read the room is not mentioned (nor revealed).
    assert "@Hors Groupe" in message.body_html and message.body_html.count("mention") == 1


def test_an_email_address_is_not_a_mention(room: Room, member: User, other: User) -> None:
    message = factories.send(member, room, "Écrivez à zoé@Zoé M.")
    assert not message.mentions.exists()


def test_a_rich_forum_post_keeps_its_formatting_but_not_its_scripts(
    room: Room, member: User
) -> None:
    message = factories.send(
        member, room,
        '<h2>Idée</h2><p onclick="x()">Un <strong>bus</strong> <a href="https://a.fr">ici</a>'
        "</p><script>x()</script><ul><li>un</li></ul>",
        format="html",
    )
    assert message.body_html.startswith("<h2>Idée</h2><p>Un <strong>bus</strong>")
    assert 'rel="nofollow noopener noreferrer"' in message.body_html
    assert "script" not in message.body_html and "onclick" not in message.body_html
    assert message.body == message.body_html  # the raw input is not kept


# --- Reading ----------------------------------------------------------------------------


def test_unread_counts_follow_the_read_marker_and_never_go_back(
    room: Room, member: User, other: User, published: list[Any]
) -> None:
    messages = [factories.send(other, room, f"Message {i}") for i in range(3)]
    factories.send(member, room, "Le mien ne compte pas")
    assert queries.unread_counts(member, [room]) == {str(room.pk): 3}
    thread = messages[0].thread
    assert actions.do_mark_read(member, thread, up_to_id=messages[1].pk) == 1
    assert published[-1] == (
        {"type": "unread", "room": str(room.pk), "unread": 1}, [f"user.{member.pk}"]
    )
    # A late frame from another tab does not make messages unread again.
    assert actions.do_mark_read(member, thread, up_to_id=messages[0].pk) == 1
    assert actions.do_mark_read(member, thread, up_to_id=10**9) == 0
    assert queries.last_read_id(member, thread) == Message.objects.latest("id").pk


def test_someone_who_cannot_read_the_room_cannot_mark_it_read(
    room: Room, outsider: User
) -> None:
    with pytest.raises(Http404):
        actions.do_mark_read(outsider, actions.default_thread(room), up_to_id=1)


def test_history_pages_back_oldest_first_and_resync_gives_exactly_the_missed_ones(
    room: Room, member: User, other: User
) -> None:
    sent = [factories.send(other if i % 2 else member, room, f"n°{i}") for i in range(7)]
    page = queries.history(member, room, limit=3)
    assert [m.pk for m in page] == [m.pk for m in sent[-3:]]
    older = queries.history(member, room, before=page[0].pk, limit=3)
    assert [m.pk for m in older] == [m.pk for m in sent[1:4]]
    assert [m.pk for m in queries.messages_after(member, room, after=sent[4].pk)] == [
        sent[5].pk, sent[6].pk,
    ]


def test_serialized_message_has_the_protocol_fields(room: Room, member: User) -> None:
    message = factories.send(member, room, "Salut")
    data = queries.serialize_message(message, member)
    assert set(data) == {
        "id", "room", "thread", "author", "body_html", "created_at", "edited_at", "client_id",
        "reply_to", "deleted", "hidden", "attachments", "reactions", "html",
    }
    assert data["id"] == message.pk and data["room"] == str(room.pk)
    assert data["deleted"] is False and data["reactions"] == {}


def test_ensure_rooms_is_idempotent_and_gives_each_room_one_general_thread(
    assembly: Assembly, member: User
) -> None:
    subgroup = factories.make_subgroup(assembly, members=[member])
    mandate = subgroup.mandate
    actions.ensure_rooms(mandate)
    actions.ensure_rooms(mandate)
    rooms = Room.objects.filter(mandate=mandate)
    assert sorted(rooms.values_list("kind", flat=True)) == [
        RoomKind.PLENARY, RoomKind.STAFF, RoomKind.SUBGROUP,
    ]
    assert rooms.get(kind=RoomKind.SUBGROUP).name == subgroup.name
    assert rooms.get(kind=RoomKind.PLENARY).name.startswith("Plénière")
    for room in rooms:
        assert list(room.threads.values_list("title", "is_default")) == [("Général", True)]


def test_audit_is_untouched_by_ordinary_messages(room: Room, member: User) -> None:
    before = AuditEntry.objects.count()
    factories.send(member, room)
    assert AuditEntry.objects.count() == before


# --- Editing, deleting, reacting ------------------------------------------------------------


def test_the_author_edits_a_message_and_the_room_sees_it_edited(
    room: Room, member: User, other: User, published: list[Any]
) -> None:
    message = factories.send(member, room, "Premier jet")
    edited = actions.do_edit_message(member, message, body="Version **corrigée**, @Zoé M.")
    assert edited.edited_at is not None
    assert "<strong>corrigée</strong>" in edited.body_html
    assert list(edited.mentions.all()) == [other]
    event, groups = published[-1]
    assert event["type"] == "message.updated" and event["message"]["edited_at"]
    with pytest.raises(PermissionDenied):
        actions.do_edit_message(other, message, body="Pas à moi")


def test_the_author_deletes_a_message_its_text_goes_its_place_stays(
    room: Room, member: User, other: User, published: list[Any]
) -> None:
    message = factories.send(member, room, "À effacer")
    with pytest.raises(PermissionDenied):
        actions.do_delete_message(other, message)
    deleted = actions.do_delete_message(member, message)
    assert deleted.deleted_at is not None and deleted.body == deleted.body_html == ""
    event = published[-1][0]
    assert event["type"] == "message.updated" and event["message"]["deleted"]
    with pytest.raises(ValidationError):
        actions.do_edit_message(member, deleted, body="Retour")


def test_a_moderator_deletes_someone_elses_message_and_it_is_audited(
    room: Room, member: User, facilitator: User
) -> None:
    message = factories.send(member, room, "Hors charte")
    actions.do_delete_message(facilitator, message)
    entry = AuditEntry.objects.get(action="forums.message.delete")
    assert entry.subject == member and entry.actor == facilitator


def test_reactions_are_counted_once_per_person_and_can_be_taken_back(
    room: Room, member: User, other: User, published: list[Any]
) -> None:
    message = factories.send(member, room)
    actions.do_react(other, message, emoji="👍", add=True)
    actions.do_react(other, message, emoji="👍", add=True)
    actions.do_react(member, message, emoji="👍", add=True)
    assert published[-2][0] == {
        "type": "reaction", "room": str(room.pk), "message": message.pk,
        "reactions": {"👍": 2},
    }
    # Then the message as the page shows it, with who reacted (chat.js marks one's own).
    updated = published[-1][0]
    assert updated["type"] == "message.updated" and updated["message"]["reactions"] == {"👍": 2}
    html = updated["message"]["html"]["fr"]
    names = f"{person_name(other)}, {person_name(member)}"
    assert f'data-reactors="{other.pk} {member.pk}"' in html and names in html
    actions.do_react(other, message, emoji="👍", add=False)
    assert published[-2][0]["reactions"] == {"👍": 1}
    assert "Zoé M." not in published[-1][0]["message"]["html"]["fr"]
    with pytest.raises(ValidationError) as error:
        actions.do_react(other, message, emoji="🍕", add=True)
    assert error.value.code == "bad_format"


# --- Moderation -----------------------------------------------------------------------------


def test_a_member_reports_a_message_once_and_it_is_audited(
    room: Room, member: User, other: User
) -> None:
    message = factories.send(other, room, "Propos blessants")
    first = actions.do_report_message(member, message, reason="Insultant")
    again = actions.do_report_message(member, message, reason="Encore")
    assert first.pk == again.pk and first.reason == "Insultant"
    assert AuditEntry.objects.filter(action="forums.message.report").count() == 1
    with pytest.raises(ValidationError):
        actions.do_report_message(other, message, reason="Moi-même")
    with pytest.raises(ValidationError):
        actions.do_report_message(member, message, reason="  ")


def test_a_facilitator_hides_a_message_with_a_reason_members_see_it_hidden(
    room: Room, member: User, other: User, facilitator: User, published: list[Any]
) -> None:
    message = factories.send(other, room, "Propos blessants")
    actions.do_report_message(member, message, reason="Insultant")
    with pytest.raises(PermissionDenied):
        actions.do_hide_message(member, message, reason="Je n'aime pas")
    hidden = actions.do_hide_message(facilitator, message, reason="Contraire à la charte")
    assert hidden.hidden_by == facilitator and hidden.hidden_reason == "Contraire à la charte"
    event = published[-1][0]
    assert event["message"]["hidden"] and event["message"]["body_html"] == ""
    assert hidden.reports.get().handled_by == facilitator  # the report is handled too
    assert AuditEntry.objects.filter(action="forums.message.hide", subject=other).exists()
    actions.do_unhide_message(facilitator, hidden)
    assert Message.objects.get(pk=message.pk).hidden_at is None


def test_the_dccu_sees_a_direct_message_only_to_hide_it_once_reported(
    assembly: Assembly, member: User, other: User, dccu: User
) -> None:
    room = factories.direct_room(member, other)
    message = factories.send(other, room, "Message privé déplacé")
    with pytest.raises(Http404):
        actions.do_hide_message(dccu, message, reason="Non signalé")
    assert list(actions.reports_visible_to(dccu)) == []
    report = actions.do_report_message(member, message, reason="Harcèlement")
    assert list(actions.reports_visible_to(dccu)) == [report]
    actions.do_hide_message(dccu, message, reason="Harcèlement avéré")
    assert Message.objects.get(pk=message.pk).hidden_at is not None
    with pytest.raises(Http404):
        queries.history(dccu, room)  # still no access to the rest of the conversation


def test_a_muted_member_cannot_write_until_the_mute_ends(
    room: Room, member: User, other: User, facilitator: User
) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_mute_person(other, room, member, minutes=10, reason="Non")
    mute = actions.do_mute_person(facilitator, room, member, minutes=10, reason="Spam")
    with pytest.raises(ValidationError) as error:
        factories.send(member, room)
    assert error.value.code == "muted"
    assert AuditEntry.objects.filter(action="forums.person.mute", subject=member).exists()
    mute.until = timezone.now() - dt.timedelta(seconds=1)
    mute.save()
    factories.send(member, room)
    with pytest.raises(ValidationError):
        actions.do_mute_person(facilitator, room, facilitator, minutes=10, reason="Moi")
    with pytest.raises(ValidationError):
        actions.do_mute_person(facilitator, room, member, minutes=0, reason="Zéro")


# --- Threads and direct conversations -----------------------------------------------------


def test_a_member_starts_a_topic_whose_first_message_is_the_post(
    room: Room, member: User
) -> None:
    thread = actions.do_create_thread(member, room, title="Transport à la demande",
                                      body="<p>Qui l'utilise <em>déjà</em> ?</p>")
    [post] = thread.messages.all()
    assert post.author == member and post.format == "html"
    assert post.body_html == "<p>Qui l'utilise <em>déjà</em> ?</p>"
    with pytest.raises(ValidationError):
        actions.do_create_thread(member, room, title=" ", body="<p>x</p>")
    assert Thread.objects.filter(room=room).count() == 2


def test_two_people_always_find_their_one_direct_room(
    member: User, other: User, assembly: Assembly
) -> None:
    room = actions.do_create_direct_room(member, participants=[other])
    assert actions.do_create_direct_room(other, participants=[member]).pk == room.pk
    third = factories.make_titulaire(assembly)
    group = actions.do_create_direct_room(member, participants=[other, third], name="Trio")
    assert group.pk != room.pk and group.participants.count() == 3
    assert queries.direct_room_name(room, member) == other.public_name
    with pytest.raises(ValidationError):
        actions.do_create_direct_room(member, participants=[member])
    crowd = [factories.make_titulaire(assembly) for _ in range(8)]
    with pytest.raises(ValidationError) as error:
        actions.do_create_direct_room(member, participants=crowd)
    assert error.value.code == "too_long"


def test_someone_without_any_role_cannot_start_a_conversation(member: User) -> None:
    nobody = factories.UserFactory()
    with pytest.raises(PermissionDenied):
        actions.do_create_direct_room(nobody, participants=[member])


def test_people_who_leave_or_join_a_subgroup_have_their_sockets_recheck_the_room(
    room: Room, member: User, other: User, facilitator: User, published: list[Any]
) -> None:
    from assembly.actions import do_set_subgroup_people

    subgroup = room.subgroup
    assert subgroup is not None
    do_set_subgroup_people(None, subgroup, members=[other], facilitators=[facilitator])
    assert published == [
        ({"type": "room.access_changed", "room": str(room.pk)}, [f"user.{member.pk}"])
    ]


def test_a_moderator_closes_a_report_with_an_outcome_others_cannot(
    room: Room, member: User, other: User, facilitator: User
) -> None:
    message = factories.send(other, room, "Limite")
    report = actions.do_report_message(member, message, reason="Ton agressif")
    assert list(actions.reports_visible_to(facilitator)) == [report]
    assert list(actions.reports_visible_to(other)) == []
    with pytest.raises(PermissionDenied):
        actions.do_handle_report(other, report, outcome="Rien")
    handled = actions.do_handle_report(facilitator, report, outcome="Rappel de la charte")
    assert handled.handled_by == facilitator and handled.outcome == "Rappel de la charte"
    assert AuditEntry.objects.filter(action="forums.report.handle").exists()
    assert list(actions.reports_visible_to(facilitator)) == []
