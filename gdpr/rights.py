"""The rights of the people (GDPR art. 15–21): requests and how the DPD handles them.

A person asks (access, rectification, erasure, limitation, objection); the
DPD or the DCCU decides within the legal deadline (one month from receipt,
extendable once by two more months with a reason told to the person); the
person hears of every step by email. Only the person, the DPD and the DCCU
see a request. An accepted erasure runs the erasure engine at once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import DATA_HANDLER_ROLES, Role, has_role
from config.logs import mail_failure
from gdpr import audit
from gdpr.erasure import erase_person
from gdpr.models import OPEN_REQUEST_STATUSES, DataRequest, RequestKind, RequestStatus

logger = logging.getLogger(__name__)

EXTENSION_DAYS = 60  # art. 12(3): two more months
REMINDER_DAYS = 7  # the DPD is reminded every day from this many days before the deadline
REMINDER_SCHEDULE = (7, 1)  # days before the deadline when a reminder task is queued
MAX_TEXT = 5000
# What the person must explain for the request to be workable.
DETAILS_REQUIRED = frozenset(
    {RequestKind.RECTIFICATION, RequestKind.LIMITATION, RequestKind.OBJECTION}
)


def is_handler(user: Any) -> bool:
    return has_role(user, *DATA_HANDLER_ROLES)


def visible_requests(user: Any) -> QuerySet[DataRequest]:
    requests = DataRequest.objects.select_related("user", "decided_by")
    if is_handler(user):
        return requests
    return requests.filter(user=user)


def access_data_request(user: Any, request_id: Any) -> DataRequest:
    """The request if ``user`` is its person, the DPD or the DCCU; 404 for anyone else."""
    found = visible_requests(user).filter(pk=request_id).first() if user.is_authenticated else None
    if found is None:
        raise Http404
    return found


def _require(user: Any, data_request: DataRequest, ability: str) -> None:
    if not data_request.get_abilities(user)[ability]:
        raise PermissionDenied


def _clean_text(value: str, *, field: str, required: bool, message: str) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: [message]})
    if len(value) > MAX_TEXT:
        raise ValidationError({field: [_("Please keep it under 5,000 characters.")]})
    return value


# --- Emails ---------------------------------------------------------------------------------


def handler_recipients() -> list[str]:
    """The DPD's mailbox and every DPD account: who answers for the deadlines."""
    user_model = get_user_model()
    emails = [settings.DPO_EMAIL] if settings.DPO_EMAIL else []
    emails += list(
        user_model.objects.filter(groups__name=Role.DPD.value, is_active=True)
        .values_list("email", flat=True)
    )
    return list(dict.fromkeys(e for e in emails if e))


def _link(base_url: str, data_request: DataRequest) -> str:
    path = reverse("rights:request", args=[data_request.pk])
    return base_url.rstrip("/") + path if base_url else path


def _message(to: Iterable[str], subject: str, template: str, context: dict[str, Any]) -> Any:
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            template,
            {
                **context,
                "site_name": settings.AGORA_SITE_NAME,
                "organisation": settings.AGORA_ORGANISATION,
                "assembly_name": settings.AGORA_ASSEMBLY_NAME,
                "dpo_email": settings.DPO_EMAIL,
                "dpo_phone": settings.DPO_PHONE,
            },
        )
    return EmailMessage(
        subject=f"[{settings.AGORA_SITE_NAME}] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=[settings.DPO_EMAIL],
    )


def _send_on_commit(messages: list[Any]) -> None:
    """Emails leave once the decision is committed; a failure is logged, never fatal."""

    def send() -> None:
        try:
            get_connection().send_messages(messages)
        except Exception:
            mail_failure(logger, "A data-request email could not be sent")

    if messages:
        transaction.on_commit(send)


def _person_message(
    data_request: DataRequest, email: str, subject: str, template: str, base_url: str,
    **context: Any,
) -> list[Any]:
    if not email:
        return []
    with translation.override(settings.LANGUAGE_CODE):
        kind = str(data_request.get_kind_display())
        subject = subject % {"kind": kind}
    return [
        _message(
            [email], subject, template,
            {"request": data_request, "kind": kind, "link": _link(base_url, data_request),
             **context},
        )
    ]


def _schedule_reminders(data_request: DataRequest, now: datetime) -> None:
    from gdpr.tasks import request_reminder_task

    for days in REMINDER_SCHEDULE:
        when = data_request.due_at - timedelta(days=days)
        if when > now:
            request_reminder_task.using(run_after=when).enqueue(str(data_request.pk))


# --- Operations -----------------------------------------------------------------------------


def do_submit_request(
    actor: Any,
    *,
    kind: str,
    details: str = "",
    person: Any = None,
    base_url: str = "",
) -> DataRequest:
    """Record a request of ``person`` (the actor by default).

    The DPD or the DCCU may record a request received another way (a letter,
    a phone call) on the person's behalf.
    """
    person = person or actor
    on_behalf = person.pk != actor.pk
    if on_behalf and not is_handler(actor):
        raise PermissionDenied
    if kind not in RequestKind.values:
        raise ValidationError({"kind": [_("Choose what you are asking for.")]})
    details = _clean_text(
        details, field="details", required=kind in DETAILS_REQUIRED,
        message=_("Please say what this request is about."),
    )
    now = timezone.now()
    with transaction.atomic():
        limit = settings.GDPR_REQUESTS_PER_DAY
        if not on_behalf and DataRequest.objects.filter(
            user=person, received_at__gte=now - timedelta(days=1)
        ).count() >= limit:
            # Art. 12(5): requests repeated to excess may be refused; each one writes to
            # the DPD. A person with more to say adds it to an open request, or writes.
            raise ValidationError(
                {
                    "kind": [
                        _(
                            "You have sent %(count)d requests today. Please wait until "
                            "tomorrow, or write to the data protection officer."
                        )
                        % {"count": limit}
                    ]
                }
            )
        if DataRequest.objects.filter(
            user=person, kind=kind, status__in=OPEN_REQUEST_STATUSES
        ).exists() and kind != RequestKind.RECTIFICATION:
            raise ValidationError(
                {"kind": [_("A request of this kind is already being handled.")]}
            )
        data_request = DataRequest.objects.create(
            user=person, kind=kind, details=details, received_at=now,
            due_at=DataRequest.initial_deadline(now),
        )
        audit.record(actor, "gdpr.request.submit", subject=person, obj=data_request,
                     kind=kind, on_behalf=on_behalf)
        _schedule_reminders(data_request, now)
        messages = _person_message(
            data_request, person.email, _("We received your request: %(kind)s"),
            "email/gdpr_request_received.txt", base_url,
        )
        with translation.override(settings.LANGUAGE_CODE):
            staff_subject = _("New data-protection request: %(kind)s") % {
                "kind": data_request.get_kind_display()
            }
        messages.append(
            _message(handler_recipients(), staff_subject, "email/gdpr_request_new.txt",
                     {"request": data_request, "link": _link(base_url, data_request)})
        )
        _send_on_commit(messages)
    return data_request


def do_extend_request(
    actor: Any, data_request: DataRequest, *, reason: str, base_url: str = ""
) -> DataRequest:
    """Push the deadline back two months, once, with a reason emailed to the person."""
    reason = _clean_text(
        reason, field="reason", required=True,
        message=_("Give the reason for the extension: the person will read it."),
    )
    with transaction.atomic():
        data_request = DataRequest.objects.select_for_update().select_related("user").get(
            pk=data_request.pk
        )
        _require(actor, data_request, "extend")
        data_request.due_at += timedelta(days=EXTENSION_DAYS)
        data_request.status = RequestStatus.EXTENDED
        data_request.extension_reason = reason
        data_request.save(update_fields=["due_at", "status", "extension_reason", "updated_at"])
        audit.record(actor, "gdpr.request.extend", subject=data_request.user, obj=data_request,
                     due_at=data_request.due_at.isoformat())
        _schedule_reminders(data_request, timezone.now())
        _send_on_commit(
            _person_message(
                data_request, data_request.user.email,
                _("More time is needed for your request: %(kind)s"),
                "email/gdpr_request_extended.txt", base_url,
            )
        )
    return data_request


def do_decide_request(
    actor: Any,
    data_request: DataRequest,
    *,
    accept: bool,
    reason: str = "",
    archives_agreement: str = "",
    base_url: str = "",
) -> DataRequest:
    """Accept or refuse a request, with the reason the person will read.

    A refusal always gives its reason (art. 12(4)); for a sitting member's
    erasure that may be the mandate under way. An accepted erasure is carried
    out at once by the erasure engine, and the request is then complete.
    """
    reason = _clean_text(
        reason, field="reason", required=not accept,
        message=_("Give the reason for the refusal: the person will read it."),
    )
    archives_agreement = _clean_text(
        archives_agreement, field="archives_agreement", required=False, message=""
    )
    with transaction.atomic():
        data_request = DataRequest.objects.select_for_update().select_related("user").get(
            pk=data_request.pk
        )
        _require(actor, data_request, "decide")
        person = data_request.user
        # Captured first: an erasure replaces the address, and the person must still hear.
        email = person.email
        now = timezone.now()
        data_request.decision_reason = reason
        data_request.archives_agreement = archives_agreement
        data_request.decided_by = actor
        data_request.decided_at = now
        erased = accept and data_request.kind == RequestKind.ERASURE
        if not accept:
            data_request.status = RequestStatus.REFUSED
        elif erased:
            data_request.status = RequestStatus.COMPLETED
            data_request.completed_at = now
        else:
            data_request.status = RequestStatus.ACCEPTED
        data_request.save()
        audit.record(actor, "gdpr.request.decide", subject=person, obj=data_request,
                     kind=data_request.kind, accepted=accept)
        if erased:
            erase_person(person, actor=actor, reason=f"request:{data_request.pk}")
        _send_on_commit(
            _person_message(
                data_request, email, _("Decision on your request: %(kind)s"),
                "email/gdpr_request_decided.txt", base_url, erased=erased,
            )
        )
    return data_request


def do_complete_request(
    actor: Any, data_request: DataRequest, *, base_url: str = ""
) -> DataRequest:
    """Record that an accepted request has been carried out, and tell the person."""
    with transaction.atomic():
        data_request = DataRequest.objects.select_for_update().select_related("user").get(
            pk=data_request.pk
        )
        _require(actor, data_request, "complete")
        data_request.status = RequestStatus.COMPLETED
        data_request.completed_at = timezone.now()
        data_request.save(update_fields=["status", "completed_at", "updated_at"])
        audit.record(actor, "gdpr.request.complete", subject=data_request.user,
                     obj=data_request, kind=data_request.kind)
        _send_on_commit(
            _person_message(
                data_request, data_request.user.email,
                _("Your request has been carried out: %(kind)s"),
                "email/gdpr_request_completed.txt", base_url,
            )
        )
    return data_request


def do_prepare_copy_for_request(
    actor: Any, data_request: DataRequest, *, base_url: str = ""
) -> Any:
    """An access request received another way: the handler prepares the person's copy."""
    from gdpr.access_copy import do_request_access_copy

    _require(actor, data_request, "prepare_copy")
    return do_request_access_copy(
        actor, person=data_request.user, base_url=base_url, data_request=data_request
    )


# --- Reminders ------------------------------------------------------------------------------


def _start_of_day(now: datetime) -> datetime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def send_due_reminders(
    *,
    now: datetime | None = None,
    days: int = REMINDER_DAYS,
    request_ids: list[str] | None = None,
    base_url: str = "",
) -> int:
    """Email the DPD about open requests due within ``days``, at most once a day each.

    Idempotent per day: ``last_reminder_at`` is set in the same transaction, so a
    second run (the command and the scheduled task on the same day) sends nothing.
    Returns how many requests were in the email.
    """
    now = now or timezone.now()
    today = _start_of_day(now)
    with transaction.atomic():
        due = (
            DataRequest.objects.select_for_update()
            .filter(status__in=OPEN_REQUEST_STATUSES, due_at__lte=now + timedelta(days=days))
            .filter(Q(last_reminder_at__isnull=True) | Q(last_reminder_at__lt=today))
            .order_by("due_at")
        )
        if request_ids is not None:
            due = due.filter(pk__in=request_ids)
        reminded = list(due.select_related("user"))
        if not reminded:
            return 0
        DataRequest.objects.filter(pk__in=[r.pk for r in reminded]).update(last_reminder_at=now)
        for data_request in reminded:
            audit.record(None, "gdpr.request.remind", subject=data_request.user,
                         obj=data_request, due_at=data_request.due_at.isoformat())
        with translation.override(settings.LANGUAGE_CODE):
            subject = _("Data-protection requests due soon: %(count)s") % {
                "count": len(reminded)
            }
        rows = [
            {"request": r, "link": _link(base_url, r), "overdue": r.due_at < now,
             "days_left": max((r.due_at - now).days, 0)}
            for r in reminded
        ]
        _send_on_commit(
            [_message(handler_recipients(), subject, "email/gdpr_request_reminder.txt",
                      {"rows": rows})]
        )
    return len(reminded)
