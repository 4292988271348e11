"""One shape for permissions (docs/permissions.md, « One shape for every object »).

Every permission-bearing model answers ``get_abilities(user)`` with the abilities the
document lists, no app declares its own role groups, and each ``access_<noun>`` helper
exists once.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser

from accounts.roles import Role
from assembly.models import SeatOffer, Session, SessionDocument, Subgroup
from assembly.models_draws import Draw
from calls.models import Call
from decisions.models import Amendment, Vote
from deliberation.models import Draft, Proposal
from documents.models import Document
from forums.models import Message, Room, RoomKind
from gdpr.models import DataRequest
from learning.models import PracticeSpace
from notifications.models import Notification
from workshops.models import Board, Wall

ROOT = Path(__file__).resolve().parent.parent
APPS = (
    "accounts", "assembly", "deliberation", "documents", "forums", "calls", "gdpr", "realtime",
    "config", "notifications", "decisions", "workshops", "learning",
)
ROW = re.compile(r"^\| `(?P<model>\w+\.\w+)` \| (?P<abilities>[^|]+) \|", re.M)


def documented() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "permissions.md").read_text()
    section = text.split("## One shape for every object", 1)[1].split("\n## ", 1)[0]
    return {
        m["model"]: set(re.findall(r"`(\w+)`", m["abilities"])) for m in ROW.finditer(section)
    }


def sample(label: str) -> Any:
    """An unsaved object of the model: abilities are asked of it by someone without rights."""
    room = Room(kind=RoomKind.PLENARY)
    proposal = Proposal()
    objects: dict[str, Any] = {
        "assembly.Subgroup": Subgroup(),
        "assembly.Draw": Draw(),
        "assembly.SessionDocument": SessionDocument(session=Session(kind="pleniere")),
        "assembly.Session": Session(kind="pleniere"),
        "assembly.SeatOffer": SeatOffer(),
        "forums.Room": room,
        "forums.Message": Message(room=room),
        "documents.Document": Document(),
        "deliberation.Proposal": proposal,
        "deliberation.Draft": Draft(proposal=proposal),
        "gdpr.DataRequest": DataRequest(),
        "calls.Call": Call(room=room),
        "notifications.Notification": Notification(),
        "decisions.Vote": Vote(),
        "decisions.Amendment": Amendment(),
        "workshops.Wall": Wall(room=room),
        "workshops.Board": Board(room=room),
        "learning.PracticeSpace": PracticeSpace(),
    }
    return objects[label]


def source_files() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    ]


def test_every_model_with_abilities_is_documented() -> None:
    with_abilities = {
        model._meta.label for model in apps.get_models() if hasattr(model, "get_abilities")
    }
    assert with_abilities == set(documented())


@pytest.mark.parametrize("label", sorted(documented()))
def test_documented_abilities_are_the_ones_returned(label: str) -> None:
    abilities = sample(label).get_abilities(AnonymousUser())
    assert set(abilities) == documented()[label]
    assert not any(abilities.values()), "someone without a role may do nothing"
    assert all(isinstance(value, bool) for value in abilities.values())


@pytest.mark.django_db
@pytest.mark.parametrize("label", sorted(documented()))
def test_abilities_keep_their_keys_for_a_person_with_roles(label: str) -> None:
    from accounts.roles import grant_role
    from tests import factories

    assembly = factories.make_assembly()
    person = factories.make_titulaire(assembly)
    grant_role(person, Role.DCCU)
    subgroup = factories.make_subgroup(assembly, members=[person])
    objects: dict[str, Any] = {
        "assembly.Subgroup": subgroup,
        "assembly.Draw": Draw(assembly=assembly),
        "forums.Room": factories.room_of(subgroup),
        "forums.Message": factories.send(person, factories.room_of(subgroup)),
        "documents.Document": Document(contributor=person, title="Note"),
        "gdpr.DataRequest": DataRequest(user=person, kind="access"),
        "calls.Call": Call.objects.create(room=factories.room_of(subgroup)),
        "notifications.Notification": Notification(recipient=person, kind="mention"),
        "assembly.SeatOffer": SeatOffer(user=person),
        "learning.PracticeSpace": PracticeSpace(owner=person),
    }
    if label in ("assembly.SessionDocument", "assembly.Session"):
        import datetime as dt

        from django.utils import timezone

        starts = timezone.now() + dt.timedelta(days=30)
        session = Session.objects.create(
            assembly=assembly, kind="pleniere", title="Plénière", starts_at=starts,
            ends_at=starts + dt.timedelta(hours=6),
        )
        objects["assembly.Session"] = session
        objects["assembly.SessionDocument"] = SessionDocument.objects.filter(
            session=session
        ).first()
    if label in ("decisions.Vote", "decisions.Amendment"):
        from decisions.actions import do_create_vote
        from decisions.models import Amendment as AmendmentModel
        from deliberation.proposals import do_create_proposal

        proposal = do_create_proposal(person, subgroup, "Des bus le dimanche")
        objects["decisions.Vote"] = do_create_vote(person, subgroup.mandate, "Q ?", "majorite")
        objects["decisions.Amendment"] = AmendmentModel.objects.create(
            proposal=proposal, number=1, author=person, kind="supprimer", quote="bus",
            rationale="Non.")
    if label in ("workshops.Wall", "workshops.Board"):
        from workshops import walls

        room = factories.room_of(subgroup)
        objects["workshops.Wall"] = walls.create_wall(room, question="Quoi ?", by=person)
        objects["workshops.Board"] = walls.create_board(room, title="Carte", by=person)
    if label in ("deliberation.Proposal", "deliberation.Draft"):
        from deliberation.proposals import do_create_proposal

        proposal = do_create_proposal(person, subgroup, "Des bus le dimanche")
        objects[label] = proposal if label == "deliberation.Proposal" else proposal.draft
    abilities = objects[label].get_abilities(person)
    assert set(abilities) == documented()[label]
    assert abilities["read"] if "read" in abilities else abilities["moderate"]
    assert all(isinstance(value, bool) for value in abilities.values())


def test_role_groups_are_declared_only_in_accounts_roles() -> None:
    """A set of roles written by hand elsewhere drifts from the others: use the groups."""
    literal = re.compile(r"[{(\[]\s*Role\.\w+\s*,")
    allowed = {ROOT / "accounts" / "roles.py", ROOT / "accounts" / "names.py"}  # badge order
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in source_files()
        if path not in allowed
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if literal.search(line)
    ]
    assert offenders == []


def test_abilities_are_only_asked_through_get_abilities() -> None:
    """No public ``<noun>_abilities`` function beside the models' ``get_abilities``."""
    offenders = []
    for path in source_files():
        for node in ast.parse(path.read_text()).body:
            if (
                isinstance(node, ast.FunctionDef)
                and node.name.endswith("abilities")  # not announce_abilities_changed
                and not node.name.startswith("_")
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.name}")
    assert offenders == []


def test_each_access_helper_exists_once_and_takes_the_user_first() -> None:
    seen: dict[str, list[str]] = {}
    for path in source_files():
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("access_"):
                seen.setdefault(node.name, []).append(str(path.relative_to(ROOT)))
                assert node.args.args[0].arg == "user", f"{path}: {node.name}"
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}
    assert {"access_room", "access_document", "access_proposal", "access_draft",
            "access_data_request", "access_vote", "access_amendment"} <= set(seen)
