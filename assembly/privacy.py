"""Personal data held by the assembly's institution: memberships and subgroups."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from assembly.models import (
    Attendance,
    AttendanceChange,
    EndReason,
    Membership,
    SeatOffer,
    Session,
    Subgroup,
)
from gdpr.registry import Erasure, LegalBasis, Retention, RetentionAction, declare


def end_membership_on_erasure(person: Any, pseudonym: str) -> None:
    """An erased person no longer sits: their open membership ends as a resignation, and a
    freed seat goes to the first substitute, as for any departure."""
    from assembly.actions import do_end_membership

    membership = Membership.objects.open().filter(user=person).first()
    if membership is not None:
        do_end_membership(None, membership, reason=EndReason.RESIGNATION)
    # The reasons the person wrote themself go; the DCCU's record of why stays.
    Membership.objects.filter(user=person, ended_by=person).update(end_note="")


def blank_offer_answers_on_erasure(person: Any, pseudonym: str) -> None:
    """The offers stay (who was asked, when, what became of it); the words go."""
    SeatOffer.objects.filter(user=person).update(answer_note="")


declare(
    Membership,
    subject="user",
    fields=("seat", "kind", "substitute_rank", "start", "end", "end_reason", "end_note"),
    actors={"ended_by": ("seat", "end", "end_reason")},
    purpose=_(
        "Know who sits in the assembly, for which canton and category, and who replaces whom."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of its assembly's mandate, then deleted."),
        days=365,
        since="seat__assembly__mandate_end",
    ),
    erasure=Erasure.KEEP,
    eraser=end_membership_on_erasure,
    categories_of_people=_("members and substitutes"),
    recipients=_("DCCU team; the list of members is public within the assembly"),
    notes=_(
        "The composition of the assembly is an administrative record: erasure keeps the "
        "membership under a pseudonym until the archives service decides."
    ),
)
declare(
    SeatOffer,
    subject="user",
    fields=("seat", "status", "expires_at", "answered_at", "answer_note", "notified_at"),
    purpose=_(
        "Offer a freed seat to its substitutes in their order, and keep who accepted or "
        "declined it."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of its assembly's mandate, then deleted."),
        days=365,
        since="seat__assembly__mandate_end",
    ),
    erasure=Erasure.KEEP,
    eraser=blank_offer_answers_on_erasure,
    categories_of_people=_("substitutes"),
    recipients=_("DCCU team"),
    notes=_(
        "Part of the record of the assembly's composition: erasure keeps it under a "
        "pseudonym with the membership, without the reason the person wrote; a pending "
        "offer passes to the next substitute."
    ),
)
declare(
    Subgroup,
    subject="members",
    extra_subjects=("facilitators",),
    fields=("members", "facilitators"),
    purpose=_("Organise the work in thematic subgroups."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of its assembly's mandate; then the lists of members "
          "and facilitators are emptied (the subgroup and its work stay)."),
        days=365,
        since="mandate__assembly__mandate_end",
        action=RetentionAction.ANONYMISE_FIELDS,
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=_("members and facilitators"),
    recipients=_("the subgroup's members and facilitators, DCCU team"),
)

# Attendance feeds the indemnities paid to members: it is an accounting record, kept
# 10 years after the end of its assembly's mandate (pièces justificatives of public
# accounts), then deleted; erasure keeps it under a pseudonym until then.
ACCOUNTING_DAYS = 10 * 365

declare(
    Session,
    subject="facilitators",
    extra_subjects=("created_by",),
    fields=("facilitators", "created_by"),
    purpose=_("Organise the assembly's sessions: who facilitates them."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of its assembly's mandate, then deleted."),
        days=365,
        since="assembly__mandate_end",
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=_("facilitators and the DCCU team"),
    recipients=_("the people convened, DCCU team"),
)
declare(
    Attendance,
    subject="user",
    fields=("session", "mode", "source", "share"),
    purpose=_("Record who attended each session, for the minutes and the indemnities."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Accounting record: until 10 years after the end of its assembly's mandate, "
          "then deleted."),
        days=ACCOUNTING_DAYS,
        since="session__assembly__mandate_end",
    ),
    erasure=Erasure.KEEP,
    categories_of_people=_("members, facilitators and agents who attend sessions"),
    recipients=_("the session's facilitators, DCCU team, the département's payment service"),
    notes=_("Attendance justifies indemnities paid from public funds: erasure keeps it under "
            "a pseudonym for the legal period."),
)
declare(
    AttendanceChange,
    subject="user",
    fields=("session", "present", "mode", "source", "share", "reason", "at"),
    actors={"actor": ("session", "present", "source", "reason", "at")},
    purpose=_("Keep the history of attendance records and their corrections."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Accounting record: until 10 years after the end of its assembly's mandate, "
          "then deleted."),
        days=ACCOUNTING_DAYS,
        since="session__assembly__mandate_end",
    ),
    erasure=Erasure.KEEP,
    categories_of_people=_("people whose attendance was recorded, and who recorded it"),
    recipients=_("DCCU team"),
)
