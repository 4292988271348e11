"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from tests import factories
from tests.tools import program_or_skip


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
    """The browser tests first, then the tests without the test database (among them the
    longest: several server processes, a crash, stock Node clients), then pytest-django's
    own order (the transactional tests, whose flush empties every table, after the
    others). The browser tests share one server and one Chromium and run together on one
    worker (tests/workers.py), first, as the longest unit of work, while the other worker
    takes the rest; the long tests early leave no long tail at the end. Playwright runs an
    event loop on the main thread while it is open, in which no other test could start
    its own: tests/e2e/conftest.py closes it after the last browser test."""
    def rank(item: pytest.Item) -> int:
        if "e2e" in item.keywords:
            return 0
        if item.get_closest_marker("django_db") is None and not (
            {"db", "transactional_db"} & set(getattr(item, "fixturenames", ()))
        ):
            return 1
        return 2

    items.sort(key=rank)


def pytest_configure(config: Any) -> None:
    from django.conf import settings

    # The real hasher costs ~1 s per password here; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    _flush_postgresql_by_delete()


def _flush_postgresql_by_delete() -> None:
    """A transactional test ends with a flush of every table. On PostgreSQL, Django's one
    TRUNCATE of the ~150 tables took 1.3–1.9 s a test here (it makes new files for each
    table and index); deleting the few rows a test wrote takes milliseconds. The foreign
    keys Django creates are checked at the commit (DEFERRABLE INITIALLY DEFERRED) and the
    flush runs in one transaction, so the order of the tables does not matter. A flush
    that resets the sequences keeps Django's TRUNCATE … RESTART IDENTITY."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    truncate = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations, style: Any, tables: Any, *, reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences:
            return truncate(self, style, tables, reset_sequences=True,
                            allow_cascade=allow_cascade)
        return [f"DELETE FROM {self.quote_name(table)};" for table in tables]  # noqa: S608

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign]


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


@pytest.fixture(autouse=True)
def _fresh_channel_layers() -> Any:
    """Each async test runs in its own event loop, and a Redis layer keeps locks bound to
    the loop that first used it: a consumer left receiving by one test made the next one
    on the same layer fail with « bound to a different event loop » (on PostgreSQL +
    Redis, depending on the order the workers ran the tests in). Every test gets its own
    layer instance (tests/realtime/conftest.py adds the rest of what sockets need)."""
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _socket_threads_give_back_connections(request: pytest.FixtureRequest) -> Any:
    """The sockets' database threads keep their connection (realtime/threads.py): it would
    outlive the test and keep PostgreSQL from dropping the test database at the end of the
    run (« is being accessed by other users »)."""
    yield
    if request.node.get_closest_marker("django_db") is None:
        return
    from realtime.threads import close_kept_connections

    close_kept_connections()


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


@pytest.fixture
def node() -> str:
    """Node with the frontend's stock Yjs packages, for the tests that run its clients."""
    executable = program_or_skip("node", "the stock Yjs client test")
    modules = Path(__file__).resolve().parents[1] / "frontend" / "node_modules"
    for package in ("yjs", "y-websocket", "ws"):
        if not (modules / package / "package.json").exists():
            pytest.fail(
                f"frontend/node_modules/{package} is missing: run `make test` "
                "(it installs the frontend's packages with `npm ci --prefix frontend`)"
            )
    return executable
