"""Fixtures shared by the whole suite."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from deliberation.models import Assembly
from tests import factories


@pytest.fixture
def assembly(db: Any) -> Assembly:
    return factories.make_assembly()


@pytest.fixture
def member(assembly: Assembly) -> User:
    return factories.make_titulaire(assembly, email="titulaire@example.org")


@pytest.fixture
def dccu(db: Any) -> User:
    return factories.UserFactory(email="dccu@example.org", roles=[Role.DCCU])


@pytest.fixture
def member_client(member: User) -> Client:
    client = Client()
    client.force_login(member)
    return client
