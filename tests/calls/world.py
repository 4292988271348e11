"""The people and rooms of the call tests: one of each role the calls treat differently."""

from __future__ import annotations

import dataclasses

from accounts.models import User
from accounts.roles import Role
from assembly import actions as assembly_actions
from forums.actions import ensure_rooms
from forums.models import Room, RoomKind
from tests import factories


@dataclasses.dataclass
class CallWorld:
    alice: User  # titulaire, subgroup « Mobilités »
    bob: User  # titulaire, subgroup « Mobilités »
    carol: User  # titulaire, subgroup « Santé » (an outsider to « Mobilités »)
    sam: User  # substitute: listens in the plenary
    fanny: User  # facilitator of « Mobilités »
    agnes: User  # agent of the département
    mobility: Room
    health: Room
    plenary: Room


def make_call_world() -> CallWorld:
    assembly = factories.make_assembly()
    mandate = factories.make_mandate(assembly)
    alice = factories.make_titulaire(assembly, email="alice@example.org", display_name="Alice")
    bob = factories.make_titulaire(assembly, email="bob@example.org", display_name="Bob")
    carol = factories.make_titulaire(assembly, email="carol@example.org", display_name="Carol")
    sam = factories.make_substitute(
        assembly, factories.seat(assembly), email="sam@example.org", display_name="Sam"
    )
    fanny = factories.UserFactory(
        roles=[Role.FACILITATEUR], email="fanny@example.org", display_name="Fanny"
    )
    agnes = factories.UserFactory(
        roles=[Role.AGENT], email="agnes@example.org", display_name="Agnès"
    )
    mobility = assembly_actions.do_create_subgroup(
        None, mandate=mandate, name="Mobilités", members=[alice, bob], facilitators=[fanny]
    )
    health = assembly_actions.do_create_subgroup(
        None, mandate=mandate, name="Santé", members=[carol]
    )
    ensure_rooms(mandate)
    return CallWorld(
        alice=alice,
        bob=bob,
        carol=carol,
        sam=sam,
        fanny=fanny,
        agnes=agnes,
        mobility=Room.objects.get(subgroup=mobility),
        health=Room.objects.get(subgroup=health),
        plenary=Room.objects.get(kind=RoomKind.PLENARY, mandate=mandate),
    )
