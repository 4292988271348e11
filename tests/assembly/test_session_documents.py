"""The documents due for the sessions: made with their session, delivered and reopened,
reminded once per step, and their pages walked role by role (docs/permissions.md,
« Session documents and deadlines »)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

import pycrdt
import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone
from docx import Document

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly import deadline_reminders, deadlines, sessiondocs
from assembly.models import (
    Assembly,
    DeadlineReminder,
    Session,
    SessionDocument,
    SessionKind,
)
from notifications.models import Kind, Notification
from tests import factories
from workshops import ydocs
from workshops.models import YDocument, YDocumentVersion

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")


def make_session(assembly: Assembly, kind: str, starts_at: dt.datetime, **extra: Any) -> Session:
    facilitators = extra.pop("facilitators", [])
    session = Session.objects.create(
        assembly=assembly, kind=kind, title=extra.pop("title", "Séance de travail"),
        starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=3), **extra,
    )
    session.facilitators.set(facilitators)
    return session


class World:
    def __init__(self, assembly: Assembly) -> None:
        self.assembly = assembly
        self.facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
        self.other_facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
        self.member = factories.make_titulaire(assembly)
        self.outsider_member = factories.make_titulaire(assembly)
        self.dccu = factories.UserFactory(roles=[Role.DCCU])
        enrol_demo_totp(self.dccu)
        self.subgroup = factories.make_subgroup(
            assembly, members=[self.member], facilitators=[self.facilitator]
        )
        past = timezone.now() - dt.timedelta(days=20)
        self.session = make_session(
            assembly, SessionKind.SOUS_GROUPE, past, subgroup=self.subgroup,
            title="Atelier mobilité",
        )
        self.minutes = SessionDocument.objects.get(session=self.session)


@pytest.fixture
def world(assembly: Assembly) -> World:
    return World(assembly)


def client_of(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- Made with their session ----------------------------------------------------------------


def test_a_plenary_gets_its_framing_note_and_synthesis_due_on_paris_days(
    assembly: Assembly,
) -> None:
    starts = dt.datetime(2027, 3, 14, 9, 30, tzinfo=PARIS)
    plenary = make_session(assembly, SessionKind.PLENIERE, starts)
    due = dict(SessionDocument.objects.filter(session=plenary).values_list("kind", "due_on"))
    assert due == {"note_cadrage": dt.date(2027, 3, 4), "synthese": dt.date(2027, 4, 4)}
    # Each is a Yjs document of the same id, starting with its headings.
    note = SessionDocument.objects.get(session=plenary, kind="note_cadrage")
    assert YDocument.objects.get(pk=note.pk).kind == "sessiondoc"
    text = str(ydocs.load(note.pk, sessiondocs.ROOTS).doc.get("default", type=pycrdt.XmlFragment))
    assert "Déroulé" in text


def test_a_moved_session_moves_its_due_dates_but_not_a_delivered_one(world: World) -> None:
    plenary = make_session(
        world.assembly, SessionKind.PLENIERE, dt.datetime(2027, 3, 14, 9, tzinfo=PARIS)
    )
    note = SessionDocument.objects.get(session=plenary, kind="note_cadrage")
    sessiondocs.do_deliver_session_document(world.dccu, note)
    plenary.starts_at = dt.datetime(2027, 3, 21, 9, tzinfo=PARIS)
    plenary.ends_at = plenary.starts_at + dt.timedelta(hours=6)
    plenary.save()
    due = dict(SessionDocument.objects.filter(session=plenary).values_list("kind", "due_on"))
    assert due == {"note_cadrage": dt.date(2027, 3, 4), "synthese": dt.date(2027, 4, 11)}
    assert SessionDocument.objects.filter(session=plenary).count() == 2


def test_a_follow_up_committee_meeting_has_no_document_due(assembly: Assembly) -> None:
    meeting = make_session(assembly, SessionKind.COMITE_SUIVI, timezone.now())
    assert not SessionDocument.objects.filter(session=meeting).exists()


# --- Delivered, late, reopened --------------------------------------------------------------


def test_late_minutes_delivered_are_frozen_versioned_and_delivered_late(world: World) -> None:
    assert sessiondocs.status_of(world.minutes) == deadlines.LATE
    with pytest.raises(ValidationError):
        sessiondocs.do_deliver_session_document(world.member, world.minutes)
    document = sessiondocs.do_deliver_session_document(world.facilitator, world.minutes)
    assert sessiondocs.status_of(document) == deadlines.DELIVERED_LATE
    assert YDocument.objects.get(pk=document.pk).frozen
    version = YDocumentVersion.objects.get(document_id=document.pk)
    assert version.created_by == world.facilitator
    with pytest.raises(ValidationError):
        sessiondocs.do_deliver_session_document(world.facilitator, document)
    # Only the DCCU reopens it; it is then late again.
    with pytest.raises(ValidationError):
        sessiondocs.do_reopen_session_document(world.facilitator, document)
    document = sessiondocs.do_reopen_session_document(world.dccu, document)
    assert sessiondocs.status_of(document) == deadlines.LATE
    assert not YDocument.objects.get(pk=document.pk).frozen


def test_minutes_delivered_in_time_are_delivered(world: World) -> None:
    soon = make_session(
        world.assembly, SessionKind.SOUS_GROUPE, timezone.now() - dt.timedelta(days=2),
        subgroup=world.subgroup,
    )
    minutes = SessionDocument.objects.get(session=soon)
    sessiondocs.do_deliver_session_document(world.facilitator, minutes)
    minutes.refresh_from_db()
    assert sessiondocs.status_of(minutes) == deadlines.DELIVERED


# --- Reminders ------------------------------------------------------------------------------


def test_reminders_are_sent_once_per_step_by_email_and_in_the_page(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    due = world.minutes.due_on
    at = dt.datetime.combine(due + dt.timedelta(days=1), dt.time(8), tzinfo=PARIS)
    with django_capture_on_commit_callbacks(execute=True):
        assert deadline_reminders.send_deadline_reminders(at) == 1
    assert [m.to for m in mail.outbox] == [[world.facilitator.email]]
    assert "retard" in mail.outbox[0].subject.lower()
    assert Notification.objects.filter(
        recipient=world.facilitator, kind=Kind.DEADLINE, session_document=world.minutes
    ).count() == 1
    facilitator = client_of(world.facilitator)
    inbox = facilitator.get("/notifications/").content.decode()
    assert "En retard, encore à remettre : compte rendu de « Atelier mobilité »" in inbox
    told = Notification.objects.get(recipient=world.facilitator, kind=Kind.DEADLINE)
    opened = facilitator.post(f"/notifications/{told.pk}/ouvrir/")
    assert opened["Location"] == f"/echeances/{world.minutes.pk}/"
    # The same day, again, and the day after: nothing more.
    assert deadline_reminders.send_deadline_reminders(at) == 0
    assert deadline_reminders.send_deadline_reminders(at + dt.timedelta(days=1)) == 0
    assert len(mail.outbox) == 1
    # A week later, the next step.
    assert deadline_reminders.send_deadline_reminders(at + dt.timedelta(days=7)) == 1
    assert list(
        DeadlineReminder.objects.filter(document=world.minutes).values_list("step", flat=True)
    ) == ["late-0", "late-1"]
    # Delivered: no more.
    sessiondocs.do_deliver_session_document(world.facilitator, world.minutes)
    assert deadline_reminders.send_deadline_reminders(at + dt.timedelta(days=14)) == 0


def test_three_days_before_a_framing_note_is_due_its_writers_are_reminded(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    plenary = make_session(
        world.assembly, SessionKind.PLENIERE, dt.datetime(2027, 3, 14, 9, tzinfo=PARIS),
        facilitators=[world.other_facilitator],
    )
    note = SessionDocument.objects.get(session=plenary, kind="note_cadrage")
    mail.outbox.clear()
    before = dt.datetime(2027, 2, 28, 8, tzinfo=PARIS)  # J-4
    deadline_reminders.send_deadline_reminders(before)
    assert not DeadlineReminder.objects.filter(document=note).exists()
    assert [world.other_facilitator.email] not in [m.to for m in mail.outbox]
    with django_capture_on_commit_callbacks(execute=True):
        deadline_reminders.send_deadline_reminders(before + dt.timedelta(days=1))
    assert DeadlineReminder.objects.get(document=note).step == "j-3"
    assert [world.other_facilitator.email] in [m.to for m in mail.outbox]
    assert Notification.objects.filter(
        recipient=world.other_facilitator, kind=Kind.DEADLINE, verb="soon"
    ).exists()


def test_the_daily_reminders_run_is_queued_once(settings: Any, db: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.now()
    first = deadline_reminders.ensure_reminders_scheduled(now)
    again = deadline_reminders.ensure_reminders_scheduled(now)
    assert first is not None and first > now and again == first
    assert first.astimezone(PARIS).time() == dt.time(8, 0)
    assert DBTaskResult.objects.filter(
        task_path=deadline_reminders.deadline_reminders_task.module_path
    ).count() == 1


# --- Pages, role by role --------------------------------------------------------------------

# (role, before delivery: page, deliver; after delivery: page, reopen, export)
ROLES = [
    # The subgroup's facilitator writes; the DCCU too and reopens.
    ("facilitator", 200, 302, 200, 403, 200),
    ("dccu", 200, 302, 200, 302, 200),
    # A member of the subgroup reads once delivered; someone not convened never.
    ("member", 404, 404, 200, 403, 200),
    ("outsider_member", 404, 404, 404, 404, 404),
    ("other_facilitator", 404, 404, 404, 404, 404),
    ("anonymous", 302, 302, 302, 302, 302),
]


@pytest.mark.parametrize(("role", "page", "deliver", "after", "reopen", "export"), ROLES)
def test_document_pages_answer_each_role(
    world: World, role: str, page: int, deliver: int, after: int, reopen: int, export: int
) -> None:
    person = None if role == "anonymous" else getattr(world, role)
    client = client_of(person)
    base = f"/echeances/{world.minutes.pk}/"
    assert client.get(base).status_code == page
    assert client.get(f"{base}export.docx").status_code in (404, 302)
    response = client.post(f"{base}remettre/")
    assert response.status_code == deliver
    world.minutes.refresh_from_db()
    if world.minutes.delivered_at is None:
        sessiondocs.do_deliver_session_document(world.dccu, world.minutes)
    assert client.get(base).status_code == after
    assert client.get(f"{base}export.docx").status_code == export
    assert client.post(f"{base}rouvrir/").status_code == reopen
    world.minutes.refresh_from_db()
    assert (world.minutes.delivered_at is None) == (reopen == 302 and role != "anonymous")


def test_the_exported_minutes_are_a_word_file_with_their_text(world: World) -> None:
    sessiondocs.do_deliver_session_document(world.facilitator, world.minutes)
    response = client_of(world.member).get(f"/echeances/{world.minutes.pk}/export.docx")
    text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert "Atelier mobilité" in text and "Points abordés" in text


def test_the_dashboard_lists_every_document_for_the_dccu_and_filters_by_status(
    world: World,
) -> None:
    plenary = make_session(
        world.assembly, SessionKind.PLENIERE, timezone.now() + dt.timedelta(days=30),
        title="Plénière de printemps", facilitators=[world.other_facilitator],
    )
    dccu = client_of(world.dccu)
    page = dccu.get("/echeances/").content.decode()
    assert "Atelier mobilité" in page and "Plénière de printemps" in page
    late = dccu.get("/echeances/?statut=en_retard").content.decode()
    assert "Atelier mobilité" in late and "Plénière de printemps" not in late
    # A facilitator sees the documents of their own sessions only.
    mine = client_of(world.facilitator).get("/echeances/").content.decode()
    assert "Atelier mobilité" in mine and "Plénière de printemps" not in mine
    assert plenary.deliverables.count() == 2
