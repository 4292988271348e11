"""Seat pages: a member's « My seat » (offer, resignation, welcome) and the DCCU's seats page."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from accounts.http import AuthenticatedRequest
from assembly import actions, seats
from assembly.models import Assembly, EndReason, Membership, Seat, SeatOffer
from assembly.views_invitations import dccu_required

# --- The member's side --------------------------------------------------------------------


class ResignForm(forms.Form):
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I confirm that I leave the citizens' assembly. I understand that I cannot "
            "take this back and that my seat goes to a substitute."
        ),
        required=True,
        error_messages={"required": gettext_lazy("Tick this box to confirm.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Why are you leaving? (optional)"),
        help_text=gettext_lazy("Only the DCCU team reads it."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DeclineForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Why do you decline? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _next_session(assembly: Assembly | None) -> object:
    if assembly is None:
        return None
    return (
        assembly.sessions.filter(starts_at__gte=timezone.now(), cancelled_at__isnull=True)
        .order_by("starts_at")
        .first()
    )


@require_safe
@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    """Where a member sees their seat, answers an offer, reads their welcome, or resigns."""
    user = request.user
    membership = (
        Membership.objects.open().filter(user=user).select_related("seat__canton").first()
    )
    offer = (
        SeatOffer.objects.pending().filter(user=user).select_related("seat__canton").first()
    )
    welcome = seats.recent_welcome(user)
    context = {
        "membership": membership,
        "offer": offer,
        "offer_days": settings.SEAT_OFFER_DAYS,
        "decline_form": DeclineForm(),
        "welcome": welcome,
        # A link by its code: the library's progress bar is on the path's own page.
        "welcome_path": seats.WELCOME_PATH_SLUG,
        "next_session": (
            _next_session(welcome.seat.assembly) if welcome is not None else None
        ),
    }
    return render(request, "assembly/my_seat.html", context)


@login_required
def resign(request: AuthenticatedRequest) -> HttpResponse:
    """The resignation form: what it means, a tick to confirm, an optional reason."""
    membership = (
        Membership.objects.open().filter(user=request.user).select_related("seat__canton").first()
    )
    if membership is None:
        raise Http404
    form = ResignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_resign(
                request.user, confirmed=form.cleaned_data["confirm"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Your resignation is recorded. Thank you for your part in the assembly."),
            )
            return redirect("seats:mine")
    return render(request, "assembly/resign.html", {"form": form, "membership": membership})


@require_POST
@login_required
def offer_accept(request: AuthenticatedRequest, offer_id: uuid.UUID) -> HttpResponse:
    offer = actions.access_seat_offer(request.user, offer_id)
    try:
        actions.do_accept_seat_offer(request.user, offer)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Welcome! You are now a full member of the assembly."))
    return redirect("seats:mine")


@require_POST
@login_required
def offer_decline(request: AuthenticatedRequest, offer_id: uuid.UUID) -> HttpResponse:
    offer = actions.access_seat_offer(request.user, offer_id)
    form = DeclineForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        actions.do_decline_seat_offer(request.user, offer, note=note)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Your answer is recorded: you stay a substitute."))
    return redirect("seats:mine")


# --- The DCCU's side ----------------------------------------------------------------------


@require_safe
@dccu_required
def board(request: AuthenticatedRequest) -> HttpResponse:
    """Every seat by canton: titulaire, substitutes by rank, offers, vacancies, history."""
    assembly = Assembly.current(timezone.localdate())
    rows = seats.seats_board(assembly)
    return render(
        request,
        "assembly/seats_board.html",
        {
            "assembly": assembly,
            "rows": rows,
            "counts": seats.seat_counts(rows),
            "history": seats.replacement_history(assembly),
            "offer_days": settings.SEAT_OFFER_DAYS,
            "states": seats.SeatState,
        },
    )


END_REASONS = [
    (EndReason.RESIGNATION, gettext_lazy("resignation (told to the DCCU)")),
    (EndReason.INELIGIBLE, gettext_lazy("démission d'office (no longer eligible)")),
    (EndReason.DECEASED, EndReason.DECEASED.label),
    (EndReason.OTHER, EndReason.OTHER.label),
]


class EndForm(forms.Form):
    reason = forms.ChoiceField(label=gettext_lazy("Reason"), choices=END_REASONS)
    note = forms.CharField(
        label=gettext_lazy("Explain (kept in the history)"),
        help_text=gettext_lazy(
            "For a démission d'office, name the incompatibility: agent of the département, "
            "elected mandate…"
        ),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@dccu_required
def end(request: AuthenticatedRequest, membership_id: uuid.UUID) -> HttpResponse:
    """The DCCU ends a membership with its reason in words."""
    membership = get_object_or_404(
        Membership.objects.open().select_related("user", "seat__canton"), pk=membership_id
    )
    form = EndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            offer = actions.do_end_membership(
                request.user, membership, reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("The membership has ended; the seat is offered to the next substitute.")
                if offer is not None
                else _("The membership has ended."),
            )
            return redirect("seats:board")
    return render(request, "assembly/seat_end.html", {"form": form, "membership": membership})


@require_POST
@dccu_required
def offer(request: AuthenticatedRequest, seat_id: int) -> HttpResponse:
    """Offer a vacant seat to its next eligible substitute."""
    seat = get_object_or_404(Seat, pk=seat_id)
    try:
        actions.do_offer_seat(request.user, seat)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The seat is offered to the next substitute."))
    return redirect("seats:board")
