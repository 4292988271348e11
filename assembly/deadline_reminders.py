"""Reminders of the sessions' documents to the people responsible: three days before the
due day, then the day after it and every week until it is delivered (the steps of
``assembly.deadlines.reminder_step``), by email and in the page. Each step is recorded
(``DeadlineReminder``, unique per document and step): never sent twice, even by two
workers at once. Run daily at 08:00 Paris on the background worker (--schedule)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, task

from accounts.models import User
from accounts.roles import Role
from assembly import deadlines, sessiondocs
from assembly.models import DeadlineReminder, SessionDocument

log = logging.getLogger(__name__)

RUN_TIME = dt.time(8, 0)


def recipients(document: SessionDocument) -> list[User]:
    """The session's facilitators and its subgroup's; the DCCU team when it has none."""
    ids = sessiondocs.responsible_ids(document.session)
    people = list(User.objects.filter(pk__in=ids, is_active=True).order_by("pk"))
    if not people:
        people = list(
            User.objects.filter(groups__name=Role.DCCU, is_active=True).distinct().order_by("pk")
        )
    return people


def _absolute(path: str) -> str:
    return getattr(settings, "AGORA_BASE_URL", "").rstrip("/") + path


def _email(document: SessionDocument, person: User, step: str) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "person": person,
            "document": document.get_kind_display(),
            "session": document.session.title,
            "due": date_format(document.due_on, "DATE_FORMAT"),
            "late": step != deadlines.BEFORE,
            "link": _absolute(reverse("deadlines:document", args=[document.pk])),
            "site_name": settings.AGORA_SITE_NAME,
        }
        if step == deadlines.BEFORE:
            subject = _("Due on %(due)s: %(document)s of « %(session)s »") % context
        else:
            subject = _("Late: %(document)s of « %(session)s » (due on %(due)s)") % context
        body = render_to_string("assembly/email/deadline_reminder.txt", context)
    return EmailMessage(
        subject=f"[{settings.AGORA_SITE_NAME}] {subject}", body=body,
        from_email=settings.DEFAULT_FROM_EMAIL, to=[person.email],
    )


def send_deadline_reminders(now: dt.datetime | None = None) -> int:
    """Send every reminder owed now; return how many steps were sent."""
    from notifications.actions import notify_many, wants
    from notifications.models import Kind

    now = now or timezone.now()
    horizon = deadlines.today_in_paris(now) + dt.timedelta(days=deadlines.BEFORE_DAYS)
    pending = (
        SessionDocument.objects.filter(
            delivered_at__isnull=True, session__cancelled_at__isnull=True, due_on__lte=horizon
        )
        .select_related("session", "session__subgroup")
        .prefetch_related("reminders")
    )
    sent = 0
    for document in pending:
        done = {r.step for r in document.reminders.all()}
        step = deadlines.reminder_step(document.due_on, now, delivered=False, sent=done)
        if step is None:
            continue
        people = recipients(document)
        try:
            with transaction.atomic():
                # The row first: a second worker on the same step stops here.
                DeadlineReminder.objects.create(
                    document=document, step=step, sent_at=now, recipients=len(people)
                )
                notify_many(
                    Kind.DEADLINE, people, session_document=document,
                    verb="late" if step != deadlines.BEFORE else "soon",
                )
        except IntegrityError:
            continue
        emails = [
            _email(document, person, step)
            for person in people
            if person.email and wants(person, Kind.DEADLINE, "email")
        ]
        try:
            get_connection().send_messages(emails)
        except OSError:
            log.warning("deadline reminders: mail failed for %s %s", document.pk, step)
        sent += 1
    return sent


def next_run_at(now: dt.datetime | None = None) -> dt.datetime:
    zone = ZoneInfo("Europe/Paris")
    local = (now or timezone.now()).astimezone(zone)
    candidate = dt.datetime.combine(local.date(), RUN_TIME, tzinfo=zone)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), RUN_TIME,
                                        tzinfo=zone)
    return candidate


@task()
def deadline_reminders_task() -> int:
    """The daily run; it queues the next one whatever happens to this one."""
    try:
        return send_deadline_reminders()
    finally:
        ensure_reminders_scheduled()


def ensure_reminders_scheduled(now: dt.datetime | None = None) -> dt.datetime | None:
    """Exactly one future run queued (as forums.notifications.ensure_digest_scheduled);
    None with a backend that cannot run tasks later."""
    from django_tasks_db.models import DBTaskResult

    backend = deadline_reminders_task.get_backend()
    if not backend.supports_defer:
        return None
    with transaction.atomic():
        queued = list(
            DBTaskResult.objects.filter(
                task_path=deadline_reminders_task.module_path, backend_name=backend.alias,
                status=TaskResultStatus.READY,
            ).order_by("run_after", "enqueued_at")
        )
        if queued:
            DBTaskResult.objects.filter(pk__in=[q.pk for q in queued[1:]]).delete()
            return queued[0].run_after or timezone.now()
        when = next_run_at(now)
        deadline_reminders_task.using(run_after=when).enqueue()
    return when


def describe(value: Any) -> str:
    return value.isoformat() if value else "not scheduled"
