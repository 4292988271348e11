"""docs/permissions.md « Conversations », walked: every role against every kind of room."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from guardian.shortcuts import assign_perm

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from forums.access import readable_rooms
from forums.models import Mute, Room
from tests import factories

# Who: a role, and for subgroup and direct rooms whether the person is in it.
PEOPLE = [
    "titulaire_in", "titulaire_out", "remplacant", "facilitateur_in", "facilitateur_out",
    "agent", "dccu", "dpd", "comite_suivi", "no_role",
]
KINDS = ["subgroup", "plenary", "direct", "staff"]
NONE, R, RW, RM, RWM = "", "r", "rw", "rm", "rwm"

# The matrix of docs/permissions.md (« Conversations »): r read, w write, m moderate.
MATRIX: dict[str, dict[str, str]] = {
    "subgroup": {"titulaire_in": RW, "facilitateur_in": RWM, "dccu": RM},
    "plenary": {"titulaire_in": RW, "titulaire_out": RW, "remplacant": R,
                "facilitateur_in": RWM, "facilitateur_out": RWM, "agent": RW, "dccu": RWM,
                "comite_suivi": RW},
    # The direct room is between titulaire_in and facilitateur_in: nobody else, DCCU included.
    "direct": {"titulaire_in": RW, "facilitateur_in": RW},
    "staff": {"facilitateur_in": RW, "facilitateur_out": RW, "agent": RW, "dccu": RWM},
}


def make_people(assembly: Assembly) -> dict[str, User]:
    staff = {
        "facilitateur_in": [Role.FACILITATEUR], "facilitateur_out": [Role.FACILITATEUR],
        "agent": [Role.AGENT], "dccu": [Role.DCCU], "dpd": [Role.DPD],
        "comite_suivi": [Role.COMITE_SUIVI], "no_role": [],
    }
    people = {name: factories.UserFactory(roles=roles) for name, roles in staff.items()}
    people["titulaire_in"] = factories.make_titulaire(assembly)
    people["titulaire_out"] = factories.make_titulaire(assembly)
    people["remplacant"] = factories.make_substitute(assembly, factories.seat(assembly))
    return people


@pytest.fixture
def world(assembly: Assembly) -> dict[str, Any]:
    people = make_people(assembly)
    subgroup = factories.make_subgroup(
        assembly, members=[people["titulaire_in"]], facilitators=[people["facilitateur_in"]]
    )
    rooms = {
        "subgroup": factories.room_of(subgroup),
        "plenary": factories.plenary_room(subgroup.mandate),
        "staff": factories.staff_room(subgroup.mandate),
        "direct": factories.direct_room(people["titulaire_in"], people["facilitateur_in"]),
    }
    return {"people": people, "rooms": rooms}


def expected(kind: str, person: str) -> dict[str, bool]:
    code = MATRIX[kind].get(person, NONE)
    return {"read": "r" in code, "write": "w" in code, "moderate": "m" in code}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("person", PEOPLE)
def test_abilities_follow_the_documented_matrix(
    world: dict[str, Any], kind: str, person: str
) -> None:
    user = User.objects.get(pk=world["people"][person].pk)
    assert world["rooms"][kind].get_abilities(user) == expected(kind, person)


@pytest.mark.parametrize("person", PEOPLE)
def test_the_room_list_shows_exactly_the_rooms_one_may_read(
    world: dict[str, Any], person: str
) -> None:
    user = User.objects.get(pk=world["people"][person].pk)
    listed = {room.pk for room in readable_rooms(user)}
    assert listed == {
        room.pk for kind, room in world["rooms"].items() if expected(kind, person)["read"]
    }


def test_anonymous_and_deactivated_people_see_nothing(world: dict[str, Any]) -> None:
    from django.contrib.auth.models import AnonymousUser

    member = world["people"]["titulaire_in"]
    member.is_active = False
    member.save(update_fields=["is_active"])
    for room in world["rooms"].values():
        assert not any(room.get_abilities(AnonymousUser()).values())
        assert not any(room.get_abilities(member).values())
    assert readable_rooms(AnonymousUser()) == [] and readable_rooms(member) == []


def test_a_muted_member_reads_but_cannot_write_until_the_mute_ends(
    world: dict[str, Any]
) -> None:
    room: Room = world["rooms"]["subgroup"]
    member = world["people"]["titulaire_in"]
    mute = Mute.objects.create(room=room, user=member, reason="test",
                               until=timezone.now() + dt.timedelta(minutes=10))
    assert room.get_abilities(member) == {"read": True, "write": False, "moderate": False}
    mute.until = timezone.now() - dt.timedelta(seconds=1)
    mute.save()
    assert room.get_abilities(member)["write"]


def test_an_archived_room_is_read_only_for_everyone(world: dict[str, Any]) -> None:
    room: Room = world["rooms"]["plenary"]
    room.archived_at = timezone.now()
    room.save()
    for person in PEOPLE:
        assert not room.get_abilities(world["people"][person])["write"]


def test_a_guest_added_by_the_dccu_takes_part_in_a_subgroup_room(
    world: dict[str, Any]
) -> None:
    room: Room = world["rooms"]["subgroup"]
    agent = world["people"]["agent"]
    assign_perm("forums.participate_room", agent, room)
    agent = User.objects.get(pk=agent.pk)
    assert room.get_abilities(agent) == {"read": True, "write": True, "moderate": False}
    assert room in readable_rooms(agent)


def test_a_grant_never_opens_a_direct_conversation(world: dict[str, Any]) -> None:
    room: Room = world["rooms"]["direct"]
    dccu = world["people"]["dccu"]
    assign_perm("forums.moderate_room", dccu, room)
    dccu = User.objects.get(pk=dccu.pk)
    assert not room.get_abilities(dccu)["read"]
    assert room not in readable_rooms(dccu)
