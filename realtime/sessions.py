"""Closing a person's live connections when their session ends or their password changes.

Connected in ``RealtimeConfig.ready()``: the accounts app imports no domain app."""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from realtime.bus import CLOSE_CREDENTIALS_CHANGED, close_session_sockets, close_user_sockets


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
