"""Who reaches the idea wall's pages: every role, on every page and action (docs/permissions.md,
« Ateliers »). A wall one may not read is a 404, as if it did not exist."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from tests import factories
from workshops import walls

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "titulaire_in",
    "titulaire_out",
    "remplacant",
    "facilitateur_of",
    "facilitateur_other",
    "agent",
    "dccu",
    "dpd",
    "comite_suivi",
    "no_role",
]
# A subgroup's wall: its room's people read it, its facilitators and the DCCU facilitate.
READERS = {"titulaire_in", "facilitateur_of", "dccu"}
FACILITATORS = {"facilitateur_of", "dccu"}


@pytest.fixture
def world(assembly: Any) -> dict[str, Any]:
    people: dict[str, User | None] = {"anonymous": None}
    people["titulaire_in"] = factories.make_titulaire(assembly)
    people["titulaire_out"] = factories.make_titulaire(assembly)
    people["remplacant"] = factories.make_substitute(assembly, factories.seat(assembly))
    for role in ("facilitateur_of", "facilitateur_other"):
        people[role] = factories.UserFactory(roles=[Role.FACILITATEUR])
    for role in ("agent", "dccu", "dpd", "comite_suivi"):
        user = factories.UserFactory(roles=[Role(role)])
        if role in {"dccu", "dpd"}:
            enrol_demo_totp(user)
        people[role] = user
    people["no_role"] = factories.UserFactory()
    subgroup = factories.make_subgroup(
        assembly, members=[people["titulaire_in"]], facilitators=[people["facilitateur_of"]]
    )
    room = factories.room_of(subgroup)
    wall = walls.create_wall(room, question="Que faire ?", by=people["facilitateur_of"])
    plenary = walls.create_wall(
        factories.plenary_room(subgroup.mandate), question="En plénière", by=people["dccu"]
    )
    return {"people": people, "room": room, "wall": wall, "plenary": plenary}


def client_for(world: dict[str, Any], role: str) -> Client:
    client = Client()
    person = world["people"][role]
    if person is not None:
        client.force_login(person)
    return client


def expect(role: str, allowed: set[str], ok: int = 200) -> int:
    if role == "anonymous":
        return 302
    if role not in READERS:
        return 404
    return ok if role in allowed else 403


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_the_documented_answer_on_every_page(
    role: str, world: dict[str, Any]
) -> None:
    client = client_for(world, role)
    wall, room = world["wall"], world["room"]
    base = f"/ateliers/murs/{wall.pk}/"
    pages: list[tuple[str, str, dict[str, str], int]] = [
        ("get", base, {}, expect(role, READERS)),
        ("get", f"{base}export.docx", {}, expect(role, READERS)),
        ("get", f"/ateliers/salle/{room.pk}/", {}, expect(role, READERS)),
        ("get", f"{base}projection/", {}, expect(role, FACILITATORS)),
        ("get", f"/ateliers/salle/{room.pk}/nouveau-mur/", {}, expect(role, FACILITATORS)),
        ("post", f"{base}mode/", {"mode": "open"}, expect(role, FACILITATORS, 302)),
        ("post", f"{base}vote/", {"action": "close"}, expect(role, FACILITATORS, 302)),
        ("post", f"{base}reglages/", {"question": "Et alors ?"}, expect(role, FACILITATORS, 302)),
        # Anyone who may start a proposal in the subgroup (its writers, the DCCU); the
        # wall's page says so when the note is gone.
        ("post", f"{base}proposition/", {"target": "n:absente"}, expect(role, READERS, 302)),
    ]
    for method, url, data, status in pages:
        response = getattr(client, method)(url, data)
        assert response.status_code == status, (role, method, url, response.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_the_plenary_wall_is_read_by_the_assembly(role: str, world: dict[str, Any]) -> None:
    response = client_for(world, role).get(f"/ateliers/murs/{world['plenary'].pk}/")
    readers = {
        "titulaire_in",
        "titulaire_out",
        "remplacant",
        "facilitateur_of",
        "facilitateur_other",
        "agent",
        "dccu",
        "comite_suivi",
    }
    expected = 302 if role == "anonymous" else 200 if role in readers else 404
    assert response.status_code == expected, role
