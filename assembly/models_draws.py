"""Drawing lots: a draw, its pool of volunteers, its frozen inputs and its result.

The operations (import, announce, freeze, run, apply, verify) are in ``assembly.draws``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, has_role
from assembly.models import Assembly, Canton, TimeStamped


class DrawPurpose(models.TextChoices):
    ASSEMBLY = "assemblee", _("the assembly: full members and ranked substitutes")
    REPLACEMENT = "remplacement", _("replacement: seats whose substitutes ran out")
    COMITE = "comite_suivi", _("the follow-up committee")
    SUBGROUPS = "sous_groupes", _("balanced subgroups")


class DrawStatus(models.TextChoices):
    PREPARED = "preparee", _("prepared")
    SEED_ANNOUNCED = "graine_annoncee", _("seed announced")
    FROZEN = "figee", _("frozen")
    DRAWN = "tiree", _("drawn")
    APPLIED = "appliquee", _("applied")


class Sex(models.TextChoices):
    FEMME = "f", _("woman")
    HOMME = "h", _("man")


class AgeBand(models.TextChoices):
    YOUNG = "18", _("18–44")
    SENIOR = "45", _("45 and over")


class Draw(TimeStamped):
    """One drawing of lots, from preparation to its result and its application.

    Verifiable: the seed's source is announced (``seed_announced_at``) before the inputs
    are frozen (``inputs_json``, hashed in ``inputs_sha256``); the result follows from
    the inputs, the seed, the algorithm and the library's version, which anyone can
    re-run (``manage.py verify_draw``, the public page ``/tirages/<id>/verification/``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, related_name="draws", verbose_name=_("assembly")
    )
    title = models.CharField(_("title"), max_length=200)
    purpose = models.CharField(_("purpose"), max_length=20, choices=DrawPurpose.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=DrawStatus.choices, default=DrawStatus.PREPARED
    )
    # How many people each round selects (the committee, a subgroup); for the assembly
    # and replacements it follows from the seats (one per stratum).
    panel_size = models.PositiveSmallIntegerField(_("people per round"), default=0)
    # Assembly and replacement: 1 + the substitutes' ranks; subgroups: their number.
    rounds = models.PositiveSmallIntegerField(_("rounds"), default=1)
    # Replacement draws: the strata to fill ("<canton code>:<category>").
    strata = models.JSONField(_("strata"), default=list, blank=True)
    # The committee's quotas set by the DCCU: [{"feature", "value", "min", "max"}].
    quotas = models.JSONField(_("quotas"), default=list, blank=True)
    seed_source = models.TextField(_("source of the seed"), blank=True)
    seed_announced_at = models.DateTimeField(_("seed announced at"), null=True, blank=True)
    seed = models.CharField(_("seed"), max_length=200, blank=True)
    inputs_json = models.TextField(_("frozen inputs"), blank=True)
    inputs_sha256 = models.CharField(_("SHA-256 of the inputs"), max_length=64, blank=True)
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    algorithm = models.CharField(_("algorithm"), max_length=40, blank=True)
    library_version = models.CharField(_("library version"), max_length=40, blank=True)
    result = models.JSONField(_("result"), default=list, blank=True)
    result_sha256 = models.CharField(_("SHA-256 of the result"), max_length=64, blank=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("draw")
        verbose_name_plural = _("draws")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(rounds__gte=1), name="draw_at_least_one_round"
            ),
            models.CheckConstraint(
                condition=Q(inputs_sha256="") | Q(frozen_at__isnull=False),
                name="draw_hash_when_frozen",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_abilities(self, user: Any) -> dict[str, bool]:
        manage = has_role(user, Role.DCCU)
        return {
            "read": manage,
            "manage": manage,
            # Anyone, without an account, may check a draw once its inputs are frozen.
            "verify": self.frozen_at is not None,
        }

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class Volunteer(TimeStamped):
    """A person who volunteered for a draw: the minimum the draw needs, nothing more.

    ``pseudonym`` is what the frozen inputs, the result and the public page show. The
    row itself goes 30 days after the draw is applied (``assembly.privacy``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draw = models.ForeignKey(
        Draw, on_delete=models.CASCADE, related_name="volunteers", verbose_name=_("draw")
    )
    pseudonym = models.CharField(_("pseudonymous id"), max_length=40)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
        related_name="draw_volunteerings", verbose_name=_("person"),
    )
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_band = models.CharField(_("age band"), max_length=2, choices=AgeBand.choices)
    canton = models.ForeignKey(
        Canton, on_delete=models.PROTECT, related_name="+", verbose_name=_("canton")
    )

    class Meta:
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        ordering = ["pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["draw", "pseudonym"], name="volunteer_unique_id"),
            models.UniqueConstraint(
                fields=["draw", "user"], condition=Q(user__isnull=False),
                name="volunteer_once_per_draw",
            ),
        ]

    def __str__(self) -> str:
        return self.pseudonym

    @property
    def category(self) -> str:
        return f"{self.sex}{self.age_band}"
