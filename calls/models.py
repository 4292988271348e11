"""A live call of a room, and who attended it (no recording: nothing said is stored)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import STAFF_ROLES, user_roles

NO_ABILITIES = {
    "join": False,
    "speak": False,
    "moderate": False,
    "share_screen": False,
    "attendance": False,
}


class CallMode(models.TextChoices):
    # Peer to peer between the browsers, up to CALLS_MESH_MAX people.
    MESH = "mesh", _("peer to peer")
    # Through the Janus media server (calls.media): any size.
    JANUS = "janus", _("media server")


class Call(models.Model):
    """One live call of a room, from its first arrival until it ends.

    A room has at most one call going on (``ended_at`` empty) without a ``label``. A
    breakout call names the plenary call it came from in ``parent`` and ends at
    ``ends_at``; the breakouts of ad-hoc groups live in the plenary's room, each with its
    ``label`` (« Groupe 1 »…).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(
        "forums.Room", on_delete=models.CASCADE, related_name="calls", verbose_name=_("room")
    )
    mode = models.CharField(
        _("mode"), max_length=5, choices=CallMode.choices, default=CallMode.MESH
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="breakouts",
        verbose_name=_("breakout of"),
    )
    # A breakout of ad-hoc groups lives in its plenary's room: « Groupe 1 »… (empty for a
    # room's own call; a room has at most one live call without a label).
    label = models.CharField(_("label"), max_length=40, blank=True, default="")
    # A breakout call: when its countdown ends and everyone goes back to ``parent``.
    ends_at = models.DateTimeField(_("breakout ends at"), null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["room"],
                condition=Q(ended_at__isnull=True, label=""),
                name="call_one_live_per_room",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.ended_at is None

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """``join``, ``speak``, ``moderate``, ``share_screen``, ``attendance``
        (docs/permissions.md, « Calls »).

        They follow the room's: who reads joins (and listens), who writes speaks, who
        moderates runs the call and reads its attendance list (also once it ended). A
        facilitator may give the floor to a listener for this call
        (``CallParticipation.may_speak``).
        """
        if self.room_id is None or not getattr(user, "is_authenticated", False):
            return dict(NO_ABILITIES)
        room = self.room.get_abilities(user)
        if not room["read"]:
            return dict(NO_ABILITIES)
        if not self.is_live:
            return {**NO_ABILITIES, "attendance": room["moderate"]}
        speak = room["write"] or (
            self.pk is not None
            and self.participations.filter(user=user, left_at__isnull=True, may_speak=True).exists()
        )
        roles = user_roles(user)
        presenter = bool(roles & STAFF_ROLES) or room["moderate"]
        return {
            "join": True,
            "speak": speak,
            "moderate": room["moderate"],
            "share_screen": speak and presenter,
            "attendance": room["moderate"],
        }


class CallParticipation(models.Model):
    """One stay of one person in a call: the attendance list is made of these.

    Joining again after leaving starts a new row. ``channel`` is the socket the person
    is in the call from (a second tab takes the call over); ``seen_at`` is its last
    heartbeat: a silent socket is taken out of the call after CALLS_HEARTBEAT_TIMEOUT.
    """

    id = models.BigAutoField(primary_key=True)
    call = models.ForeignKey(
        Call, on_delete=models.CASCADE, related_name="participations", verbose_name=_("call")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="call_participations",
        verbose_name=_("person"),
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)
    seen_at = models.DateTimeField(_("last heartbeat"), default=timezone.now)
    may_speak = models.BooleanField(_("may speak"), default=False)
    hand_raised_at = models.DateTimeField(_("hand raised at"), null=True, blank=True)
    channel = models.CharField(_("socket"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("call attendance")
        verbose_name_plural = _("call attendance")
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["call", "user"],
                condition=Q(left_at__isnull=True),
                name="call_participation_one_live_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.call_id}"

    @property
    def duration_seconds(self) -> int:
        end = self.left_at or timezone.now()
        return max(0, int((end - self.joined_at).total_seconds()))
