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
from tests.accounts.emails import code_from

PASSWORD = "motdepasse-test"  # tests.factories.UserFactory's password
ALLOWED_FAILURES = 5  # "login_failed": "5/5m/key,..."


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


# --- Behind the documented proxy (docs/deploy.md « Reverse proxy ») -------------------------

ATTACKER = "203.0.113.66"  # the one real address the guesses come from
VENUE = "198.51.100.20"  # the plenary hall's public address


def address_threshold(settings: Any) -> int:
    """How many failures one address may make (the "/ip" part of "login_failed")."""
    for rate in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(","):
        amount, _duration, per = rate.split("/")
        if per == "ip":
            return int(amount)
    raise AssertionError("no per-address limit on failed logins")


def through_nginx(real: str, forged: str = "") -> dict[str, Any]:
    """What reaches Django behind one nginx: it appends the address it saw to the
    client's X-Forwarded-For. REMOTE_ADDR is what daphne's plain ``--proxy-headers``
    made of it: the left-most entry, the one the client wrote."""
    chain = f"{forged}, {real}" if forged else real
    return {"HTTP_X_FORWARDED_FOR": chain, "REMOTE_ADDR": forged or real}


def test_forged_forwarded_for_does_not_escape_the_address_limit(
    member: User, settings: Any
) -> None:
    """Guessing one password on many accounts, with a new forged address each time."""
    settings.AGORA_TRUSTED_PROXY_COUNT = 1
    limit = address_threshold(settings)
    attacker = Client()
    for i in range(limit):
        response = attacker.post(
            reverse("account_login"),
            {"login": f"cible{i}@example.org", "password": "Printemps2026!"},
            **through_nginx(ATTACKER, forged=f"10.{i // 250}.{i % 250}.1"),
        )
        assert response.status_code == 200
    response = attacker.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD},
        **through_nginx(ATTACKER, forged="192.0.2.99"),
    )
    assert "_auth_user_id" not in attacker.session
    assert "code par e-mail" in response.content.decode()
    # The member, from home, is not concerned.
    at_home = Client()
    login_args = {"login": member.email, "password": PASSWORD}
    at_home.post(reverse("account_login"), login_args, **through_nginx("192.0.2.10"))
    assert at_home.session["_auth_user_id"] == str(member.pk)


def test_without_trusted_proxies_the_forwarded_for_header_is_ignored(
    member: User, settings: Any
) -> None:
    settings.AGORA_TRUSTED_PROXY_COUNT = 0
    response = Client().get(
        reverse("account_login"), HTTP_X_FORWARDED_FOR="192.0.2.1", REMOTE_ADDR="127.0.0.1"
    )
    assert response.wsgi_request.META["REMOTE_ADDR"] == "127.0.0.1"
    settings.AGORA_TRUSTED_PROXY_COUNT = 2  # a load balancer, then nginx
    response = Client().get(
        reverse("account_login"),
        HTTP_X_FORWARDED_FOR="6.6.6.6, 192.0.2.1, 10.0.0.5", REMOTE_ADDR="6.6.6.6",
    )
    assert response.wsgi_request.META["REMOTE_ADDR"] == "192.0.2.1"


def test_typos_at_a_plenary_do_not_lock_the_room_out(
    assembly: Any, settings: Any
) -> None:
    """Forty people behind the venue's one address each mistype their password once."""
    settings.AGORA_TRUSTED_PROXY_COUNT = 1
    people = [
        factories.make_titulaire(assembly, email=f"membre{i}@example.org") for i in range(40)
    ]
    for person in people:
        phone = Client()
        phone.post(reverse("account_login"), {"login": person.email, "password": "oups"},
                   **through_nginx(VENUE))
        assert "_auth_user_id" not in phone.session
    for person in people[:3]:
        phone = Client()
        phone.post(reverse("account_login"), {"login": person.email, "password": PASSWORD},
                   **through_nginx(VENUE))
        assert phone.session["_auth_user_id"] == str(person.pk)


def test_a_plenary_asks_for_its_codes_at_once_from_the_venues_address(
    assembly: Any, settings: Any
) -> None:
    """The plenary opens: sixty members behind the venue's one address ask for a code in
    the same minute, and each receives theirs."""
    settings.AGORA_TRUSTED_PROXY_COUNT = 1
    people = [
        factories.make_titulaire(assembly, email=f"membre{i}@example.org") for i in range(60)
    ]
    for person in people:
        Client().post(reverse("account_request_login_code"), {"email": person.email},
                      **through_nginx(VENUE))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)


def test_a_locked_account_is_told_what_to_do_and_logs_in_with_a_code(
    client: Client, member: User
) -> None:
    fail_logins(client, member.email, ALLOWED_FAILURES)
    response = login(client, member.email, PASSWORD)
    page = response.content.decode()
    assert "_auth_user_id" not in client.session
    assert "demandez un code par e-mail" in page
    assert "Recevoir un code par e-mail" in page
    client.post(reverse("account_request_login_code"), {"email": member.email})
    client.post(reverse("account_confirm_login_code"), {"code": code_from(mail.outbox[-1])})
    assert client.session["_auth_user_id"] == str(member.pk)


def test_a_locked_venue_address_still_logs_in_with_a_code(
    member: User, settings: Any
) -> None:
    settings.AGORA_TRUSTED_PROXY_COUNT = 1
    for i in range(address_threshold(settings)):
        Client().post(reverse("account_login"),
                      {"login": f"inconnu{i}@example.org", "password": "x" * 12},
                      **through_nginx(VENUE))
    phone = Client()
    phone.post(reverse("account_login"), {"login": member.email, "password": PASSWORD},
               **through_nginx(VENUE))
    assert "_auth_user_id" not in phone.session
    phone.post(reverse("account_request_login_code"), {"email": member.email},
               **through_nginx(VENUE))
    phone.post(reverse("account_confirm_login_code"), {"code": code_from(mail.outbox[-1])},
               **through_nginx(VENUE))
    assert phone.session["_auth_user_id"] == str(member.pk)
