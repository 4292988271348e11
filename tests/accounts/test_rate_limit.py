"""Guessing is rate-limited (allauth ACCOUNT_RATE_LIMITS, counters in the cache)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.demo import current_demo_code, enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from tests import factories

PASSWORD = "motdepasse-test"  # tests.factories.UserFactory's password
ALLOWED_FAILURES = 5  # "login_failed": ".../5m/ip,5/5m/key"


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> Iterator[None]:
    # A fast hasher: the default one takes about a second per password here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A real cache (locmem) holds the counters; start and end every test empty.
    cache.clear()
    yield
    cache.clear()


def login(client: Client, email: str, password: str) -> Any:
    return client.post(reverse("account_login"), {"login": email, "password": password})


def fail_logins(client: Client, email: str, times: int) -> None:
    for _ in range(times):
        response = login(client, email, "not-the-password")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session


def test_after_repeated_failures_even_the_right_password_is_refused(
    client: Client, member: User
) -> None:
    fail_logins(client, member.email, ALLOWED_FAILURES)
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in client.session


def test_failures_on_one_account_do_not_lock_out_others_on_the_same_network(
    client: Client, member: User, assembly: Any
) -> None:
    # At a plenary every member comes from the venue's one public address.
    neighbour = factories.make_titulaire(assembly, email="voisine@example.org")
    fail_logins(client, member.email, ALLOWED_FAILURES)
    other = Client()
    login(other, neighbour.email, PASSWORD)
    assert other.session["_auth_user_id"] == str(neighbour.pk)


def test_login_codes_for_one_address_are_limited(client: Client, member: User) -> None:
    for _ in range(3):
        Client().post(reverse("account_request_login_code"), {"email": member.email})
    assert len(mail.outbox) == 3
    response = client.post(reverse("account_request_login_code"), {"email": member.email})
    assert response.status_code in {200, 429}
    assert len(mail.outbox) == 3
    assert "_auth_user_id" not in client.session


def test_too_many_login_requests_get_the_429_page(
    client: Client, member: User, settings: Any
) -> None:
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    for _ in range(3):
        assert client.post(reverse("account_login"), {"login": member.email}).status_code == 200
    response = login(client, member.email, PASSWORD)
    assert response.status_code == 429
    assert "429.html" in [t.name for t in response.templates]
    assert "_auth_user_id" not in client.session


def test_guessing_the_authenticator_code_is_limited(db: Any) -> None:
    dccu = factories.UserFactory(email="dccu@example.org", roles=[Role.DCCU])
    enrol_demo_totp(dccu)
    client = Client()
    login(client, dccu.email, PASSWORD)
    good = current_demo_code()
    wrong = "000000" if good != "000000" else "111111"
    for _ in range(ALLOWED_FAILURES):
        client.post(reverse("mfa_authenticate"), {"code": wrong})
    client.post(reverse("mfa_authenticate"), {"code": good})
    assert "_auth_user_id" not in client.session
