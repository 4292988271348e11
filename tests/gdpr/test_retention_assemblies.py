"""Retention counts from each row's own assembly: the current assembly's conversations stay
while an earlier assembly's go, files included, and nothing goes before its own time.

Two assemblies, as the audit of issue 10 set them up: the first ended on 2024-06-30, the
current one runs until 2027-06-30. « Today » is passed to the job explicitly.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assembly.actions import do_end_membership
from assembly.models import Assembly, EndReason, Mandate, Membership
from forums.actions import do_create_thread
from forums.models import Attachment, AttachmentKind, Message, Report, Room, Thread
from forums.voice import do_add_voice_message
from gdpr import registry
from gdpr.models import RetentionRun
from gdpr.retention import do_run_retention, due_queryset
from tests import factories
from tests.forums.recordings import recording

PARIS = ZoneInfo("Europe/Paris")
WEBM = recording("webm", seconds=3.0)
TABLES = (Room, Thread, Message, Attachment, Report)


def at(*parts: int) -> dt.datetime:
    return dt.datetime(*parts, tzinfo=PARIS) if len(parts) > 3 else dt.datetime(
        *parts, 12, 0, tzinfo=PARIS
    )


NOW = at(2026, 12, 6, 12, 0)  # the day of the audit


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in TABLES}


def summary(run: RetentionRun) -> dict[str, dict[str, Any]]:
    return {line["model"]: line for line in run.summary}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def backdate(row: Any, when: dt.datetime, field: str = "created_at") -> Any:
    type(row).objects.filter(pk=row.pk).update(**{field: when})
    row.refresh_from_db()
    return row


def said(author: User, thread: Thread, when: dt.datetime, body: str = "Bonjour") -> Message:
    """A message as it stands in the database, written at ``when`` (rows of an assembly
    that has ended were written back then, through the actions of that time)."""
    return Message.objects.create(
        room=thread.room, thread=thread, author=author, client_id=uuid.uuid4(), body=body,
        created_at=when,
    )


def recorded(message: Message, when: dt.datetime) -> Attachment:
    attachment = Attachment(
        message=message, kind=AttachmentKind.VOICE, name="Message vocal",
        content_type="audio/webm", size=len(WEBM), duration_seconds=3.0,
        transcript=message.body,
    )
    attachment.file.save("voice.webm", ContentFile(WEBM), save=True)
    return backdate(attachment, when)


def rooms_of(mandate: Mandate, when: dt.datetime) -> dict[str, Room]:
    """The plenary, staff and subgroup rooms of a mandate, opened at ``when``."""
    from forums.actions import ensure_rooms

    ensure_rooms(mandate)
    rooms = {room.kind: room for room in Room.objects.filter(mandate=mandate)}
    for room in rooms.values():
        backdate(room, when)
        Thread.objects.filter(room=room).update(created_at=when, last_activity_at=when)
    return rooms


@pytest.fixture
def world(db: Any, media: Path) -> dict[str, Any]:
    earlier = factories.make_assembly(
        name="Première assemblée", mandate_start=dt.date(2022, 10, 1),
        mandate_end=dt.date(2024, 6, 30),
    )
    current = factories.make_assembly(
        name="Assemblée citoyenne 2025–2027", mandate_start=dt.date(2025, 10, 1),
        mandate_end=dt.date(2027, 6, 30),
    )
    facilitator = factories.UserFactory(email="anim@example.org", roles=[Role.FACILITATEUR])

    # --- The earlier assembly: everything was said before 2024-06-30.
    old_member = factories.make_titulaire(earlier, email="ancien@example.org")
    old_mandate = factories.make_mandate(earlier, start=dt.date(2022, 10, 1),
                                         end=dt.date(2024, 6, 30))
    factories.make_subgroup(earlier, mandate=old_mandate, members=[old_member],
                            facilitators=[facilitator])
    old_rooms = rooms_of(old_mandate, at(2022, 10, 2))
    old_plenary_thread = Thread.objects.create(
        room=old_rooms["plenary"], title="Transports", created_at=at(2023, 5, 1)
    )
    old_message = said(old_member, old_plenary_thread, at(2023, 5, 1), "Un bus le mardi")
    said(facilitator, old_plenary_thread, at(2024, 6, 1), "Merci à toutes et à tous")
    old_voice_message = said(old_member, old_rooms["subgroup"].threads.get(), at(2024, 5, 2),
                             "Je propose un minibus")
    old_voice = recorded(old_voice_message, at(2024, 5, 2))
    old_file_name = old_voice.file.name

    # --- The current assembly: the audit's rows, through the real actions.
    member = factories.make_titulaire(current, email="membre@example.org")
    other = factories.make_titulaire(current, email="autre@example.org")
    mandate = factories.make_mandate(current, start=dt.date(2025, 10, 1),
                                     end=dt.date(2026, 6, 30))
    subgroup = factories.make_subgroup(current, mandate=mandate, members=[member, other],
                                       facilitators=[facilitator])
    rooms = rooms_of(mandate, at(2025, 10, 1))
    thread = do_create_thread(member, rooms["plenary"], title="Mobilités",
                              body="<p>Ouvrons le sujet des mobilités</p>")
    first_post = thread.messages.get()
    backdate(thread, NOW - dt.timedelta(days=400))
    backdate(first_post, NOW - dt.timedelta(days=400))  # 400 days old: 2025-11-01
    plenary_message = factories.send(other, rooms["plenary"], "Je suis d'accord")
    backdate(plenary_message, NOW - dt.timedelta(days=400))
    voice_message, _created = do_add_voice_message(
        member, rooms["subgroup"], upload=SimpleUploadedFile("v.webm", WEBM, "audio/webm"),
        transcript="Un minibus le mardi", client_id=uuid.uuid4(),
    )
    backdate(voice_message, NOW - dt.timedelta(days=100))
    voice = backdate(voice_message.attachments.get(), NOW - dt.timedelta(days=100))
    today_reply = factories.send(other, rooms["plenary"], "Et le covoiturage ?", thread=thread)
    backdate(today_reply, NOW)
    return {
        "earlier": earlier, "current": current, "old_rooms": old_rooms,
        "old_plenary_thread": old_plenary_thread, "old_message": old_message,
        "old_voice": old_voice, "old_file_name": old_file_name, "old_member": old_member,
        "member": member, "other": other, "facilitator": facilitator, "rooms": rooms,
        "subgroup": subgroup, "thread": thread, "first_post": first_post,
        "plenary_message": plenary_message, "voice_message": voice_message, "voice": voice,
        "today_reply": today_reply,
    }


def test_the_current_assemblys_conversations_survive_and_the_earlier_ones_go(
    world: dict[str, Any], media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    before = counts()
    current_voice_file = media / world["voice"].file.name
    old_file = media / world["old_file_name"]
    assert current_voice_file.exists() and old_file.exists()

    # Files go once the deletion commits: run the callbacks the test's transaction holds.
    with django_capture_on_commit_callbacks(execute=True):
        run = do_run_retention(None, apply=True, now=NOW)

    # The audit's scenario: all of it stays.
    for name in ("first_post", "plenary_message", "voice_message", "today_reply"):
        assert Message.objects.filter(pk=world[name].pk).exists(), name
    assert Thread.objects.filter(pk=world["thread"].pk).exists()
    assert Attachment.objects.filter(pk=world["voice"].pk).exists()
    assert current_voice_file.exists()
    assert all(Room.objects.filter(pk=room.pk).exists() for room in world["rooms"].values())
    # The earlier assembly's conversations are gone, files included.
    assert not Message.objects.filter(room__mandate__assembly=world["earlier"]).exists()
    assert not Thread.objects.filter(room__mandate__assembly=world["earlier"]).exists()
    assert not Room.objects.filter(mandate__assembly=world["earlier"]).exists()
    assert not old_file.exists()
    after = counts()
    # Earlier assembly: 3 rooms (plenary, staff, subgroup), 4 threads (3 « Général » and
    # « Transports »), 3 messages, 1 voice.
    assert {name: before[name] - after[name] for name in before} == {
        "Room": 3, "Thread": 4, "Message": 3, "Attachment": 1, "Report": 0,
    }
    lines = summary(run)
    assert lines["forums.Attachment"]["files"] == 1
    assert lines["forums.Message"]["processed"] == 3
    assert run.error == ""

    # A second run finds nothing more.
    again = do_run_retention(None, apply=True, now=NOW)
    assert counts() == after
    assert all(line["due"] == 0 for line in again.summary if line["model"].startswith("forums"))


def test_a_message_posted_today_keeps_its_old_thread_and_room(world: dict[str, Any]) -> None:
    """An earlier assembly's thread where someone writes after the end: the new message is
    not due, so neither its thread nor its room goes; the old messages around it do."""
    old_thread = world["old_plenary_thread"]
    late = said(world["facilitator"], old_thread, NOW, "Le rapport final est en ligne")

    do_run_retention(None, apply=True, now=NOW)

    assert Message.objects.filter(pk=late.pk).exists()
    assert Thread.objects.filter(pk=old_thread.pk).exists()
    assert Room.objects.filter(pk=old_thread.room_id).exists()
    assert list(old_thread.messages.values_list("pk", flat=True)) == [late.pk]
    # A year after it was written, it goes, and its thread and room with it.
    do_run_retention(None, apply=True, now=NOW + dt.timedelta(days=366))
    assert not Thread.objects.filter(pk=old_thread.pk).exists()
    assert not Room.objects.filter(pk=old_thread.room_id).exists()


def test_a_recent_report_keeps_the_reported_message(world: dict[str, Any]) -> None:
    report = Report.objects.create(message=world["old_message"], reporter=world["member"],
                                   reason="Propos injurieux")
    backdate(report, NOW - dt.timedelta(days=30))

    do_run_retention(None, apply=True, now=NOW)

    assert Message.objects.filter(pk=world["old_message"].pk).exists()
    assert Report.objects.filter(pk=report.pk).exists()
    do_run_retention(None, apply=True, now=NOW + dt.timedelta(days=366))
    assert not Message.objects.filter(pk=world["old_message"].pk).exists()


def _eve_and_morning(anchor: dt.date, days: int) -> tuple[dt.datetime, dt.datetime]:
    """The last evening a row counted from ``anchor`` is kept, and the next morning."""
    last = anchor + dt.timedelta(days=days)
    morning = last + dt.timedelta(days=1)
    return at(last.year, last.month, last.day, 23, 30), at(
        morning.year, morning.month, morning.day, 0, 30
    )


EARLIER_END, CURRENT_END = dt.date(2024, 6, 30), dt.date(2027, 6, 30)
OLD_VOICE = _eve_and_morning(EARLIER_END, 90)  # 2024-09-28 / 29
OLD_MESSAGES = _eve_and_morning(EARLIER_END, 365)  # 2025-06-30 / 07-01
CURRENT_VOICE = _eve_and_morning(CURRENT_END, 90)  # 2027-09-28 / 29
CURRENT_MESSAGES = _eve_and_morning(CURRENT_END, 365)  # 2028-06-29 / 30 (a leap year)


@pytest.mark.parametrize(
    ("now", "due"),
    [
        (OLD_VOICE[0], set()),
        (OLD_VOICE[1], {"old voice"}),
        (OLD_MESSAGES[0], {"old voice"}),
        (OLD_MESSAGES[1], {"old voice", "old messages"}),
        (CURRENT_VOICE[0], {"old voice", "old messages"}),
        (CURRENT_VOICE[1], {"old voice", "old messages", "current voice"}),
        (CURRENT_MESSAGES[0], {"old voice", "old messages", "current voice"}),
        (CURRENT_MESSAGES[1], {"old voice", "old messages", "current voice",
                               "current messages"}),
    ],
)
def test_each_rule_is_due_the_day_after_its_own_assemblys_term(
    world: dict[str, Any], now: dt.datetime, due: set[str]
) -> None:
    def is_due(model: Any, pk: Any) -> bool:
        declaration = registry.get_declaration(model)
        assert declaration is not None
        return due_queryset(declaration, now=now).filter(pk=pk).exists()

    found = set()
    if is_due(Message, world["old_message"].pk) and is_due(Thread,
                                                           world["old_plenary_thread"].pk):
        found.add("old messages")
    if is_due(Attachment, world["old_voice"].pk):
        found.add("old voice")
    if is_due(Attachment, world["voice"].pk):
        found.add("current voice")
    if all(is_due(Message, world[n].pk) for n in ("first_post", "today_reply")) and is_due(
        Thread, world["thread"].pk
    ):
        found.add("current messages")
    assert found == due


def test_direct_messages_count_from_the_assembly_in_office_when_they_were_written(
    world: dict[str, Any],
) -> None:
    room = factories.direct_room(world["facilitator"], world["member"])
    backdate(room, at(2021, 3, 1))
    general = room.threads.get()
    backdate(general, at(2021, 3, 1))
    before_any = said(world["facilitator"], general, at(2021, 3, 1), "Avant toute assemblée")
    under_earlier = said(world["facilitator"], general, at(2024, 3, 1), "Sous la première")
    between = said(world["facilitator"], general, at(2025, 1, 15), "Entre les deux")
    under_current = said(world["member"], general, at(2026, 1, 10), "Sous l'actuelle")

    do_run_retention(None, apply=True, now=NOW)

    kept = set(general.messages.values_list("pk", flat=True))
    # Before any assembly: its assembly is unknown, so it is never due.
    assert before_any.pk in kept
    assert under_earlier.pk not in kept and between.pk not in kept
    assert under_current.pk in kept
    assert Room.objects.filter(pk=room.pk).exists()


# --- Accounts ------------------------------------------------------------------------------


def _user_due(now: dt.datetime) -> set[str]:
    declaration = registry.get_declaration(User)
    assert declaration is not None
    return set(due_queryset(declaration, now=now).values_list("email", flat=True))


def test_accounts_count_from_their_own_last_assembly(world: dict[str, Any]) -> None:
    long_ago = at(2024, 5, 1)
    # Sat in the earlier assembly, its membership ended with it, not seen since.
    old = world["old_member"]
    Membership.objects.filter(user=old).update(end=dt.date(2024, 6, 30),
                                               end_reason=EndReason.MANDATE_END)
    User.objects.filter(pk=old.pk).update(date_joined=at(2022, 9, 1), last_login=long_ago)
    # Sat in the current assembly, resigned, and has not logged in for 400 days.
    resigned = factories.make_titulaire(world["current"], email="demission@example.org")
    do_end_membership(None, Membership.objects.get(user=resigned),
                      reason=EndReason.RESIGNATION, on=dt.date(2025, 11, 2))
    User.objects.filter(pk=resigned.pk).update(
        date_joined=at(2025, 9, 1), last_login=NOW - dt.timedelta(days=400)
    )
    # Staff who never sat: the assembly in office at their last login is theirs.
    old_staff = factories.UserFactory(email="agent-ancien@example.org", roles=[Role.AGENT],
                                      date_joined=at(2023, 1, 1), last_login=long_ago)
    factories.UserFactory(email="agent@example.org", roles=[Role.AGENT],
                          date_joined=at(2025, 10, 2),
                          last_login=NOW - dt.timedelta(days=400))

    assert _user_due(NOW) == {old.email, old_staff.email}
    # The current assembly's people are due a year after its end, not before.
    assert _user_due(CURRENT_MESSAGES[0]) == {old.email, old_staff.email}
    assert _user_due(CURRENT_MESSAGES[1]) >= {"demission@example.org", "agent@example.org"}

    do_run_retention(None, apply=True, now=NOW)
    resigned.refresh_from_db()
    assert resigned.erased_at is None and resigned.email == "demission@example.org"
    old.refresh_from_db()
    assert old.erased_at is not None


def test_a_room_without_mandate_before_any_assembly_is_never_due(db: Any) -> None:
    """No assembly at all: nothing counted from an assembly's end is due, however old."""
    alice = factories.UserFactory(date_joined=timezone.now() - dt.timedelta(days=3000))
    bob = factories.UserFactory()
    room = factories.direct_room(alice, bob)
    message = said(alice, room.threads.get(), timezone.now() - dt.timedelta(days=3000))

    run = do_run_retention(None, apply=True, now=timezone.now())

    assert Message.objects.filter(pk=message.pk).exists()
    assert summary(run)["accounts.User"]["due"] == 0
    assert Assembly.objects.count() == 0
