"""Personal data held by the privacy module itself, and by the task queue it runs on."""

from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gdpr.access_copy import remove_person_copies
from gdpr.audit import withheld_from_subject
from gdpr.models import (
    AccessCopy,
    AuditEntry,
    ConsentRecord,
    DataRequest,
    RequestStatus,
    RetentionRun,
)
from gdpr.registry import Erasure, LegalBasis, Retention, RetentionAction, declare

EVERYONE = _("members, substitutes, facilitators, agents, DCCU team, DPO")

declare(
    ConsentRecord,
    subject="user",
    fields=("text", "decision", "method", "recorded_at"),
    # A consent given on paper and typed in by the DCCU: their act, in their copy.
    actors={"recorded_by": ("user", "text", "decision", "method", "recorded_at")},
    purpose=_("Prove what each person read, accepted, gave or withdrew (art. 7(1))."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(
        _("7 years after it was recorded: the 20-month mandate plus 5 years (proof of "
          "consent)."),
        days=7 * 365,
        since="recorded_at",
    ),
    erasure=Erasure.KEEP,
    categories_of_people=EVERYONE,
    recipients=_("DPO, DCCU team"),
    notes=_("Kept after erasure, under the pseudonym, as proof of what was consented to."),
)
declare(
    DataRequest,
    subject="user",
    fields=(
        "kind", "status", "details", "received_at", "due_at", "extension_reason",
        "decision_reason", "decided_at", "completed_at",
    ),
    actors={"decided_by": ("user", "kind", "status", "decided_at", "decision_reason")},
    purpose=_("Handle requests to exercise data-protection rights within the legal deadline."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(
        _("3 years after the request was received, once it is closed."),
        days=3 * 365,
        since="received_at",
        applies_to=Q(status__in=[RequestStatus.REFUSED, RequestStatus.COMPLETED]),
    ),
    erasure=Erasure.ANONYMISE_FIELDS,
    anonymise={"details": ""},
    categories_of_people=EVERYONE,
    recipients=_("DPO, DCCU team"),
)
declare(
    AccessCopy,
    subject="user",
    fields=("status", "created_at", "finished_at", "expires_at", "downloaded_at", "size"),
    actors={"requested_by": ("user", "status", "created_at", "finished_at", "downloaded_at")},
    purpose=_("Give each person a copy of their data (art. 15)."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(_("The file: 7 days. The record: 1 year."), days=365,
                        since="created_at"),
    erasure=Erasure.DELETE,
    eraser=remove_person_copies,
    categories_of_people=EVERYONE,
    recipients=_("the person only"),
)
declare(
    AuditEntry,
    subject="subject",
    extra_subjects=("actor",),
    withheld=withheld_from_subject,
    fields=("at", "action", "object_type", "object_id", "details"),
    machine_text=("action", "object_type", "object_id"),
    purpose=_("Trace staff access to personal data and every privacy operation."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(_("1 year."), days=365, since="at", action=RetentionAction.DELETE),
    erasure=Erasure.KEEP,
    categories_of_people=EVERYONE,
    recipients=_("DPO (read only)"),
    notes=_("Holds ids, never names, secrets or message bodies; erasure leaves the pseudonym."),
)
declare(
    RetentionRun,
    subject="actor",
    fields=("started_at", "finished_at", "applied", "trigger", "summary"),
    purpose=_("Show the DPO what each retention run did."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(_("3 years."), days=3 * 365, since="started_at"),
    erasure=Erasure.KEEP,
    categories_of_people=_("DPO, DCCU team"),
    recipients=_("DPO"),
)


# --- The task queue (django-tasks-db) ------------------------------------------------------
# Background work (access copies, reminders, retention, notifications, antivirus rescans)
# goes through the database queue: each result row holds the ids the task was given and,
# when it failed, a traceback. Finished results are deleted after TASK_RESULT_DAYS.

TASK_RESULT_DAYS = 30
FINISHED = (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)


def _ids_of(person: Any) -> list[str]:
    """The ids by which the privacy module's tasks refer to a person."""
    return [
        str(person.pk),
        *(str(pk) for pk in AccessCopy.objects.filter(user=person).values_list("pk", flat=True)),
        *(str(pk) for pk in DataRequest.objects.filter(user=person).values_list("pk", flat=True)),
    ]


def _person_task_results(person: Any) -> Any:
    condition = Q(pk__in=[])
    for value in _ids_of(person):
        condition |= Q(args_kwargs__icontains=value)
    return DBTaskResult.objects.filter(condition).order_by("enqueued_at", "pk")


def export_task_results(person: Any) -> Iterator[dict[str, Any]]:
    """The tasks run about the person's requests and copies: what, when, how it ended."""
    for result in _person_task_results(person).iterator(chunk_size=500):
        yield {
            "id": str(result.pk),
            "task_path": result.task_path,
            "status": result.status,
            "enqueued_at": result.enqueued_at,
            "finished_at": result.finished_at,
        }


def delete_person_task_results(person: Any, pseudonym: str) -> None:
    """Finished results about the person go; a task still queued or running finishes first
    (it may be the one telling them their erasure is done) and ages out like the others."""
    _person_task_results(person).filter(status__in=FINISHED).delete()


declare(
    DBTaskResult,
    fields=("task_path", "args_kwargs", "status", "enqueued_at", "finished_at",
            "exception_class_path", "traceback"),
    purpose=_("Run background work (access copies, reminders, retention, notifications, "
              "antivirus scans) and know whether it succeeded."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Deleted 30 days after the task finished (succeeded or failed); a task waiting or "
          "running is kept until it finishes."),
        days=TASK_RESULT_DAYS,
        since="finished_at",
        applies_to=Q(status__in=FINISHED),
    ),
    erasure=Erasure.DELETE,
    export=export_task_results,
    eraser=delete_person_task_results,
    categories_of_people=EVERYONE,
    recipients=_("nobody reads it but the platform; the DCCU's technical staff when a task "
                 "fails"),
    notes=_("Holds ids (of a message, a request, a copy), never names or message bodies; a "
            "failed task's traceback may name the code that failed. The access copy lists "
            "the tasks run about the person's requests and copies."),
)
