"""Personal data held by the privacy module itself."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from gdpr.access_copy import remove_person_copies
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
