"""People, rooms and a proposal shared by the notification centre's tests."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from tests import factories


@dataclasses.dataclass
class People:
    alice: User  # titulaire, subgroup « Mobilités »
    bob: User  # titulaire, subgroup « Mobilités »
    carol: User  # titulaire, subgroup « Santé »
    fabien: User  # facilitator of « Mobilités »
    mobility: Any  # its room
    health: Any
    plenary: Any
    subgroup: Any


@pytest.fixture
def people(assembly: Assembly) -> People:
    alice = factories.make_titulaire(
        assembly, first_name="Alice", last_name="Martin", display_name="Alice M."
    )
    bob = factories.make_titulaire(
        assembly, first_name="Bob", last_name="Durand", display_name="Bob D."
    )
    carol = factories.make_titulaire(
        assembly, first_name="Carol", last_name="Petit", display_name="Carol P."
    )
    fabien = factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Fabien A.")
    mandate = factories.make_mandate(assembly)
    mobility = factories.make_subgroup(
        assembly, members=[alice, bob], facilitators=[fabien], name="Mobilités", mandate=mandate
    )
    health = factories.make_subgroup(assembly, members=[carol], name="Santé", mandate=mandate)
    return People(
        alice=alice,
        bob=bob,
        carol=carol,
        fabien=fabien,
        mobility=factories.room_of(mobility),
        health=factories.room_of(health),
        plenary=factories.plenary_room(mandate),
        subgroup=mobility,
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run an operation and what it leaves for after its commit (the notifications)."""

    def run(operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return operation(*args, **kwargs)

    return run


@pytest.fixture
def sent_events(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every (group, event) the bus hands to the channel layer, checked against its type."""
    from realtime import bus
    from realtime.events import check_event

    seen: list[tuple[str, dict[str, Any]]] = []
    original = bus._send

    def record(group: str, message: dict[str, Any]) -> None:
        event = message.get("event")
        if isinstance(event, dict):
            check_event(event)
            seen.append((group, event))
        original(group, message)

    monkeypatch.setattr(bus, "_send", record)
    yield seen


# Every role, and someone with none: the pages are walked for each (test_views, test_webpush).
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


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def person_of(role: str, assembly: Assembly) -> User:
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
