"""What every Agora socket checks before anything else, whatever it serves: who it is, the
second factor, the privacy gate, the caps on open sockets, and a person's roles kept fresh.

Both the conversations' socket (``realtime.hub``) and the Yjs documents' socket
(``realtime.yjs.consumer``) are built on ``SocketGuards``.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from django.conf import settings

from realtime.bus import CLOSE_ACCESS_ENDED

logger = logging.getLogger(__name__)

# Sent after accepting, so the browser sees the code: a handshake refused before
# accept reaches it as a bare 1006, indistinguishable from a network failure.
CLOSE_UNAUTHENTICATED = 4401  # log in again, do not retry as is
CLOSE_TWO_FACTOR_REQUIRED = 4403  # DCCU/DPD without an authenticator app yet
CLOSE_WELCOME_REQUIRED = 4451  # the privacy notice is unread or the charter not accepted
CLOSE_TOO_MANY_FRAMES = 4429  # kept flooding after rate_limited errors: back off, then retry
CLOSE_TOO_MANY_SOCKETS = 4409  # too many sockets open for this session or person: no retry

# Roles are cached on the person's instance, which a socket holds for hours. A change is
# announced to their sockets (`roles.changed`, realtime.bus.recheck_user_sockets); one the
# layer dropped, or a membership whose end date passed, is caught by reloading the person
# at most this often (jittered; 3 queries), before a frame or a relay.
ROLES_TTL = 60.0

# Gates the apps add (in their AppConfig.ready()): (close code, refuses(user) -> bool), run
# in the database thread, in order, after login and the second factor. gdpr adds the
# privacy gate (CLOSE_WELCOME_REQUIRED): nothing live before the notice is read and the
# charter accepted, as for pages.
_gates: list[tuple[int, Callable[[Any], bool]]] = []


def register_gate(close_code: int, refuses: Callable[[Any], bool]) -> None:
    """Refuse every socket (both consumers) of a person for whom ``refuses`` is true."""
    if all(existing is not refuses for _code, existing in _gates):
        _gates.append((close_code, refuses))


def closed_gate(user: Any) -> int | None:
    """The close code of the first registered gate that refuses this person, if any (also
    for pages that must know whether a socket would be accepted before opening one)."""
    for code, refuses in _gates:
        if refuses(user):
            return code
    return None


# Open sockets (both consumers) per session key and per person, in this process. A
# browser opens one /ws/ per tab and one more per open draft; hundreds are a script.
_open_per_session: Counter[str] = Counter()
_open_per_person: Counter[str] = Counter()


def _socket_limits() -> tuple[int, int]:
    return (
        int(getattr(settings, "REALTIME_SOCKETS_PER_SESSION", 20)),
        int(getattr(settings, "REALTIME_SOCKETS_PER_PERSON", 40)),
    )


class SocketGuards:
    """What every Agora socket does before anything else (both consumers use it)."""

    socket_slot: tuple[str, str] | None = None
    user: Any
    roles: frozenset[str] = frozenset()
    roles_read_at = 0.0

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Hand a message to its handler, without Channels' hop through the one database
        thread that every message of every socket takes first (`aclose_old_connections`,
        since Channels 4.2): frames queued there behind anyone's database work — a quarter
        of daphne's time with 110 people on a wall (bench/walls.py, docs/performance.md).
        Our consumers reach the database only through `database_sync_to_async`, which
        closes stale connections itself around each call."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    def _claim_socket_slot(self, user: Any) -> bool:
        """Count this socket against its session's and its person's caps; False (and
        nothing counted) when either is reached."""
        per_session, per_person = _socket_limits()
        session = self.scope.get("session")  # type: ignore[attr-defined]
        session_key = (session.session_key if session is not None else None) or ""
        person = str(user.pk)
        if _open_per_person[person] >= per_person or (
            session_key and _open_per_session[session_key] >= per_session
        ):
            return False
        _open_per_person[person] += 1
        if session_key:
            _open_per_session[session_key] += 1
        self.socket_slot = (session_key, person)
        return True

    def _release_socket_slot(self) -> None:
        if self.socket_slot is None:
            return
        session_key, person = self.socket_slot
        self.socket_slot = None
        for counter, key in ((_open_per_session, session_key), (_open_per_person, person)):
            if key:
                counter[key] -= 1
                if counter[key] <= 0:
                    del counter[key]

    async def _refuse(self, code: int) -> None:
        # Accept, then close: a refusal before accepting reaches browsers as a bare 1006.
        await self.accept()  # type: ignore[attr-defined]
        await self.close(code=code)  # type: ignore[attr-defined]

    async def _remember_roles(self) -> None:
        self.roles = await database_sync_to_async(_roles_of)(self.user)
        self.roles_read_at = time.monotonic()

    def _roles_stale(self) -> bool:
        ttl = ROLES_TTL * random.uniform(0.5, 1.5)  # noqa: S311 - spreading load, not security
        return time.monotonic() - self.roles_read_at > ttl

    async def _reload_user(self) -> bool | None:
        """Swap the person's instance for a fresh one (roles cached on the old one are gone).

        True if their roles changed, False if not, None if the account ended (the socket
        is then closed).
        """
        loaded = await database_sync_to_async(_fresh_person)(self.user.pk)
        if loaded is None:
            await self.close(code=CLOSE_ACCESS_ENDED)  # type: ignore[attr-defined]
            return None
        before = self.roles
        self.user, self.roles = loaded
        self.roles_read_at = time.monotonic()
        return self.roles != before

    async def _guard(self, user: Any) -> bool:
        """Refuse the socket (and say why) unless `user` may have live data; True if refused."""
        if user is None or not user.is_authenticated or not user.is_active:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return True
        code = await database_sync_to_async(refusal)(user)
        if code is not None:
            await self._refuse(code)
            return True
        if not self._claim_socket_slot(user):
            logger.warning("socket refused: too many open for person %s", user.pk)
            await self._refuse(CLOSE_TOO_MANY_SOCKETS)
            return True
        return False


def refusal(user: Any) -> int | None:
    """The close code a socket of ``user`` is refused with, or None: login, the second
    factor, then the apps' gates (in the database thread, one call for all of them)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return CLOSE_UNAUTHENTICATED
    # Same rule as the HTTP middleware: no live data before the second factor.
    from accounts.middleware import missing_two_factor

    if missing_two_factor(user):
        return CLOSE_TWO_FACTOR_REQUIRED
    return closed_gate(user)


def _roles_of(user: Any) -> frozenset[str]:
    from accounts.roles import user_roles

    return frozenset(role.value for role in user_roles(user))


def _fresh_person(user_id: Any) -> tuple[Any, frozenset[str]] | None:
    """A new instance of the person, nothing cached on it, and their roles now; None when
    the account ended."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    return None if user is None else (user, _roles_of(user))


class TokenBucket:
    """The rate limit of one socket: ``burst`` frames at once, ``rate`` a second sustained.

    ``take()`` spends one token and returns what is left: below zero the frame is over the
    limit (the conversations' socket answers ``rate_limited``), far below it the client
    ignores the answers (both sockets close with CLOSE_TOO_MANY_FRAMES).
    """

    def __init__(self, burst: float, rate: float) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = burst
        self.at = time.monotonic()

    def take(self) -> float:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate) - 1
        self.at = now
        return self.tokens
