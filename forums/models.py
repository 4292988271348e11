"""Conversations: rooms, threads and messages. A live chat and a forum are two views of them."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import (
    ASSEMBLY_ROLES,
    MODERATOR_ROLES,
    PLENARY_WRITER_ROLES,
    STAFF_ROLES,
    Role,
    user_roles,
)

NO_ABILITIES = {"read": False, "write": False, "moderate": False}
MESSAGE_MAX_LENGTH = 4000  # chat and plain-text posts
POST_MAX_LENGTH = 50_000  # long forum posts written with the rich-text editor (HTML)


class RoomKind(models.TextChoices):
    SUBGROUP = "subgroup", _("subgroup")
    PLENARY = "plenary", _("plenary")
    DIRECT = "direct", _("direct messages")
    STAFF = "staff", _("staff")
    # The comments of one library document: its abilities follow the document's.
    DOCUMENT = "document", _("comments on a document")
    # The practice space (learning/sandbox.py): one person's room, read and written by its
    # owner only, and the shared training room anyone logged in may write in. Neither is
    # assembly content: no room list, search, notification, dashboard or guest grant.
    PRACTICE = "practice", _("practice room")
    TRAINING = "training", _("training room")


PRACTICE_KINDS = (RoomKind.PRACTICE, RoomKind.TRAINING)


class Room(models.Model):
    """Where people talk: one subgroup, the plenary, a direct conversation, or the staff.

    Who may read, write and moderate follows from ``get_abilities``: roles, the subgroup's
    people, the participants of a direct room, and django-guardian grants for anyone added
    by hand.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=RoomKind.choices)
    name = models.CharField(_("name"), max_length=200)
    subgroup = models.OneToOneField(
        "assembly.Subgroup", on_delete=models.CASCADE, null=True, blank=True,
        related_name="room", verbose_name=_("subgroup"),
    )
    mandate = models.ForeignKey(
        "assembly.Mandate", on_delete=models.CASCADE, null=True, blank=True,
        related_name="rooms", verbose_name=_("mandate"),
    )
    document = models.OneToOneField(
        "documents.Document", on_delete=models.CASCADE, null=True, blank=True,
        related_name="room", verbose_name=_("document"),
    )
    # People of a direct room (and guests added to another room by the DCCU).
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="rooms", verbose_name=_("participants"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    charter = models.TextField(
        _("pinned charter"), blank=True,
        help_text=_("Shown at the top of the room. Empty: the assembly's charter."),
    )
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        ordering = ["kind", "name"]
        permissions = [
            ("participate_room", _("Can read and write in this room")),
            ("moderate_room", _("Can moderate this room")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="subgroup", subgroup__isnull=False)
                | ~Q(kind="subgroup") & Q(subgroup__isnull=True),
                name="room_subgroup_only_for_subgroup_rooms",
            ),
            models.CheckConstraint(
                condition=Q(kind="document", document__isnull=False)
                | ~Q(kind="document") & Q(document__isnull=True),
                name="room_document_only_for_document_rooms",
            ),
            # ensure_rooms may run in two processes at once: one plenary, one staff room.
            models.UniqueConstraint(
                fields=["mandate", "kind"], condition=Q(kind__in=["plenary", "staff"]),
                name="room_one_plenary_and_staff_room_per_mandate",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """``read``, ``write`` and ``moderate`` (docs/permissions.md, « Conversations »).

        ``forums.access.readable_rooms`` lists the same rooms in one query; a test checks
        that both agree for every role and kind of room.
        """
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return dict(NO_ABILITIES)
        roles = user_roles(user)
        read = write = moderate = False
        if self.kind == RoomKind.SUBGROUP and self.subgroup_id is not None:
            subgroup = self.subgroup
            assert subgroup is not None  # noqa: S101 - subgroup_id checked above
            is_member = subgroup.members.filter(pk=user.pk).exists()
            is_facilitator = subgroup.facilitators.filter(pk=user.pk).exists()
            read = write = is_member or is_facilitator
            moderate = is_facilitator or Role.DCCU in roles
            read = read or Role.DCCU in roles
        elif self.kind == RoomKind.PLENARY:
            read = bool(roles & ASSEMBLY_ROLES)
            write = bool(roles & PLENARY_WRITER_ROLES)
            moderate = bool(roles & MODERATOR_ROLES)
        elif self.kind == RoomKind.DIRECT:
            read = write = self.participants.filter(pk=user.pk).exists()
        elif self.kind == RoomKind.STAFF:
            read = write = bool(roles & STAFF_ROLES)
            moderate = Role.DCCU in roles
        elif self.kind == RoomKind.DOCUMENT:
            document = self.document
            if document is None:
                return dict(NO_ABILITIES)
            abilities = document.get_abilities(user)
            read, write, moderate = abilities["read"], abilities["comment"], abilities["moderate"]
        elif self.kind == RoomKind.PRACTICE:
            read = write = self.participants.filter(pk=user.pk).exists()
        elif self.kind == RoomKind.TRAINING:
            read = write = True
            moderate = bool(roles & MODERATOR_ROLES)
        if self.kind not in (RoomKind.DIRECT, RoomKind.DOCUMENT, *PRACTICE_KINDS):
            if user.has_perm("forums.participate_room", self) or self.participants.filter(
                pk=user.pk
            ).exists():
                read = write = True
            if user.has_perm("forums.moderate_room", self):
                read = moderate = True
        if write and (self.archived_at is not None or self.is_muted(user)):
            write = False
        return {"read": read, "write": write, "moderate": moderate and read}

    def is_muted(self, user: Any) -> bool:
        return self.mutes.filter(user=user, until__gt=timezone.now()).exists()


class Thread(models.Model):
    """A topic inside a room; every room has one default thread, « Général »."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="threads", verbose_name=_("room")
    )
    title = models.CharField(_("title"), max_length=200)
    is_default = models.BooleanField(_("default thread"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_activity_at = models.DateTimeField(_("last activity"), default=timezone.now,
                                            db_index=True)

    class Meta:
        verbose_name = _("thread")
        verbose_name_plural = _("threads")
        ordering = ["-last_activity_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["room"], condition=Q(is_default=True), name="thread_one_default_per_room"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MessageFormat(models.TextChoices):
    TEXT = "text", _("plain text")
    HTML = "html", _("rich text")


class Message(models.Model):
    """Something said in a thread. Integer ids order the stream and serve as resync cursors.

    ``client_id`` (chosen by the sender's browser) makes sending idempotent:
    the same author sending the same client_id twice gets the first message back.
    """

    id = models.BigAutoField(primary_key=True)
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="messages", verbose_name=_("room")
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="messages", verbose_name=_("thread")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="messages",
        verbose_name=_("author"),
    )
    client_id = models.UUIDField(_("client id"))
    format = models.CharField(
        _("format"), max_length=4, choices=MessageFormat.choices, default=MessageFormat.TEXT
    )
    body = models.TextField(_("text"), blank=True)
    body_html = models.TextField(_("text (HTML, sanitized)"), blank=True, editable=False)
    reply_to = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replies",
        verbose_name=_("reply to"),
    )
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in",
        verbose_name=_("mentioned people"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, db_index=True)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("hidden by"),
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["room", "id"], name="message_room_cursor"),
            models.Index(fields=["thread", "id"], name="message_thread_cursor"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["author", "client_id"], name="message_client_id_unique_per_author"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} in {self.room_id}"

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """``report`` (whoever reads the room) and ``moderate``: the room's moderators; for a
        direct message, which no moderator reads, the DCCU once someone reported it."""
        in_room = self.room.get_abilities(user)
        moderate = in_room["moderate"]
        if self.room.kind == RoomKind.DIRECT:
            moderate = Role.DCCU in user_roles(user) and self.reports.exists()
        return {"report": in_room["read"], "moderate": moderate}

    @property
    def is_visible(self) -> bool:
        return self.deleted_at is None and self.hidden_at is None


class AttachmentKind(models.TextChoices):
    FILE = "file", _("file")
    VOICE = "voice", _("voice message")


class TranscriptStatus(models.TextChoices):
    """Where the automatic transcript of a voice message stands (forums/transcription.py)."""

    NONE = "none", _("not asked")
    PENDING = "pending", _("waiting")
    RUNNING = "running", _("in progress")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class TranscriptSource(models.TextChoices):
    """Who wrote the transcript a voice message shows."""

    NONE = "", _("no transcript")
    TYPED = "typed", _("typed by the author")
    AUTOMATIC = "auto", _("automatic")
    CORRECTED = "corrected", _("automatic, corrected by the author")


class TranscriptFailure(models.TextChoices):
    """Why an automatic transcript could not be made; shown to the room in plain words."""

    NONE = "", _("none")
    UNAVAILABLE = "unavailable", _("the transcription service could not be reached")
    TIMEOUT = "timeout", _("the transcription took too long")
    UNREADABLE = "unreadable", _("the recording could not be read")
    NOTHING_HEARD = "empty", _("no words were recognised")
    NOT_CONFIGURED = "off", _("automatic transcription is not set up")
    ERROR = "error", _("an unexpected error occurred")


def attachment_path(instance: Attachment, filename: str) -> str:
    # Random names: the original name is kept in `name`, never used on disk.
    return f"forums/{instance.kind}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file or a voice recording sent with a message."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    kind = models.CharField(_("kind"), max_length=5, choices=AttachmentKind.choices)
    file = models.FileField(_("file"), upload_to=attachment_path)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    duration_seconds = models.FloatField(_("duration (seconds)"), null=True, blank=True)
    transcript = models.TextField(
        _("transcript"), blank=True,
        help_text=_("What the recording says, for people who cannot listen to it."),
    )
    transcript_source = models.CharField(
        _("transcript written by"), max_length=10, blank=True,
        choices=TranscriptSource.choices, default=TranscriptSource.NONE,
    )
    transcript_status = models.CharField(
        _("automatic transcript"), max_length=10,
        choices=TranscriptStatus.choices, default=TranscriptStatus.NONE,
    )
    # Percent of the recording transcribed so far (whisper.cpp reports it; a server does not).
    transcript_progress = models.PositiveSmallIntegerField(_("transcript progress"), default=0)
    transcript_failure = models.CharField(
        _("why the automatic transcript failed"), max_length=12, blank=True,
        choices=TranscriptFailure.choices, default=TranscriptFailure.NONE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(transcript_progress__lte=100),
                name="attachment_transcript_progress_percent",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="voice") | models.Q(transcript_status="none"),
                name="attachment_transcribe_only_voices",
            ),
        ]

    def __str__(self) -> str:
        return self.name


def voice_draft_path(instance: VoiceDraft, filename: str) -> str:
    # Where the voices of messages are: sending the draft hands its file over as it is.
    return f"forums/voice/{uuid.uuid4().hex}"


class VoiceDraft(models.Model):
    """A recording uploaded before its message is sent, so that the platform proposes its
    transcript and the person corrects it before sending (forums/transcription.py). One per
    person and room at a time; it becomes the message's voice when sent, and is deleted
    after a day if it never is."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="voice_drafts",
        verbose_name=_("author"),
    )
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="voice_drafts", verbose_name=_("room")
    )
    file = models.FileField(_("file"), upload_to=voice_draft_path)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    duration_seconds = models.FloatField(_("duration (seconds)"))
    transcript = models.TextField(_("proposed transcript"), blank=True)
    transcript_status = models.CharField(
        _("automatic transcript"), max_length=10,
        choices=TranscriptStatus.choices, default=TranscriptStatus.PENDING,
    )
    transcript_progress = models.PositiveSmallIntegerField(_("transcript progress"), default=0)
    transcript_failure = models.CharField(
        _("why the automatic transcript failed"), max_length=12, blank=True,
        choices=TranscriptFailure.choices, default=TranscriptFailure.NONE,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("voice message being prepared")
        verbose_name_plural = _("voice messages being prepared")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(transcript_progress__lte=100),
                name="voicedraft_transcript_progress_percent",
            ),
        ]

    def __str__(self) -> str:
        return str(self.id)


class Reaction(models.Model):
    id = models.BigAutoField(primary_key=True)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reactions", verbose_name=_("message")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reactions",
        verbose_name=_("person"),
    )
    emoji = models.CharField(_("reaction"), max_length=16)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reaction")
        verbose_name_plural = _("reactions")
        constraints = [
            models.UniqueConstraint(
                fields=["message", "user", "emoji"], name="reaction_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return self.emoji


class ReadMarker(models.Model):
    """Up to which message a person has read a thread (unread counts, « nouveaux messages »)."""

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="read_markers",
        verbose_name=_("person"),
    )
    thread = models.ForeignKey(
        Thread, on_delete=models.CASCADE, related_name="read_markers", verbose_name=_("thread")
    )
    last_read_id = models.BigIntegerField(_("last message read"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("read marker")
        verbose_name_plural = _("read markers")
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="readmarker_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.thread_id} {self.last_read_id}"


class Report(models.Model):
    """Someone reports a message to the moderators."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, related_name="reports", verbose_name=_("message")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports_made",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=500)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("handled by"),
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["message", "reporter"], name="report_once_per_person"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id}: {self.reason[:40]}"


class Mute(models.Model):
    """A person may not write in a room until ``until`` (moderation)."""

    id = models.BigAutoField(primary_key=True)
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, related_name="mutes", verbose_name=_("room")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mutes",
        verbose_name=_("person"),
    )
    until = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=500)
    muted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("muted by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mute")
        verbose_name_plural = _("mutes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.room_id} until {self.until:%Y-%m-%d %H:%M}"


class NotificationPreference(models.Model):
    """How a person wants to hear about messages when they are not connected."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="notification_preference", verbose_name=_("person"),
    )
    email_direct_and_mentions = models.BooleanField(
        _("email me direct messages and mentions when I am not connected"), default=True
    )
    # The daily digest is an optional purpose: it follows the person's consent
    # (gdpr.consent.has_consent(user, OptionalPurpose.EMAIL_DIGEST)), not a field here.
    last_digest_at = models.DateTimeField(_("last digest sent"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")

    def __str__(self) -> str:
        return str(self.user_id)
