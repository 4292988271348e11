"""Account pages that allauth does not provide."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts.middleware import missing_two_factor


@login_required
def two_factor_required(request: HttpRequest) -> HttpResponse:
    """Tell DCCU and DPD staff why they must enrol a TOTP app before going on."""
    if not missing_two_factor(request.user):
        return redirect("home")
    return render(request, "accounts/two_factor_required.html")
