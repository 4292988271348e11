"""The admin: only the DCCU enters, and every save follows the assembly's rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role, has_role
from assembly import actions
from assembly.models import (
    Assembly,
    EndReason,
    Mandate,
    MandateKind,
    Membership,
    MembershipKind,
    Seat,
    SeatOffer,
    Subgroup,
)
from tests import factories
from tests.admin_posts import user_post

pytestmark = pytest.mark.django_db


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_errors(response: Any) -> Any:
    return response.context["adminform"].form.errors


MODELS = [
    "accounts/user",
    "assembly/assembly",
    "assembly/canton",
    "assembly/seat",
    "assembly/membership",
    "assembly/mandate",
    "assembly/subgroup",
]
ADDABLE = [m for m in MODELS if m not in {"assembly/canton", "assembly/seat"}]


@pytest.mark.parametrize("model", MODELS)
def test_dccu_opens_every_changelist(dccu_client: Client, member: User, model: str) -> None:
    response = dccu_client.get(f"/admin/{model}/")
    assert response.status_code == 200


@pytest.mark.parametrize("model", ADDABLE)
def test_dccu_opens_every_add_page(dccu_client: Client, assembly: Assembly, model: str) -> None:
    response = dccu_client.get(f"/admin/{model}/add/")
    assert response.status_code == 200


@pytest.mark.parametrize("model", ["assembly/canton", "assembly/seat"])
def test_reference_data_cannot_be_added(
    dccu_client: Client, assembly: Assembly, model: str
) -> None:
    assert dccu_client.get(f"/admin/{model}/add/").status_code == 403


def test_dccu_opens_change_pages(dccu_client: Client, assembly: Assembly, member: User) -> None:
    mandate = factories.make_mandate(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    subgroup = Subgroup.objects.create(mandate=mandate, name="Mobilités")
    subgroup.facilitators.add(facilitator)
    membership = Membership.objects.get(user=member)
    seat = Seat.objects.filter(assembly=assembly).first()
    assert seat is not None
    pages = [
        reverse("admin:accounts_user_change", args=[member.pk]),
        reverse("admin:assembly_assembly_change", args=[assembly.pk]),
        reverse("admin:assembly_seat_change", args=[seat.pk]),
        reverse("admin:assembly_membership_change", args=[membership.pk]),
        reverse("admin:assembly_mandate_change", args=[mandate.pk]),
        reverse("admin:assembly_subgroup_change", args=[subgroup.pk]),
    ]
    for page in pages:
        assert dccu_client.get(page).status_code == 200, page


@pytest.mark.parametrize("role", ["member", Role.FACILITATEUR, Role.AGENT])
def test_everyone_but_dccu_is_refused_the_admin(member: User, role: Any) -> None:
    # A 403, not the admin's login page: that one sends a logged-in person back (a loop).
    user = member if role == "member" else factories.UserFactory(roles=[role])
    client = logged_in(user)
    for url in ["/admin/", "/admin/assembly/membership/", "/admin/accounts/user/"]:
        response = client.get(url)
        assert response.status_code == 403


def test_dpd_enters_the_admin_but_not_the_assemblys_models(member: User) -> None:
    # The DPD reads the privacy module there (tests/gdpr/test_audit.py), nothing else.
    user = factories.UserFactory(roles=[Role.DPD])
    enrol_demo_totp(user)  # otherwise the two-factor enrolment comes first
    client = logged_in(user)
    assert client.get("/admin/").status_code == 200
    for url in ["/admin/assembly/membership/", "/admin/accounts/user/"]:
        assert client.get(url).status_code == 403, url


# --- Memberships ---------------------------------------------------------------------------


def membership_post(user: User, seat: Seat, kind: str, rank: int | None = None) -> dict[str, Any]:
    return {
        "user": str(user.pk),
        "seat": str(seat.pk),
        "kind": kind,
        "substitute_rank": "" if rank is None else str(rank),
        "start": timezone.localdate().isoformat(),
        "_save": "1",
    }


def test_admin_seats_a_titulaire_through_the_rules(dccu_client: Client, assembly: Assembly) -> None:
    person = factories.UserFactory(postal_code="31600")
    seat = factories.seat(assembly, "Revel")
    response = dccu_client.post(
        "/admin/assembly/membership/add/",
        membership_post(person, seat, MembershipKind.TITULAIRE),
    )
    assert response.status_code == 302
    assert Membership.objects.open().get(user=person).seat == seat


def test_admin_shows_a_form_error_for_a_taken_seat(
    dccu_client: Client, assembly: Assembly, member: User
) -> None:
    taken = Membership.objects.get(user=member).seat
    newcomer = factories.UserFactory()
    before = Membership.objects.count()
    response = dccu_client.post(
        "/admin/assembly/membership/add/",
        membership_post(newcomer, taken, MembershipKind.TITULAIRE),
    )
    assert response.status_code == 200
    assert form_errors(response)
    assert Membership.objects.count() == before


@pytest.mark.parametrize(
    ("kind", "rank", "fields"),
    [
        (MembershipKind.TITULAIRE, None, {"is_department_agent": True}),
        (MembershipKind.TITULAIRE, None, {"postal_code": "32000"}),
        (MembershipKind.TITULAIRE, 2, {}),
        (MembershipKind.REMPLACANT, None, {}),
    ],
    ids=["agent", "outside_haute_garonne", "titulaire_with_rank", "substitute_without_rank"],
)
def test_admin_refuses_memberships_against_the_rules(
    dccu_client: Client, assembly: Assembly, kind: str, rank: int | None, fields: dict[str, Any]
) -> None:
    person = factories.UserFactory(**fields)
    response = dccu_client.post(
        "/admin/assembly/membership/add/",
        membership_post(person, factories.seat(assembly, "Revel"), kind, rank),
    )
    assert response.status_code == 200
    assert form_errors(response)
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.parametrize(
    ("action", "reason"),
    [("end_by_resignation", EndReason.RESIGNATION), ("declare_ineligible", EndReason.INELIGIBLE)],
)
def test_admin_actions_end_membership_and_offer_the_seat(
    dccu_client: Client, assembly: Assembly, member: User, action: str, reason: str
) -> None:
    membership = Membership.objects.get(user=member)
    substitute = factories.make_substitute(assembly, membership.seat)
    response = dccu_client.post(
        "/admin/assembly/membership/",
        {"action": action, ACTION_CHECKBOX_NAME: [str(membership.pk)]},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end is not None
    assert membership.end_reason == reason
    assert membership.end_note  # where it came from is kept
    offer = SeatOffer.objects.get(user=substitute)
    assert offer.status == "pending" and offer.seat == membership.seat
    assert Membership.objects.open().get(user=substitute).kind == MembershipKind.REMPLACANT


def test_admin_action_on_an_ended_membership_changes_nothing(
    dccu_client: Client, member: User
) -> None:
    membership = Membership.objects.get(user=member)
    dccu_client.post(
        "/admin/assembly/membership/",
        {"action": "end_by_resignation", ACTION_CHECKBOX_NAME: [str(membership.pk)]},
    )
    response = dccu_client.post(
        "/admin/assembly/membership/",
        {"action": "declare_ineligible", ACTION_CHECKBOX_NAME: [str(membership.pk)]},
    )
    assert response.status_code == 302
    membership.refresh_from_db()
    assert membership.end_reason == EndReason.RESIGNATION


def test_memberships_cannot_be_deleted(dccu_client: Client, member: User) -> None:
    membership = Membership.objects.get(user=member)
    url = reverse("admin:assembly_membership_delete", args=[membership.pk])
    assert dccu_client.post(url, {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=membership.pk).exists()


# --- People ---------------------------------------------------------------------------------


def test_making_a_member_an_agent_ends_membership_with_demission_office(
    dccu_client: Client, assembly: Assembly, member: User
) -> None:
    membership = Membership.objects.get(user=member)
    substitute = factories.make_substitute(assembly, membership.seat)
    response = dccu_client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_post(member, is_department_agent=True),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_department_agent
    membership.refresh_from_db()
    assert membership.end_reason == EndReason.INELIGIBLE
    offer = SeatOffer.objects.get(user=substitute, status="pending")
    assert not has_role(substitute, Role.TITULAIRE)  # until they accept
    actions.do_accept_seat_offer(substitute, offer)
    assert Membership.objects.open().get(user=substitute).kind == MembershipKind.TITULAIRE
    assert has_role(substitute, Role.TITULAIRE)


def test_other_changes_to_a_member_keep_the_membership(
    dccu_client: Client, member: User
) -> None:
    response = dccu_client.post(
        reverse("admin:accounts_user_change", args=[member.pk]),
        user_post(member, display_name="Camille D.", postal_code="31200"),
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.display_name == "Camille D."
    assert Membership.objects.open().filter(user=member).exists()


def test_admin_creates_a_person_with_a_lowercase_email(dccu_client: Client) -> None:
    response = dccu_client.post(
        "/admin/accounts/user/add/",
        {
            "email": "Nouvelle.Personne@Example.org",
            "first_name": "Nouvelle",
            "last_name": "Personne",
            "display_name": "Nouvelle P.",
            "usable_password": "true",
            "password1": "une-phrase-de-passe-solide",
            "password2": "une-phrase-de-passe-solide",
            "_save": "1",
        },
    )
    assert response.status_code == 302
    person = User.objects.get(email="nouvelle.personne@example.org")
    assert person.check_password("une-phrase-de-passe-solide")


def test_admin_refuses_a_second_account_for_the_same_email(
    dccu_client: Client, member: User
) -> None:
    response = dccu_client.post(
        "/admin/accounts/user/add/",
        {"email": member.email.upper(), "usable_password": "false", "_save": "1"},
    )
    assert response.status_code == 200
    assert form_errors(response)
    assert User.objects.filter(email__iexact=member.email).count() == 1


def test_granting_dccu_role_in_admin_gives_admin_access(dccu_client: Client) -> None:
    from django.contrib.auth.models import Group

    person = factories.UserFactory()
    response = dccu_client.post(
        reverse("admin:accounts_user_change", args=[person.pk]),
        user_post(person, groups=[str(Group.objects.get(name=Role.DCCU.value).pk)]),
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert has_role(person, Role.DCCU)
    assert person.is_staff


# --- Assemblies, mandates, subgroups -----------------------------------------------------------


def test_admin_creates_an_assembly_with_its_108_seats(dccu_client: Client) -> None:
    response = dccu_client.post(
        "/admin/assembly/assembly/add/",
        {
            "name": "Assemblée 2028",
            "mandate_start": "2028-10-01",
            "mandate_end": "2030-06-30",
            "_save": "1",
        },
    )
    assert response.status_code == 302
    assert Seat.objects.filter(assembly__name="Assemblée 2028").count() == 108


def test_admin_refuses_an_assembly_ending_before_it_starts(dccu_client: Client) -> None:
    response = dccu_client.post(
        "/admin/assembly/assembly/add/",
        {"name": "À l'envers", "mandate_start": "2030-10-01", "mandate_end": "2028-06-30"},
    )
    assert response.status_code == 200
    assert form_errors(response)
    assert not Assembly.objects.filter(name="À l'envers").exists()


def mandate_post(assembly: Assembly, kind: str, start: dt.date, end: dt.date) -> dict[str, Any]:
    return {
        "assembly": str(assembly.pk),
        "kind": kind,
        "title": "Une question",
        "question": "Laquelle ?",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "_save": "1",
    }


def test_admin_refuses_auto_saisine_in_the_first_year(
    dccu_client: Client, assembly: Assembly
) -> None:
    start = assembly.mandate_start + dt.timedelta(days=30)
    response = dccu_client.post(
        "/admin/assembly/mandate/add/",
        mandate_post(assembly, MandateKind.AUTO_SAISINE, start, start + dt.timedelta(days=90)),
    )
    assert response.status_code == 200
    assert form_errors(response)
    assert not Mandate.objects.exists()


def test_admin_creates_a_saisine(dccu_client: Client, assembly: Assembly) -> None:
    start = assembly.mandate_start
    response = dccu_client.post(
        "/admin/assembly/mandate/add/",
        mandate_post(assembly, MandateKind.SAISINE, start, start + dt.timedelta(days=200)),
    )
    assert response.status_code == 302
    assert Mandate.objects.get().kind == MandateKind.SAISINE


def subgroup_post(
    mandate: Mandate, members: list[User], facilitators: list[User], name: str = "Mobilités"
) -> dict[str, Any]:
    return {
        "mandate": str(mandate.pk),
        "name": name,
        "description": "",
        "members": [str(u.pk) for u in members],
        "facilitators": [str(u.pk) for u in facilitators],
        "_save": "1",
    }


def test_admin_creates_a_subgroup_with_members_and_facilitators(
    dccu_client: Client, assembly: Assembly, member: User
) -> None:
    mandate = factories.make_mandate(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    response = dccu_client.post(
        "/admin/assembly/subgroup/add/", subgroup_post(mandate, [member], [facilitator])
    )
    assert response.status_code == 302
    subgroup = Subgroup.objects.get()
    assert list(subgroup.members.all()) == [member]
    assert list(subgroup.facilitators.all()) == [facilitator]


@pytest.mark.parametrize("wrong", ["substitute_as_member", "member_as_facilitator"])
def test_admin_refuses_subgroup_people_against_the_rules(
    dccu_client: Client, assembly: Assembly, member: User, wrong: str
) -> None:
    mandate = factories.make_mandate(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    subgroup = Subgroup.objects.create(mandate=mandate, name="Mobilités")
    substitute = factories.make_substitute(assembly, factories.seat(assembly, "Revel"))
    members, facilitators = (
        ([substitute], [facilitator]) if wrong == "substitute_as_member" else ([], [member])
    )
    response = dccu_client.post(
        reverse("admin:assembly_subgroup_change", args=[subgroup.pk]),
        subgroup_post(mandate, members, facilitators),
    )
    assert response.status_code == 200
    assert form_errors(response)
    assert not subgroup.members.exists()
    assert not subgroup.facilitators.exists()


def test_admin_changes_subgroup_people(
    dccu_client: Client, assembly: Assembly, member: User
) -> None:
    mandate = factories.make_mandate(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    subgroup = Subgroup.objects.create(mandate=mandate, name="Mobilités")
    response = dccu_client.post(
        reverse("admin:assembly_subgroup_change", args=[subgroup.pk]),
        subgroup_post(mandate, [member], [facilitator], name="Mobilités du quotidien"),
    )
    assert response.status_code == 302
    subgroup.refresh_from_db()
    assert subgroup.name == "Mobilités du quotidien"
    assert list(subgroup.members.all()) == [member]
    assert list(subgroup.facilitators.all()) == [facilitator]
