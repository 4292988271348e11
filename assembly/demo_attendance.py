"""Demo attendance: past plenaries with their attendance lists, so that a member's
« Mes présences et indemnités » shows figures and the DCCU has a year to validate.
Sessions are made here with the ORM (their management pages are another part).
Idempotent: sessions are found by title."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from assembly.models import (
    Assembly,
    Attendance,
    AttendanceChange,
    Membership,
    MembershipKind,
    Session,
    SessionKind,
    TravelClaim,
)

PLENARIES = [
    (date(2025, 10, 11), "Plénière d'installation"),
    (date(2025, 12, 6), "Deuxième plénière : auditions"),
    (date(2026, 2, 7), "Troisième plénière : premières pistes"),
    (date(2026, 4, 4), "Quatrième plénière : arbitrages"),
    (date(2026, 6, 13), "Cinquième plénière : adoption du rapport d'étape"),
    (date(2026, 10, 10), "Plénière de rentrée"),
]
PLACE = "Hôtel du Département, 1 boulevard de la Marquette, Toulouse"


def ensure_attendance(assembly: Assembly, users: dict[str, User]) -> int:
    """The past plenaries and who attended them; returns the attendances created."""
    rng = random.Random(16)  # noqa: S311 - demo data, not security
    now = timezone.now()
    facilitator = users.get("facilitateur1@example.org")
    titulaires = list(
        User.objects.filter(
            memberships__in=Membership.objects.current().filter(
                seat__assembly=assembly, kind=MembershipKind.TITULAIRE
            )
        ).order_by("email")
    )
    created = 0
    for day, title in PLENARIES:
        starts_at = timezone.make_aware(datetime.combine(day, time(9, 30)))
        if starts_at > now:
            continue
        session, _new = Session.objects.get_or_create(
            assembly=assembly, title=title,
            defaults={
                "kind": SessionKind.PLENIERE, "starts_at": starts_at,
                "ends_at": starts_at + timedelta(hours=7), "place": PLACE, "online": True,
                "agenda": "Accueil, travaux en sous-groupes, restitution en plénière.",
            },
        )
        if facilitator is not None:
            session.facilitators.add(facilitator)
        if session.attendances.exists():
            continue
        for person in titulaires:
            # membre001 attends every plenary (one half day): their statement shows the cap.
            always = person.email == "membre001@example.org"
            if not always and rng.random() > 0.85:
                continue
            mode = "visio" if not always and rng.random() < 0.15 else "sur_place"
            share = Decimal("0.5") if always and day == date(2026, 2, 7) else Decimal(1)
            Attendance.objects.create(session=session, user=person, mode=mode, source="liste",
                                      share=share)
            AttendanceChange.objects.create(session=session, user=person, actor=facilitator,
                                            present=True, mode=mode, source="liste",
                                            share=share)
            created += 1
    member = users.get("membre001@example.org")
    first = Session.objects.filter(assembly=assembly, title=PLENARIES[0][1]).first()
    if member is not None and first is not None and not TravelClaim.objects.filter(
        user=member
    ).exists():
        TravelClaim.objects.create(
            assembly=assembly, user=member, session=first, date=first.starts_at.date(),
            origin="Bagnères-de-Luchon", destination="Toulouse", amount=Decimal("38.60"),
        )
    return created
