"""The people and room of the conversation tests (fixtures shared by the modules here)."""

from __future__ import annotations

from typing import Any

import pytest

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from forums.models import Message, Room
from tests import factories


@pytest.fixture
def facilitator(db: Any) -> User:
    return factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Amandine R.")


@pytest.fixture
def other(assembly: Assembly) -> User:
    return factories.make_titulaire(assembly, display_name="Zoé M.")


@pytest.fixture
def outsider(assembly: Assembly) -> User:
    return factories.make_titulaire(assembly, display_name="Hors Groupe")


@pytest.fixture
def room(assembly: Assembly, member: User, other: User, facilitator: User) -> Room:
    subgroup = factories.make_subgroup(
        assembly, members=[member, other], facilitators=[facilitator]
    )
    return factories.room_of(subgroup)


@pytest.fixture
def message(room: Room, other: User) -> Message:
    return factories.send(other, room, "Le bus de 7 h 12 ne passe plus à Montesquieu")


@pytest.fixture
def people(
    assembly: Assembly, room: Room, member: User, outsider: User, facilitator: User
) -> dict[str, User]:
    seat = factories.seat(assembly, canton="Revel")
    return {
        "member": member,
        "other_member": outsider,
        "facilitator": facilitator,
        "substitute": factories.make_substitute(assembly, seat),
        "agent": factories.UserFactory(roles=[Role.AGENT]),
        "dccu": factories.UserFactory(roles=[Role.DCCU]),
        "dpd": factories.UserFactory(roles=[Role.DPD]),
    }
