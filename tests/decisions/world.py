"""A plenary to vote in, shared by the decisions tests: full members, a substitute, a
facilitator, the DCCU, and a proposal submitted to the plenary with a known paragraph."""

from __future__ import annotations

import dataclasses
from typing import Any

import pycrdt

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly import actions as assembly_actions
from assembly.models import Assembly, Mandate
from deliberation import drafts
from deliberation.models import Proposal, ProposalStatus
from deliberation.proposals import do_create_proposal, do_transition
from tests import factories

SENTENCE = "Un minibus relie les hameaux au marché le mardi matin."


@dataclasses.dataclass
class Plenary:
    assembly: Assembly
    mandate: Mandate
    members: list[User]  # full members; members[0] and [1] write the proposal
    substitute: User
    facilitator: User  # of the proposal's subgroup
    dccu: User
    proposal: Proposal


def add_paragraph(proposal: Proposal, text: str, author: Any = None) -> None:
    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(text)]))
    drafts.append(
        proposal.draft.pk,
        [(doc.get_update(before), getattr(author, "pk", None))],
        known_authors=set(),
    )


def make_plenary(members: int = 5) -> Plenary:
    assembly = factories.make_assembly()
    mandate = factories.make_mandate(assembly)
    people = [factories.make_titulaire(assembly) for _ in range(members)]
    substitute = factories.make_substitute(assembly, factories.seat(assembly, "Revel"))
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    dccu = factories.UserFactory(roles=[Role.DCCU])
    enrol_demo_totp(dccu)
    subgroup = assembly_actions.do_create_subgroup(
        None, mandate=mandate, name="Mobilités", members=people[:2], facilitators=[facilitator]
    )
    proposal = do_create_proposal(people[0], subgroup, "Des minibus pour les hameaux")
    add_paragraph(proposal, SENTENCE, people[0])
    do_transition(None, proposal, ProposalStatus.REVIEW)
    do_transition(None, proposal, ProposalStatus.SUBMITTED)
    proposal.refresh_from_db()
    return Plenary(assembly, mandate, people, substitute, facilitator, dccu, proposal)
