"""Personal data held by the practice space: what a person wrote while learning."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from gdpr.registry import Erasure, LegalBasis, Retention, declare
from learning.models import PracticeSpace

PRACTICE_DAYS = 30


def export_practice_space(person: Any) -> Iterator[dict[str, Any]]:
    """The person's practice space: the text of their practice draft and the notes of their
    practice wall as they are now (their practice messages are in the copy with their other
    messages, in the room « Ma salle d'entraînement »)."""
    from deliberation.render import doc_html
    from learning import sandbox
    from workshops import walls, ydocs

    for space in PracticeSpace.objects.filter(owner=person).select_related("room", "wall"):
        draft = doc_html(ydocs.load(space.draft_id, sandbox.ROOTS).doc)
        notes = walls.wall_content(space.wall_id)["notes"]
        yield {
            "id": str(space.pk),
            "room": space.room.name,
            "draft": str(draft),
            "wall": [
                str(note.get("text", "")) for note in notes.values() if isinstance(note, dict)
            ],
            "created_at": space.created_at,
            "last_used_at": space.last_used_at,
        }


declare(
    PracticeSpace,
    subject="owner",
    fields=("owner", "room", "draft", "wall", "created_at", "last_used_at"),
    purpose=_(
        "Let each person try the chat, the co-writing and the idea wall without "
        "consequence, to learn to use the platform (Article 5: train the users)."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Deleted 30 days after its last use, with everything written in it (messages, "
          "files, draft, wall); its owner can delete it at any time (« Tout effacer et "
          "recommencer »)."),
        days=PRACTICE_DAYS,
        since="last_used_at",
    ),
    erasure=Erasure.DELETE,
    categories_of_people=_(
        "members, substitutes, facilitators, agents, DCCU team, follow-up committee, DPO"
    ),
    recipients=_("nobody but the person: not the DCCU team, not the facilitators"),
    export=export_practice_space,
    notes=_(
        "Deleting a practice space deletes its room with its messages and files, its "
        "draft and its wall. It never appears in search, notifications, statistics, "
        "dashboards or exports of the assembly's work."
    ),
)
