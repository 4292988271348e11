"""People who use Agora: the user model (email login, no username)."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


def pseudonym_for(number: int) -> str:
    """What an erased person's contributions are signed with."""
    return gettext("Participant no. %(number)s") % {"number": number}


class User(AbstractBaseUser, PermissionsMixin):
    """A person: citizen, substitute, facilitator, agent, DCCU or DPD.

    What a person may do comes from their roles (``accounts.roles``), never
    from ``is_staff``, which only mirrors admin access for Django's sake.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email address"), unique=True)
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    display_name = models.CharField(
        _("display name"),
        max_length=150,
        blank=True,
        help_text=_("The name other participants see. Your first name is enough."),
    )
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=5, blank=True)
    is_department_agent = models.BooleanField(
        _("agent of the département"),
        default=False,
        help_text=_("Active agents of the département cannot be members of the assembly."),
    )
    holds_elected_office = models.BooleanField(
        _("holds an elected office"),
        default=False,
        help_text=_("Elected officials cannot be members of the assembly."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("admin access"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Set by the erasure engine (gdpr.erasure): the row stays so that collective work
    # keeps an author, shown as « Participant·e n°N » with a stable number.
    pseudonym_number = models.PositiveIntegerField(
        _("pseudonym number"), null=True, blank=True, unique=True, editable=False
    )
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True, editable=False)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["last_name", "first_name", "email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.public_name or self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_erased(self) -> bool:
        return self.pseudonym_number is not None

    @property
    def pseudonym(self) -> str:
        return pseudonym_for(self.pseudonym_number) if self.pseudonym_number else ""

    @property
    def public_name(self) -> str:
        """The name shown to other participants."""
        if self.pseudonym_number is not None:
            return self.pseudonym
        return self.display_name or self.full_name or self.email.split("@")[0]

    def get_full_name(self) -> str:
        return self.pseudonym or self.full_name or self.email

    def get_short_name(self) -> str:
        return self.public_name


# --- Invitations ----------------------------------------------------------------------
# Accounts are never opened by sign-up: the DCCU invites each person, by hand or
# from the CSV of the draw. The operations live in ``assembly.invitations``.

from accounts.roles import MEMBER_ROLES, Role  # noqa: E402


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    ACCEPTED = "accepted", _("accepted")
    EXPIRED = "expired", _("expired")
    REVOKED = "revoked", _("revoked")


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (possibly expired): at most one per address."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def pending(self, now: Any = None) -> InvitationQuerySet:
        """Open and not expired: the link still works."""
        return self.open().filter(expires_at__gt=now or timezone.now())


class Invitation(models.Model):
    """A one-time link that opens an account with a role (member seat or staff role).

    Only the SHA-256 of the token is stored: the link itself exists only in
    the email. ``user`` is set at once when the account was prepared by the
    CSV import (the membership then already exists), and on acceptance
    otherwise.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    email = models.EmailField(_("email address"))
    first_name = models.CharField(_("first name"), max_length=150, blank=True)
    last_name = models.CharField(_("last name"), max_length=150, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    seat = models.ForeignKey(
        "assembly.Seat",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("seat"),
    )
    substitute_rank = models.PositiveSmallIntegerField(
        _("substitute rank"), null=True, blank=True
    )
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("account"),
    )
    invited_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations_sent",
        verbose_name=_("invited by"),
    )
    token_hash = models.CharField(_("token (SHA-256)"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("email sent at"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=models.Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="titulaire", seat__isnull=False, substitute_rank__isnull=True)
                    | models.Q(
                        role="remplacant", seat__isnull=False,
                        substitute_rank__isnull=False, substitute_rank__gte=1,
                    )
                    | (
                        ~models.Q(role__in=["titulaire", "remplacant"])
                        & models.Q(seat__isnull=True, substitute_rank__isnull=True)
                    )
                ),
                name="invitation_seat_only_for_members",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} — {self.get_role_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def is_for_member(self) -> bool:
        return self.role in MEMBER_ROLES

    def status_on(self, now: Any = None) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= (now or timezone.now()):
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def status(self) -> InvitationStatus:
        return self.status_on()


# --- Comfort: the guided first visits and the reading settings ----------------------------
# Both are the person's own choices about how the platform shows itself to them, kept in
# their account so that they follow them from one device to the next.


class TourOutcome(models.TextChoices):
    DONE = "done", _("done")
    SKIPPED = "skipped", _("skipped")


class TourProgress(models.Model):
    """One guided first visit (``accounts.tours``) a person walked to the end or skipped.

    No row: the visit is still to be offered. « Replay the guided visit » deletes the row.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="tours", verbose_name=_("person")
    )
    tour = models.CharField(_("guided visit"), max_length=20, choices=Role.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=TourOutcome.choices)
    step = models.PositiveSmallIntegerField(
        _("last step seen"), default=0, help_text=_("Counted from 1; 0 when never opened.")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("guided visit seen")
        verbose_name_plural = _("guided visits seen")
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "tour"], name="tour_progress_once_per_tour"),
            models.CheckConstraint(
                condition=models.Q(outcome__in=["done", "skipped"]),
                name="tour_progress_outcome_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_tour_display()} ({self.get_outcome_display()})"


TEXT_SIZES = (100, 125, 150, 175, 200)


class ReadingPreferences(models.Model):
    """How a person likes to read the platform: text size, contrast, motion, spacing.

    Applied on ``<html>`` by the server (``accounts.context_processors``), so pages never
    flash at the default size first.
    """

    user = models.OneToOneField(
        User,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="reading_preferences",
        verbose_name=_("person"),
    )
    text_size = models.PositiveSmallIntegerField(
        _("text size"),
        default=100,
        choices=[(size, f"{size} %") for size in TEXT_SIZES],
    )
    high_contrast = models.BooleanField(_("high contrast"), default=False)
    reduced_motion = models.BooleanField(_("reduced motion"), default=False)
    dyslexia_spacing = models.BooleanField(
        _("more spacing between letters, words and lines"), default=False
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("reading settings")
        verbose_name_plural = _("reading settings")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(text_size__in=TEXT_SIZES), name="reading_text_size_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.text_size} %"

    @property
    def is_default(self) -> bool:
        return (
            self.text_size == 100
            and not self.high_contrast
            and not self.reduced_motion
            and not self.dyslexia_spacing
        )

    def html_classes(self) -> str:
        """The classes ``<html>`` carries (static/css/agora.css, « Reading comfort »)."""
        classes = []
        if self.high_contrast:
            classes.append("comfort-contrast")
        if self.reduced_motion:
            classes.append("comfort-still")
        if self.dyslexia_spacing:
            classes.append("comfort-spacing")
        return " ".join(classes)
