"""The request workflow: deadlines, extension, decisions, reminders, who sees what; the profile."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from gdpr.models import AuditEntry, DataRequest, RequestKind, RequestStatus
from gdpr.rights import (
    do_complete_request,
    do_decide_request,
    do_extend_request,
    do_submit_request,
    send_due_reminders,
)
from gdpr.tasks import request_reminder_task
from tests import factories
from tests.gdpr.personal_data import run_worker

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture
def sent(django_capture_on_commit_callbacks: Any) -> Any:
    """Emails leave after commit: ``with sent():`` runs an operation's on-commit sends."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def dpd(db: Any) -> User:
    return factories.UserFactory(email="dpo-office@example.org", roles=[Role.DPD])


def logged_in(user: User) -> Client:
    if user.groups.filter(name__in=["dccu", "dpd"]).exists():
        enrol_demo_totp(user)
    client = Client()
    client.force_login(user)
    return client


# --- Deadlines --------------------------------------------------------------------------------


def test_a_request_is_due_one_month_after_receipt_and_both_sides_are_told(
    member: User, dpd: User, sent: Any, settings: Any
) -> None:
    with sent():
        data_request = do_submit_request(member, kind=RequestKind.OBJECTION, details="Photos.")
    emails = mail.outbox
    assert data_request.due_at - data_request.received_at == timedelta(days=30)
    assert data_request.status == RequestStatus.RECEIVED
    recipients = [m.to for m in emails]
    assert [member.email] in recipients
    assert any(settings.DPO_EMAIL in to and dpd.email in to for to in recipients)
    # The DPD's copy says what and when, not what the person wrote.
    assert all("Photos." not in m.body for m in emails)
    entry = AuditEntry.objects.get(action="gdpr.request.submit")
    assert entry.subject == member and "details" not in entry.details


def test_reminders_are_scheduled_before_the_deadline(member: User) -> None:
    data_request = do_submit_request(member, kind=RequestKind.ERASURE)
    scheduled = sorted(
        DBTaskResult.objects.filter(task_path=request_reminder_task.module_path)
        .values_list("run_after", flat=True)
    )
    assert scheduled == [data_request.due_at - timedelta(days=7),
                         data_request.due_at - timedelta(days=1)]


def test_the_deadline_is_extended_once_by_two_months_with_a_reason_told_to_the_person(
    member: User, dpd: User, sent: Any
) -> None:
    data_request = do_submit_request(member, kind=RequestKind.RECTIFICATION,
                                     details="My birth date is wrong.")
    first_due = data_request.due_at
    with pytest.raises(ValidationError):
        do_extend_request(dpd, data_request, reason="  ")
    mail.outbox.clear()
    with sent():
        do_extend_request(dpd, data_request, reason="The archives service must be consulted.")
    data_request.refresh_from_db()
    assert data_request.status == RequestStatus.EXTENDED
    assert data_request.due_at - first_due == timedelta(days=60)
    assert data_request.due_at - data_request.received_at == timedelta(days=90)
    told = [m for m in mail.outbox if m.to == [member.email]]
    assert len(told) == 1 and "The archives service must be consulted." in told[0].body
    with pytest.raises(PermissionDenied):
        do_extend_request(dpd, data_request, reason="Again.")


def test_a_refusal_needs_a_reason_and_the_person_reads_it(
    member: User, dpd: User, sent: Any
) -> None:
    data_request = do_submit_request(member, kind=RequestKind.LIMITATION, details="Pause it.")
    with pytest.raises(ValidationError):
        do_decide_request(dpd, data_request, accept=False, reason="")
    mail.outbox.clear()
    with sent():
        do_decide_request(dpd, data_request, accept=False, reason="This processing is required.")
    data_request.refresh_from_db()
    assert data_request.status == RequestStatus.REFUSED
    assert data_request.decided_by == dpd and data_request.decided_at is not None
    told = mail.outbox[0]
    assert "This processing is required." in told.body and told.to == [member.email]


def test_an_accepted_request_is_carried_out_then_the_person_is_told(
    member: User, sent: Any
) -> None:
    dccu = factories.UserFactory(roles=[Role.DCCU])
    data_request = do_submit_request(member, kind=RequestKind.RECTIFICATION,
                                     details="My email address changed.")
    do_decide_request(dccu, data_request, accept=True)
    data_request.refresh_from_db()
    assert data_request.status == RequestStatus.ACCEPTED
    mail.outbox.clear()
    with sent():
        do_complete_request(dccu, data_request)
    data_request.refresh_from_db()
    assert data_request.status == RequestStatus.COMPLETED and data_request.completed_at
    assert [m.to for m in mail.outbox] == [[member.email]]
    with pytest.raises(PermissionDenied):
        do_decide_request(dccu, data_request, accept=False, reason="Too late.")


def test_staff_cannot_decide_their_own_request(dpd: User) -> None:
    data_request = do_submit_request(dpd, kind=RequestKind.ERASURE)
    with pytest.raises(PermissionDenied):
        do_decide_request(dpd, data_request, accept=True)


def test_details_are_required_where_the_request_needs_them(member: User) -> None:
    with pytest.raises(ValidationError):
        do_submit_request(member, kind=RequestKind.RECTIFICATION, details="")
    do_submit_request(member, kind=RequestKind.ERASURE, details="")
    with pytest.raises(ValidationError):
        do_submit_request(member, kind=RequestKind.ERASURE, details="once more")


# --- Reminders --------------------------------------------------------------------------------


def _received_days_ago(person: User, days: int) -> DataRequest:
    data_request = do_submit_request(person, kind=RequestKind.OBJECTION, details="…")
    received = timezone.now() - timedelta(days=days)
    DataRequest.objects.filter(pk=data_request.pk).update(
        received_at=received, due_at=DataRequest.initial_deadline(received)
    )
    data_request.refresh_from_db()
    return data_request


def test_the_dpd_is_reminded_once_a_day_before_the_deadline(
    member: User, dpd: User, assembly: Any, sent: Any, settings: Any
) -> None:
    near = _received_days_ago(member, 25)  # due in 5 days
    far = _received_days_ago(factories.make_titulaire(assembly), 5)  # due in 25 days
    closed = _received_days_ago(factories.make_titulaire(assembly), 26)
    do_decide_request(dpd, closed, accept=False, reason="No.")
    mail.outbox.clear()
    emails = mail.outbox
    # Noon today: an hour later is still the same day, whatever time the test runs.
    now = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)

    with sent():
        assert send_due_reminders(now=now) == 1
    assert len(emails) == 1
    assert settings.DPO_EMAIL in emails[0].to and dpd.email in emails[0].to
    assert f"/demandes-rgpd/{near.pk}/" in emails[0].body
    assert f"/demandes-rgpd/{far.pk}/" not in emails[0].body
    near.refresh_from_db()
    assert near.last_reminder_at == now

    # Not twice the same day, whoever runs it (the command, the task).
    with sent():
        assert send_due_reminders(now=now + timedelta(hours=1)) == 0
        call_command("gdpr_reminders")
    assert len(emails) == 1
    # The next day, again.
    with sent():
        assert send_due_reminders(now=now + timedelta(days=1)) == 1
    assert len(emails) == 2


@pytest.mark.django_db(transaction=True)
def test_the_scheduled_reminder_task_runs_on_the_worker(settings: Any) -> None:
    assembly = factories.make_assembly()
    person = factories.make_titulaire(assembly)
    factories.UserFactory(roles=[Role.DPD])
    data_request = _received_days_ago(person, 27)
    mail.outbox.clear()
    request_reminder_task.enqueue(str(data_request.pk))
    run_worker()
    reminders = [m for m in mail.outbox if f"/demandes-rgpd/{data_request.pk}/" in m.body]
    assert len(reminders) == 1 and settings.DPO_EMAIL in reminders[0].to
    data_request.refresh_from_db()
    assert data_request.last_reminder_at is not None


# --- Who sees a request -----------------------------------------------------------------------


PEOPLE = ["person", "other_member", "remplacant", Role.FACILITATEUR, Role.AGENT,
          Role.COMITE_SUIVI, Role.DCCU, Role.DPD]


def _someone(kind: Any, assembly: Any, person: User) -> User:
    if kind == "person":
        return person
    if kind == "other_member":
        return factories.make_titulaire(assembly)
    if kind == "remplacant":
        return factories.make_substitute(assembly, factories.seat(assembly, "Revel"))
    return factories.UserFactory(roles=[kind])


@pytest.mark.parametrize("who", PEOPLE)
def test_only_the_person_the_dpd_and_the_dccu_see_a_request(
    who: Any, member: User, assembly: Any
) -> None:
    data_request = do_submit_request(member, kind=RequestKind.OBJECTION, details="…")
    client = logged_in(_someone(who, assembly, member))
    sees = who in {"person", Role.DCCU, Role.DPD}
    detail = client.get(f"/demandes-rgpd/{data_request.pk}/")
    assert detail.status_code == (200 if sees else 404)
    handles = who in {Role.DCCU, Role.DPD}
    assert client.get("/demandes-rgpd/").status_code == (200 if handles else 403)
    decide = client.post(f"/demandes-rgpd/{data_request.pk}/decision/",
                         {"decision": "refuse", "reason": "No."})
    expected = 302 if handles else (403 if who == "person" else 404)
    assert decide.status_code == expected
    data_request.refresh_from_db()
    assert (data_request.status == RequestStatus.REFUSED) == handles


def test_an_unknown_request_is_a_plain_404(member_client: Client) -> None:
    assert member_client.get("/demandes-rgpd/00000000-0000-0000-0000-000000000000/").status_code \
        == 404


def test_staff_viewing_a_request_is_audited(member: User, dpd: User) -> None:
    data_request = do_submit_request(member, kind=RequestKind.OBJECTION, details="…")
    logged_in(dpd).get(f"/demandes-rgpd/{data_request.pk}/")
    entry = AuditEntry.objects.get(action="gdpr.request.view")
    assert entry.actor == dpd and entry.subject == member


def test_the_dpd_records_a_request_received_by_post(member: User, dpd: User) -> None:
    client = logged_in(dpd)
    response = client.post("/demandes-rgpd/enregistrer/", {
        "email": member.email, "kind": RequestKind.ACCESS, "details": "Letter of 3 March.",
    })
    assert response.status_code == 302
    data_request = DataRequest.objects.get(user=member)
    assert data_request.kind == RequestKind.ACCESS
    assert AuditEntry.objects.get(action="gdpr.request.submit").details["on_behalf"]
    assert logged_in(member).get("/demandes-rgpd/enregistrer/").status_code == 403


# --- The person's side: requests and the profile ----------------------------------------------


def test_a_member_asks_for_erasure_from_my_data(member_client: Client, member: User) -> None:
    page = member_client.get("/mes-donnees/")
    assert page.status_code == 200
    assert b"/mes-donnees/demandes/nouvelle/erasure/" in page.content
    response = member_client.post("/mes-donnees/demandes/effacement/", {"details": ""})
    assert response.status_code == 302
    data_request = DataRequest.objects.get(user=member)
    assert data_request.kind == RequestKind.ERASURE
    assert response["Location"] == f"/demandes-rgpd/{data_request.pk}/"
    assert member_client.get(response["Location"]).status_code == 200


def test_the_person_corrects_their_profile_and_the_audit_keeps_no_values(
    member_client: Client, member: User
) -> None:
    response = member_client.post("/mes-donnees/profil/", {
        "display_name": "Suzie", "first_name": "Suzanne", "last_name": "Martin",
        "postal_code": "31000", "email": "pirate@example.org",
    })
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.last_name, member.postal_code) == (
        "Suzie", "Martin", "31000")
    assert member.email == "titulaire@example.org"  # only staff change the address
    entry = AuditEntry.objects.get(action="gdpr.profile.update")
    assert "display_name" in entry.details["fields"]
    assert "Suzie" not in str(entry.details)


def test_a_member_cannot_move_out_of_haute_garonne_by_a_form(
    member_client: Client, member: User
) -> None:
    response = member_client.post("/mes-donnees/profil/", {
        "display_name": member.display_name, "first_name": member.first_name,
        "last_name": member.last_name, "postal_code": "75011",
    })
    assert response.status_code == 200
    assert response.context["form"].errors["postal_code"]
    member.refresh_from_db()
    assert member.postal_code != "75011"


def test_what_only_staff_change_has_a_request_for_correction(
    member_client: Client, member: User
) -> None:
    page = member_client.get("/mes-donnees/profil/").content.decode()
    assert "/mes-donnees/demandes/nouvelle/rectification/?champ=email" in page
    assert "/mes-donnees/demandes/nouvelle/rectification/?champ=birth_date" in page
    form = member_client.get("/mes-donnees/demandes/nouvelle/rectification/?champ=email")
    assert form.context["form"].initial["details"]
    response = member_client.post("/mes-donnees/demandes/nouvelle/rectification/",
                                  {"details": "My address is now suzanne@example.net."})
    assert response.status_code == 302
    assert DataRequest.objects.get(user=member).kind == RequestKind.RECTIFICATION


def test_the_dpd_sees_what_an_erasure_of_a_sitting_member_would_keep(
    member: User, dpd: User
) -> None:
    data_request = do_submit_request(member, kind=RequestKind.ERASURE)
    response = logged_in(dpd).get(f"/demandes-rgpd/{data_request.pk}/")
    assert response.status_code == 200
    assert response.context["sitting_member"]
    kept = {item["label"] for item in response.context["kept"]}
    assert "assembly.Membership" in kept  # kept under a pseudonym, archives decide
    page = response.content.decode()
    assert 'name="archives_agreement"' in page
    assert f'action="/demandes-rgpd/{data_request.pk}/decision/"' in page
    assert f'action="/demandes-rgpd/{data_request.pk}/prolonger/"' in page
    # The person sees their request, without the handling forms.
    own = logged_in(member).get(f"/demandes-rgpd/{data_request.pk}/").content.decode()
    assert "/decision/" not in own and "archives_agreement" not in own
