"""Email notifications: mentions and direct messages for people who are away; the daily digest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from forums import notifications
from forums.models import NotificationPreference, Room
from gdpr.consent import do_give_consent
from gdpr.models import OptionalPurpose
from tests import factories


@pytest.fixture(autouse=True)
def immediate_tasks(settings: Any) -> None:
    """The worker's job runs at once, so its emails land in mail.outbox."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def other(assembly: Assembly) -> User:
    return factories.make_titulaire(assembly, display_name="Zoé M.", email="zoe@example.org")


@pytest.fixture
def room(assembly: Assembly, member: User, other: User) -> Room:
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    subgroup = factories.make_subgroup(
        assembly, members=[member, other], facilitators=[facilitator]
    )
    return factories.room_of(subgroup)


def test_a_mention_to_a_disconnected_person_sends_one_email(
    room: Room, member: User, other: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        factories.send(member, room, "Qu'en penses-tu @Zoé M. ?")
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["zoe@example.org"]
    assert "vous a cité" in email.subject and room.name in email.subject
    assert reverse("forums:room", args=[room.pk]) in email.body
    # What was said stays on the platform.
    assert "Qu'en penses-tu" not in email.body


def test_a_connected_person_gets_no_email(
    room: Room, member: User, other: User, django_capture_on_commit_callbacks: Any
) -> None:
    notifications.mark_connected(other.pk)
    with django_capture_on_commit_callbacks(execute=True):
        factories.send(member, room, "@Zoé M. tu es là ?")
    assert mail.outbox == []


def test_opening_the_room_page_counts_as_connected(
    room: Room, member: User, other: User, django_capture_on_commit_callbacks: Any
) -> None:
    client = Client()
    client.force_login(other)
    client.get(reverse("forums:room", args=[room.pk]))
    with django_capture_on_commit_callbacks(execute=True):
        factories.send(member, room, "@Zoé M. tu lis ?")
    assert mail.outbox == []


def test_a_plain_message_in_a_group_sends_nothing(
    room: Room, member: User, other: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        factories.send(member, room, "Bonjour à tous")
    assert mail.outbox == []


def test_a_direct_message_emails_the_other_person(
    member: User, other: User, django_capture_on_commit_callbacks: Any
) -> None:
    direct = factories.direct_room(member, other)
    with django_capture_on_commit_callbacks(execute=True):
        factories.send(member, direct, "Un mot en privé")
    assert [e.to for e in mail.outbox] == [["zoe@example.org"]]
    assert "vous a envoyé un message" in mail.outbox[0].subject


def test_who_turned_emails_off_gets_none(
    room: Room, member: User, other: User, django_capture_on_commit_callbacks: Any
) -> None:
    NotificationPreference.objects.create(user=other, email_direct_and_mentions=False)
    with django_capture_on_commit_callbacks(execute=True):
        factories.send(member, room, "@Zoé M. ?")
    assert mail.outbox == []


def test_preferences_page_turns_emails_off(other: User) -> None:
    client = Client()
    client.force_login(other)
    page = client.get(reverse("forums:preferences"))
    assert page.status_code == 200 and "résumé quotidien" in page.content.decode()
    client.post(reverse("forums:preferences"), {})
    assert not NotificationPreference.objects.get(user=other).email_direct_and_mentions


def _unread_for_other(room: Room, member: User) -> None:
    factories.send(member, room, "Compte rendu de la réunion de mardi")


def test_digest_only_with_consent(room: Room, member: User, other: User) -> None:
    _unread_for_other(room, member)
    assert notifications.send_daily_digests() == 0
    assert mail.outbox == []
    do_give_consent(other, OptionalPurpose.EMAIL_DIGEST)
    assert notifications.send_daily_digests() == 1
    [email] = mail.outbox
    assert email.to == ["zoe@example.org"] and room.name in email.body
    assert "Compte rendu" not in email.body
    # Once a day at most.
    assert notifications.send_daily_digests() == 0


def test_digest_task_runs_the_same_function(room: Room, member: User, other: User) -> None:
    _unread_for_other(room, member)
    do_give_consent(other, OptionalPurpose.EMAIL_DIGEST)
    later = timezone.now() + dt.timedelta(minutes=1)
    assert notifications.send_daily_digests(now=later) == 1
    result = notifications.daily_digest_task.enqueue()
    assert result.return_value == 0  # already sent today


def test_the_daily_run_is_queued_once(settings: Any, db: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    first = notifications.ensure_digest_scheduled(now)
    again = notifications.ensure_digest_scheduled(now)
    assert first is not None and first > now and again == first
    assert DBTaskResult.objects.filter(
        task_path=notifications.daily_digest_task.module_path
    ).count() == 1


def test_a_conversation_between_people_is_told_by_who_wrote_never_as_a_room(
    member: User, other: User
) -> None:
    """« 1 nouveau message de Chloé B. », not « Chloé B. : 1 nouveau message » as if the
    person were a room; the email of a direct message names no room either."""
    direct = factories.direct_room(member, other)
    factories.send(member, direct, "Tu viens jeudi ?")
    do_give_consent(other, OptionalPurpose.EMAIL_DIGEST)
    assert notifications.send_daily_digests() == 1
    [email] = mail.outbox
    assert f"- 1 nouveau message de {member.public_name}\n" in email.body
    assert "« »" not in email.body and " : 1 nouveau" not in email.body
    rows = notifications.digest_for(other, timezone.now() - dt.timedelta(days=1))
    assert rows[0]["sender"] == member.public_name and rows[0]["room"] == ""
    message = notifications._message_email(direct.messages.get(), other, "direct")
    assert "« »" not in message.body
    assert f"{member.public_name} vous a envoyé un message direct." in message.body


def test_the_worker_is_asked_only_about_messages_someone_could_be_emailed(
    settings: Any, room: Room, member: User, other: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """A plain message in a room (a plenary's ten a second) queues no task: nobody could
    get an email. A mention queues one, and the worker's run sends it."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    email_tasks = DBTaskResult.objects.filter(
        task_path=notifications.send_message_notifications_task.module_path
    )
    with django_capture_on_commit_callbacks(execute=True):
        factories.send(member, room, "Bonjour à tous")
        factories.send(member, room, "Quelqu’un connaît @Paul ?")  # nobody of that name
    assert email_tasks.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        mention = factories.send(member, room, "Qu'en penses-tu @Zoé M. ?")
    [queued] = email_tasks
    assert queued.args_kwargs["args"] == [mention.pk]
    assert notifications.send_message_notifications(mention.pk) == 1
    assert [e.to for e in mail.outbox] == [["zoe@example.org"]]
