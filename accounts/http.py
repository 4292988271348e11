"""Typing helpers for views that only run for logged-in people."""

from django.http import HttpRequest

from accounts.models import User


class AuthenticatedRequest(HttpRequest):
    """An HttpRequest behind @login_required: ``user`` is a real User."""

    user: User  # type: ignore[assignment]
