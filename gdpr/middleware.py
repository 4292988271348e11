"""Everyone reads the privacy notice and accepts the charter before using the platform."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse

from accounts.middleware import ALLOWED_VIEW_NAMES as TWO_FACTOR_ALLOWED_VIEW_NAMES
from accounts.middleware import ALLOWED_VIEW_PREFIXES as TWO_FACTOR_ALLOWED_VIEW_PREFIXES
from gdpr.consent import gate_for

# What a person who has not accepted yet may still reach: everything the two-factor
# middleware lets through (it runs first: a page it sends someone to must not bounce
# back here), the gate itself and its exit, the public pages, and the person's own
# rights — « Mes données » (copy, profile, requests, erasure) and the outcome of their
# requests: refusing the charter never takes those away. Named views and URL areas
# rather than path prefixes, so a page added later is gated by default.
ALLOWED_VIEW_PREFIXES = TWO_FACTOR_ALLOWED_VIEW_PREFIXES
ALLOWED_VIEW_NAMES = TWO_FACTOR_ALLOWED_VIEW_NAMES | frozenset(
    {
        "consent:welcome",
        "consent:exit",
        "consent:privacy_notice",
        "consent:legal_notice",
        "consent:accessibility",
        "rights:request",
    }
)
# The rights namespace also holds the DPD's and DCCU's workflow, which stays gated:
# only the person's own area is open.
ALLOWED_ROUTE_PREFIXES = ("mes-donnees/",)


def _reachable_before_welcome(path_info: str) -> bool:
    try:
        match = resolve(path_info)
    except Resolver404:
        return True  # nothing there: let the 404 happen
    return (
        match.view_name in ALLOWED_VIEW_NAMES
        or (match.url_name or "").startswith(ALLOWED_VIEW_PREFIXES)
        or (match.namespace == "rights" and match.route.startswith(ALLOWED_ROUTE_PREFIXES))
    )


class RequireWelcomeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or _reachable_before_welcome(request.path_info):
            return self.get_response(request)
        gate = gate_for(user)
        if gate.is_open:
            return self.get_response(request)
        if gate.refused and gate.notice is None:
            return redirect(reverse("consent:exit"))
        target = reverse("consent:welcome")
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)
