"""Staff who can see everyone's data (DCCU, DPD) must use two-factor authentication."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from accounts.roles import Role, has_role

# What a staff member without a TOTP app may still reach: allauth's own pages (login
# stages, logout, re-authentication, the two-factor set-up itself), our explanation
# page, the language switch and the health check. Named views rather than a "/comptes/"
# prefix, so a page added under /comptes/ later is protected by default.
ALLOWED_VIEW_PREFIXES = ("account_", "mfa_")
# The web push service worker (/sw.js) is a static script a browser fetches on its own.
ALLOWED_VIEW_NAMES = frozenset(
    {"accounts:two_factor_required", "set_language", "healthz", "push_service_worker"}
)


def requires_two_factor(user: object) -> bool:
    # A superuser sees and changes everything, whatever their roles: at least as much
    # reason for a second factor as the DCCU.
    if getattr(user, "is_superuser", False) and getattr(user, "is_active", False):
        return True
    roles = [Role(r) for r in settings.AGORA_STAFF_2FA_ROLES]
    return has_role(user, *roles)


def has_two_factor(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def missing_two_factor(user: object) -> bool:
    """True for a DCCU or DPD member (or a superuser) without an authenticator app yet."""
    return requires_two_factor(user) and not has_two_factor(user)


def _reachable_without_two_factor(path_info: str) -> bool:
    try:
        match = resolve(path_info)
    except Resolver404:
        return True  # nothing there: let the 404 happen
    return match.view_name in ALLOWED_VIEW_NAMES or (match.url_name or "").startswith(
        ALLOWED_VIEW_PREFIXES
    )


class RequireStaffTwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Django's admin login form knows nothing of the second factor: a DCCU member
        # with TOTP could log in there with their password alone. Everyone logs in
        # through allauth, which asks for the code.
        if request.path_info == reverse("admin:login"):
            if request.user.is_authenticated:
                # Logged in already: the admin's own answer (its index, or a 403 when the
                # person has no role there), never allauth's login, which would send them
                # back here (a redirect loop).
                return redirect(reverse("admin:index"))
            query = urlencode({"next": request.GET.get("next") or reverse("admin:index")})
            return redirect(f"{reverse('account_login')}?{query}")
        user = request.user
        if (
            user.is_authenticated
            and missing_two_factor(user)
            and not _reachable_without_two_factor(request.path_info)
        ):
            return redirect(reverse("accounts:two_factor_required"))
        return self.get_response(request)
