"""In-page notifications: who is told what, about which message, proposal or document.

A row never holds words: no name, no message text, no title. The sentence is written when
it is shown (``notifications.render``) from the actor's link and the target's links, so an
erased actor or a renamed room shows what is true today and nothing survives an erasure.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    MENTION = "mention", _("Mentions of me")
    REPLY = "reply", _("Replies to my messages")
    DIRECT = "direct", _("Direct messages")
    MODERATION = "moderation", _("Moderation of my messages and documents")
    PROPOSAL_STAGE = "proposal_stage", _("Stages of my subgroup's proposals")
    DOCUMENT = "document", _("New documents in the mandates I follow")
    VOTE_OPENED = "vote_opened", _("Votes of the plenary I can take part in")
    SESSION = "session", _("Convocations to sessions, and their changes")
    DEADLINE = "deadline", _("Deadlines of the session documents I am responsible for")
    SEAT_OFFER = "seat_offer", _("A seat in the assembly offered to me")


class Verb(models.TextChoices):
    """What happened, for the kinds that need it (a machine code, never words)."""

    NONE = "", "—"
    HIDDEN = "hidden", _("hidden")
    RESTORED = "restored", _("restored")
    PUBLISHED = "published", _("published")
    DECLINED = "declined", _("declined")
    CONVENED = "convened", _("convened")
    CHANGED = "changed", _("changed")
    CANCELLED = "cancelled", _("cancelled")


class Notification(models.Model):
    """One thing to tell one person. Direct messages of one room add up in one unread row."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # A machine code: a Verb, or for a proposal the status it reached.
    verb = models.CharField(_("what happened"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    room = models.ForeignKey(
        "forums.Room",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("room"),
    )
    message = models.ForeignKey(
        "forums.Message",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("message"),
    )
    proposal = models.ForeignKey(
        "deliberation.Proposal",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposal"),
    )
    document = models.ForeignKey(
        "documents.Document",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("document"),
    )
    vote = models.ForeignKey(
        "decisions.Vote",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("vote"),
    )
    session = models.ForeignKey(
        "assembly.Session",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session"),
    )
    session_document = models.ForeignKey(
        "assembly.SessionDocument",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("session document"),
    )
    count = models.PositiveIntegerField(_("number of messages"), default=1)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notification_inbox"),
            models.Index(fields=["recipient", "read_at"], name="notification_unread"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=Kind.values), name="notification_known_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """Only the recipient reads a notification and marks it read."""
        mine = bool(getattr(user, "is_authenticated", False)) and (
            self.recipient_id is not None and user.pk == self.recipient_id
        )
        return {"read": mine, "mark_read": mine}


class Channel(models.TextChoices):
    PAGE = "page", _("In the page")
    EMAIL = "email", _("By email")
    DIGEST = "digest", _("In the daily summary")
    # Web push (notifications/webpush.py): offered only when the platform has VAPID keys.
    PUSH = "push", _("On my phone or computer")


# The table's column headings, short enough for a 320 px screen (each checkbox keeps the
# long label).
CHANNEL_HEADINGS = {
    Channel.PAGE: _("Page"),
    Channel.EMAIL: _("Email"),
    Channel.DIGEST: _("Summary"),
    Channel.PUSH: _("Phone"),
}


# What a person gets until they choose: in the page, everything; by email, what was emailed
# before per-kind choices existed (direct messages, mentions, followed mandates) and the
# moderation of one's own things; everything in the summary (sent only with consent); on the
# phone, what is addressed to the person (pushed only to the devices they opted in).
DEFAULTS: dict[str, dict[str, bool]] = {
    Kind.MENTION: {"page": True, "email": True, "digest": True, "push": True},
    Kind.REPLY: {"page": True, "email": False, "digest": True, "push": False},
    Kind.DIRECT: {"page": True, "email": True, "digest": True, "push": True},
    Kind.MODERATION: {"page": True, "email": True, "digest": True, "push": True},
    Kind.PROPOSAL_STAGE: {"page": True, "email": False, "digest": True, "push": False},
    Kind.DOCUMENT: {"page": True, "email": True, "digest": True, "push": False},
    Kind.VOTE_OPENED: {"page": True, "email": False, "digest": False, "push": True},
    # The convocation itself is always emailed (assembly.sessions): it is the official one.
    Kind.SESSION: {"page": True, "email": False, "digest": False, "push": True},
    Kind.DEADLINE: {"page": True, "email": True, "digest": False, "push": False},
    # The offer's own email is always sent (assembly.seats): this kind's email stays off.
    Kind.SEAT_OFFER: {"page": True, "email": False, "digest": False, "push": True},
}


class Preference(models.Model):
    """A person's choices per kind and channel; missing entries take ``DEFAULTS``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="notification_choices",
        verbose_name=_("person"),
    )
    choices = models.JSONField(_("choices"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification choices")
        verbose_name_plural = _("notification choices")

    def __str__(self) -> str:
        return str(self.user_id)

    def wants(self, kind: str, channel: str) -> bool:
        chosen = (self.choices or {}).get(kind, {})
        if isinstance(chosen, dict) and isinstance(chosen.get(channel), bool):
            return bool(chosen[channel])
        return DEFAULTS.get(kind, {}).get(channel, False)


class PushSubscription(models.Model):
    """One device (browser) where a person agreed to web push: where to post, and its keys.

    Written only with the person's consent (``OptionalPurpose.WEB_PUSH``); withdrawing it
    deletes every row of the person, and a push service answering « gone » deletes its row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="push_subscriptions",
        verbose_name=_("person"),
    )
    endpoint = models.URLField(_("push service address"), max_length=1000, unique=True)
    p256dh = models.CharField(_("device public key"), max_length=200)
    auth = models.CharField(_("device secret"), max_length=100)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_success_at = models.DateTimeField(_("last delivered"), null=True, blank=True)
    failures = models.PositiveSmallIntegerField(_("failures in a row"), default=0)

    class Meta:
        verbose_name = _("web push device")
        verbose_name_plural = _("web push devices")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"push device of {self.user_id}"
