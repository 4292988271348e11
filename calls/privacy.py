"""Personal data held by live calls: who started a call, who attended it. Never what was said."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from calls.models import Call, CallParticipation
from forums.privacy import MESSAGE_DAYS, PEOPLE, ROOM_READERS, assembly_end
from gdpr.registry import Erasure, LegalBasis, Retention, declare

NO_RECORDING = _(
    "Calls are never recorded: neither sound nor image nor text of what is said is stored, "
    "by the platform or by the media server."
)

declare(
    Call,
    subject="started_by",
    fields=(
        "room",
        "mode",
        "parent",
        "label",
        "ends_at",
        "started_by",
        "started_at",
        "ended_at",
    ),
    purpose=_(
        "Let the members and the staff speak live, in audio or video, in their subgroups, "
        "in the plenary and one to one (Article 5 of the assembly's specification)."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _(
            "Deleted 1 year after the end of its assembly's mandate (for a direct "
            "conversation: of the assembly in office when the call started), with its "
            "attendance list."
        ),
        days=MESSAGE_DAYS,
        since=(assembly_end("room", "started_at"), "started_at"),
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=ROOM_READERS,
    notes=NO_RECORDING,
)

declare(
    CallParticipation,
    subject="user",
    fields=("call", "user", "joined_at", "left_at", "may_speak", "hand_raised_at"),
    machine_text=("channel",),
    purpose=_(
        "Show who is in a call and who asks for the floor while it goes on, and keep the "
        "attendance list of each call (who took part, when, for how long), because "
        "attendance matters for the assembly."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _(
            "Deleted 1 year after the end of its assembly's mandate (for a direct "
            "conversation: of the assembly in office at the time of the call)."
        ),
        days=MESSAGE_DAYS,
        since=(assembly_end("call__room", "joined_at"), "joined_at"),
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=_(
        "the people of the room while the call goes on; the room's facilitators "
        "and the DCCU team for the attendance list"
    ),
    notes=NO_RECORDING,
)
