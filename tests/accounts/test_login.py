"""Logging in: by password, by a code sent by email, password reset; sign-up is closed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from tests import factories
from tests.accounts.emails import CODE_LINE, code_from

PASSWORD = "motdepasse-test"  # tests.factories.UserFactory's password


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings: Any) -> Iterator[None]:
    # A fast hasher: the default one takes about a second per password here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # allauth keeps its rate-limit counters in the cache (locmem here).
    cache.clear()
    yield
    cache.clear()


def logged_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def link_from(message: mail.EmailMessage) -> str:
    match = re.search(r"https?://testserver(/\S+)", message.body)
    assert match, message.body
    return match.group(1)


def test_login_page_puts_the_emailed_code_first_and_has_no_signup_link(
    client: Client, db: Any
) -> None:
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    page = response.content.decode()
    code_form = page.index(f'action="{reverse("account_request_login_code")}"')
    password_form = page.index(f'action="{reverse("account_login")}"')
    assert code_form < password_form
    assert reverse("account_signup") not in page
    # Every input has a label tied to it.
    for input_id in re.findall(r'<input[^>]*type="(?:email|password|text)"[^>]*id="([^"]+)"', page):
        assert f'for="{input_id}"' in page


def test_member_logs_in_with_their_password(client: Client, member: User) -> None:
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user_id(client) == str(member.pk)
    assert client.get(reverse("home")).status_code == 200


def test_email_is_matched_whatever_its_case(client: Client, member: User) -> None:
    client.post(reverse("account_login"), {"login": member.email.upper(), "password": PASSWORD})
    assert logged_in_user_id(client) == str(member.pk)


def test_wrong_password_is_refused_with_the_error_tied_to_the_form(
    client: Client, member: User
) -> None:
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    assert response.context["form"].errors
    assert 'role="alert"' in response.content.decode()


def test_inactive_person_cannot_log_in(client: Client, member: User) -> None:
    member.is_active = False
    member.save()
    client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert logged_in_user_id(client) is None


def test_member_logs_in_with_a_code_sent_by_email(client: Client, member: User) -> None:
    response = client.post(reverse("account_request_login_code"), {"email": member.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert logged_in_user_id(client) is None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [member.email]
    assert message.subject.startswith("[Agora]")

    response = client.post(reverse("account_confirm_login_code"), {"code": code_from(message)})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user_id(client) == str(member.pk)
    assert client.get(reverse("home")).status_code == 200


def test_person_without_a_password_logs_in_with_a_code(client: Client, assembly: Any) -> None:
    person = factories.make_titulaire(assembly, email="sans-mot-de-passe@example.org")
    person.set_unusable_password()
    person.save()
    client.post(reverse("account_request_login_code"), {"email": person.email})
    client.post(reverse("account_confirm_login_code"), {"code": code_from(mail.outbox[0])})
    assert logged_in_user_id(client) == str(person.pk)


def test_wrong_code_does_not_log_in(client: Client, member: User) -> None:
    client.post(reverse("account_request_login_code"), {"email": member.email})
    good = code_from(mail.outbox[0])
    response = client.post(reverse("account_confirm_login_code"), {"code": "ZZZZZZ"})
    assert good != "ZZZZZZ"
    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_code_request_for_an_unknown_address_logs_nobody_in_and_points_to_the_team(
    client: Client, db: Any, settings: Any
) -> None:
    response = client.post(
        reverse("account_request_login_code"), {"email": "inconnu@example.org"}
    )
    # Same answer as for a known address: the page does not reveal who has an account.
    assert response.status_code == 302
    assert response["Location"] == reverse("account_confirm_login_code")
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert reverse("account_signup") not in body
    assert settings.DCCU_EMAIL in body
    assert not CODE_LINE.search(body)  # no code to use
    assert not User.objects.filter(email="inconnu@example.org").exists()


def test_password_reset_email_lets_the_member_choose_a_new_password(
    client: Client, member: User
) -> None:
    response = client.post(reverse("account_reset_password"), {"email": member.email})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.email]

    # The emailed link stores the key in the session and redirects to the form.
    response = client.get(link_from(mail.outbox[0]), follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    new_password = "un-nouveau-mot-de-passe-2025"
    response = client.post(form_url, {"password1": new_password, "password2": new_password})
    assert response.status_code == 302

    member.refresh_from_db()
    assert member.check_password(new_password)
    other = Client()
    other.post(reverse("account_login"), {"login": member.email, "password": new_password})
    assert logged_in_user_id(other) == str(member.pk)


def test_password_reset_for_an_unknown_address_creates_nothing(client: Client, db: Any) -> None:
    response = client.post(reverse("account_reset_password"), {"email": "inconnu@example.org"})
    assert response.status_code == 302
    assert not User.objects.filter(email="inconnu@example.org").exists()
    assert all(reverse("account_signup") not in m.body for m in mail.outbox)


def test_signup_is_closed(client: Client, db: Any) -> None:
    count = User.objects.count()
    page = client.get(reverse("account_signup"))
    assert page.status_code == 200
    assert "<form" not in page.content.decode().split('id="contenu"', 1)[1].split("</main>")[0]
    response = client.post(
        reverse("account_signup"),
        {"email": "intrus@example.org", "password1": "motdepasse-tres-long-1"},
    )
    assert response.status_code == 200
    assert User.objects.count() == count
    assert logged_in_user_id(client) is None


def test_logout_ends_the_session(member_client: Client) -> None:
    response = member_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login")
    assert logged_in_user_id(member_client) is None
    assert member_client.get(reverse("home")).status_code == 302
