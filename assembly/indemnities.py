"""Indemnities: each member's statement per period, its validation by the DCCU, its export.

The rules (docs/indemnities.md), read from the assembly's settings:

- a member is paid ``indemnity_per_day`` per day of presence at a plenary; a plenary that
  spans two days counts two days; a partial presence (``Attendance.share``, e.g. 0.5 for a
  member who left at noon) is paid pro rata;
- at most ``indemnity_max_plenaries`` plenaries are paid per period: when a member
  attended more, the ones paid most are counted (largest share first, then the earliest),
  so the cap never costs the member a full day for a half one;
- the period is the indemnity year: twelve months from the first day of
  ``indemnity_year_start_month`` (October: plenaries are held from October to June; one
  held in the summer belongs to the year begun the October before, never to two years);
- presence by video at a plenary is paid like presence in the room when
  ``indemnity_counts_online`` is set (the default: the specification pays « par jour de
  présence aux plénières », and the DCCU chooses to hold plenaries in hybrid form); when
  it is not, online lines are listed but not paid;
- cancelled sessions are never paid; only plenaries are (subgroup sessions, committee
  meetings… are work between plenaries, not paid by the day).

``compute_statement`` is the pure rule (facts in, statement out). The rest reads the
database, freezes statements (``do_validate_period``), corrects a validated one
(``do_correct_statement``) and writes the payment files (CSV and ODS).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, has_role
from assembly.models import (
    Assembly,
    Attendance,
    AttendanceMode,
    ClaimStatus,
    IndemnityStatement,
    SessionKind,
    TravelClaim,
)
from gdpr import audit

CENTS = Decimal("0.01")


@dataclass(frozen=True)
class Rules:
    per_day: Decimal = Decimal(90)
    max_plenaries: int = 4
    year_start_month: int = 10
    counts_online: bool = True

    @classmethod
    def of(cls, assembly: Assembly) -> Rules:
        return cls(
            per_day=Decimal(assembly.indemnity_per_day),
            max_plenaries=assembly.indemnity_max_plenaries,
            year_start_month=assembly.indemnity_year_start_month,
            counts_online=assembly.indemnity_counts_online,
        )


@dataclass(frozen=True)
class Presence:
    """One attendance at a plenary, as the rule needs it."""

    session_id: str
    title: str
    day: date
    days: int  # calendar days the plenary spans
    share: Decimal
    mode: str


@dataclass(frozen=True)
class Line:
    session_id: str
    title: str
    day: date
    days: int
    share: Decimal
    mode: str
    paid_days: Decimal
    amount: Decimal
    note: str  # why a line is not paid ("" when it is)

    def as_json(self) -> dict[str, Any]:
        return {
            "session": self.session_id, "title": self.title, "day": self.day.isoformat(),
            "days": self.days, "share": str(self.share), "mode": self.mode,
            "paid_days": str(self.paid_days), "amount": str(self.amount), "note": self.note,
        }


@dataclass(frozen=True)
class Statement:
    period_start: date
    period_end: date
    lines: list[Line] = field(default_factory=list)

    @property
    def paid_lines(self) -> list[Line]:
        return [line for line in self.lines if line.amount > 0]

    @property
    def plenaries(self) -> int:
        return len(self.paid_lines)

    @property
    def days(self) -> Decimal:
        return sum((line.paid_days for line in self.lines), Decimal(0))

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))


def period_of(day: date, rules: Rules) -> tuple[date, date]:
    """The indemnity year ``day`` falls in: (first day, last day)."""
    year = day.year if day.month >= rules.year_start_month else day.year - 1
    start = date(year, rules.year_start_month, 1)
    next_start = date(year + 1, rules.year_start_month, 1)
    return start, next_start - timedelta(days=1)


def compute_statement(
    presences: Iterable[Presence], rules: Rules, period_start: date
) -> Statement:
    """The statement of one member for the period starting ``period_start`` (pure)."""
    start, end = period_of(period_start, rules)
    if start != period_start:
        raise ValueError("period_start must be the first day of an indemnity year")
    inside = [p for p in presences if start <= p.day <= end]
    notes: dict[str, str] = {}
    payable: list[Presence] = []
    for presence in inside:
        if presence.mode == AttendanceMode.ONLINE and not rules.counts_online:
            notes[presence.session_id] = _("online presence is not paid")
        else:
            payable.append(presence)
    # The cap: the plenaries paid most first, then the earliest.
    ranked = sorted(payable, key=lambda p: (-(p.share * p.days), p.day, p.session_id))
    paid_ids = {p.session_id for p in ranked[: rules.max_plenaries]}
    for presence in ranked[rules.max_plenaries:]:
        notes[presence.session_id] = _("beyond %(max)d plenaries in the year") % {
            "max": rules.max_plenaries
        }
    lines = []
    for presence in sorted(inside, key=lambda p: (p.day, p.session_id)):
        paid = presence.session_id in paid_ids
        paid_days = (presence.share * presence.days).quantize(CENTS) if paid else Decimal(0)
        lines.append(
            Line(
                session_id=presence.session_id, title=presence.title, day=presence.day,
                days=presence.days, share=presence.share, mode=presence.mode,
                paid_days=paid_days,
                amount=(paid_days * rules.per_day).quantize(CENTS, ROUND_HALF_UP),
                note=notes.get(presence.session_id, ""),
            )
        )
    return Statement(start, end, lines)


# --- From the database ----------------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def presences(assembly: Assembly, start: date, end: date) -> dict[Any, list[Presence]]:
    """Every plenary attendance of the period, per person."""
    rows = (
        Attendance.objects.filter(
            session__assembly=assembly,
            session__kind=SessionKind.PLENIERE,
            session__cancelled_at__isnull=True,
        )
        .select_related("session")
        .order_by("session__starts_at")
    )
    result: dict[Any, list[Presence]] = defaultdict(list)
    for row in rows:
        session = row.session
        day = _local_day(session.starts_at)
        if not start <= day <= end:
            continue
        last = _local_day(session.ends_at - timedelta(microseconds=1))
        result[row.user_id].append(
            Presence(
                session_id=str(session.pk), title=session.title, day=day,
                days=max(1, (last - day).days + 1), share=Decimal(row.share), mode=row.mode,
            )
        )
    return result


def statement_for(user: User, assembly: Assembly, period_start: date) -> Statement:
    rules = Rules.of(assembly)
    start, end = period_of(period_start, rules)
    return compute_statement(presences(assembly, start, end).get(user.pk, []), rules, start)


def travel_total(user: Any, assembly: Assembly, start: date, end: date) -> Decimal:
    total = TravelClaim.objects.filter(
        assembly=assembly, user=user, status=ClaimStatus.APPROVED, date__gte=start,
        date__lte=end,
    ).aggregate(total=Sum("amount"))["total"]
    return Decimal(total or 0)


def periods(assembly: Assembly) -> list[tuple[date, date]]:
    """The indemnity years of the assembly's mandate, the latest first."""
    rules = Rules.of(assembly)
    found = []
    start, _end = period_of(assembly.mandate_start, rules)
    while start <= assembly.mandate_end:
        found.append(period_of(start, rules))
        start = date(start.year + 1, start.month, 1)
    return list(reversed(found))


def period_label(start: date, end: date) -> str:
    return f"{start.year}–{end.year}"


def current_statement(user: Any, assembly: Assembly, start: date) -> IndemnityStatement | None:
    return IndemnityStatement.objects.filter(
        assembly=assembly, user=user, period_start=start, superseded_at__isnull=True
    ).first()


def require_dccu(actor: Any) -> None:
    if not has_role(actor, Role.DCCU):
        raise PermissionDenied(_("Only the DCCU team validates indemnities."))


@dataclass
class Row:
    """One person of a period on the DCCU's page: as computed now, and as validated."""

    user: Any
    computed: Statement
    travel: Decimal
    validated: IndemnityStatement | None

    @property
    def total(self) -> Decimal:
        return self.computed.amount + self.travel

    @property
    def changed_since_validation(self) -> bool:
        if self.validated is None:
            return False
        return (
            self.validated.amount != self.computed.amount
            or self.validated.travel_amount != self.travel
        )


def period_rows(assembly: Assembly, start: date) -> list[Row]:
    """Everyone with a plenary attendance, an approved claim or a statement in the period."""
    rules = Rules.of(assembly)
    start, end = period_of(start, rules)
    found = presences(assembly, start, end)
    user_ids: set[Any] = set(found)
    user_ids |= set(
        TravelClaim.objects.filter(
            assembly=assembly, status=ClaimStatus.APPROVED, date__gte=start, date__lte=end
        ).values_list("user_id", flat=True)
    )
    validated = {
        s.user_id: s
        for s in IndemnityStatement.objects.filter(
            assembly=assembly, period_start=start, superseded_at__isnull=True
        )
    }
    user_ids |= set(validated)
    users = User.objects.filter(pk__in=user_ids).order_by("last_name", "first_name", "pk")
    return [
        Row(
            user=user,
            computed=compute_statement(found.get(user.pk, []), rules, start),
            travel=travel_total(user, assembly, start, end),
            validated=validated.get(user.pk),
        )
        for user in users
    ]


def _freeze(
    actor: Any, assembly: Assembly, row: Row, *, supersedes: IndemnityStatement | None = None,
    reason: str = "",
) -> IndemnityStatement:
    statement = row.computed
    return IndemnityStatement.objects.create(
        assembly=assembly, user=row.user, period_start=statement.period_start,
        period_end=statement.period_end, plenaries=statement.plenaries, days=statement.days,
        amount=statement.amount, travel_amount=row.travel,
        lines=[line.as_json() for line in statement.lines], validated_by=actor,
        validated_at=timezone.now(), supersedes=supersedes, correction_reason=reason,
    )


@transaction.atomic
def do_validate_period(actor: Any, assembly: Assembly, period_start: date) -> int:
    """Freeze the statements of the period not validated yet; returns how many.

    Statements validated earlier are left alone, even when attendance changed since:
    those take a correction with a reason (``do_correct_statement``).
    """
    require_dccu(actor)
    count = 0
    for row in period_rows(assembly, period_start):
        if row.validated is None and (row.computed.amount > 0 or row.travel > 0):
            statement = _freeze(actor, assembly, row)
            audit.record(actor, "assembly.indemnities.validate", obj=statement)
            count += 1
    return count


@transaction.atomic
def do_correct_statement(
    actor: Any, assembly: Assembly, period_start: date, *, user: Any, reason: str
) -> IndemnityStatement:
    """Replace a validated statement by one computed now; the old one stays, superseded."""
    require_dccu(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the correction."), code="reason")
    rows = [row for row in period_rows(assembly, period_start) if row.user.pk == user.pk]
    validated = rows[0].validated if rows else None
    if validated is None:
        raise ValidationError(
            _("This statement has not been validated yet: validate the period instead."),
            code="not_validated",
        )
    row = rows[0]
    old = IndemnityStatement.objects.select_for_update().get(pk=validated.pk)
    old.superseded_at = timezone.now()
    old.save(update_fields=["superseded_at", "updated_at"])
    statement = _freeze(actor, assembly, row, supersedes=old, reason=reason[:300])
    audit.record(actor, "assembly.indemnities.correct", obj=statement)
    return statement


# --- Payment files -------------------------------------------------------------------------


def _money(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def export_rows(assembly: Assembly, period_start: date) -> tuple[list[str], list[list[Any]]]:
    """The validated statements (one line each) and the approved travel claims of the
    period: what the département's payment service pays."""
    rules = Rules.of(assembly)
    start, end = period_of(period_start, rules)
    header = [
        _("Nature"), _("Last name"), _("First name"), _("Email"), _("Date"), _("Detail"),
        _("Days"), _("Amount (€)"), _("Validated by"), _("Validated on"),
    ]
    rows: list[list[Any]] = []
    statements = IndemnityStatement.objects.filter(
        assembly=assembly, period_start=start, superseded_at__isnull=True
    ).select_related("user", "validated_by", "supersedes")
    for s in statements.order_by("user__last_name", "user__first_name"):
        detail = _("%(count)d plenaries") % {"count": s.plenaries}
        if s.supersedes_id:
            detail += " — " + _("correction: %(reason)s") % {"reason": s.correction_reason}
        rows.append([
            _("Indemnity"), s.user.last_name, s.user.first_name, s.user.email,
            period_label(s.period_start, s.period_end), detail, s.days, s.amount,
            s.validated_by.public_name if s.validated_by else "",
            timezone.localtime(s.validated_at).date(),
        ])
    claims = TravelClaim.objects.filter(
        assembly=assembly, status=ClaimStatus.APPROVED, date__gte=start, date__lte=end
    ).select_related("user", "decided_by")
    for c in claims.order_by("user__last_name", "user__first_name", "date"):
        rows.append([
            _("Travel costs"), c.user.last_name, c.user.first_name, c.user.email, c.date,
            f"{c.origin} → {c.destination}", "", c.amount,
            c.decided_by.public_name if c.decided_by else "",
            timezone.localtime(c.decided_at).date() if c.decided_at else "",
        ])
    return header, rows


def _text(value: Any) -> str:
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """Semicolons and a BOM: what a French spreadsheet opens without asking."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(header)
    for row in rows:
        # A cell starting with = + - @ would be a formula in a spreadsheet.
        writer.writerow(
            ["'" + t if t[:1] in "=+-@" else t for t in (_text(v) for v in row)]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_ods(header: list[str], rows: list[list[Any]], title: str) -> bytes:
    """An OpenDocument spreadsheet; amounts and days are numbers, dates are dates."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TextProperties
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    bold = Style(name="bold", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    doc.automaticstyles.addElement(bold)
    sheet = Table(name=title[:31])

    def cell(value: Any, style: Any = None) -> Any:
        if isinstance(value, Decimal):
            c = TableCell(valuetype="float", value=str(value))
        elif isinstance(value, date):
            c = TableCell(valuetype="date", datevalue=value.isoformat())
        else:
            c = TableCell(valuetype="string", stylename=style) if style else TableCell(
                valuetype="string"
            )
        c.addElement(P(text=_text(value)))
        return c

    head = TableRow()
    for value in header:
        head.addElement(cell(value, bold))
    sheet.addElement(head)
    for values in rows:
        row = TableRow()
        for value in values:
            row.addElement(cell(value))
        sheet.addElement(row)
    doc.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()
