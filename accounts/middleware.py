"""Staff who can see everyone's data (DCCU, DPD) must use two-factor authentication."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from accounts.roles import Role, has_role

# Paths a staff member without 2FA may still reach: enrolment, logout, static, health.
ALLOWED_PREFIXES = ("/comptes/", "/static/", "/healthz", "/i18n/")


def requires_two_factor(user: object) -> bool:
    roles = [Role(r) for r in settings.AGORA_STAFF_2FA_ROLES]
    return has_role(user, *roles)


def has_two_factor(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class RequireStaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(ALLOWED_PREFIXES)
            and requires_two_factor(user)
            and not has_two_factor(user)
        ):
            return redirect(reverse("accounts:two_factor_required"))
        return self.get_response(request)
