"""Export and erasure callables for the accounts app's declarations
(``gdpr/privacy_accounts.py``).

They do for these models what the generic strategies of ``gdpr.erasure``
cannot: find sessions by their encoded data, forget the cached counters keyed
by their address, find invitations by their address. (The names in the admin's
change log are replaced by ``gdpr.scrub``, as in every other text.)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.db import transaction

SESSION_BATCH = 500


def erased_email(row: Any) -> str:
    """A unique address that can never receive mail (``.invalid`` is reserved, RFC 2606)."""
    return f"erased-{uuid.uuid4().hex}@invalid"


# --- Sessions: the person is inside the encoded data -----------------------------------------


def _session_keys_of(person: Any) -> Iterator[list[str]]:
    """The person's session keys, a batch at a time, walking the table by key."""
    wanted = str(person.pk)
    last = ""
    while True:
        page = list(
            Session.objects.filter(session_key__gt=last)
            .order_by("session_key")
            .values_list("session_key", "session_data")[:SESSION_BATCH]
        )
        if not page:
            return
        store = SessionStore()
        keys = [key for key, data in page if str(store.decode(data).get("_auth_user_id")) == wanted]
        if keys:
            yield keys
        last = page[-1][0]


def export_sessions(person: Any) -> Iterator[dict[str, Any]]:
    """The person's open sessions, without their keys: a key is a password while it lasts."""
    for keys in _session_keys_of(person):
        for key, expires in Session.objects.filter(session_key__in=keys).values_list(
            "session_key", "expire_date"
        ):
            yield {
                "id": key[:6] + "…",
                "session_key": key[:6] + "…",
                "expire_date": expires.isoformat(),
            }


def end_sessions(person: Any, pseudonym: str) -> dict[str, int]:
    """Delete every session of the person: they are logged out everywhere at once."""
    deleted = 0
    for keys in _session_keys_of(person):
        deleted += Session.objects.filter(session_key__in=keys).delete()[0]
    return {"deleted": deleted}


# --- Cached traces --------------------------------------------------------------------------


def rate_limit_keys(email: str) -> list[str]:
    """allauth's per-address counters: keyed by a hash of the address (or of host:address)."""
    from allauth.core.internal.ratelimit import get_cache_key, get_rates

    email = email.lower()
    hosts = [h for h in settings.ALLOWED_HOSTS if h and "*" not in h and not h.startswith(".")]
    candidates = [email, *(f"{host}:{email}" for host in hosts)]
    keys: list[str] = []
    for action in settings.ACCOUNT_RATE_LIMITS:
        rates = get_rates(app="allauth.account", action=action,
                          config=settings.ACCOUNT_RATE_LIMITS)
        for rate in rates:
            if rate.per != "key":
                continue
            keys += [
                get_cache_key(None, app="allauth.account", action=action,  # type: ignore[arg-type]
                              rate=rate, key=candidate)
                for candidate in candidates
            ]
    return keys


def end_roles_and_cached_traces(person: Any, pseudonym: str) -> None:
    """Take away the person's staff roles, and drop what the cache holds about them once
    the erasure commits.

    An erased account holds no role (the register says so): its groups are emptied. The
    cache holds allauth's rate-limit counters, keyed by a hash of the address (timestamps
    only, gone within minutes anyway). Roles are cached on the user instance only
    (``accounts.roles``), never in the shared cache.
    """
    from django.core.cache import cache

    person.groups.clear()
    keys = rate_limit_keys(person.email) if person.email else []
    if keys:
        transaction.on_commit(lambda: cache.delete_many(keys))


# --- Invitations not linked to the account -------------------------------------------------


def delete_invitations_to(person: Any, pseudonym: str) -> dict[str, int]:
    """Delete every invitation sent to the person's address, linked to the account or not.

    The declaration finds invitations through ``user``, which is set only once one
    is accepted: an earlier invitation that expired or was revoked still holds the
    address and the names, and would outlive the erasure.
    """
    from accounts.models import Invitation

    if not person.email:
        return {}
    deleted, _per_model = Invitation.objects.filter(email__iexact=person.email).delete()
    return {"deleted": deleted}
