"""Closing a person's live connections when their session ends or their password changes,
and having them re-checked when their roles change."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.roles import roles_changed, user_roles_changed
from realtime.bus import (
    CLOSE_CREDENTIALS_CHANGED,
    close_session_sockets,
    close_user_sockets,
)


@receiver(user_logged_out)
def close_sockets_on_logout(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    # Sent before the session is flushed, so its key still names the sockets to close.
    if request is not None and request.session.session_key:
        close_session_sockets(request.session.session_key)


@receiver(password_changed)
@receiver(password_set)
@receiver(password_reset)
def close_sockets_on_password_change(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """A new password ends the person's other sessions; their sockets must follow.

    The change also gives the current session a new key, so the session group
    would no longer reach sockets opened before it: close them all, and let the
    still-valid tab reconnect with its new session.
    """
    if user is not None and user.pk is not None:
        close_user_sockets(user.pk, code=CLOSE_CREDENTIALS_CHANGED)


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
