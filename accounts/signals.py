"""Closing a session's live connections when its owner logs out."""

from typing import Any

from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from realtime.bus import close_session_sockets


@receiver(user_logged_out)
def close_sockets_on_logout(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    if request is not None and request.session.session_key:
        close_session_sockets(request.session.session_key)
