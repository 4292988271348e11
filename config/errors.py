"""How a refused operation is told to the person, the same way on every page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _


def error_text(error: ValidationError | PermissionDenied) -> str:
    """The French sentence of an operation's refusal (its own message, else a generic one)."""
    if isinstance(error, PermissionDenied):
        return str(error) or _("You cannot do this here.")
    return " ".join(error.messages)
