"""Import the drawn members from a CSV file: all rows or nothing, with a report per row.

The file comes from the draw, usually saved from Excel: UTF-8 with or without
BOM, commas or semicolons, French or English headers, canton names typed by
hand. Every row is checked first; if any row is wrong nothing is written and
the report says which row, which column and why. Otherwise each person gets
an account (inactive until they accept), their membership through
``assembly.actions.do_add_membership`` and an invitation, and the emails
leave after the commit.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Invitation, User
from assembly.actions import do_add_membership
from assembly.invitations import (
    OutgoingInvitation,
    create_invitation,
    email_problems,
    require_dccu,
    seat_problems,
    send_invitations_on_commit,
)
from assembly.models import Assembly, Canton, MembershipKind, Seat

MAX_FILE_BYTES = 1024 * 1024
MAX_ROWS = 1000
NAME_MAX_LENGTH = 150

# Canonical column → the headers accepted for it, once normalised (see _key).
COLUMNS: dict[str, tuple[str, ...]] = {
    "last_name": ("nom", "last_name", "lastname", "nom_de_famille", "surname"),
    "first_name": ("prenom", "first_name", "firstname", "given_name"),
    "email": ("email", "e_mail", "mail", "courriel", "adresse_email", "adresse_mail"),
    "canton": ("canton",),
    "gender": ("categorie", "gender", "genre", "sexe", "sex"),
    "age_band": ("tranche_age", "tranche_d_age", "age_band", "tranche", "age"),
    "status": ("statut", "status"),
    "rank": ("rang", "rank"),
}
REQUIRED_COLUMNS = ("last_name", "first_name", "email", "canton", "gender", "age_band", "status")

GENDERS = {
    "femme": "f", "f": "f", "feminin": "f", "woman": "f", "female": "f", "w": "f",
    "homme": "h", "h": "h", "masculin": "h", "man": "h", "male": "h", "m": "h",
}
AGE_BANDS = {
    "18-44": "18", "18a44": "18", "18-44ans": "18", "18a44ans": "18",
    "45+": "45", "45etplus": "45", "45ansetplus": "45", "45+ans": "45", "45andover": "45",
    "45plus": "45", "45ouplus": "45", "45et+": "45", "45anset+": "45", "45ans+": "45",
}
STATUSES = {
    "titulaire": MembershipKind.TITULAIRE,
    "full": MembershipKind.TITULAIRE,
    "fullmember": MembershipKind.TITULAIRE,
    "remplacant": MembershipKind.REMPLACANT,
    "substitute": MembershipKind.REMPLACANT,
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong: row 0 is the file as a whole, row 1 the header line."""

    row: int
    column: str
    message: str


@dataclass(frozen=True)
class MemberRow:
    row: int
    last_name: str
    first_name: str
    email: str
    seat: Seat
    kind: str
    rank: int | None


@dataclass
class ImportReport:
    rows_read: int = 0
    problems: list[Problem] = field(default_factory=list)
    invitations: list[Invitation] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, row: int, column: str, message: str) -> None:
        self.problems.append(Problem(row, column, message))


class _Rollback(Exception):
    """Raised inside the transaction to undo every row when one fails late."""


def _plain(value: str) -> str:
    """Lower case, no accents, outer spaces gone: how people's typing is compared."""
    decomposed = unicodedata.normalize("NFKD", value.strip().lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _key(value: str) -> str:
    return re.sub(r"[\s\-'’.]+", "_", _plain(value)).strip("_")


def canton_key(name: str) -> str:
    """"Bagneres de Luchon", "bagnères-de-luchon" and "BAGNERES DE LUCHON" all agree;
    so do "toulouse-3", "Toulouse 03" and "St Gaudens" / "Saint-Gaudens"."""
    words = re.split(r"[^a-z0-9]+", _plain(name))
    words = ["saint" if w == "st" else "sainte" if w == "ste" else w for w in words]
    words = [(w.lstrip("0") or "0") if w.isdigit() else w for w in words]
    return "".join(words)


def _compact(value: str) -> str:
    return re.sub(r"\s+", "", _plain(value)).replace("–", "-").replace("—", "-")


def _decode(data: bytes, report: ImportReport) -> str | None:
    if len(data) > MAX_FILE_BYTES:
        report.add(0, "", _("The file is too large (%(max)s MB at most).")
                   % {"max": MAX_FILE_BYTES // (1024 * 1024)})
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.add(0, "", _("The file is not in UTF-8. In Excel, save it as "
                            "\"CSV UTF-8\"."))
        return None


def _delimiter(text: str) -> str:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    return max((";", ",", "\t"), key=first_line.count)


def _map_headers(header: list[str], report: ImportReport) -> dict[str, int] | None:
    aliases = {alias: column for column, names in COLUMNS.items() for alias in names}
    positions: dict[str, int] = {}
    for index, title in enumerate(header):
        column = aliases.get(_key(title))
        if column is None:
            continue
        if column in positions:
            report.add(1, title, _("This column appears twice."))
        positions[column] = index
    for column in REQUIRED_COLUMNS:
        if column not in positions:
            report.add(1, COLUMNS[column][0], _("This column is missing."))
    return None if report.problems else positions


RawRow = tuple[int, dict[str, str]]


def _read_rows(data: bytes, report: ImportReport) -> tuple[list[str], list[RawRow]]:
    """Return the header as written and each non-blank row (with its spreadsheet number)."""
    text = _decode(data, report)
    if text is None:
        return [], []
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text)))
    except csv.Error as exc:
        report.add(0, "", _("The file cannot be read as CSV (%(error)s).") % {"error": exc})
        return [], []
    if not records:
        report.add(0, "", _("The file is empty."))
        return [], []
    header = [title.strip() for title in records[0]]
    positions = _map_headers(header, report)
    if positions is None:
        return header, []
    rows: list[RawRow] = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue  # spreadsheets leave blank lines (";;;;;;") at the end
        rows.append(
            (number, {col: record[i].strip() if i < len(record) else ""
                      for col, i in positions.items()})
        )
    if not rows:
        report.add(0, "", _("The file has no rows to import."))
    elif len(rows) > MAX_ROWS:
        report.add(0, "", _("The file has %(count)s rows; %(max)s at most can be imported at "
                            "once.") % {"count": len(rows), "max": MAX_ROWS})
        return header, []
    return header, rows


def _check_row(
    number: int,
    values: dict[str, str],
    titles: dict[str, str],
    cantons: dict[str, Canton],
    seats: dict[tuple[int, str], Seat],
    report: ImportReport,
) -> MemberRow | None:
    """Check one row on its own; return it when every column is right."""
    before = len(report.problems)

    def problem(column: str, message: str) -> None:
        report.add(number, titles.get(column, COLUMNS[column][0]), message)

    for column in ("last_name", "first_name"):
        if not values[column]:
            problem(column, _("This value is missing."))
        elif len(values[column]) > NAME_MAX_LENGTH:
            problem(column, _("This name is too long (%(max)s characters at most).")
                    % {"max": NAME_MAX_LENGTH})
    email = values["email"].lower()
    if not email:
        problem("email", _("The email address is missing."))
    canton = cantons.get(canton_key(values["canton"]))
    if not values["canton"]:
        problem("canton", _("The canton is missing."))
    elif canton is None:
        problem("canton", _("Unknown canton: “%(value)s”.") % {"value": values["canton"]})
    gender = GENDERS.get(_compact(values["gender"]))
    if gender is None:
        problem("gender", _("Write “femme” or “homme” (found “%(value)s”).")
                % {"value": values["gender"]})
    band = AGE_BANDS.get(_compact(values["age_band"]))
    if band is None:
        problem("age_band", _("Write “18-44” or “45+” (found “%(value)s”).")
                % {"value": values["age_band"]})
    kind = STATUSES.get(_compact(values["status"]))
    if kind is None:
        problem("status", _("Write “titulaire” or “remplacant” (found “%(value)s”).")
                % {"value": values["status"]})
    rank_text = values.get("rank", "")
    rank: int | None = None
    if kind == MembershipKind.TITULAIRE and rank_text:
        problem("rank", _("A full member has no rank: leave this cell empty."))
    elif kind == MembershipKind.REMPLACANT:
        if not rank_text:
            problem("rank", _("A substitute needs a rank (1, 2, 3…)."))
        elif not rank_text.isdigit() or int(rank_text) < 1:
            problem("rank", _("The rank must be a whole number from 1 (found “%(value)s”).")
                    % {"value": rank_text})
        else:
            rank = int(rank_text)
    if len(report.problems) > before or not (canton and gender and band and kind):
        return None
    seat = seats.get((canton.pk, f"{gender}{band}"))
    if seat is None:
        problem("canton", _("The current assembly has no such seat."))
        return None
    return MemberRow(
        row=number,
        last_name=values["last_name"],
        first_name=values["first_name"],
        email=email,
        seat=seat,
        kind=kind,
        rank=rank,
    )


def _check_emails(raw_rows: list[RawRow], titles: dict[str, str],
                  report: ImportReport) -> None:
    """Each address once in the file, valid, and new to Agora (never merged silently)."""
    column = titles.get("email", "email")
    first_row: dict[str, int] = {}
    for number, values in raw_rows:
        email = values["email"].lower()
        if not email:
            continue  # reported by _check_row
        if email in first_row:
            report.add(number, column, _("Same email address as row %(row)s.")
                       % {"row": first_row[email]})
            continue
        first_row[email] = number
        for message in email_problems(email):
            report.add(number, column, message)


def _check_seats(rows: list[MemberRow], titles: dict[str, str], report: ImportReport) -> None:
    """One full member per seat and one substitute per rank, in the file and in Agora."""
    status_column = titles.get("status", "statut")
    rank_column = titles.get("rank", "rang")
    first_titulaire: dict[int, int] = {}
    first_rank: dict[tuple[int, int | None], int] = {}
    for row in rows:
        if row.kind == MembershipKind.TITULAIRE:
            if row.seat.pk in first_titulaire:
                report.add(row.row, status_column,
                           _("Row %(row)s already has the full member of this seat (%(seat)s).")
                           % {"row": first_titulaire[row.seat.pk], "seat": row.seat})
                continue
            first_titulaire[row.seat.pk] = row.row
            column = status_column
        else:
            key = (row.seat.pk, row.rank)
            if key in first_rank:
                report.add(row.row, rank_column,
                           _("Row %(row)s already has rank %(rank)s for this seat (%(seat)s).")
                           % {"row": first_rank[key], "rank": row.rank, "seat": row.seat})
                continue
            first_rank[key] = row.row
            column = rank_column
        for message in seat_problems(row.seat, row.kind, row.rank):
            report.add(row.row, column, f"{row.seat}: {message}")


def do_import_members(actor: User, data: bytes, *, base_url: str) -> ImportReport:
    """Check the whole file, then create every account, membership and invitation, or none."""
    require_dccu(actor)
    report = ImportReport()
    header, raw_rows = _read_rows(data, report)
    report.rows_read = len(raw_rows)
    if not report.ok:
        return report
    aliases = {alias: column for column, names in COLUMNS.items() for alias in names}
    titles = {aliases[_key(t)]: t for t in header if _key(t) in aliases}
    assembly = Assembly.current()
    if assembly is None:
        report.add(0, "", _("There is no assembly yet: create it before importing members."))
        return report
    cantons: dict[str, Canton] = {}
    for canton in Canton.objects.all():
        cantons[canton_key(canton.name)] = canton
        cantons.setdefault(canton_key(canton.code), canton)
    seats = {(s.canton_id, s.category): s
             for s in Seat.objects.filter(assembly=assembly).select_related("canton")}
    try:
        with transaction.atomic():
            rows = [
                row for number, values in raw_rows
                if (row := _check_row(number, values, titles, cantons, seats, report))
            ]
            _check_emails(raw_rows, titles, report)
            _check_seats(rows, titles, report)
            if not report.ok:
                raise _Rollback
            outgoing = _create_everything(actor, rows, report)
            if not report.ok:
                raise _Rollback
            send_invitations_on_commit(outgoing, base_url=base_url)
    except _Rollback:
        report.invitations = []
    report.problems.sort(key=lambda p: p.row)
    return report


def _create_everything(
    actor: User, rows: list[MemberRow], report: ImportReport
) -> list[OutgoingInvitation]:
    outgoing: list[OutgoingInvitation] = []
    for row in rows:
        user = User.objects.create_user(
            row.email, None, first_name=row.first_name, last_name=row.last_name,
            is_active=False,  # until they accept: no login before the invitation is used
        )
        try:
            do_add_membership(
                actor, user=user, seat=row.seat, kind=row.kind, substitute_rank=row.rank
            )
        except ValidationError as exc:
            for message in exc.messages:
                report.add(row.row, "", message)
            continue
        item = create_invitation(
            actor, email=row.email, first_name=row.first_name, last_name=row.last_name,
            role=row.kind, seat=row.seat, substitute_rank=row.rank, user=user,
        )
        outgoing.append(item)
        report.invitations.append(item.invitation)
    return outgoing
