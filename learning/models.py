"""The practice space (« bac à sable »): one person's room, draft and wall to try things."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PracticeSpace(models.Model):
    """A person's own practice room, draft and wall (learning/sandbox.py).

    Per person rather than per training group: only its owner ever reads it (the room's
    kind « practice » lets nobody else in, the DCCU included), so what one writes while
    learning is nobody else's business and never assembly content. Chatting with others
    is practised in the shared training room (forums kind « training »). Deleting the
    space deletes its room (messages, files), its wall and its draft with it.
    """

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True,
        related_name="practice_space", verbose_name=_("owner"),
    )
    room = models.OneToOneField(
        "forums.Room", on_delete=models.CASCADE, related_name="practice_space",
        verbose_name=_("practice room"),
    )
    draft = models.OneToOneField(
        "workshops.YDocument", on_delete=models.CASCADE, related_name="practice_space",
        verbose_name=_("practice draft"),
    )
    wall = models.OneToOneField(
        "workshops.Wall", on_delete=models.CASCADE, related_name="practice_space",
        verbose_name=_("practice wall"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), default=timezone.now)

    class Meta:
        verbose_name = _("practice space")
        verbose_name_plural = _("practice spaces")

    def __str__(self) -> str:
        return f"practice space of {self.owner_id}"

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """``read``, ``write`` and ``reset``: its owner only (docs/permissions.md)."""
        mine = bool(
            user is not None
            and getattr(user, "is_authenticated", False)
            and user.is_active
            and user.pk == self.owner_id
        )
        return {"read": mine, "write": mine, "reset": mine}
