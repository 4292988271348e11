"""Check-in by list, by the venue's code and from the session's call; corrections."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assembly import attendance
from assembly.models import Assembly, Attendance, AttendanceChange
from calls.actions import do_join_call
from tests import factories
from tests.assembly.attendance_world import facilitator, make_session

pytestmark = pytest.mark.django_db


def test_facilitator_checks_a_convened_member_in_and_it_is_logged(assembly: Assembly) -> None:
    host, member = facilitator(), factories.make_titulaire(assembly)
    session = make_session(assembly, facilitators=[host])
    attendance.do_check_in(host, session, user=member, mode="sur_place")
    row = Attendance.objects.get(session=session, user=member)
    assert (row.mode, row.source, row.share) == ("sur_place", "liste", Decimal(1))
    change = AttendanceChange.objects.get(session=session, user=member)
    assert change.actor == host and change.present and change.source == "liste"


def test_plenaries_convene_the_current_titulaires_only(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    substitute = factories.make_substitute(assembly, factories.seat(assembly, "Revel"))
    session = make_session(assembly)
    assert list(attendance.convened(session)) == [member]
    assert substitute not in attendance.convened(session)


def test_subgroup_sessions_convene_the_subgroup(assembly: Assembly) -> None:
    inside, outside = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    subgroup = factories.make_subgroup(assembly, members=[inside])
    session = make_session(assembly, kind="sous_groupe", subgroup=subgroup)
    assert list(attendance.convened(session)) == [inside]
    host = factories.UserFactory(roles=[Role.DCCU])
    with pytest.raises(ValidationError, match="not convened|pas convoquée"):
        attendance.do_check_in(host, session, user=outside, mode="visio")


def test_a_facilitator_of_another_session_cannot_check_in(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    session = make_session(assembly, facilitators=[facilitator()])
    with pytest.raises(PermissionDenied):
        attendance.do_check_in(facilitator(), session, user=member, mode="sur_place")
    with pytest.raises(PermissionDenied):
        attendance.do_check_in(member, session, user=member, mode="sur_place")


def test_a_correction_needs_a_reason_and_is_logged(assembly: Assembly) -> None:
    host, member = facilitator(), factories.make_titulaire(assembly)
    session = make_session(assembly, facilitators=[host])
    attendance.do_check_in(host, session, user=member, mode="sur_place")
    with pytest.raises(ValidationError, match="reason|motif"):
        attendance.do_correct_attendance(host, session, user=member, present=True,
                                         share="0.5", reason="  ")
    assert Attendance.objects.get(session=session, user=member).share == 1
    attendance.do_correct_attendance(host, session, user=member, present=True, share="0,5",
                                     reason="Partie à midi")
    row = Attendance.objects.get(session=session, user=member)
    assert (row.share, row.source) == (Decimal("0.50"), "correction")
    attendance.do_correct_attendance(host, session, user=member, present=False,
                                     reason="Pointée par erreur")
    assert not Attendance.objects.filter(session=session, user=member).exists()
    log = list(AttendanceChange.objects.filter(session=session, user=member)
               .values_list("source", "present", "reason"))
    assert log == [("liste", True, ""), ("correction", True, "Partie à midi"),
                   ("correction", False, "Pointée par erreur")]


def test_the_list_closes_a_day_after_the_session(assembly: Assembly) -> None:
    host, member = facilitator(), factories.make_titulaire(assembly)
    session = make_session(assembly, facilitators=[host],
                           starts_at=timezone.now() - dt.timedelta(days=3))
    with pytest.raises(ValidationError, match="correction"):
        attendance.do_check_in(host, session, user=member, mode="sur_place")
    attendance.do_correct_attendance(host, session, user=member, present=True,
                                     reason="Feuille papier signée")
    assert Attendance.objects.filter(session=session, user=member).exists()


# --- The venue's code -----------------------------------------------------------------------


def _scan(client: Client, token: str) -> Any:
    return client.post(f"/presences/code/{token}/")


def test_a_convened_member_who_scans_the_code_is_checked_in(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    session = make_session(assembly)
    client = Client()
    client.force_login(member)
    token = attendance.qr_token(session)
    page = client.get(f"/presences/code/{token}/")
    assert page.status_code == 200 and "Je suis là" in page.content.decode()
    assert not Attendance.objects.filter(user=member).exists()  # opening is not checking in
    response = _scan(client, token)
    assert response.status_code == 200
    assert "est enregistrée" in response.content.decode()
    row = Attendance.objects.get(session=session, user=member)
    assert (row.source, row.mode) == ("qr", "sur_place")


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("expired", "Ce code a expiré"),
        ("forged", "Ce code n’est pas valide"),
        ("not_convened", "Vous n’êtes pas convoqué"),
        ("outside_window", "seulement pendant la séance"),
    ],
)
def test_the_code_refuses_with_a_french_message(
    case: str, message: str, assembly: Assembly, settings: Any
) -> None:
    member = factories.make_titulaire(assembly)
    starts_at = timezone.now() + dt.timedelta(days=2) if case == "outside_window" else None
    session = make_session(assembly, starts_at=starts_at)
    token = attendance.qr_token(session)
    person: User = member
    if case == "expired":
        settings.ATTENDANCE_QR_MAX_AGE = -1
    elif case == "forged":
        token = signing.TimestampSigner(salt="autre chose").sign(str(session.pk))
    elif case == "not_convened":
        person = factories.make_substitute(assembly, factories.seat(assembly, "Revel"))
    client = Client()
    client.force_login(person)
    response = _scan(client, token)
    assert response.status_code == 400
    text = response.content.decode().replace("&#x27;", "’").replace("'", "’")
    assert message in text, text
    assert not Attendance.objects.filter(session=session).exists()


def test_the_projected_code_is_an_svg_with_a_signed_link(assembly: Assembly) -> None:
    host = facilitator()
    session = make_session(assembly, facilitators=[host])
    client = Client()
    client.force_login(host)
    page = client.get(f"/presences/seance/{session.pk}/code/").content.decode()
    assert "<svg" in page and "http-equiv=\"refresh\"" in page
    token = re.search(r"/presences/code/([^/\"]+)/", page)
    assert token and attendance.read_qr_token(token.group(1)) == session


# --- The session's call ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_joining_the_sessions_call_records_online_attendance(assembly: Assembly) -> None:
    member, other = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    subgroup = factories.make_subgroup(assembly, members=[member, other])
    session = make_session(assembly, kind="sous_groupe", subgroup=subgroup, online=True,
                           place="")
    later = make_session(assembly, kind="sous_groupe", subgroup=subgroup, online=True,
                         starts_at=timezone.now() + dt.timedelta(days=7))
    do_join_call(member, factories.room_of(subgroup))
    row = Attendance.objects.get(user=member)
    assert (row.session, row.mode, row.source) == (session, "visio", "appel")
    assert not Attendance.objects.filter(session=later).exists()
    assert AttendanceChange.objects.filter(user=member, source="appel").count() == 1


@pytest.mark.django_db(transaction=True)
def test_joining_a_call_outside_a_session_records_nothing(assembly: Assembly) -> None:
    member = factories.make_titulaire(assembly)
    subgroup = factories.make_subgroup(assembly, members=[member])
    make_session(assembly, kind="sous_groupe", subgroup=subgroup, online=False)
    do_join_call(member, factories.room_of(subgroup))
    assert not Attendance.objects.exists()


# --- Pages ----------------------------------------------------------------------------------


def test_the_checkin_page_ticks_people_present(assembly: Assembly) -> None:
    host = facilitator()
    first, second = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    session = make_session(assembly, facilitators=[host])
    client = Client()
    client.force_login(host)
    page = client.get(f"/presences/seance/{session.pk}/")
    assert page.status_code == 200 and first.public_name in page.content.decode()
    client.post(f"/presences/seance/{session.pk}/pointer/",
                {"present": [str(first.pk)], f"mode_{first.pk}": "visio"})
    assert Attendance.objects.get(session=session).user == first
    assert Attendance.objects.get(session=session).mode == "visio"
    response = client.post(f"/presences/seance/{session.pk}/corriger/",
                           {"user": second.pk, "present": "1", "share": "1", "reason": ""},
                           follow=True)
    assert "Indiquez le motif" in response.content.decode()
    assert not Attendance.objects.filter(user=second).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [("host", 200), ("dccu", 200), ("convened", 403), ("other_facilitator", 404),
     ("stranger", 404)],
)
def test_who_opens_a_checkin_page(who: str, status: int, assembly: Assembly) -> None:
    from accounts.demo import enrol_demo_totp

    host = facilitator()
    session = make_session(assembly, facilitators=[host])
    people = {
        "host": host,
        "convened": factories.make_titulaire(assembly),
        "other_facilitator": facilitator(),
        "stranger": factories.UserFactory(),
    }
    if who == "dccu":
        people["dccu"] = factories.UserFactory(roles=[Role.DCCU])
        enrol_demo_totp(people["dccu"])
    client = Client()
    client.force_login(people[who])
    for suffix in ("", "code/"):
        assert client.get(f"/presences/seance/{session.pk}/{suffix}").status_code == status
