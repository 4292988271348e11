"""A small assembly with a person of every role, for the home pages and dashboards."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from deliberation.proposals import do_create_proposal
from documents.models import DocumentStatus
from tests import factories

ROLES = [
    "titulaire",
    "remplacant",
    "facilitateur",
    "agent",
    "dccu",
    "dpd",
    "comite_suivi",
    "no_role",
]


def make_person(role: str, assembly: Assembly) -> User:
    if role == "titulaire":
        return factories.make_titulaire(assembly)
    if role == "remplacant":
        return factories.make_substitute(assembly, factories.seat(assembly))
    if role == "no_role":
        return factories.UserFactory()
    user = factories.UserFactory(roles=[Role(role)])
    if role in {"dccu", "dpd"}:
        enrol_demo_totp(user)
    return user


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def world(assembly: Assembly) -> dict[str, Any]:
    """One person per role; the titulaire and facilitator share a subgroup with a proposal,
    a message, a published document in a reading path, and a proposed one."""
    people = {role: make_person(role, assembly) for role in ROLES}
    subgroup = factories.make_subgroup(
        assembly,
        members=[people["titulaire"]],
        facilitators=[people["facilitateur"]],
        name="Mobilités du quotidien",
    )
    proposal = do_create_proposal(people["titulaire"], subgroup, "Des bus le dimanche")
    room = factories.room_of(subgroup)
    message = factories.send(people["titulaire"], room, "Le bus de 7 h 12 ne passe plus")
    plenary = factories.plenary_room(subgroup.mandate)
    document = factories.DocumentFactory(
        title="Guide des transports",
        audience="assemblee",
        status=DocumentStatus.PUBLISHED,
        contributor=people["agent"],
    )
    factories.make_path("Premiers pas", [document])
    proposed = factories.DocumentFactory(
        title="Horaires 2026",
        audience="assemblee",
        status=DocumentStatus.PROPOSED,
        contributor=people["titulaire"],
    )
    return {
        "people": people,
        "subgroup": subgroup,
        "proposal": proposal,
        "room": room,
        "message": message,
        "plenary": plenary,
        "document": document,
        "proposed": proposed,
    }
