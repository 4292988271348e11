"""Demo-mode two-factor enrolment for seeded staff accounts.

Seeded DCCU and DPD accounts get a TOTP authenticator with a *published*
secret, so a newcomer can log in without a phone: add the secret to any
authenticator app, or print the current code with
``python manage.py demo_totp``. Refused outside demo mode.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from accounts.models import User

# Published on purpose (README): this secret protects demo data only.
DEMO_TOTP_SECRET = "AGORADEMOAGORADEMOAGORADEMOAGORA"  # noqa: S105


def _require_demo() -> None:
    if not settings.AGORA_DEMO:
        raise ImproperlyConfigured("Demo two-factor enrolment is refused outside AGORA_DEMO.")


def enrol_demo_totp(user: User) -> None:
    """Give the user a TOTP authenticator with the published demo secret (idempotent)."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    _require_demo()
    if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        return
    TOTP.activate(user, DEMO_TOTP_SECRET)


def current_demo_code() -> str:
    from allauth.mfa.totp.internal.auth import (
        format_hotp_value,
        hotp_value,
        yield_hotp_counters_from_time,
    )

    _require_demo()
    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counters[len(counters) // 2]))
