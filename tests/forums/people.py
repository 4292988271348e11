"""Logging in as each role of the conversation tests (helpers, not tests)."""

from __future__ import annotations

from django.test import Client

from accounts.models import User
from accounts.roles import Role

# Who reads a subgroup room (docs/permissions.md): its people, and the DCCU.
READS_SUBGROUP = {"member", "facilitator", "dccu"}


def login(user: User) -> Client:
    from accounts.demo import enrol_demo_totp
    from accounts.roles import user_roles

    if user_roles(user) & {Role.DCCU, Role.DPD}:
        enrol_demo_totp(user)
    client = Client()
    client.force_login(user)
    return client


def client_for(role: str, people: dict[str, User]) -> Client:
    return Client() if role == "anonymous" else login(people[role])
