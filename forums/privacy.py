"""Personal data held by conversations: messages, voices, reactions, markers, moderation."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.db.models.functions import Now
from django.utils.translation import gettext_lazy as _

from forums.models import (
    Attachment,
    Message,
    Mute,
    NotificationPreference,
    Reaction,
    ReadMarker,
    Report,
    Room,
    Thread,
)
from gdpr.registry import Erasure, LegalBasis, Retention, declare

PEOPLE = _("members, substitutes, facilitators, agents, DCCU team, follow-up committee")
ROOM_READERS = _(
    "the people of the room: a subgroup's members and facilitators and the DCCU team; the "
    "whole assembly for the plenary; only its participants for a direct conversation"
)
MESSAGE_DAYS = 365
RECORDING_DAYS = 90


declare(
    Room,
    subject="participants",
    extra_subjects=("created_by",),
    fields=("kind", "name", "participants", "created_by", "created_at"),
    purpose=_("Know who takes part in a direct conversation, and who started it."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("As long as the room exists; the rooms of a mandate go with the mandate's "
          "conversations, 1 year after the end of the assembly's mandate.")
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=_("the other participants of the room; DCCU team for subgroup and plenary "
                 "rooms (never for direct conversations)"),
)

declare(
    Thread,
    subject="created_by",
    fields=("room", "title", "created_at", "last_activity_at"),
    purpose=_("Organise the conversations into topics that can be read and answered later."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("1 year after the end of the assembly's mandate, then deleted with its messages."),
        days=MESSAGE_DAYS,
        since="mandate_end",
        applies_to=Q(created_at__lt=Now() - timedelta(days=MESSAGE_DAYS)),
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=ROOM_READERS,
)

declare(
    Message,
    subject="author",
    extra_subjects=("mentions",),
    fields=(
        "room", "thread", "format", "body", "reply_to", "mentions", "created_at", "edited_at",
        "deleted_at", "hidden_at", "hidden_reason",
    ),
    purpose=_(
        "Let the members and the staff exchange in writing, live or later, in their "
        "subgroups, in the plenary and one to one (Article 5 of the assembly's specification)."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of the assembly's mandate, then deleted (the "
          "proposals and reports keep the outcome of the discussions)."),
        days=MESSAGE_DAYS,
        since="mandate_end",
        applies_to=Q(created_at__lt=Now() - timedelta(days=MESSAGE_DAYS)),
    ),
    # What was said belongs to the collective discussion: the text stays, signed
    # « Participant·e n°N »; the person's names written in messages (and in every other
    # text of the platform) are replaced by gdpr.scrub.
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=ROOM_READERS,
    notes=_(
        "A message the author deletes loses its text and files at once. A voice, more "
        "identifying than a text, is a separate item with a shorter retention."
    ),
)

declare(
    Attachment,
    subject="message__author",
    fields=("message", "kind", "name", "file", "content_type", "size", "duration_seconds",
            "transcript", "created_at"),
    files=("file",),
    machine_text=("content_type",),
    purpose=_(
        "Share files and voice messages in the conversations; the transcript lets people "
        "who cannot listen read what was said."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Deleted with their files 90 days after the end of the assembly's mandate: a "
          "recorded voice identifies the person more than a text, and the discussions no "
          "longer need it once the assembly has ended."),
        days=RECORDING_DAYS,
        since="mandate_end",
        applies_to=Q(created_at__lt=Now() - timedelta(days=RECORDING_DAYS)),
    ),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=ROOM_READERS,
)

declare(
    Reaction,
    subject="user",
    fields=("message", "emoji", "created_at"),
    purpose=_("Let people answer a message with a short reaction."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("Deleted with its message, or when the person takes it back.")),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=ROOM_READERS,
)

declare(
    ReadMarker,
    subject="user",
    fields=("thread", "last_read_id", "updated_at"),
    purpose=_("Count unread messages and show where the new ones start."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("Deleted with its thread or the account.")),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=_("the person only"),
)

declare(
    Report,
    subject="reporter",
    fields=("message", "reason", "created_at", "handled_at", "outcome"),
    purpose=_("Let anyone alert the moderators to a message that breaks the charter."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("1 year after the report, then deleted (the audit trail keeps that it was "
          "handled)."),
        days=365,
        since="created_at",
    ),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=_("the room's moderators (facilitators, DCCU team); never the author of the "
                 "message"),
)

declare(
    Mute,
    subject="user",
    fields=("room", "until", "reason", "created_at"),
    purpose=_("Stop someone from writing in a room for a while, as the charter provides."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("30 days after the end of the mute, then deleted (the audit trail keeps that it "
          "happened)."),
        days=30,
        since="until",
    ),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=_("the person, the room's moderators (facilitators, DCCU team)"),
)

declare(
    NotificationPreference,
    subject="user",
    fields=("email_direct_and_mentions", "last_digest_at", "updated_at"),
    purpose=_("Send direct messages and mentions by email only as the person wishes."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the account exists.")),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=_("the person only"),
)
