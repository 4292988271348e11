"""Moving the institution from ``deliberation`` to ``assembly`` keeps every row.

The database is taken back to just before the move (``assembly.0001`` and the migrations
that follow it unapplied), rows are written with the models of that time, the database is
migrated forward again, and the rows are found through today's models, with their links to
and from proposals, rooms, invitations and library documents. Run on SQLite and, with
``DATABASE_URL``, on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from accounts.models import Invitation, User
from assembly.models import Assembly, Canton, Mandate, Membership, Seat, Subgroup
from deliberation.models import Proposal
from documents.models import Document
from forums.models import Room

BEFORE_THE_MOVE = [("assembly", None)]


def _migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.mark.production_stack  # slow; runs once in CI, on PostgreSQL (.ci/run)
@pytest.mark.django_db(transaction=True)
def test_moving_the_institution_to_assembly_keeps_every_row() -> None:
    _migrate(BEFORE_THE_MOVE)
    loader = MigrationLoader(connection)
    assert not any(app == "assembly" for app, _name in loader.applied_migrations)
    old = loader.project_state(list(loader.applied_migrations)).apps
    with pytest.raises(LookupError):
        old.get_model("assembly", "Membership")

    OldUser = old.get_model("accounts", "User")
    OldCanton = old.get_model("deliberation", "Canton")
    person = OldUser.objects.create(email="avant@example.org", first_name="Avant")
    assembly = old.get_model("deliberation", "Assembly").objects.create(
        name="Assemblée d'avant", mandate_start=dt.date(2025, 9, 1),
        mandate_end=dt.date(2027, 5, 1),
    )
    canton = OldCanton.objects.get(code="muret")
    seat = old.get_model("deliberation", "Seat").objects.create(
        assembly=assembly, canton=canton, category="f18"
    )
    membership = old.get_model("deliberation", "Membership").objects.create(
        user=person, seat=seat, kind="titulaire", start=dt.date(2025, 9, 1)
    )
    mandate = old.get_model("deliberation", "Mandate").objects.create(
        assembly=assembly, kind="saisine", title="Mobilités", question="Comment ?",
        start=dt.date(2025, 10, 1), end=dt.date(2026, 6, 1),
    )
    subgroup = old.get_model("deliberation", "Subgroup").objects.create(
        mandate=mandate, name="Vélo"
    )
    subgroup.members.add(person)
    subgroup.facilitators.add(person)
    proposal = old.get_model("deliberation", "Proposal").objects.create(
        mandate=mandate, subgroup=subgroup, title="Pistes cyclables"
    )
    room = old.get_model("forums", "Room").objects.create(
        kind="subgroup", name="Vélo", subgroup=subgroup, mandate=mandate
    )
    invitation = old.get_model("accounts", "Invitation").objects.create(
        email="invite@example.org", seat=seat, role="remplacant", substitute_rank=1,
        token_hash="x" * 64, expires_at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
    )
    document = old.get_model("documents", "Document").objects.create(title="Étude", kind="lien")
    document.mandates.add(mandate)
    cantons = OldCanton.objects.count()

    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert Canton.objects.count() == cantons == 27
    moved = Membership.objects.select_related("seat__assembly", "seat__canton", "user").get(
        pk=membership.pk
    )
    assert moved.user.email == "avant@example.org"
    assert moved.seat.canton.code == "muret"
    assert moved.seat.assembly == Assembly.objects.get(pk=assembly.pk)
    assert Seat.objects.filter(assembly_id=assembly.pk).count() == 1
    assert Mandate.objects.get(pk=mandate.pk).title == "Mobilités"
    group = Subgroup.objects.get(pk=subgroup.pk)
    assert list(group.members.all()) == list(group.facilitators.all()) == [
        User.objects.get(pk=person.pk)
    ]
    assert Proposal.objects.get(pk=proposal.pk).subgroup == group
    assert Room.objects.get(pk=room.pk).subgroup == group
    assert Invitation.objects.get(pk=invitation.pk).seat.pk == seat.pk
    assert list(Document.objects.get(pk=document.pk).mandates.values_list("pk", flat=True)) == [
        mandate.pk
    ]
    # The admin's log and permissions follow the models' content types.
    assert not ContentType.objects.filter(app_label="deliberation", model="membership").exists()
    assert ContentType.objects.get_for_model(Membership).app_label == "assembly"
