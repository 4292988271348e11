"""DCCU and DPD staff must use an authenticator app (TOTP); other roles are not forced."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.demo import current_demo_code, enrol_demo_totp
from accounts.middleware import has_two_factor
from accounts.models import User
from accounts.roles import Role
from tests import factories

PASSWORD = "motdepasse-test"  # tests.factories.UserFactory's password
ENROL = "/comptes/double-authentification/"
STAFF_2FA_ROLES = [Role.DCCU, Role.DPD]


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> Iterator[None]:
    # A fast hasher: the default one takes about a second per password here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate limits and used TOTP codes live in the cache.
    cache.clear()
    yield
    cache.clear()


def staff(role: Role, **kwargs: Any) -> User:
    return factories.UserFactory(email=f"{role.value}@example.org", roles=[role], **kwargs)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def password_login(client: Client, user: User) -> Any:
    return client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})


def emailed_code(body: str) -> str:
    match = re.search(r"^\s*([A-Z0-9]{4,}(?:-[A-Z0-9]{4,})*)\s*$", body, re.MULTILINE)
    assert match, body
    return match.group(1)


def totp_code(secret: str) -> str:
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF_2FA_ROLES)
@pytest.mark.parametrize("path", ["/", "/admin/", "/invitations/"])
def test_staff_without_totp_is_sent_to_the_enrolment_page(role: Role, path: str) -> None:
    response = logged_in(staff(role)).get(path)
    assert response.status_code == 302
    assert response["Location"] == ENROL


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF_2FA_ROLES)
def test_staff_without_totp_can_still_reach_enrolment_and_account_pages(role: Role) -> None:
    client = logged_in(staff(role))
    page = client.get(ENROL)
    assert page.status_code == 200
    assert reverse("mfa_activate_totp") in page.content.decode()
    # allauth asks to confirm the password before adding an authenticator.
    activate = client.get(reverse("mfa_activate_totp"))
    assert activate.status_code == 302
    assert activate["Location"].startswith(reverse("account_reauthenticate"))
    for name in ["account_reauthenticate", "mfa_index", "account_change_password"]:
        assert client.get(reverse(name)).status_code == 200, name
    assert client.post(reverse("account_logout")).status_code == 302


@pytest.mark.django_db
def test_dccu_enrols_an_authenticator_app_then_reaches_home() -> None:
    dccu = staff(Role.DCCU)
    client = Client()
    password_login(client, dccu)
    assert client.get("/")["Location"] == ENROL

    next_url = reverse("mfa_activate_totp")
    response = client.post(
        f"{reverse('account_reauthenticate')}?next={next_url}", {"password": PASSWORD}
    )
    assert response.status_code == 302
    page = client.get(next_url)
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.content.decode()  # shown as text, for people who cannot scan

    response = client.post(next_url, {"code": totp_code(secret)})
    assert response.status_code == 302
    assert has_two_factor(dccu)
    assert client.get("/").status_code == 200
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role", STAFF_2FA_ROLES)
def test_staff_with_totp_must_type_the_code_after_the_password(role: Role) -> None:
    person = staff(role)
    enrol_demo_totp(person)
    client = Client()

    response = password_login(client, person)
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/")["Location"].startswith(reverse("account_login"))

    response = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": current_demo_code()})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(person.pk)
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_staff_with_totp_logging_in_by_emailed_code_is_also_asked_for_the_totp() -> None:
    dccu = staff(Role.DCCU)
    enrol_demo_totp(dccu)
    client = Client()
    client.post(reverse("account_request_login_code"), {"email": dccu.email})
    response = client.post(
        reverse("account_confirm_login_code"), {"code": emailed_code(mail.outbox[-1].body)}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_admin_login_form_cannot_skip_the_second_factor() -> None:
    dccu = staff(Role.DCCU)
    enrol_demo_totp(dccu)
    client = Client()
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=%2Fadmin%2F"
    client.post("/admin/login/", {"username": dccu.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "role", [Role.FACILITATEUR, Role.AGENT, Role.COMITE_SUIVI], ids=lambda r: r.value
)
def test_other_staff_roles_are_not_forced(role: Role, db: Any) -> None:
    assert logged_in(staff(role)).get("/").status_code == 200


def test_member_is_not_forced_and_is_sent_home_from_the_enrolment_page(member: User) -> None:
    client = Client()
    password_login(client, member)
    assert client.get("/").status_code == 200
    response = client.get(ENROL)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
