"""The demo's follow-up: 12 members of the follow-up committee, two adopted proposals with
the Département's answer, commitments, milestones (one late), progress updates and a
committee question answered — through the follow-up's own operations. Idempotent."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role, grant_role
from assembly.models import Mandate, Subgroup
from deliberation import followup
from deliberation.models import MilestoneStatus, Proposal, ProposalStatus

# The committee: 12 full members (in a real mandate, drawn by lot among volunteers).
COMMITTEE = [f"membre{n:03d}@example.org" for n in range(1, 108, 9)]

PROPOSALS: list[dict[str, Any]] = [
    {
        "subgroup": "Aidants",
        "title": "Un lieu de répit pour les aidants dans chaque bassin de vie",
        "decision": "retenue",
        "reasons": "Le Département retient la proposition : elle rejoint le schéma "
                   "départemental de l'autonomie. Deux lieux ouvriront en 2027, les suivants "
                   "selon le bilan.",
        "commitments": [
            ("Ouvrir deux lieux de répit pilotes", "Direction de l'autonomie", "agent1", [
                ("Choix des deux bassins de vie", -120, MilestoneStatus.DONE),
                ("Appel à projets auprès des associations", -20, MilestoneStatus.IN_PROGRESS),
                ("Ouverture du premier lieu", 180, MilestoneStatus.UPCOMING),
            ]),
            ("Informer les aidants de leurs droits", "Direction de la communication", None, [
                ("Guide de l'aidant mis à jour", 45, MilestoneStatus.UPCOMING),
            ]),
        ],
        "updates": [
            ("Les bassins de Saint-Gaudens et de Muret ont été retenus après la concertation "
             "avec les CCAS.", True),
        ],
        "question": ("Direction de l'autonomie", "agent1",
                     "Quand l'appel à projets sera-t-il publié, et les membres de l'assemblée "
                     "pourront-ils participer au jury ?",
                     "L'appel à projets sera publié le mois prochain. Deux membres du comité "
                     "de suivi seront invités au jury, sans voix délibérative."),
    },
    {
        "subgroup": "Mobilité des aînés",
        "title": "Du transport à la demande vers les bourgs-centres",
        "decision": "partielle",
        "reasons": "Le Département retient le principe sur les territoires ruraux sans ligne "
                   "régulière ; l'extension aux zones périurbaines relève des intercommunalités.",
        "commitments": [
            ("Expérimenter le transport à la demande dans le Comminges",
             "Direction des mobilités", "agent2", [
                 ("Étude des besoins", -60, MilestoneStatus.DONE),
                 ("Lancement de l'expérimentation", 90, MilestoneStatus.UPCOMING),
             ]),
        ],
        "updates": [
            ("L'étude des besoins est terminée : 340 personnes de plus de 70 ans interrogées.",
             False),
        ],
        "question": None,
    },
]


def ensure_committee(users: dict[str, User]) -> int:
    granted = 0
    for email in COMMITTEE:
        user = users.get(email) or User.objects.filter(email=email).first()
        if user is not None and not user.groups.filter(name=Role.COMITE_SUIVI.value).exists():
            grant_role(user, Role.COMITE_SUIVI)
            granted += 1
    return granted


def _adopted(mandate: Mandate, subgroup_name: str, title: str) -> Proposal | None:
    from deliberation.proposals import do_create_proposal, do_transition

    subgroup = Subgroup.objects.filter(mandate=mandate, name=subgroup_name).first()
    if subgroup is None:
        return None
    proposal = do_create_proposal(None, subgroup, title)
    for status in (ProposalStatus.REVIEW, ProposalStatus.SUBMITTED, ProposalStatus.ADOPTED,
                   ProposalStatus.TRANSMITTED):
        proposal = do_transition(None, proposal, status)
    return proposal


def ensure_followup(mandate: Mandate, users: dict[str, User]) -> int:
    """The two followed proposals (none more on a second run); returns how many were made."""
    ensure_committee(users)
    today = timezone.localdate()
    agent = {key: User.objects.filter(email=f"{key}@example.org").first()
             for key in ("agent1", "agent2")}
    committee_member = User.objects.filter(email=COMMITTEE[0]).first()
    created = 0
    for spec in PROPOSALS:
        if Proposal.objects.filter(mandate=mandate, title=spec["title"]).exists():
            continue
        proposal = _adopted(mandate, spec["subgroup"], spec["title"])
        if proposal is None:
            continue
        created += 1
        followup.do_answer_proposal(None, proposal, decision=spec["decision"],
                                    reasons=spec["reasons"])
        for title, service, owner, milestones in spec["commitments"]:
            commitment = followup.do_add_commitment(
                None, proposal, title=title, service=service,
                owner=agent.get(owner) if owner else None,
            )
            for name, days, status in milestones:
                followup.do_add_milestone(None, commitment, title=name,
                                          due_date=today + timedelta(days=days), status=status)
        for body, with_file in spec["updates"]:
            author = agent["agent1"] or None
            uploads = [SimpleUploadedFile(
                "compte-rendu-concertation.txt",
                b"Compte rendu de la concertation avec les CCAS.\n",
            )] if with_file else []
            update = followup.do_post_update(None, proposal, body=body, uploads=uploads)
            update.author = author
            update.save(update_fields=["author"])
        if spec["question"]:
            service, addressee, body, answer = spec["question"]
            question = followup.do_ask_question(None, proposal, body=body, service=service,
                                                addressee=agent.get(addressee))
            question.author = committee_member
            question.save(update_fields=["author"])
            followup.do_answer_question(None, question, answer=answer)
            question.answered_by = agent.get(addressee)
            question.save(update_fields=["answered_by"])
    return created
