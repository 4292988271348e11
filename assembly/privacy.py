"""Personal data held by the assembly's institution: memberships and subgroups."""

import datetime as dt
from typing import Any

from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from assembly.models import (
    Attendance,
    AttendanceChange,
    CalendarFeed,
    EndReason,
    IndemnityStatement,
    Membership,
    SeatOffer,
    Session,
    SessionDocument,
    SessionMailing,
    SessionReply,
    Subgroup,
    TravelClaim,
    TravelReceipt,
)
from assembly.models_draws import Draw, Volunteer
from gdpr.registry import Anchor, CopyFile, Erasure, LegalBasis, Retention, RetentionAction, declare


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

# Drawing lots. A volunteer's sex, age band and canton serve the draw only: they go 30 days
# after the draw is applied (time to import the people drawn and answer questions), or a
# year after the draw was prepared if it is never applied. The frozen inputs and the result
# keep pseudonymous ids and strata only: they are the public record of the draw.
VOLUNTEER_DAYS = 30
_NEVER_APPLIED = ExpressionWrapper(
    F("draw__created_at") + Value(dt.timedelta(days=365 - VOLUNTEER_DAYS)),
    output_field=DateTimeField(),
)
DRAW_APPLIED = Anchor(
    "the draw applied, or a year after it was prepared",
    Coalesce(F("draw__applied_at"), _NEVER_APPLIED, output_field=DateTimeField()),
)

declare(
    Volunteer,
    subject="user",
    fields=("draw", "pseudonym", "sex", "age_band", "canton"),
    purpose=_("Draw by lot among volunteers, with quotas of sex, age band and canton."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Deleted 30 days after the draw is applied (a year after it was prepared if it "
          "never is). The draw's public record keeps only a pseudonymous id and the "
          "stratum."),
        days=VOLUNTEER_DAYS,
        since=DRAW_APPLIED,
    ),
    erasure=Erasure.DELETE,
    machine_text=("pseudonym",),
    categories_of_people=_("volunteers for a draw (citizens, members)"),
    recipients=_("DCCU team; the public sees only pseudonymous ids and strata"),
    notes=_("Minimal data: no name, no address, no date of birth. Volunteers who have no "
            "account are known here only by a pseudonymous number of the recruitment file."),
)
declare(
    Draw,
    subject="created_by",
    fields=("created_by",),
    purpose=_("Know which DCCU member prepared a draw."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of its assembly's mandate; then the name of who "
          "prepared it is removed (the draw and its public record stay)."),
        days=365,
        since="assembly__mandate_end",
        action=RetentionAction.ANONYMISE_FIELDS,
    ),
    erasure=Erasure.PSEUDONYMISE,
    machine_text=("inputs_json", "inputs_sha256", "result_sha256", "seed"),
    categories_of_people=_("DCCU team"),
    recipients=_("DCCU team"),
)
# Convocations: who answered what, and what was sent to whom. Useful while the session is
# being organised and for its minutes; not accounting (attendance is).
declare(
    SessionReply,
    subject="user",
    fields=("session", "answer", "created_at", "updated_at"),
    machine_text=("answer",),
    purpose=_("Know who will come to a session, in person or online, to organise it."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("1 year after the session, then deleted."), days=365, since="session__ends_at"
    ),
    erasure=Erasure.DELETE,
    categories_of_people=_("people convened to sessions"),
    recipients=_("the session's facilitators, DCCU team"),
)
declare(
    SessionMailing,
    subject="user",
    fields=("session", "kind", "sent_at"),
    machine_text=("kind",),
    purpose=_("Remember which convocations and reminders were sent, so that none is sent "
              "twice."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("1 year after the session, then deleted."), days=365, since="session__ends_at"
    ),
    erasure=Erasure.DELETE,
    categories_of_people=_("people convened to sessions"),
    recipients=_("DCCU team"),
)
declare(
    CalendarFeed,
    subject="user",
    fields=("token", "created_at"),
    machine_text=("token",),
    purpose=_("Let a person follow their sessions in their own calendar app through a secret "
              "address they can revoke."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until the person revokes it or their account is deleted.")
    ),
    erasure=Erasure.DELETE,
    categories_of_people=_("people who asked for a calendar address"),
    recipients=_("nobody but the person (and whoever they give the address to)"),
)
declare(
    SessionDocument,
    subject="delivered_by",
    extra_subjects=("reopened_by",),
    fields=("session", "kind", "due_on", "delivered_at", "reopened_at"),
    purpose=_(
        "Follow the documents due for each session (framing notes, minutes, syntheses): "
        "who delivered them and when, who reopened them."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of its assembly's mandate, then deleted with its "
          "text."),
        days=365,
        since="session__assembly__mandate_end",
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=_("facilitators and the DCCU team"),
    recipients=_("the people responsible for the session, DCCU team; once delivered, the "
                 "people convened"),
    notes=_("The text is written together (its writers are in the workshops' document "
            "register); a delivered document is an administrative record, kept as it was "
            "delivered."),
)


# Indemnity statements and travel claims are what the département pays from: accounting
# records, kept like attendance. Bank details are never stored here (payment is the
# département's own system).
declare(
    IndemnityStatement,
    subject="user",
    fields=("period_start", "period_end", "plenaries", "days", "amount", "travel_amount",
            "lines", "validated_at", "correction_reason"),
    actors={"validated_by": ("period_start", "amount", "validated_at", "correction_reason")},
    # Shown in the public notice (« What Agora keeps »): bank details are not among it.
    purpose=_("Compute and validate the indemnities paid to members for their presence at "
              "plenaries, and send them to the département's payment service. The platform "
              "never asks for nor keeps bank details: the département pays through its own "
              "system."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(
        _("Accounting record: until 10 years after the end of its assembly's mandate, "
          "then deleted."),
        days=ACCOUNTING_DAYS,
        since="assembly__mandate_end",
    ),
    erasure=Erasure.KEEP,
    categories_of_people=_("members of the assembly"),
    recipients=_("the member, DCCU team, the département's payment service"),
    notes=_("No bank details: the département pays through its own system."),
)


def receipt_copy_files(rows: Any) -> Any:
    """The receipts a person sent, under the name they gave."""
    from documents import files

    storage = files.library_storage()
    for pk, stored, name in rows.values_list("pk", "storage_name", "name").iterator():
        yield CopyFile(str(pk), "storage_name", name or "justificatif", storage, stored)


declare(
    TravelClaim,
    subject="user",
    fields=("session", "date", "origin", "destination", "amount", "status", "decided_at",
            "decision_reason"),
    actors={"decided_by": ("date", "amount", "status", "decided_at", "decision_reason")},
    purpose=_("Refund members' travel costs to the sessions, on receipts."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(
        _("Accounting record: until 10 years after the end of its assembly's mandate, "
          "then deleted."),
        days=ACCOUNTING_DAYS,
        since="assembly__mandate_end",
    ),
    erasure=Erasure.KEEP,
    categories_of_people=_("members of the assembly"),
    recipients=_("the member, DCCU team, the département's payment service"),
    notes=_("No bank details: the département pays through its own system."),
)
declare(
    TravelReceipt,
    subject="claim__user",
    fields=("name", "content_type", "size", "created_at"),
    copy_files=receipt_copy_files,
    machine_text=("storage_name", "sha256", "content_type"),
    purpose=_("Justify the travel costs refunded to members."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(
        _("With its claim: until 10 years after the end of its assembly's mandate, "
          "then deleted with its file."),
        days=ACCOUNTING_DAYS,
        since="claim__assembly__mandate_end",
    ),
    erasure=Erasure.KEEP,
    categories_of_people=_("members of the assembly"),
    recipients=_("the member, DCCU team, the département's payment service"),
    notes=_("Stored under a random name outside the public files, served only to the "
            "member and the DCCU; the file is deleted with its row."),
)
