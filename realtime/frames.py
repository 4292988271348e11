"""Frame errors and the readers of a frame's fields, for every feature of the /ws/ socket.

A handler raises ``FrameError``: the hub answers an ``error`` frame and the socket stays
open. ``domain_error`` turns what domain operations raise (404, 403, validation) into one.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext


class FrameError(Exception):
    """A refused frame: becomes an `error` frame, never an exception out of the consumer."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail


def invalid(name: str) -> FrameError:
    return FrameError(
        "invalid", gettext("The field “%(field)s” is missing or invalid.") % {"field": name}
    )


def not_found() -> FrameError:
    # Same answer for a room that does not exist and one the person may not read.
    return FrameError(
        "not_found", gettext("This conversation does not exist or is not open to you.")
    )


def forbidden() -> FrameError:
    return FrameError("forbidden", gettext("You are not allowed to do this here."))


def uuid_field(content: dict[str, Any], name: str, *, nullable: bool = False) -> str | None:
    value = content.get(name)
    if value is None and nullable:
        return None
    if not isinstance(value, str):
        raise invalid(name)
    try:
        return str(uuid.UUID(value))
    except ValueError as exc:
        raise invalid(name) from exc


def required_uuid(content: dict[str, Any], name: str) -> str:
    value = uuid_field(content, name)
    if value is None:
        raise invalid(name)
    return value


def int_field(content: dict[str, Any], name: str, *, nullable: bool = False) -> int | None:
    value = content.get(name)
    if value is None and nullable:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise invalid(name)
    return value


def required_int(content: dict[str, Any], name: str) -> int:
    value = int_field(content, name)
    if value is None:
        raise invalid(name)
    return value


def str_field(content: dict[str, Any], name: str) -> str:
    value = content.get(name)
    if not isinstance(value, str):
        raise invalid(name)
    return value


def bool_field(content: dict[str, Any], name: str, default: bool) -> bool:
    value = content.get(name, default)
    if not isinstance(value, bool):
        raise invalid(name)
    return value


def domain_error(exc: Exception) -> FrameError:
    """Translate what a domain operation raises into an error frame."""
    if isinstance(exc, Http404):
        return not_found()
    if isinstance(exc, PermissionDenied):
        return forbidden()
    if isinstance(exc, ValidationError):
        error = exc.error_list[0] if hasattr(exc, "error_list") else exc
        code = getattr(error, "code", None) or "invalid"
        return FrameError(str(code), " ".join(exc.messages))
    raise exc
