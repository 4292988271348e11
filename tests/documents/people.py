"""One person per role, and a logged-in client, for the library's role-by-role tests."""

from __future__ import annotations

from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from tests import factories

ROLES = ["anonymous", "titulaire", "remplacant", "facilitateur", "agent", "dccu", "dpd",
         "comite_suivi"]


def person(role: str, assembly: Assembly) -> User | None:
    if role == "anonymous":
        return None
    if role == "titulaire":
        return factories.make_titulaire(assembly)
    if role == "remplacant":
        return factories.make_substitute(assembly, factories.seat(assembly))
    user = factories.UserFactory(roles=[Role(role)])
    if role in {"dccu", "dpd"}:
        enrol_demo_totp(user)
    return user


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client
