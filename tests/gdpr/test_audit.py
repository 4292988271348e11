"""The audit trail: staff access to someone's data is logged, read only, with no secret in it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.demo import DEMO_TOTP_SECRET, enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly import actions
from assembly.models import Assembly, Membership
from gdpr.models import AuditEntry
from tests import factories


def _logged_in(person: User) -> Client:
    if Role.DCCU in _roles(person) or Role.DPD in _roles(person):
        enrol_demo_totp(person)
    client = Client()
    client.force_login(person)
    return client


def _roles(person: User) -> set[Role]:
    from accounts.roles import user_roles

    return set(user_roles(person))


@pytest.fixture
def dpo(db: Any) -> User:
    return factories.UserFactory(email="dpd@example.org", roles=[Role.DPD])


@pytest.fixture
def dpo_client(dpo: User) -> Client:
    return _logged_in(dpo)


# --- Staff views of a person's page in the admin ----------------------------------------------


@pytest.mark.django_db
def test_dccu_opening_a_members_page_in_the_admin_is_logged(
    dccu: User, dccu_client: Client, member: User
) -> None:
    response = dccu_client.get(f"/admin/accounts/user/{member.pk}/change/")

    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="admin.view")
    assert (entry.actor, entry.subject) == (dccu, member)
    assert (entry.object_type, entry.object_id) == ("accounts.User", str(member.pk))
    assert entry.details == {"page": "change"}
    assert entry.at > timezone.now() - dt.timedelta(minutes=1)


@pytest.mark.django_db
def test_a_change_made_in_the_admin_is_logged_as_a_change(
    dccu: User, dccu_client: Client, member: User
) -> None:
    url = f"/admin/assembly/membership/{Membership.objects.get(user=member).pk}/change/"
    page = dccu_client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data["end"] = ""

    response = dccu_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    actions_logged = list(
        AuditEntry.objects.filter(subject=member).order_by("id").values_list("action", flat=True)
    )
    assert actions_logged == ["admin.view", "admin.change"]


@pytest.mark.django_db
def test_the_history_page_is_logged_too(dccu_client: Client, member: User) -> None:
    dccu_client.get(f"/admin/accounts/user/{member.pk}/history/")
    # The delete page is refused to everyone (tests/test_error_pages.py): erasure does it.
    assert dccu_client.get(f"/admin/accounts/user/{member.pk}/delete/").status_code == 403

    pages = list(AuditEntry.objects.filter(subject=member, action="admin.view")
                 .order_by("id").values_list("details__page", flat=True))
    assert pages == ["history"]


@pytest.mark.django_db
def test_a_subgroup_page_is_logged_for_each_person_on_it(
    dccu: User, dccu_client: Client, assembly: Assembly
) -> None:
    members = [factories.make_titulaire(assembly) for _ in range(3)]
    subgroup = actions.do_create_subgroup(
        None, mandate=factories.make_mandate(assembly), name="Santé", members=members
    )

    dccu_client.get(f"/admin/assembly/subgroup/{subgroup.pk}/change/")

    logged = set(AuditEntry.objects.filter(action="admin.view").values_list("subject", flat=True))
    assert logged == {m.pk for m in members}


@pytest.mark.django_db
def test_ones_own_page_and_pages_without_personal_data_are_not_logged(
    dccu: User, dccu_client: Client, assembly: Assembly
) -> None:
    dccu_client.get(f"/admin/accounts/user/{dccu.pk}/change/")
    dccu_client.get(f"/admin/assembly/assembly/{assembly.pk}/change/")
    dccu_client.get("/admin/accounts/user/")

    assert not AuditEntry.objects.filter(action__startswith="admin.").exists()


@pytest.mark.django_db
def test_a_refused_admin_page_is_not_logged_as_a_view(dpo_client: Client, member: User) -> None:
    assert dpo_client.get(f"/admin/accounts/user/{member.pk}/change/").status_code == 403
    assert not AuditEntry.objects.filter(action="admin.view").exists()


# --- The DPO reads the trail; nobody changes it -------------------------------------------------


@pytest.mark.django_db
def test_dpo_reads_the_trail_in_the_admin_without_changing_it(
    dpo_client: Client, member: User
) -> None:
    entry = AuditEntry.objects.create(action="gdpr.test", subject=member)

    assert dpo_client.get("/admin/").status_code == 200
    assert dpo_client.get("/admin/gdpr/auditentry/").status_code == 200
    assert dpo_client.get("/admin/gdpr/retentionrun/").status_code == 200
    page = dpo_client.get(f"/admin/gdpr/auditentry/{entry.pk}/change/")
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert dpo_client.post(f"/admin/gdpr/auditentry/{entry.pk}/change/",
                           {"action": "x"}).status_code == 403
    assert dpo_client.get("/admin/gdpr/auditentry/add/").status_code == 403
    assert dpo_client.post(f"/admin/gdpr/auditentry/{entry.pk}/delete/",
                           {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.action == "gdpr.test"
    # The DPO's admin is the privacy module only.
    assert dpo_client.get("/admin/accounts/user/").status_code == 403


@pytest.mark.django_db
def test_the_dccu_whose_access_is_logged_cannot_read_the_trail(dccu_client: Client) -> None:
    assert dccu_client.get("/admin/gdpr/auditentry/").status_code == 403
    assert dccu_client.get("/dpd/journal/").status_code == 403


@pytest.mark.django_db
def test_journal_filters_by_person_action_and_date(
    dpo_client: Client, dccu: User, member: User
) -> None:
    other = factories.UserFactory(first_name="Zoé", last_name="Marchand")
    old = timezone.now() - dt.timedelta(days=40)
    AuditEntry.objects.create(action="admin.view", actor=dccu, subject=member)
    AuditEntry.objects.create(action="admin.view", actor=dccu, subject=other)
    AuditEntry.objects.create(action="gdpr.copy.download", actor=other, subject=other, at=old)

    def shown(**query: str) -> list[tuple[str, Any]]:
        response = dpo_client.get("/dpd/journal/", query)
        assert response.status_code == 200
        return [(e.action, e.subject_id) for e in response.context["page"]
                if e.action != "gdpr.audit.view"]

    assert shown(person="Marchand") == [("admin.view", other.pk),
                                        ("gdpr.copy.download", other.pk)]
    assert shown(action="gdpr.copy.download") == [("gdpr.copy.download", other.pk)]
    since = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    assert {a for a, _s in shown(start=since)} == {"admin.view"}
    until = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    assert shown(end=until) == [("gdpr.copy.download", other.pk)]


@pytest.mark.django_db
def test_journal_is_paginated_read_only_and_its_reading_is_logged(
    dpo: User, dpo_client: Client
) -> None:
    AuditEntry.objects.bulk_create(AuditEntry(action="gdpr.test") for _ in range(120))

    first = dpo_client.get("/dpd/journal/")
    last = dpo_client.get("/dpd/journal/", {"page": 3})

    assert len(first.context["page"]) == 50
    assert last.context["page"].number == 3
    assert dpo_client.post("/dpd/journal/").status_code == 405
    assert AuditEntry.objects.filter(action="gdpr.audit.view", actor=dpo).count() == 2


# --- No secret, no body -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_trail_holds_no_password_session_key_totp_secret_or_email_body(
    assembly: Assembly, dccu: User, dccu_client: Client, dpo: User, dpo_client: Client,
    settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any,
) -> None:
    """A run of representative actions, then every audit entry is scanned for secrets."""
    from allauth.mfa.models import Authenticator

    from assembly.invitations import do_invite_person
    from gdpr import access_copy, erasure, rights
    from gdpr.register import do_export_register
    from gdpr.retention import do_run_retention, ensure_scheduled

    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    member = factories.make_titulaire(assembly, email="secret.member@example.org")
    member_client = Client()
    assert member_client.login(email=member.email, password="motdepasse-test")
    secrets: dict[str, str] = {
        "password": "motdepasse-test",
        "password hash": member.password,
        "TOTP secret": DEMO_TOTP_SECRET,
    }
    for authenticator in Authenticator.objects.all():
        for key, value in authenticator.data.items():
            if isinstance(value, str) and len(value) >= 8:
                secrets[f"authenticator {key}"] = value

    with django_capture_on_commit_callbacks(execute=True):  # emails go on commit
        # The DCCU invites someone, looks at the member, edits them, sets a password.
        do_invite_person(dccu, email="invitee@example.org", first_name="Inès", last_name="Valls",
                         role=Role.AGENT, base_url="http://testserver")
        dccu_client.get(f"/admin/accounts/user/{member.pk}/change/")
        new_password = "Nouveau-mot-de-passe-42"  # noqa: S105
        response = dccu_client.post(
            f"/admin/accounts/user/{member.pk}/password/",
            {"password1": new_password, "password2": new_password, "usable_password": "true"},
        )
        assert response.status_code == 302
        member.refresh_from_db()
        secrets["new password"] = new_password
        secrets["new password hash"] = member.password

        # The member asks for erasure, with a personal story; the DPO handles it.
        story = "Je quitte l'assemblée parce que ma sœur est malade et je déménage à Albi."
        request = rights.do_submit_request(member, kind="erasure", details=story,
                                           base_url="http://testserver")
        secrets["request details"] = story
        copy = access_copy.do_request_access_copy(dpo, person=member,
                                                  base_url="http://testserver")
        access_copy.build_access_copy(str(copy.pk), "http://testserver")
        copy.refresh_from_db()
        access_copy.do_download_access_copy(dpo, copy)

        # The DPO's own pages and the retention job.
        dpo_client.post("/dpd/conservation/")
        dpo_client.get("/dpd/journal/")
        do_export_register(dpo, "csv")
        ensure_scheduled()
        do_run_retention(None, apply=True)
        call_command("gdpr_retention")

    for client in (member_client, dccu_client, dpo_client):
        assert client.session.session_key
        secrets[f"session key {len(secrets)}"] = client.session.session_key
    for key in Session.objects.values_list("session_key", flat=True):
        secrets[f"session {key[:4]}"] = key
    for index, message in enumerate(mail.outbox):
        secrets[f"email body {index}"] = message.body
        for line in message.body.splitlines():
            if len(line.strip()) >= 25:
                secrets[f"email {index} line"] = line.strip()
    assert len(mail.outbox) >= 2  # the invitation and the request's emails

    rights.do_decide_request(dpo, request, accept=True, reason="Demande fondée.")
    erasure.erase_person(member, actor=dpo, reason="request")

    trail = json.dumps(
        [{**row, "details": row["details"]} for row in AuditEntry.objects.values()],
        default=str, ensure_ascii=False,
    )
    assert AuditEntry.objects.count() >= 10
    leaked = [name for name, value in secrets.items() if value and value in trail]
    assert leaked == []
