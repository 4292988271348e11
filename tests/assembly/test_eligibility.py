"""Who may sit in the assembly, and what happens when someone no longer may."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from assembly import actions
from assembly.models import (
    Assembly,
    EndReason,
    Membership,
    MembershipKind,
    SeatCategory,
    SeatOffer,
)
from tests import factories

pytestmark = pytest.mark.django_db


def seat_person(
    assembly: Assembly, user: User, category: str = SeatCategory.FEMME_18_44
) -> None:
    actions.do_add_membership(
        None,
        user=user,
        seat=factories.seat(assembly, "Muret", category),
        kind=MembershipKind.TITULAIRE,
        start=assembly.mandate_start,
    )


INELIGIBLE = {
    "under_18": {"age": 17},
    "outside_haute_garonne": {"postal_code": "75011"},
    "department_agent": {"is_department_agent": True},
    "elected": {"holds_elected_office": True},
}


@pytest.mark.parametrize("situation", INELIGIBLE.values(), ids=INELIGIBLE.keys())
def test_ineligible_person_cannot_be_seated(assembly: Assembly, situation: dict[str, Any]) -> None:
    fields = dict(situation)
    age = fields.pop("age", 30)
    person = factories.UserFactory(
        birth_date=factories.birth_date_for_age(age, assembly.mandate_start),
        postal_code=fields.pop("postal_code", "31600"),
        **fields,
    )
    assert actions.eligibility_problems(person, assembly.mandate_start)
    with pytest.raises(ValidationError):
        seat_person(assembly, person)
    assert not Membership.objects.filter(user=person).exists()


def test_eligible_resident_aged_18_is_seated(assembly: Assembly) -> None:
    person = factories.UserFactory(
        birth_date=factories.birth_date_for_age(18, assembly.mandate_start), postal_code="31000"
    )
    assert actions.eligibility_problems(person, assembly.mandate_start) == []
    seat_person(assembly, person)
    assert Membership.objects.open().filter(user=person).exists()


@pytest.mark.parametrize(
    ("age", "category"),
    [
        (45, SeatCategory.FEMME_18_44),
        (70, SeatCategory.HOMME_18_44),
        (44, SeatCategory.FEMME_45),
        (25, SeatCategory.HOMME_45),
    ],
)
def test_age_must_match_the_seat_category(assembly: Assembly, age: int, category: str) -> None:
    person = factories.UserFactory(
        birth_date=factories.birth_date_for_age(age, assembly.mandate_start), postal_code="31600"
    )
    with pytest.raises(ValidationError):
        seat_person(assembly, person, category)
    assert not Membership.objects.filter(user=person).exists()


@pytest.mark.parametrize(
    ("age", "category"),
    [(44, SeatCategory.FEMME_18_44), (45, SeatCategory.HOMME_45), (80, SeatCategory.FEMME_45)],
)
def test_age_at_the_band_limits_is_accepted(assembly: Assembly, age: int, category: str) -> None:
    person = factories.UserFactory(
        birth_date=factories.birth_date_for_age(age, assembly.mandate_start), postal_code="31600"
    )
    seat_person(assembly, person, category)
    assert Membership.objects.open().get(user=person).seat.category == category


CHANGES = {
    "birth_date_corrected_to_minor": {"birth_date": factories.birth_date_for_age(16)},
    "moves_out": {"postal_code": "09000"},
    "becomes_agent": {"is_department_agent": True},
    "gets_elected": {"holds_elected_office": True},
}


@pytest.mark.parametrize("changes", CHANGES.values(), ids=CHANGES.keys())
def test_becoming_ineligible_ends_membership_and_promotes_substitute(
    assembly: Assembly, dccu: User, changes: dict[str, Any]
) -> None:
    person = factories.UserFactory(postal_code="31600")
    seat_person(assembly, person)
    substitute = factories.make_substitute(assembly, factories.seat(assembly, "Muret"))

    ended = actions.do_update_eligibility(dccu, person, **changes)

    assert ended is not None
    assert ended.end == timezone.localdate()
    assert ended.end_reason == EndReason.INELIGIBLE
    assert not Membership.objects.open().filter(user=person).exists()
    assert ended.end_note  # the incompatibility, in words
    offer = SeatOffer.objects.get(user=substitute, status="pending")
    promoted = actions.do_accept_seat_offer(substitute, offer)
    assert promoted.kind == MembershipKind.TITULAIRE
    assert promoted.seat == ended.seat


def test_change_that_keeps_eligibility_keeps_the_membership(
    assembly: Assembly, dccu: User
) -> None:
    person = factories.UserFactory(postal_code="31600")
    seat_person(assembly, person)
    assert actions.do_update_eligibility(dccu, person, postal_code="31000") is None
    person.refresh_from_db()
    assert person.postal_code == "31000"
    assert Membership.objects.open().filter(user=person).exists()


def test_declaring_ineligible_ends_with_demission_office_and_promotes(
    assembly: Assembly, member: User
) -> None:
    membership = Membership.objects.open().get(user=member)
    substitute = factories.make_substitute(assembly, membership.seat)
    User.objects.filter(pk=member.pk).update(holds_elected_office=True)
    member.refresh_from_db()

    ended = actions.end_membership_if_ineligible(None, member)

    assert ended is not None
    assert ended.end_reason == "demission_office"
    assert ended.end_note == "Les personnes élues ne peuvent pas être membres."
    # The seat is offered to the substitute, who becomes titulaire by accepting it.
    offer = SeatOffer.objects.get(user=substitute, status="pending")
    actions.do_accept_seat_offer(substitute, offer)
    assert Membership.objects.open().get(user=substitute).kind == MembershipKind.TITULAIRE


def test_nothing_ends_for_an_eligible_person(assembly: Assembly, member: User) -> None:
    assert actions.end_membership_if_ineligible(None, member) is None
    assert Membership.objects.open().filter(user=member).exists()


def test_nothing_ends_for_an_ineligible_person_without_membership(db: Any) -> None:
    agent = factories.UserFactory(is_department_agent=True)
    assert actions.end_membership_if_ineligible(None, agent) is None


def test_only_eligibility_fields_can_be_updated_that_way(dccu: User, member: User) -> None:
    with pytest.raises(ValueError, match="email"):
        actions.do_update_eligibility(dccu, member, email="x@example.org")
