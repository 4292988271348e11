"""Personal data held by conversations: messages, voices, reactions, markers, moderation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assembly.models import mandate_end_in_office
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
    VoiceDraft,
)
from gdpr.audit import withhold_from_subject
from gdpr.registry import Anchor, CopyFile, Erasure, LegalBasis, Retention, declare

PEOPLE = _("members, substitutes, facilitators, agents, DCCU team, follow-up committee")
ROOM_READERS = _(
    "the people of the room: a subgroup's members and facilitators and the DCCU team; the "
    "whole assembly for the plenary; only its participants for a direct conversation"
)
MESSAGE_DAYS = 365
RECORDING_DAYS = 90


def assembly_end(room: str, written_at: str) -> Anchor:
    """The end of the mandate of the assembly a conversation belongs to.

    A subgroup, plenary or staff room belongs to a mandate, hence to its assembly. A
    direct conversation or a document's comments belong to none: what is said there
    belongs to the assembly in office when it was said (``written_at``), so that a
    conversation going on from one assembly to the next keeps what was said under the
    current one. Before the first assembly the date is unknown, and nothing is due.
    """
    prefix = f"{room}__" if room else ""
    return Anchor(
        f"end of the assembly of {room or 'the room'} (or in office at {written_at})",
        Coalesce(
            F(f"{prefix}mandate__assembly__mandate_end"),
            F(f"{prefix}subgroup__mandate__assembly__mandate_end"),
            mandate_end_in_office(written_at),
        ),
    )


def attachment_copy_files(rows: Any) -> Iterator[CopyFile]:
    """The person's voices and files for their copy: dated, named as shown in the room, with
    their extension (they are stored under a random name without one)."""
    import mimetypes

    from forums.voice import EXTENSIONS

    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    columns = ("pk", "file", "name", "content_type", "created_at")
    for pk, stored, name, content_type, created_at in rows.values_list(*columns).iterator(
        chunk_size=500
    ):
        if not stored:
            continue
        extension = EXTENSIONS.get(content_type) or (
            mimetypes.guess_extension(content_type) or ""
        ).lstrip(".")
        shown = name or str(Attachment._meta.verbose_name)
        if extension and not shown.lower().endswith(f".{extension}"):
            shown = f"{shown}.{extension}"
        when = timezone.localtime(created_at).strftime("%Y-%m-%d %Hh%M")
        yield CopyFile(str(pk), "file", f"{when} {shown}", storage, stored)


# Entries written before reports were recorded as the reporter's named the message's author
# as their subject: they stay out of the author's copy.
withhold_from_subject("forums.message.report", "forums.report.handle")


declare(
    Room,
    subject="participants",
    extra_subjects=("created_by",),
    fields=("kind", "name", "participants", "created_by", "created_at"),
    purpose=_("Know who takes part in a direct conversation, and who started it."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Deleted 1 year after the end of its assembly's mandate (for a direct "
          "conversation: of the assembly in office when it was started), once everything "
          "said in it is due too."),
        days=MESSAGE_DAYS,
        since=(assembly_end("", "created_at"), "created_at"),
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
        _("1 year after the end of its assembly's mandate, then deleted, once every "
          "message in it is due too (a message posted later keeps the thread)."),
        days=MESSAGE_DAYS,
        since=(assembly_end("room", "created_at"), "created_at"),
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
        "room", "thread", "author", "format", "body", "reply_to", "mentions", "created_at",
        "edited_at", "deleted_at", "hidden_at", "hidden_reason",
    ),
    # A moderator's copy holds the messages they hid: whose, where, when and why.
    actors={"hidden_by": ("room", "thread", "author", "created_at", "hidden_at",
                          "hidden_reason")},
    purpose=_(
        "Let the members and the staff exchange in writing, live or later, in their "
        "subgroups, in the plenary and one to one (Article 5 of the assembly's specification)."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of its assembly's mandate (for a direct message or "
          "a comment on a document: of the assembly in office when it was written), and "
          "at least 1 year after it was written, then deleted (the proposals and reports "
          "keep the outcome of the discussions). A message that is reported stays as long "
          "as the report."),
        days=MESSAGE_DAYS,
        since=(assembly_end("room", "created_at"), "created_at"),
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
            "transcript", "transcript_source", "transcript_status", "transcript_failure",
            "created_at"),
    files=("file",),
    copy_files=attachment_copy_files,
    machine_text=("content_type",),
    purpose=_(
        "Share files and voice messages in the conversations; the transcript lets people "
        "who cannot listen read what was said. An automatic transcript is made on the "
        "département's own servers: the recording never leaves the platform's "
        "infrastructure."
    ),
    notes=_(
        "The transcript of a voice message is personal data of the person who speaks: "
        "typed by them, or written automatically by speech-to-text when the DCCU has set "
        "it up, and correctable by them. Speech-to-text runs on the département's own "
        "servers (whisper.cpp, or a transcription server it hosts): the recording never "
        "leaves the platform's infrastructure, and no third-party service hears it. The "
        "transcript is in the person's access copy and is erased with the recording."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Deleted with their files 90 days after the end of their assembly's mandate (as "
          "for their message), and at least 90 days after they were sent: a recorded voice "
          "identifies the person more than a text, and the discussions no longer need it "
          "once the assembly has ended."),
        days=RECORDING_DAYS,
        since=(assembly_end("message__room", "created_at"), "created_at"),
    ),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=ROOM_READERS,
)

declare(
    VoiceDraft,
    subject="author",
    fields=("room", "file", "content_type", "size", "duration_seconds", "transcript",
            "transcript_status", "transcript_failure", "created_at"),
    files=("file",),
    machine_text=("content_type",),
    purpose=_(
        "Propose the transcript of a voice message before it is sent, so that the person "
        "can correct it. It is made on the département's own servers: the recording never "
        "leaves the platform's infrastructure."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Becomes the voice message when it is sent; deleted with its file after 1 day "
          "if it never is."),
        days=1,
        since="created_at",
    ),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=_("only the person who recorded it"),
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
    actors={"handled_by": ("message", "handled_at", "outcome")},
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
    notes=_("A report is the reporter's data: the author of the message is not told who "
            "reported it, nor that it was reported (not even in their copy of their data); "
            "what the moderators decided about the message (hiding it, and why) is theirs."),
)

declare(
    Mute,
    subject="user",
    fields=("room", "until", "reason", "created_at"),
    actors={"muted_by": ("room", "user", "until", "reason", "created_at")},
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
