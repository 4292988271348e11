"""Telling the people convened: convocations, changes, cancellations and the J-7 / J-1 reminders.

Each goes by email (with the session's .ics) and, for convocations, changes and
cancellations, in the page (``notifications``). The email of a convocation is sent whatever
the person's notification choices: it is the assembly's official convocation.

What was sent is written in ``SessionMailing`` *before* it is sent, one row per person,
session and kind under a unique constraint: a reminder is never sent twice, even by two
workers at once (at worst, a failed send is not retried: its row is removed so the next
run tries again).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, task

from assembly.ics import absolute, calendar_of
from assembly.models import MailingKind, ReplyAnswer, Session, SessionMailing

log = logging.getLogger(__name__)

def _subject(kind: str, session: Session) -> str:
    from django.utils.formats import date_format

    when = date_format(timezone.localtime(session.starts_at), "l j F Y, H\\hi")
    texts = {
        "convocation": _("Convocation: %(title)s, %(when)s"),
        "changed": _("Changed: %(title)s, now %(when)s"),
        MailingKind.CANCELLATION: _("Cancelled: %(title)s, %(when)s"),
        MailingKind.REMINDER_7: _("Reminder, in one week: %(title)s, %(when)s"),
        MailingKind.REMINDER_1: _("Reminder, tomorrow: %(title)s, %(when)s"),
    }
    return f"[{settings.AGORA_SITE_NAME}] " + texts[kind] % {"title": session.title, "when": when}


def _email(session: Session, person: Any, kind: str) -> EmailMessage:
    from assembly.sessions import reply_of

    with translation.override(settings.LANGUAGE_CODE):
        reply = reply_of(session, person)
        body = render_to_string(
            "assembly/sessions/email/session.txt",
            {
                "kind": kind,
                "person": person,
                "session": session,
                "start": timezone.localtime(session.starts_at),
                "end": timezone.localtime(session.ends_at),
                "reply": reply.get_answer_display() if reply is not None else "",
                "link": absolute(reverse("sessions:detail", args=[session.pk])),
                "site_name": settings.AGORA_SITE_NAME,
            },
        )
        message = EmailMessage(
            subject=_subject(kind, session), body=body,
            from_email=settings.DEFAULT_FROM_EMAIL, to=[person.email],
        )
        message.attach(
            "seance.ics", calendar_of([session], name=session.title),
            "text/calendar; charset=utf-8; method=PUBLISH",
        )
    return message


def _send_once(session: Session, person: Any, kind: str) -> bool:
    """Record, then send; False when it was sent before (or the person has no address)."""
    if not person.email:
        return False
    try:
        with transaction.atomic():
            row = SessionMailing.objects.create(session=session, user=person, kind=kind)
    except IntegrityError:
        return False
    try:
        _email(session, person, kind).send()
    except Exception:  # the next run tries again
        log.exception("session email %s to %s failed", kind, person.pk)
        SessionMailing.objects.filter(pk=row.pk).delete()
        return False
    return True


def send_session_emails(session_id: Any, kind: str) -> int:
    """Email everyone convened about the session (``kind``: convocation, changed, cancellation).

    Convocations and cancellations go once per person (``SessionMailing``); a change goes
    each time (after the people convened later got their convocation)."""
    from assembly.sessions import convened

    session = Session.objects.filter(pk=session_id).select_related("subgroup").first()
    if session is None:
        return 0
    sent = 0
    declined = set(
        session.replies.filter(answer=ReplyAnswer.NOT_COMING).values_list("user_id", flat=True)
    )
    for person in convened(session):
        if kind == "changed":
            # Newcomers get a convocation; the others the news of the change.
            if not SessionMailing.objects.filter(
                session=session, user=person, kind=MailingKind.CONVOCATION
            ).exists():
                sent += _send_once(session, person, MailingKind.CONVOCATION)
            elif person.email:
                _email(session, person, "changed").send()
                sent += 1
        elif kind == MailingKind.CANCELLATION and person.pk in declined:
            continue
        else:
            sent += _send_once(session, person, kind)
    return sent


@task()
def session_emails_task(session_id: str, kind: str) -> int:
    return send_session_emails(session_id, kind)


def _notify(session: Session, verb: str) -> None:
    from assembly.sessions import convened
    from notifications.actions import notify_many
    from notifications.models import Kind

    notify_many(Kind.SESSION, list(convened(session)), actor=session.created_by
                if verb != "convened" else None, verb=verb, session=session)


def _on_commit(session: Session, kind: str, verb: str) -> None:
    _notify(session, verb)
    session_id = str(session.pk)
    transaction.on_commit(lambda: session_emails_task.enqueue(session_id, kind))


def convene_on_commit(session: Session) -> None:
    _on_commit(session, MailingKind.CONVOCATION, "convened")


def changed_on_commit(session: Session) -> None:
    _on_commit(session, "changed", "changed")


def cancelled_on_commit(session: Session) -> None:
    _on_commit(session, MailingKind.CANCELLATION, "cancelled")


# --- Reminders --------------------------------------------------------------------------


def due_reminder(session: Session, today: dt.date) -> str | None:
    """Which reminder the session is due on ``today`` (local), if any: J-7 from seven days
    before until two days before, J-1 the day before and the day itself (until it starts)."""
    days_left = (session.day - today).days
    if 2 <= days_left <= 7:
        return MailingKind.REMINDER_7
    if 0 <= days_left <= 1:
        return MailingKind.REMINDER_1
    return None


def send_reminders(now: dt.datetime | None = None) -> int:
    """Remind the people convened who did not decline, once per reminder (see the module).

    A J-7 reminder is not sent to someone whose convocation is less than two days old."""
    from assembly.sessions import convened

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    upcoming = Session.objects.filter(
        cancelled_at__isnull=True, starts_at__gt=now,
        starts_at__lt=now + dt.timedelta(days=9),
    ).select_related("subgroup")
    sent = 0
    for session in upcoming:
        kind = due_reminder(session, today)
        if kind is None:
            continue
        declined = set(
            session.replies.filter(answer=ReplyAnswer.NOT_COMING).values_list(
                "user_id", flat=True
            )
        )
        fresh = set()
        if kind == MailingKind.REMINDER_7:
            fresh = set(
                SessionMailing.objects.filter(
                    session=session, kind=MailingKind.CONVOCATION,
                    sent_at__gt=now - dt.timedelta(days=2),
                ).values_list("user_id", flat=True)
            )
        for person in convened(session):
            if person.pk in declined or person.pk in fresh:
                continue
            sent += _send_once(session, person, kind)
    return sent


REMINDER_TIME = dt.time(9, 0)  # Paris


def next_reminders_at(now: dt.datetime | None = None) -> dt.datetime:
    """The next 09:00 in Paris strictly after ``now``."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    candidate = dt.datetime.combine(local.date(), REMINDER_TIME, tzinfo=zone)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), REMINDER_TIME,
                                        tzinfo=zone)
    return candidate


@task()
def session_reminders_task() -> int:
    """The daily reminders; it queues the next run whatever happens to this one."""
    try:
        return send_reminders()
    finally:
        ensure_reminders_scheduled()


def ensure_reminders_scheduled(now: dt.datetime | None = None) -> dt.datetime | None:
    """Make sure exactly one future reminders run is queued; when it runs (None when the
    task backend cannot run tasks later)."""
    from django_tasks_db.models import DBTaskResult

    backend = session_reminders_task.get_backend()
    if not backend.supports_defer:
        return None
    with transaction.atomic():
        queued = list(
            DBTaskResult.objects.filter(
                task_path=session_reminders_task.module_path, backend_name=backend.alias,
                status=TaskResultStatus.READY,
            ).order_by("run_after", "enqueued_at")
        )
        if queued:
            DBTaskResult.objects.filter(pk__in=[q.pk for q in queued[1:]]).delete()
            return queued[0].run_after or timezone.now()
        when = next_reminders_at(now)
        session_reminders_task.using(run_after=when).enqueue()
    return when
