"""Statements from the database: validation freezes them, corrections show, exports open."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly import attendance, indemnities
from assembly.models import Assembly, IndemnityStatement, TravelClaim
from tests import factories
from tests.assembly.attendance_world import make_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_assembly(db: Any) -> Assembly:
    return factories.make_assembly(mandate_start=dt.date(2025, 10, 1),
                                   mandate_end=dt.date(2027, 6, 30))


def _plenary(assembly: Assembly, day: dt.date, title: str) -> Any:
    start = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
    return make_session(assembly, starts_at=start, hours=8, title=title)


def _present(dccu: User, session: Any, member: User, share: str = "1") -> None:
    attendance.do_correct_attendance(dccu, session, user=member, present=True, share=share,
                                     reason="Feuille d'émargement")


@pytest.fixture
def staff(db: Any) -> User:
    user = factories.UserFactory(roles=[Role.DCCU], first_name="Dana", last_name="Cuq")
    enrol_demo_totp(user)
    return user


def test_validation_freezes_the_statement(year_assembly: Assembly, staff: User) -> None:
    member = factories.make_titulaire(year_assembly, last_name="Garonne")
    first = _plenary(year_assembly, dt.date(2025, 11, 15), "Plénière 1")
    _present(staff, first, member)
    assert indemnities.do_validate_period(staff, year_assembly, dt.date(2025, 10, 1)) == 1
    frozen = IndemnityStatement.objects.get(user=member)
    assert (frozen.amount, frozen.validated_by) == (Decimal("90.00"), staff)
    # A later change does not touch the validated statement…
    second = _plenary(year_assembly, dt.date(2026, 2, 7), "Plénière 2")
    _present(staff, second, member, "0.5")
    assert indemnities.do_validate_period(staff, year_assembly, dt.date(2025, 10, 1)) == 0
    frozen.refresh_from_db()
    assert frozen.amount == Decimal("90.00")
    row = indemnities.period_rows(year_assembly, dt.date(2025, 10, 1))[0]
    assert row.changed_since_validation and row.computed.amount == Decimal("135.00")
    # …it takes a correction with a reason, which keeps the old one and says why.
    with pytest.raises(ValidationError):
        indemnities.do_correct_statement(staff, year_assembly, dt.date(2025, 10, 1),
                                         user=member, reason="")
    corrected = indemnities.do_correct_statement(
        staff, year_assembly, dt.date(2025, 10, 1), user=member,
        reason="Plénière de février oubliée")
    frozen.refresh_from_db()
    assert frozen.superseded_at is not None and corrected.supersedes == frozen
    assert corrected.amount == Decimal("135.00")


def test_only_the_dccu_validates(year_assembly: Assembly) -> None:
    member = factories.make_titulaire(year_assembly)
    with pytest.raises(PermissionDenied):
        indemnities.do_validate_period(member, year_assembly, dt.date(2025, 10, 1))


def test_subgroup_sessions_are_not_paid(year_assembly: Assembly, staff: User) -> None:
    member = factories.make_titulaire(year_assembly)
    subgroup = factories.make_subgroup(year_assembly, members=[member])
    session = make_session(year_assembly, kind="sous_groupe", subgroup=subgroup,
                           starts_at=timezone.make_aware(
                               dt.datetime.combine(dt.date(2025, 11, 3), dt.time(18))))
    _present(staff, session, member)
    statement = indemnities.statement_for(member, year_assembly, dt.date(2025, 10, 1))
    assert statement.amount == 0 and not statement.lines


def test_exports_hold_statements_and_claims_and_open(
    year_assembly: Assembly, staff: User
) -> None:
    member = factories.make_titulaire(year_assembly, first_name="Inès", last_name="Garonne")
    session = _plenary(year_assembly, dt.date(2025, 12, 6), "Plénière de décembre")
    _present(staff, session, member)
    TravelClaim.objects.create(
        assembly=year_assembly, user=member, session=session, date=dt.date(2025, 12, 6),
        origin="=HYPERLINK(\"x\")", destination="Toulouse", amount=Decimal("31.20"),
        status="acceptee", decided_by=staff, decided_at=timezone.now())
    indemnities.do_validate_period(staff, year_assembly, dt.date(2025, 10, 1))
    client = Client()
    client.force_login(staff)
    page = client.get("/presences/indemnites/2025/")
    assert page.status_code == 200 and "Garonne" in page.content.decode()

    response = client.get("/presences/indemnites/2025/export.csv")
    assert response["Content-Disposition"].endswith('.csv"')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Nature"
    assert [r[0] for r in rows[1:]] == ["Indemnité", "Frais de déplacement"]
    assert rows[1][7] == "90,00" and rows[2][7] == "31,20"
    assert rows[2][5].startswith("'=")  # no formula in the payment service's spreadsheet

    response = client.get("/presences/indemnites/2025/export.ods")
    content = b"".join(response.streaming_content) if response.streaming else response.content
    from odf.opendocument import load
    from odf.table import TableCell, TableRow

    doc = load(io.BytesIO(content))
    table_rows = doc.spreadsheet.getElementsByType(TableRow)
    values = [[c.getAttribute("value") for c in r.getElementsByType(TableCell)]
              for r in table_rows[1:]]
    assert [v[7] for v in values] == ["90.00", "31.20"]
    assert zipfile.ZipFile(io.BytesIO(content)).read("mimetype") == (
        b"application/vnd.oasis.opendocument.spreadsheet")


def test_a_member_sees_their_statement(year_assembly: Assembly, staff: User) -> None:
    member = factories.make_titulaire(year_assembly)
    other = factories.make_titulaire(year_assembly)
    session = _plenary(year_assembly, dt.date(2025, 10, 11), "Plénière d'ouverture")
    _present(staff, session, member, "0.5")
    _present(staff, session, other)
    client = Client()
    client.force_login(member)
    page = client.get("/presences/").content.decode()
    assert "Plénière d&#x27;ouverture" in page or "Plénière d'ouverture" in page
    assert "45,00 €" in page and "90,00 €" not in page
