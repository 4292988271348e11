"""The assembly's rules: seats, substitutes, promotion, mandates and subgroups."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from accounts.roles import Role
from assembly import actions
from assembly.models import (
    Assembly,
    EndReason,
    Mandate,
    MandateKind,
    Membership,
    MembershipKind,
    Subgroup,
)
from tests import factories

pytestmark = pytest.mark.django_db


def add(
    assembly: Assembly, user: User, seat: Any, kind: str, rank: int | None = None
) -> Membership:
    return actions.do_add_membership(
        None, user=user, seat=seat, kind=kind, substitute_rank=rank, start=assembly.mandate_start
    )


def open_membership(user: User) -> Membership | None:
    return Membership.objects.open().filter(user=user).first()


def membership_of(user: User) -> Membership:
    membership = open_membership(user)
    assert membership is not None
    return membership


# --- Seats and memberships ---------------------------------------------------------------


def test_seat_takes_only_one_titulaire(assembly: Assembly) -> None:
    seat = factories.seat(assembly)
    add(assembly, factories.UserFactory(), seat, MembershipKind.TITULAIRE)
    second = factories.UserFactory()
    with pytest.raises(ValidationError):
        add(assembly, second, seat, MembershipKind.TITULAIRE)
    assert open_membership(second) is None
    assert Membership.objects.filter(seat=seat, kind=MembershipKind.TITULAIRE).count() == 1


def test_person_holds_only_one_open_membership(assembly: Assembly) -> None:
    person = factories.UserFactory()
    add(assembly, person, factories.seat(assembly, "Muret"), MembershipKind.TITULAIRE)
    with pytest.raises(ValidationError):
        add(assembly, person, factories.seat(assembly, "Revel"), MembershipKind.REMPLACANT, 1)
    assert Membership.objects.filter(user=person).count() == 1


def test_substitute_rank_is_unique_per_seat(assembly: Assembly) -> None:
    seat = factories.seat(assembly)
    factories.make_substitute(assembly, seat, rank=1)
    latecomer = factories.UserFactory()
    with pytest.raises(ValidationError):
        add(assembly, latecomer, seat, MembershipKind.REMPLACANT, 1)
    # The same rank on another seat is fine.
    add(assembly, latecomer, factories.seat(assembly, "Revel"), MembershipKind.REMPLACANT, 1)
    assert open_membership(latecomer) is not None


@pytest.mark.parametrize(
    ("kind", "rank"),
    [
        (MembershipKind.TITULAIRE, 1),
        (MembershipKind.REMPLACANT, None),
        (MembershipKind.REMPLACANT, 0),
        ("president", None),
    ],
)
def test_rank_is_only_and_always_for_substitutes(
    assembly: Assembly, kind: str, rank: int | None
) -> None:
    person = factories.UserFactory()
    with pytest.raises(ValidationError):
        add(assembly, person, factories.seat(assembly), kind, rank)
    assert not Membership.objects.filter(user=person).exists()


def test_only_dccu_can_seat_someone(assembly: Assembly, member: User, dccu: User) -> None:
    newcomer = factories.UserFactory()
    seat = factories.seat(assembly, "Revel")
    with pytest.raises(PermissionDenied):
        actions.do_add_membership(member, user=newcomer, seat=seat, kind=MembershipKind.TITULAIRE)
    actions.do_add_membership(dccu, user=newcomer, seat=seat, kind=MembershipKind.TITULAIRE)
    assert open_membership(newcomer) is not None


@pytest.mark.parametrize(
    "bypass",
    [
        "second_titulaire_on_seat",
        "second_open_membership",
        "duplicate_substitute_rank",
        "titulaire_with_rank",
        "substitute_without_rank",
        "end_without_reason",
    ],
)
def test_database_enforces_the_rules_when_actions_are_bypassed(
    assembly: Assembly, bypass: str
) -> None:
    seat = factories.seat(assembly)
    titulaire = factories.UserFactory()
    add(assembly, titulaire, seat, MembershipKind.TITULAIRE)
    factories.make_substitute(assembly, seat, rank=1)
    start = assembly.mandate_start
    rows: dict[str, dict[str, Any]] = {
        "second_titulaire_on_seat": {"kind": MembershipKind.TITULAIRE},
        "second_open_membership": {
            "user": titulaire,
            "seat": factories.seat(assembly, "Revel"),
            "kind": MembershipKind.TITULAIRE,
        },
        "duplicate_substitute_rank": {"kind": MembershipKind.REMPLACANT, "substitute_rank": 1},
        "titulaire_with_rank": {
            "seat": factories.seat(assembly, "Revel"),
            "kind": MembershipKind.TITULAIRE,
            "substitute_rank": 2,
        },
        "substitute_without_rank": {"kind": MembershipKind.REMPLACANT},
        "end_without_reason": {
            "seat": factories.seat(assembly, "Revel"),
            "kind": MembershipKind.TITULAIRE,
            "end": start,
        },
    }
    values: dict[str, Any] = {"user": factories.UserFactory(), "seat": seat, "start": start}
    values.update(rows[bypass])
    before = Membership.objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(**values)
    assert Membership.objects.count() == before


def test_ended_memberships_do_not_block_the_seat(assembly: Assembly) -> None:
    seat = factories.seat(assembly)
    first = factories.UserFactory()
    membership = add(assembly, first, seat, MembershipKind.TITULAIRE)
    actions.do_end_membership(None, membership, reason=EndReason.RESIGNATION)
    successor = factories.UserFactory()
    add(assembly, successor, seat, MembershipKind.TITULAIRE)
    assert Membership.objects.filter(seat=seat).count() == 2
    assert Membership.objects.open().get(seat=seat).user == successor


# --- Ending and promotion ---------------------------------------------------------------


def test_freed_seat_goes_to_first_substitute_and_others_move_up(assembly: Assembly) -> None:
    seat = factories.seat(assembly)
    titulaire = factories.UserFactory()
    membership = add(assembly, titulaire, seat, MembershipKind.TITULAIRE)
    first, second, third = (factories.make_substitute(assembly, seat, rank=r) for r in (1, 2, 3))

    offer = actions.do_end_membership(None, membership, reason=EndReason.RESIGNATION)

    membership.refresh_from_db()
    assert membership.end is not None
    assert membership.end_reason == EndReason.RESIGNATION
    assert offer is not None and offer.user == first
    promoted = actions.do_accept_seat_offer(first, offer)
    assert promoted.user == first
    assert promoted.kind == MembershipKind.TITULAIRE
    old = Membership.objects.get(user=first, kind=MembershipKind.REMPLACANT)
    assert old.end_reason == EndReason.PROMOTED
    ranks = {m.user: m.substitute_rank for m in Membership.objects.open().filter(seat=seat)}
    assert ranks == {first: None, second: 1, third: 2}


def test_ending_without_promotion_leaves_seat_free(assembly: Assembly) -> None:
    seat = factories.seat(assembly)
    membership = add(assembly, factories.UserFactory(), seat, MembershipKind.TITULAIRE)
    substitute = factories.make_substitute(assembly, seat, rank=1)
    assert (
        actions.do_end_membership(
            None, membership, reason=EndReason.OTHER, promote_substitute=False
        )
        is None
    )
    assert membership_of(substitute).kind == MembershipKind.REMPLACANT


def test_ineligible_substitute_is_skipped_for_promotion(assembly: Assembly) -> None:
    seat = factories.seat(assembly)
    membership = add(assembly, factories.UserFactory(), seat, MembershipKind.TITULAIRE)
    now_agent = factories.make_substitute(assembly, seat, rank=1)
    eligible = factories.make_substitute(assembly, seat, rank=2)
    User.objects.filter(pk=now_agent.pk).update(is_department_agent=True)

    offer = actions.do_end_membership(None, membership, reason=EndReason.RESIGNATION)

    assert offer is not None
    assert offer.user == eligible
    assert membership_of(now_agent).kind == MembershipKind.REMPLACANT


def test_leaving_substitute_closes_the_gap_in_the_ranking(assembly: Assembly) -> None:
    seat = factories.seat(assembly)
    subs = [factories.make_substitute(assembly, seat, rank=r) for r in (1, 2, 3)]
    actions.do_end_membership(None, membership_of(subs[0]), reason=EndReason.RESIGNATION)
    assert membership_of(subs[1]).substitute_rank == 1
    assert membership_of(subs[2]).substitute_rank == 2


def test_a_membership_ends_only_once(assembly: Assembly, member: User) -> None:
    membership = membership_of(member)
    actions.do_end_membership(None, membership, reason=EndReason.RESIGNATION)
    with pytest.raises(ValidationError):
        actions.do_end_membership(None, membership, reason=EndReason.RESIGNATION)


def test_only_dccu_can_end_a_membership(assembly: Assembly, member: User) -> None:
    membership = membership_of(member)
    with pytest.raises(PermissionDenied):
        actions.do_end_membership(member, membership, reason=EndReason.RESIGNATION)
    assert open_membership(member) is not None


# --- Mandates ---------------------------------------------------------------------------


def test_auto_saisine_only_in_the_second_year() -> None:
    assembly = actions.do_create_assembly(
        None,
        name="AC",
        mandate_start=dt.date(2025, 10, 1),
        mandate_end=dt.date(2027, 6, 30),
    )
    fields: dict[str, Any] = {
        "assembly": assembly,
        "kind": MandateKind.AUTO_SAISINE,
        "title": "Auto-saisine",
        "question": "?",
        "end": dt.date(2027, 3, 31),
    }
    with pytest.raises(ValidationError):
        actions.do_create_mandate(None, start=dt.date(2026, 9, 30), **fields)
    assert not Mandate.objects.exists()
    mandate = actions.do_create_mandate(None, start=dt.date(2026, 10, 1), **fields)
    assert mandate.kind == MandateKind.AUTO_SAISINE


def test_saisine_is_possible_from_the_first_day(assembly: Assembly) -> None:
    mandate = factories.make_mandate(assembly, start=assembly.mandate_start)
    assert mandate.kind == MandateKind.SAISINE


@pytest.mark.parametrize(
    ("start_days", "end_days"),
    [(-1, 100), (10, 10_000), (100, 50)],
    ids=["before_assembly", "after_assembly", "ends_before_start"],
)
def test_mandate_fits_within_the_assembly(
    assembly: Assembly, start_days: int, end_days: int
) -> None:
    with pytest.raises(ValidationError):
        factories.make_mandate(
            assembly,
            start=assembly.mandate_start + dt.timedelta(days=start_days),
            end=assembly.mandate_start + dt.timedelta(days=end_days),
        )
    assert not Mandate.objects.exists()


# --- Subgroups --------------------------------------------------------------------------


@pytest.fixture
def mandate(assembly: Assembly) -> Mandate:
    return factories.make_mandate(assembly)


@pytest.fixture
def facilitator(db: Any) -> User:
    return factories.UserFactory(roles=[Role.FACILITATEUR])


def test_subgroup_takes_current_titulaires_and_facilitators(
    mandate: Mandate, member: User, facilitator: User, dccu: User
) -> None:
    subgroup = actions.do_create_subgroup(
        dccu, mandate=mandate, name="Mobilités", members=[member], facilitators=[facilitator, dccu]
    )
    assert list(subgroup.members.all()) == [member]
    assert set(subgroup.facilitators.all()) == {facilitator, dccu}


def test_substitute_cannot_join_a_subgroup(
    assembly: Assembly, mandate: Mandate, facilitator: User
) -> None:
    substitute = factories.make_substitute(assembly, factories.seat(assembly))
    with pytest.raises(ValidationError):
        actions.do_create_subgroup(
            None, mandate=mandate, name="Mobilités", members=[substitute],
            facilitators=[facilitator],
        )
    assert not Subgroup.objects.exists()


def test_former_titulaire_cannot_join_a_subgroup(
    mandate: Mandate, member: User, facilitator: User
) -> None:
    subgroup = actions.do_create_subgroup(
        None, mandate=mandate, name="Mobilités", facilitators=[facilitator]
    )
    actions.do_end_membership(None, membership_of(member), reason=EndReason.RESIGNATION)
    with pytest.raises(ValidationError):
        actions.do_set_subgroup_people(None, subgroup, members=[member], facilitators=[])
    assert not subgroup.members.exists()


@pytest.mark.parametrize("role", [None, Role.AGENT, Role.DPD, Role.COMITE_SUIVI])
def test_facilitators_must_hold_the_role(
    mandate: Mandate, member: User, role: Role | None
) -> None:
    person = factories.UserFactory(roles=[role] if role else [])
    with pytest.raises(ValidationError):
        actions.do_create_subgroup(
            None, mandate=mandate, name="Mobilités", members=[member], facilitators=[person]
        )
    with pytest.raises(ValidationError):
        actions.do_create_subgroup(
            None, mandate=mandate, name="Mobilités", members=[], facilitators=[member]
        )
    assert not Subgroup.objects.exists()


def test_subgroup_names_are_unique_per_mandate(mandate: Mandate, facilitator: User) -> None:
    actions.do_create_subgroup(None, mandate=mandate, name="Mobilités")
    with pytest.raises(ValidationError):
        actions.do_create_subgroup(None, mandate=mandate, name="Mobilités")
    assert Subgroup.objects.count() == 1



def test_a_resigned_titulaire_leaves_their_subgroup_and_its_room(
    assembly: Assembly, mandate: Mandate, member: User, facilitator: User
) -> None:
    """Subgroup members are current titulaires: resigning takes the person out of the
    subgroup (its list, its room), while what they wrote there stays; another
    assembly's subgroup of theirs is left alone."""
    from forums.models import Room, RoomKind

    stayer = factories.make_titulaire(assembly)
    subgroup = actions.do_create_subgroup(
        None, mandate=mandate, name="Mobilités", members=[member, stayer],
        facilitators=[facilitator],
    )
    room = factories.room_of(subgroup)
    said = factories.send(member, room, "Je propose un minibus le mardi")
    assert room.get_abilities(member)["write"]

    actions.do_end_membership(None, membership_of(member), reason=EndReason.RESIGNATION)

    subgroup.refresh_from_db()
    room = Room.objects.get(pk=room.pk)
    assert list(subgroup.members.all()) == [stayer]
    assert room.kind == RoomKind.SUBGROUP
    assert room.get_abilities(member) == {"read": False, "write": False, "moderate": False}
    assert room.get_abilities(stayer)["write"]
    assert room.messages.filter(pk=said.pk).exists()
