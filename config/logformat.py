"""The server log's formatters: no email address in any line, and a request id on each.

Messages are written to name rows by id, never by person, but a message we do not control
— a database error quoting a row (« Key (email)=(x@y) already exists »), a mail server's
refusal, a library's own warning — may still hold an address. Every record is formatted
as usual, traceback included, then any email address in it is masked.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
MASK = "<adresse masquée>"


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return EMAIL.sub(MASK, super().format(record))


# --- Request ids and JSON lines (AGORA_ENV=production or LOG_FORMAT=json) -------------------

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# What a proxy of ours may hand us as a request id (nginx's $request_id is 32 hex digits).
TRUSTED_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def new_request_id(incoming: str | None = None) -> str:
    """The id of this request or socket: the one our proxy set (only behind a proxy we
    trust, ``AGORA_TRUSTED_PROXY_COUNT`` > 0: anywhere else a client could write it), else
    a fresh one."""
    from django.conf import settings

    if incoming and settings.AGORA_TRUSTED_PROXY_COUNT > 0 and TRUSTED_ID.match(incoming):
        return incoming
    return uuid.uuid4().hex


class RequestIdFilter(logging.Filter):
    """Puts the current request's (or socket's) id on every record as ``request_id``."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class JsonFormatter(RedactingFormatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, and the
    traceback if any; email addresses masked in every field, as in the plain format."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": EMAIL.sub(MASK, record.getMessage()),
            "request_id": getattr(record, "request_id", REQUEST_ID.get()),
        }
        if record.exc_info:
            line["exception"] = EMAIL.sub(MASK, self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = EMAIL.sub(MASK, record.exc_text)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestIdMiddleware:
    """Gives each HTTP request an id (``request.request_id``), logs carry it, and the answer
    returns it in ``X-Request-ID`` so that a person's report can be matched with the log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = new_request_id(request.headers.get("X-Request-ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = REQUEST_ID.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            REQUEST_ID.reset(token)
        response["X-Request-ID"] = request_id
        return response


class SocketRequestId:
    """The same for websockets: one id per connection, on every log line its consumer
    writes (the consumer runs in the connection's own task, which inherits the value)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        token = REQUEST_ID.set(new_request_id(incoming))
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_ID.reset(token)
