"""Invitations: the DCCU invites, the link works once, and only the DCCU manages them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, InvitationStatus, User
from accounts.roles import Role, has_role
from assembly import actions
from assembly.models import Assembly, Membership, SeatCategory
from tests import factories

LINK = re.compile(r"https?://[^/\s]+/invitations/([A-Za-z0-9_-]{20,})/")


def logged_in(user: User) -> Client:
    """A client for a person; DCCU and DPD need a second factor to get past the middleware."""
    Authenticator.objects.get_or_create(user=user, type=Authenticator.Type.TOTP, data={})
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def dccu_client(dccu: User) -> Client:
    return logged_in(dccu)


def token_from_last_email() -> str:
    match = LINK.search(mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def invite(
    client: Client, capture: Any, **fields: Any
) -> Any:
    data = {"email": "camille@example.org", "first_name": "Camille", "last_name": "Durand",
            "role": Role.FACILITATEUR, "canton": "", "category": "", "substitute_rank": ""}
    data.update(fields)
    with capture(execute=True):
        return client.post("/invitations/nouvelle/", data)


def canton_id(name: str) -> int:
    from assembly.models import Canton

    return Canton.objects.get(name=name).pk


# --- The DCCU invites one person -------------------------------------------------------------


def test_dccu_invites_a_facilitator_and_the_email_carries_a_one_time_link(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    response = invite(dccu_client, django_capture_on_commit_callbacks)

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.role == Role.FACILITATEUR
    assert invitation.status == InvitationStatus.PENDING
    assert invitation.sent_at is not None
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["camille@example.org"]
    token = token_from_last_email()
    # Only the hash is stored: the database alone does not open the account.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Invitation.objects.filter(token_hash=token).exists()
    expected_expiry = timezone.now() + dt.timedelta(days=14)
    assert abs((invitation.expires_at - expected_expiry).total_seconds()) < 60


def test_accepting_logs_in_grants_the_staff_role_and_lands_on_home(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks, role=Role.AGENT)
    token = token_from_last_email()
    visitor = Client()

    page = visitor.get(f"/invitations/{token}/")
    assert page.status_code == 200
    response = visitor.post(f"/invitations/{token}/", {"display_name": "Camille D."})

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(email="camille@example.org")
    assert user.display_name == "Camille D."
    assert not user.has_usable_password()  # they log in by email code later
    assert has_role(user, Role.AGENT)
    # A new person reads the privacy notice and accepts the charter first (gdpr.middleware).
    welcome = visitor.get("/", follow=True)
    assert welcome.redirect_chain[-1][0] == "/bienvenue/?next=%2F"
    assert welcome.wsgi_request.user == user
    visitor.post("/bienvenue/", {"notice": welcome.context["gate"].notice.pk,
                                 "charter": welcome.context["gate"].charter.pk,
                                 "decision": "accept", "next": "/"})
    home = visitor.get("/")
    assert home.status_code == 200
    assert home.wsgi_request.user == user
    assert Invitation.objects.get().status == InvitationStatus.ACCEPTED


def test_a_link_works_only_once(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks)
    token = token_from_last_email()
    Client().post(f"/invitations/{token}/", {"display_name": "Camille"})

    second = Client()
    assert second.get(f"/invitations/{token}/").status_code == 410
    response = second.post(f"/invitations/{token}/", {"display_name": "Intrus"})
    assert response.status_code == 410
    assert "_auth_user_id" not in second.session
    assert User.objects.get(email="camille@example.org").display_name == "Camille"


def test_accepting_with_a_password_lets_the_person_log_in_with_it(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks)
    token = token_from_last_email()
    password = "un-long-mot-de-passe-2025"
    Client().post(
        f"/invitations/{token}/",
        {"display_name": "Camille", "password1": password, "password2": password},
    )

    assert Client().login(email="camille@example.org", password=password)


def test_mismatched_passwords_create_nothing(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks)
    token = token_from_last_email()
    response = Client().post(
        f"/invitations/{token}/",
        {"display_name": "Camille", "password1": "un-long-mot-de-passe-2025",
         "password2": "un-autre-mot-de-passe-2025"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"]
    assert not User.objects.filter(email="camille@example.org").exists()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_expired_link_is_refused(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks)
    token = token_from_last_email()
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(minutes=1))

    visitor = Client()
    assert visitor.get(f"/invitations/{token}/").status_code == 410
    assert visitor.post(f"/invitations/{token}/", {"display_name": "C"}).status_code == 410
    assert not User.objects.filter(email="camille@example.org").exists()


def test_revoked_link_is_refused(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks)
    token = token_from_last_email()
    invitation = Invitation.objects.get()

    response = dccu_client.post(f"/invitations/{invitation.pk}/revoquer/")

    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    assert Client().get(f"/invitations/{token}/").status_code == 410
    assert Client().post(f"/invitations/{token}/", {"display_name": "C"}).status_code == 410
    assert not User.objects.filter(email="camille@example.org").exists()


def test_resend_sends_a_new_link_and_kills_the_old_one(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks)
    old_token = token_from_last_email()
    invitation = Invitation.objects.get()
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))

    with django_capture_on_commit_callbacks(execute=True):
        response = dccu_client.post(f"/invitations/{invitation.pk}/renvoyer/")

    assert response.status_code == 302
    assert len(mail.outbox) == 2
    new_token = token_from_last_email()
    assert new_token != old_token
    assert Client().get(f"/invitations/{old_token}/").status_code in {404, 410}
    assert Client().get(f"/invitations/{new_token}/").status_code == 200
    assert Invitation.objects.get().status == InvitationStatus.PENDING


def test_unknown_link_says_nothing_about_other_invitations(db: Any) -> None:
    response = Client().get("/invitations/not-a-real-token-at-all-xxxxxxxxxxxxxx/")
    assert response.status_code == 404


def test_inviting_an_address_that_has_an_account_is_refused(
    dccu_client: Client, assembly: Assembly, member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    response = invite(dccu_client, django_capture_on_commit_callbacks, email=member.email.upper())

    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_inviting_twice_the_same_address_is_refused(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks)
    response = invite(dccu_client, django_capture_on_commit_callbacks, first_name="Autre")

    assert response.context["form"].errors["email"]
    assert Invitation.objects.count() == 1


# --- Members invited one by one take their seat on acceptance ---------------------------------


def test_member_invited_individually_gets_the_seat_on_acceptance(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks, role=Role.REMPLACANT,
           canton=canton_id("Revel"), category=SeatCategory.HOMME_45, substitute_rank=2)
    token = token_from_last_email()
    assert not Membership.objects.exists()

    Client().post(f"/invitations/{token}/", {"display_name": "Paul"})

    membership = Membership.objects.get(user__email="camille@example.org")
    assert membership.kind == "remplacant"
    assert membership.substitute_rank == 2
    assert membership.seat == factories.seat(assembly, "Revel", SeatCategory.HOMME_45)


def test_member_needs_a_seat_and_a_substitute_needs_a_rank(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    response = invite(dccu_client, django_capture_on_commit_callbacks, role=Role.REMPLACANT)

    errors = response.context["form"].errors
    assert {"canton", "category", "substitute_rank"} <= set(errors)
    assert not Invitation.objects.exists()


def test_seat_with_a_full_member_cannot_be_offered(
    dccu_client: Client, assembly: Assembly, member: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    taken = Membership.objects.get(user=member).seat
    response = invite(dccu_client, django_capture_on_commit_callbacks, role=Role.TITULAIRE,
                      canton=taken.canton_id, category=taken.category)

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Invitation.objects.exists()


def test_seat_taken_meanwhile_is_explained_and_nothing_is_created(
    dccu_client: Client, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    invite(dccu_client, django_capture_on_commit_callbacks, role=Role.TITULAIRE,
           canton=canton_id("Muret"), category=SeatCategory.FEMME_18_44)
    token = token_from_last_email()
    actions.do_add_membership(
        None, user=factories.UserFactory(), seat=factories.seat(assembly, "Muret"),
        kind="titulaire",
    )

    response = Client().post(f"/invitations/{token}/", {"display_name": "Camille"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not User.objects.filter(email="camille@example.org").exists()
    assert Invitation.objects.get().status == InvitationStatus.PENDING


# --- Only the DCCU manages invitations -------------------------------------------------------


def staff_pages(invitation: Invitation) -> list[tuple[str, str]]:
    return [
        ("get", "/invitations/"),
        ("get", "/invitations/nouvelle/"),
        ("post", "/invitations/nouvelle/"),
        ("get", "/invitations/import/"),
        ("post", "/invitations/import/"),
        ("post", f"/invitations/{invitation.pk}/renvoyer/"),
        ("post", f"/invitations/{invitation.pk}/revoquer/"),
    ]


@pytest.fixture
def pending_invitation(dccu: User, assembly: Assembly) -> Invitation:
    from assembly.invitations import do_invite_person

    return do_invite_person(dccu, email="x@example.org", first_name="X", last_name="Y",
                            role=Role.AGENT, base_url="http://testserver")


def person_with(role: Role, assembly: Assembly) -> User:
    if role == Role.TITULAIRE:
        return factories.make_titulaire(assembly)
    if role == Role.REMPLACANT:
        user = factories.UserFactory()
        actions.do_add_membership(None, user=user, seat=factories.seat(assembly, "Blagnac"),
                                  kind="remplacant", substitute_rank=1)
        return user
    return factories.UserFactory(roles=[role])


@pytest.mark.parametrize(
    "role",
    [Role.TITULAIRE, Role.REMPLACANT, Role.FACILITATEUR, Role.AGENT, Role.DPD, Role.COMITE_SUIVI],
)
def test_only_the_dccu_reaches_invitation_pages(
    role: Role, assembly: Assembly, pending_invitation: Invitation
) -> None:
    client = logged_in(person_with(role, assembly))
    for method, url in staff_pages(pending_invitation):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url)
    pending_invitation.refresh_from_db()
    assert pending_invitation.status == InvitationStatus.PENDING


def test_anonymous_visitors_are_sent_to_login(
    client: Client, pending_invitation: Invitation
) -> None:
    for method, url in staff_pages(pending_invitation):
        response = getattr(client, method)(url)
        assert response.status_code == 302, (method, url)
        assert response["Location"].startswith("/comptes/login/")


def test_dccu_sees_the_list_with_statuses_and_the_nav_link(
    dccu_client: Client, pending_invitation: Invitation, member_client: Client
) -> None:
    response = dccu_client.get("/invitations/")

    assert response.status_code == 200
    assert list(response.context["invitations"]) == [pending_invitation]
    assert 'href="/invitations/"' in response.content.decode()
    assert 'href="/invitations/"' not in member_client.get("/").content.decode()


def test_list_filters_by_status(
    dccu_client: Client, pending_invitation: Invitation
) -> None:
    Invitation.objects.update(expires_at=timezone.now() - dt.timedelta(days=1))

    assert list(dccu_client.get("/invitations/?statut=expired").context["invitations"]) == [
        pending_invitation
    ]
    assert list(dccu_client.get("/invitations/?statut=pending").context["invitations"]) == []
