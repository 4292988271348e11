"""The demo seed: a complete assembly, the same on every run; and the demo TOTP code."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from io import StringIO
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count
from django.test import Client

from accounts.models import User
from accounts.roles import Role, has_role
from assembly.models import (
    Assembly,
    Canton,
    Mandate,
    MandateKind,
    Membership,
    MembershipKind,
    Subgroup,
)

pytestmark = pytest.mark.django_db

ASSEMBLY_NAME = "Assemblée citoyenne de la Haute-Garonne 2025-2027"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db: Any) -> Assembly:
    seed()
    return Assembly.objects.get(name=ASSEMBLY_NAME)


def current(kind: str) -> Any:
    return Membership.objects.current().filter(kind=kind)


# The seats page's two stories (assembly.demo.ensure_seat_stories): membre108 resigned and
# remplacant108 took the seat; membre107 became an agent (démission d'office) and the seat
# waits for remplacant107's answer.
RESIGNED, SUCCESSOR = "membre108@example.org", "remplacant108@example.org"
INCOMPATIBLE, OFFERED = "membre107@example.org", "remplacant107@example.org"


def test_one_titulaire_and_one_first_substitute_per_seat(seeded: Assembly) -> None:
    assert Canton.objects.count() == 27
    assert seeded.mandate_start == dt.date(2025, 10, 1)
    assert seeded.mandate_end == dt.date(2027, 6, 30)
    assert current(MembershipKind.TITULAIRE).count() == 107  # one seat offered
    assert current(MembershipKind.REMPLACANT).count() == 107  # one substitute promoted
    assert set(current(MembershipKind.REMPLACANT).values_list("substitute_rank", flat=True)) == {1}
    story_seats = list(
        Membership.objects.filter(user__email__in=[RESIGNED, INCOMPATIBLE])
        .values_list("seat_id", flat=True)
    )
    for kind in MembershipKind.values:
        per_seat = current(kind).exclude(seat__in=story_seats).values("seat").annotate(
            n=Count("id")
        )
        assert {row["n"] for row in per_seat} == {1}
        assert len(per_seat) == 106
        per_category = current(kind).values("seat__category").annotate(n=Count("id"))
        assert sum(row["n"] for row in per_category) == 107


def test_the_seats_page_has_a_past_replacement_and_a_pending_offer(seeded: Assembly) -> None:
    from assembly.models import EndReason, SeatOffer

    resigned = Membership.objects.get(user__email=RESIGNED)
    assert resigned.end_reason == EndReason.RESIGNATION and resigned.end_note
    successor = Membership.objects.open().get(user__email=SUCCESSOR)
    assert successor.kind == MembershipKind.TITULAIRE and successor.seat == resigned.seat
    ineligible = Membership.objects.get(user__email=INCOMPATIBLE)
    assert ineligible.end_reason == EndReason.INELIGIBLE and ineligible.end_note
    offer = SeatOffer.objects.pending().get()
    assert offer.user.email == OFFERED and offer.seat == ineligible.seat


def test_saisine_is_current_with_six_subgroups_of_18(seeded: Assembly) -> None:
    mandate = Mandate.objects.get(assembly=seeded)
    assert mandate.kind == MandateKind.SAISINE
    assert mandate.is_current(dt.date(2026, 11, 29))
    subgroups = Subgroup.objects.filter(mandate=mandate)
    assert subgroups.count() == 6
    assert sorted(s.members.count() for s in subgroups) == [17, *[18] * 5]  # a seat offered
    titulaires = set(current(MembershipKind.TITULAIRE).values_list("user_id", flat=True))
    in_subgroups = list(User.subgroups.through.objects.values_list("user_id", flat=True))
    assert sorted(in_subgroups) == sorted(titulaires)  # each titulaire exactly once
    facilitated = Counter(f.email for s in subgroups for f in s.facilitators.all())
    assert facilitated == {f"facilitateur{i}@example.org": 2 for i in (1, 2, 3)}


def test_staff_accounts_and_roles(seeded: Assembly) -> None:
    facilitators = Group.objects.get(name=Role.FACILITATEUR.value).user_set.all()
    assert sorted(u.email for u in facilitators) == [
        f"facilitateur{i}@example.org" for i in (1, 2, 3)
    ]
    agents = Group.objects.get(name=Role.AGENT.value).user_set.all()
    assert sorted(u.email for u in agents) == [f"agent{i}@example.org" for i in range(1, 6)]
    assert all(agent.is_department_agent for agent in agents)
    for email, role in [("dccu@example.org", Role.DCCU), ("dpd@example.org", Role.DPD)]:
        user = User.objects.get(email=email)
        assert has_role(user, role)
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
    assert User.objects.get(email="dccu@example.org").is_staff


def test_membre001_logs_in_with_the_demo_password(seeded: Assembly) -> None:
    client = Client()
    assert client.login(email="membre001@example.org", password="agora-demo")
    assert not client.login(email="membre001@example.org", password="autre-chose")


def test_seed_twice_changes_nothing(seeded: Assembly) -> None:
    def snapshot() -> dict[str, Any]:
        return {
            "assemblies": Assembly.objects.count(),
            "users": sorted(User.objects.values_list("email", "password", "birth_date")),
            "memberships": sorted(
                Membership.objects.values_list("user_id", "seat_id", "kind", "substitute_rank")
            ),
            "mandates": Mandate.objects.count(),
            "subgroups": sorted(
                (s.name, sorted(str(m.pk) for m in s.members.all()))
                for s in Subgroup.objects.all()
            ),
            "groups": sorted(User.groups.through.objects.values_list("user_id", "group_id")),
            "authenticators": Authenticator.objects.count(),
        }

    before = snapshot()
    seed()
    assert snapshot() == before


def test_custom_password(db: Any) -> None:
    seed("--password", "un-autre-mot-de-passe")
    assert User.objects.get(email="agent3@example.org").check_password("un-autre-mot-de-passe")


def test_seed_is_refused_outside_demo_mode(db: Any, settings: Any) -> None:
    settings.AGORA_DEMO = False
    with pytest.raises(CommandError):
        seed()
    assert not User.objects.exists()


def test_demo_totp_prints_the_current_code(settings: Any) -> None:
    from accounts.demo import current_demo_code

    before = current_demo_code()
    out = StringIO()
    call_command("demo_totp", stdout=out)
    printed = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", printed)
    assert printed in {before, current_demo_code()}  # the code may turn over meanwhile


def test_demo_totp_is_refused_outside_demo_mode(settings: Any) -> None:
    settings.AGORA_DEMO = False
    with pytest.raises(CommandError):
        call_command("demo_totp", stdout=StringIO())


def test_every_room_of_the_saisine_opens_with_a_few_messages(seeded: Assembly) -> None:
    from forums.models import Message, Room, RoomKind

    mandate = Mandate.objects.get(assembly=seeded)
    rooms = Room.objects.filter(mandate=mandate)
    assert sorted(rooms.values_list("kind", flat=True)) == sorted(
        [RoomKind.PLENARY, RoomKind.STAFF] + [RoomKind.SUBGROUP] * 6
    )
    for room in rooms:
        messages = Message.objects.filter(room=room)
        assert messages.count() >= 2, room.name
        assert all(m.room.get_abilities(m.author)["write"] for m in messages), room.name
    before = Message.objects.count()
    seed()
    assert Message.objects.count() == before  # fixed client ids: nothing sent twice


def test_membre001_has_past_plenaries_and_a_statement(seeded: Assembly) -> None:
    import datetime as dt

    from assembly.indemnities import statement_for
    from assembly.models import Attendance

    member = User.objects.get(email="membre001@example.org")
    statement = statement_for(member, seeded, dt.date(2025, 10, 1))
    assert statement.plenaries == 4 and len(statement.lines) == 5  # the cap shows
    assert statement.amount == 360
    count = Attendance.objects.count()
    seed()
    assert Attendance.objects.count() == count
