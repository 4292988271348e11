"""Sessions for the attendance, indemnity and travel-claim tests (made with the ORM:
session management belongs to another part of the app)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly, Session
from tests import factories


def make_session(
    assembly: Assembly, *, kind: str = "pleniere", starts_at: dt.datetime | None = None,
    hours: int = 6, facilitators: list[User] | None = None, **kwargs: Any,
) -> Session:
    start = starts_at or timezone.now() - dt.timedelta(hours=1)
    session = Session.objects.create(
        assembly=assembly, kind=kind, title=kwargs.pop("title", "Plénière d'automne"),
        starts_at=start, ends_at=start + dt.timedelta(hours=hours),
        place=kwargs.pop("place", "Hôtel du Département, Toulouse"), **kwargs,
    )
    if facilitators:
        session.facilitators.add(*facilitators)
    return session


def facilitator() -> User:
    return factories.UserFactory(roles=[Role.FACILITATEUR])
