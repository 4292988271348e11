"""Account pages that allauth does not provide."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.comfort import TOUR_AUTOSTART, reading_preferences_of
from accounts.http import AuthenticatedRequest
from accounts.middleware import missing_two_factor
from accounts.models import ReadingPreferences
from accounts.tours import do_record_tour, do_reset_tours


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


# --- Guided first visits and reading comfort ------------------------------------------------


@require_POST
@login_required
def tour_progress(request: AuthenticatedRequest) -> HttpResponse:
    """Keep that the person finished or skipped their guided visit (tour.js, or the
    « Skip the visit » button of the home page without JavaScript)."""
    try:
        step = int(request.POST.get("step") or 0)
        do_record_tour(
            request.user, request.POST.get("tour", ""), request.POST.get("outcome", ""),
            step=step,
        )
    except ValueError:
        return HttpResponseBadRequest(gettext("This guided visit does not exist."))
    if "application/json" in request.headers.get("Accept", ""):
        return JsonResponse({"ok": True})
    return redirect("home")


@require_POST
@login_required
def tour_replay(request: AuthenticatedRequest) -> HttpResponse:
    """« Replay the guided visit »: forget it was seen, and start it on the home page."""
    do_reset_tours(request.user)
    request.session[TOUR_AUTOSTART] = True
    return redirect("home")


class ReadingForm(forms.ModelForm):
    class Meta:
        model = ReadingPreferences
        fields = ("text_size", "high_contrast", "reduced_motion", "dyslexia_spacing")
        widgets = {"text_size": forms.RadioSelect}
        help_texts = {
            "high_contrast": _("Black text on white, darker links and borders."),
            "reduced_motion": _("No animation or smooth scrolling."),
            "dyslexia_spacing": _("Wider spacing can make reading easier with dyslexia."),
        }


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reading_comfort(request: AuthenticatedRequest) -> HttpResponse:
    """« Reading comfort »: text size, contrast, motion and spacing, kept in the account."""
    preferences = reading_preferences_of(request.user) or ReadingPreferences(user=request.user)
    form = ReadingForm(request.POST or None, instance=preferences)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your reading settings are saved."))
        return redirect("accounts:reading")
    return render(request, "accounts/reading.html", {"form": form})
