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


@login_required
def email_addresses_closed(request: HttpRequest) -> HttpResponse:
    """allauth's page to add or switch email addresses is closed: it checks nothing.

    With ``ACCOUNT_EMAIL_VERIFICATION = "none"`` (the invitation proves the first
    address), an address added there logs in at once, unverified: someone could
    claim an invitee's address before they accept, or move their account to an
    address the DCCU never checked. The address is changed by the DCCU, on request
    from the profile page.
    """
    return redirect("rights:profile")
