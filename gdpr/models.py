"""What the privacy module stores: policy texts, consent proofs, requests, copies, runs, audit."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import DATA_HANDLER_ROLES, has_role


class TextKind(models.TextChoices):
    NOTICE = "notice", _("privacy notice")
    CHARTER = "charter", _("charter of the assembly")
    PURPOSE = "purpose", _("optional purpose")


class OptionalPurpose(models.TextChoices):
    """Purposes where consent is the honest basis: off until the person opts in."""

    SHOW_CANTON = "show_canton", _("Show my canton next to my name")
    EMAIL_DIGEST = "email_digest", _("Receive a daily email digest")
    RECORDINGS = "recordings", _("Appear in photos and recordings of sessions")
    WEB_PUSH = "web_push", _("Receive notifications on my devices")


class PolicyText(models.Model):
    """One version of a text people read or agree to. Published versions never change."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=TextKind.choices)
    purpose = models.CharField(
        _("optional purpose"), max_length=20, choices=OptionalPurpose.choices, blank=True
    )
    version = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    # Only read for optional purposes: the notice and the charter are always asked again.
    asks_again = models.BooleanField(
        _("asks everyone again"), default=True,
        help_text=_("Consents given to earlier versions stop counting until the person "
                    "gives their consent again."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("policy text")
        verbose_name_plural = _("policy texts")
        ordering = ["kind", "purpose", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "purpose", "version"], name="policytext_unique_version"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(kind="purpose") & ~models.Q(purpose="")
                    | ~models.Q(kind="purpose") & models.Q(purpose="")
                ),
                name="policytext_purpose_only_for_purposes",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        # What people read or agreed to must stay exactly as they saw it.
        if not self._state.adding and PolicyText.objects.filter(
            pk=self.pk, published_at__isnull=False
        ).exists():
            raise PermissionError("Published texts cannot be changed: publish a new version.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.published_at is not None:
            raise PermissionError("Published texts cannot be deleted.")
        return super().delete(*args, **kwargs)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @classmethod
    def current(cls, kind: str, purpose: str = "") -> PolicyText | None:
        return (
            cls.objects.filter(kind=kind, purpose=purpose, published_at__isnull=False)
            .order_by("-version")
            .first()
        )


class ConsentDecision(models.TextChoices):
    READ = "read", _("read")
    ACCEPTED = "accepted", _("accepted")
    REFUSED = "refused", _("refused")
    GRANTED = "granted", _("consent given")
    WITHDRAWN = "withdrawn", _("consent withdrawn")


class ConsentMethod(models.TextChoices):
    WEB = "web", _("on the platform")
    PAPER = "paper", _("on paper, recorded by the DCCU")


class AppendOnlyQuerySet(models.QuerySet[Any]):
    def update(self, **kwargs: Any) -> int:
        raise PermissionError("This history is append-only.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("This history is append-only.")


class AppendOnlyModel(models.Model):
    """A history the application only adds to: rows are never changed or deleted."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError(f"{self._meta.verbose_name} cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError(f"{self._meta.verbose_name} cannot be deleted.")


class ConsentRecord(AppendOnlyModel):
    """Proof of what a person read, accepted, gave or withdrew: who, which text, when, how.

    Append-only: rows are never changed or deleted by the application (the
    erasure of a person is the one exception, done by the erasure engine
    through a raw delete the declaration allows).
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consent_records",
        verbose_name=_("person"),
    )
    text = models.ForeignKey(
        PolicyText, on_delete=models.PROTECT, related_name="records", verbose_name=_("text")
    )
    decision = models.CharField(_("decision"), max_length=10, choices=ConsentDecision.choices)
    method = models.CharField(
        _("how"), max_length=10, choices=ConsentMethod.choices, default=ConsentMethod.WEB
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("consent record")
        verbose_name_plural = _("consent records")
        ordering = ["-recorded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.decision} {self.text}"


class RequestKind(models.TextChoices):
    ACCESS = "access", _("access to my data (art. 15)")
    RECTIFICATION = "rectification", _("correction of my data (art. 16)")
    ERASURE = "erasure", _("erasure of my data (art. 17)")
    LIMITATION = "limitation", _("limitation of processing (art. 18)")
    OBJECTION = "objection", _("objection to processing (art. 21)")


class RequestStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    EXTENDED = "extended", _("deadline extended")
    ACCEPTED = "accepted", _("accepted")
    REFUSED = "refused", _("refused")
    COMPLETED = "completed", _("carried out")


OPEN_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.EXTENDED, RequestStatus.ACCEPTED)
UNDECIDED_REQUEST_STATUSES = (RequestStatus.RECEIVED, RequestStatus.EXTENDED)


class DataRequest(models.Model):
    """A person's request under GDPR articles 15–21 and how it was handled.

    The legal deadline is one month from receipt (art. 12(3)), extendable by
    two more months with a reason told to the person.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="data_requests",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=15, choices=RequestKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.RECEIVED
    )
    details = models.TextField(_("what the person asks"), blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    due_at = models.DateTimeField(_("answer due by"))
    extension_reason = models.TextField(_("reason for the extension"), blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    archives_agreement = models.TextField(
        _("archives service's position"), blank=True,
        help_text=_("For records that may be public archives."),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("carried out at"), null=True, blank=True)
    last_reminder_at = models.DateTimeField(_("last reminder"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["due_at"]
        indexes = [models.Index(fields=["status", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.received_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REQUEST_STATUSES

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """What ``user`` may do with the request (docs/permissions.md, « the rights of the
        people »): its person reads it; the DPD and the DCCU handle it, never their own."""
        handles = has_role(user, *DATA_HANDLER_ROLES)
        handler = handles and self.user_id != user.pk
        return {
            "read": bool(user.is_authenticated) and (self.user_id == user.pk or handles),
            "handle": handler,
            "extend": handler and self.status == RequestStatus.RECEIVED
            and not self.extension_reason,
            "decide": handler and self.status in UNDECIDED_REQUEST_STATUSES,
            "complete": handler and self.status == RequestStatus.ACCEPTED,
            "prepare_copy": handler and self.kind == RequestKind.ACCESS
            and self.status in OPEN_REQUEST_STATUSES and self.user.is_active,
        }

    @staticmethod
    def initial_deadline(received_at: Any) -> Any:
        return received_at + timedelta(days=30)


class CopyStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("being prepared")
    READY = "ready", _("ready to download")
    FAILED = "failed", _("failed")
    EXPIRED = "expired", _("expired")


class AccessCopy(models.Model):
    """An access copy (art. 15) built in the background, downloadable for a limited time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_copies",
        verbose_name=_("person"),
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("requested by"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CopyStatus.choices, default=CopyStatus.QUEUED
    )
    done = models.PositiveIntegerField(_("items done"), default=0)
    total = models.PositiveIntegerField(_("items in all"), default=0)
    file_name = models.CharField(_("stored file"), max_length=200, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    downloaded_at = models.DateTimeField(_("last downloaded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("access copy")
        verbose_name_plural = _("access copies")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user_id} {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == CopyStatus.READY:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class RetentionRun(models.Model):
    """One pass of the retention job: what was due, what was done."""

    id = models.BigAutoField(primary_key=True)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    applied = models.BooleanField(_("applied"), default=False)
    trigger = models.CharField(_("started by"), max_length=20, default="command")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("person"),
    )
    summary = models.JSONField(_("summary"), default=list)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("retention run")
        verbose_name_plural = _("retention runs")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'apply' if self.applied else 'dry run'}"


class AuditEntry(AppendOnlyModel):
    """Who did what to whose personal data, when. Never a secret or a message body."""

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("who"),
    )
    action = models.CharField(_("what"), max_length=60, db_index=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("whose data"),
    )
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action}"
