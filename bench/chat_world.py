"""A throw-away assembly for the chat benches: many plenary readers with session cookies."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from tests.realtime.servers import django_env, migrate, run_python

SETUP = """
from django.test import Client
from accounts.roles import Role
from forums.actions import ensure_rooms
from forums.models import Room, RoomKind
from tests import factories
assembly = factories.make_assembly()
mandate = factories.make_mandate(assembly)
ensure_rooms(mandate)
people = []
for i in range(min(PEOPLE, 108)):
    people.append(factories.make_titulaire(assembly, email=f"membre{i}@example.org"))
for i in range(max(0, PEOPLE - 108)):
    # Beyond the 108 seats: agents, who read the plenary too.
    people.append(factories.UserFactory(email=f"agent{i}@example.org", roles=[Role.AGENT]))
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
room = Room.objects.get(kind=RoomKind.PLENARY, mandate=mandate)
print(json.dumps({"room": str(room.pk), "cookies": [cookie(p) for p in people]}))
"""


def make_world(people: int, **env_extra: str) -> tuple[dict[str, str], dict[str, Any], Path]:
    """Migrate a fresh SQLite file, create ``people`` plenary readers; (env, world, dir)."""
    data_dir = Path(tempfile.mkdtemp(prefix="agora-bench-"))
    env = django_env(data_dir, **env_extra)
    migrate(env)
    world = run_python(env, f"PEOPLE = {int(people)}\n" + SETUP, timeout=600)
    return env, world, data_dir
