"""Having a person's live connections re-checked when their roles change (``realtime``
listens through ``accounts.roles.on_roles_changed``; it closes them itself on logout and
on a new password, ``realtime.sessions``)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from accounts.roles import roles_changed, user_roles_changed


@receiver(m2m_changed, dispatch_uid="accounts.signals.recheck_on_group_change")
def recheck_sockets_on_group_change(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[Any] | None,
    **kwargs: Any,
) -> None:
    """Staff roles are groups: whichever way one is given or taken (``grant_role``, the
    admin's form, ``group.user_set``), the person's open sockets re-check their access."""
    from accounts.models import User

    if sender is not User.groups.through:
        return
    if not reverse:
        if action in ("post_add", "post_remove", "post_clear"):
            roles_changed(instance)
    elif action in ("post_add", "post_remove"):
        for user_id in pk_set or ():
            user_roles_changed(user_id)
    elif action == "pre_clear":  # afterwards, nobody is left to name
        for user_id in instance.user_set.values_list("pk", flat=True):
            user_roles_changed(user_id)
