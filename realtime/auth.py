"""Who a socket belongs to, read from its session.

Channels' ``AuthMiddleware`` reads the person before the consumer starts, in a trip of its
own to the process's one database thread. The hub (``/ws/``, the socket every page opens)
reads everything a connection needs in one call on that thread (``realtime.hub``), so its
route takes the person from the session inside that call instead: one trip per connection
instead of two, which is what a reconnect storm queues on (docs/performance.md, issue 18).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from channels.middleware import BaseMiddleware
from django.utils.functional import SimpleLazyObject, empty


def _person(session: Any) -> Any:
    from django.contrib.auth import get_user

    # Django's own reading of a session (backend, session hash, key fallbacks), which is
    # what Channels' get_user does too; it only looks at ``request.session``.
    return get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]


class PersonOnFirstUse(BaseMiddleware):
    """``scope["user"]`` read from the session the first time the consumer looks at it,
    which must be in the database thread (``database_sync_to_async``): a look from the
    event loop would query there, and Django refuses that. Needs the session middleware."""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if "session" not in scope:
            raise ValueError("PersonOnFirstUse needs SessionMiddleware above it")
        scope = dict(scope)
        session = scope["session"]
        scope["user"] = SimpleLazyObject(lambda: _person(session))
        return await super().__call__(scope, receive, send)


def resolved(user: Any) -> Any:
    """The person itself behind ``scope["user"]`` (read now if it was not yet: call it in
    the database thread), so that what a consumer keeps is never a lazy object."""
    if isinstance(user, SimpleLazyObject):
        lazy: Any = user
        if lazy._wrapped is empty:  # noqa: SLF001 - Django's own marker for "not read yet"
            lazy._setup()  # noqa: SLF001
        return lazy._wrapped  # noqa: SLF001
    return user
