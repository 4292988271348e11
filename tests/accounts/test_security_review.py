"""Security review: the admin cannot be used to take over an account or escalate a role."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.account.utils import filter_users_by_email
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role, forget_roles, has_role
from gdpr.models import AuditEntry
from tests import factories
from tests.admin_posts import user_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(db: Any) -> User:
    return User.objects.create_superuser("root@example.org", "Mot-de-passe-racine-1")


# --- allauth's email addresses are credentials ------------------------------------------------


def test_dccu_cannot_add_a_login_address_to_someones_account(
    dccu_client: Client, member: User
) -> None:
    response = dccu_client.post(
        "/admin/account/emailaddress/add/",
        {"user": str(member.pk), "email": "dccu.perso@example.org", "verified": "on",
         "primary": "on"},
    )

    assert response.status_code == 403
    assert not EmailAddress.objects.filter(email="dccu.perso@example.org").exists()
    assert filter_users_by_email("dccu.perso@example.org") == []


def test_dccu_still_reads_the_login_addresses(dccu_client: Client, member: User) -> None:
    EmailAddress.objects.create(user=member, email=member.email, verified=True, primary=True)

    assert dccu_client.get("/admin/account/emailaddress/").status_code == 200


def test_a_changed_address_no_longer_logs_in_and_the_change_is_audited(
    dccu: User, dccu_client: Client, member: User
) -> None:
    old = member.email
    EmailAddress.objects.create(user=member, email=old, verified=True, primary=True)

    response = dccu_client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_post(member, email="nouvelle.adresse@example.org"),
    )

    assert response.status_code == 302
    assert filter_users_by_email(old) == []  # no login code for the old mailbox
    assert filter_users_by_email("nouvelle.adresse@example.org") == [member]
    entry = AuditEntry.objects.get(action="accounts.email.change")
    assert entry.actor == dccu
    assert entry.subject == member
    assert old not in str(entry.details)


def test_nobody_adds_an_unverified_login_address_to_their_own_account(
    member_client: Client, member: User
) -> None:
    # An invitee who has not accepted yet: their address is free to claim.
    response = member_client.post(
        "/comptes/email/", {"action_add": "", "email": "invitee@example.org"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("rights:profile")
    assert not EmailAddress.objects.filter(email="invitee@example.org").exists()
    assert filter_users_by_email("invitee@example.org") == []
    member.refresh_from_db()
    assert member.email == "titulaire@example.org"


# --- Superusers are beyond the DCCU, and need a second factor ----------------------------------


def test_dccu_cannot_set_a_superusers_password(dccu_client: Client, superuser: User) -> None:
    new_password = "Prise-de-controle-42"  # noqa: S105
    response = dccu_client.post(
        f"/admin/accounts/user/{superuser.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )

    assert response.status_code == 403
    superuser.refresh_from_db()
    assert not superuser.check_password(new_password)


def test_dccu_cannot_change_a_superusers_address(dccu_client: Client, superuser: User) -> None:
    dccu_client.post(
        reverse("admin:accounts_user_change", args=[superuser.pk]),
        user_post(superuser, email="dccu.perso@example.org"),
    )

    superuser.refresh_from_db()
    assert superuser.email == "root@example.org"


def test_superuser_without_an_authenticator_app_must_enrol_first(superuser: User) -> None:
    client = Client()
    client.force_login(superuser)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two_factor_required")


# --- Nobody grants themselves a role ------------------------------------------------------------


def test_dccu_cannot_grant_themselves_the_dpo_role(dccu: User, dccu_client: Client) -> None:
    dpd = Group.objects.get(name=Role.DPD.value)
    groups = [str(pk) for pk in dccu.groups.values_list("pk", flat=True)] + [str(dpd.pk)]

    dccu_client.post(
        reverse("admin:accounts_user_change", args=[dccu.pk]), user_post(dccu, groups=groups)
    )

    forget_roles(dccu)
    dccu.refresh_from_db()
    assert not has_role(dccu, Role.DPD)
    assert dccu_client.get("/dpd/journal/").status_code == 403


def test_dccu_still_grants_a_role_to_someone_else(dccu_client: Client) -> None:
    agent = factories.UserFactory(email="agent@example.org", roles=[Role.AGENT])
    facilitator = Group.objects.get(name=Role.FACILITATEUR.value)
    groups = [str(pk) for pk in agent.groups.values_list("pk", flat=True)] + [
        str(facilitator.pk)
    ]

    response = dccu_client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]), user_post(agent, groups=groups)
    )

    assert response.status_code == 302
    forget_roles(agent)
    assert has_role(agent, Role.FACILITATEUR)


# --- Live sockets follow what the DCCU changes in the admin ---------------------------------------


@pytest.fixture
def closed_sockets(monkeypatch: Any) -> list[tuple[str, int | None]]:
    closed: list[tuple[str, int | None]] = []
    monkeypatch.setattr(
        "assembly.admin_people.close_user_sockets",
        lambda user_id, code=None: closed.append((str(user_id), code)),
    )
    return closed


def test_deactivating_someone_closes_their_live_sockets(
    dccu_client: Client, member: User, closed_sockets: list[tuple[str, int | None]]
) -> None:
    response = dccu_client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_post(member, is_active=False),
    )

    assert response.status_code == 302
    assert [user_id for user_id, _code in closed_sockets] == [str(member.pk)]


def test_removing_a_role_closes_the_persons_live_sockets(
    dccu_client: Client, closed_sockets: list[tuple[str, int | None]]
) -> None:
    agent = factories.UserFactory(email="agent@example.org", roles=[Role.AGENT])

    dccu_client.post(
        reverse("admin:accounts_user_change", args=[agent.pk]), user_post(agent, groups=[])
    )

    assert [user_id for user_id, _code in closed_sockets] == [str(agent.pk)]


def test_other_changes_leave_live_sockets_open(
    dccu_client: Client, member: User, closed_sockets: list[tuple[str, int | None]]
) -> None:
    dccu_client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_post(member, display_name="Camille D."),
    )

    assert closed_sockets == []


def test_a_password_set_in_the_admin_closes_the_persons_live_sockets(
    dccu_client: Client, member: User, closed_sockets: list[tuple[str, int | None]]
) -> None:
    from realtime.bus import CLOSE_CREDENTIALS_CHANGED

    new_password = "Nouveau-mot-de-passe-42"  # noqa: S105
    response = dccu_client.post(
        f"/admin/accounts/user/{member.pk}/password/",
        {"password1": new_password, "password2": new_password, "usable_password": "true"},
    )

    assert response.status_code == 302
    assert closed_sockets == [(str(member.pk), CLOSE_CREDENTIALS_CHANGED)]


# --- Production settings --------------------------------------------------------------------------


def test_production_refuses_demo_mode_and_its_published_totp_secret(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "AGORA_ENV": "production",
        "SECRET_KEY": "s" * 60,
        "ALLOWED_HOSTS": "agora.example.org",
        "AGORA_DATA_DIR": str(tmp_path),
        "STATIC_ROOT": str(tmp_path / "static"),
        "AGORA_DEMO": "true",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=root, env=env, capture_output=True, text=True, timeout=60, check=False,
    )

    assert result.returncode != 0
    assert "AGORA_DEMO" in result.stderr
