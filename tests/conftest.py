"""Fixtures shared by the whole suite."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
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


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    """The browser tests last, after pytest-django's own ordering: their Playwright keeps
    an event loop running on the main thread for the rest of the session, in which no
    other test can start its own (an async test without a database ran after them and
    failed with « Runner.run() cannot be called from a running event loop »)."""
    items[:] = [item for item in items if "e2e" not in item.keywords] + [
        item for item in items if "e2e" in item.keywords
    ]


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # The real hasher costs ~1 s per password here; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    """Rate limits and role caches live in the cache: each test starts clean."""
    from django.core.cache import cache

    from accounts.names import forget_staff_badges

    cache.clear()
    forget_staff_badges()
    yield
    cache.clear()
    forget_staff_badges()


@pytest.fixture
def dccu_client(dccu: User) -> Client:
    """A DCCU team member, logged in, with the two-factor app enrolled."""
    from accounts.demo import enrol_demo_totp

    enrol_demo_totp(dccu)
    client = Client()
    client.force_login(dccu)
    return client


REFERENCE_DATA = [
    ("accounts.migrations.0002_role_groups", "create_groups"),
    ("deliberation.migrations.0002_cantons", "create_cantons"),
    ("gdpr.migrations.0002_policy_texts", "create_first_versions"),
]


def restore_reference_data() -> None:
    """Put back the rows data migrations create (the idempotent migration functions)."""
    import importlib

    from django.apps import apps

    for module, function in REFERENCE_DATA:
        getattr(importlib.import_module(module), function)(apps, None)


@pytest.fixture(autouse=True)
def _reference_data_in_transactional_tests(request: pytest.FixtureRequest) -> None:
    """A transactional test starts after a flush that emptied every table, reference
    data included (cantons, role groups, policy texts): restore it, as the migrations
    would on a real database."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        restore_reference_data()
