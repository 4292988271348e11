"""Invitation pages: the DCCU's list, single invitation and CSV import; the invitee's link."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import Invitation, InvitationQuerySet, InvitationStatus, User
from accounts.names import validate_display_name
from accounts.roles import MEMBER_ROLES, Role, has_role
from assembly.csv_import import MAX_FILE_BYTES, MAX_ROWS, do_import_members
from assembly.invitations import (
    InvitationUnavailable,
    do_accept_invitation,
    do_invite_person,
    do_resend_invitation,
    do_revoke_invitation,
    find_invitation,
)
from assembly.models import Assembly, Canton, MembershipKind, Seat, SeatCategory

View = Callable[..., HttpResponse]


def dccu_required(view: View) -> View:
    """Anonymous visitors go to the login page; everyone but the DCCU gets a 403."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request.user, Role.DCCU):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def access_invitation(user: User, invitation_id: uuid.UUID) -> Invitation:
    if not has_role(user, Role.DCCU):
        raise PermissionDenied
    return get_object_or_404(Invitation, pk=invitation_id)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


# --- DCCU: the list, resend, revoke ----------------------------------------------------


def _filter_status(invitations: InvitationQuerySet, status: str) -> InvitationQuerySet:
    now = timezone.now()
    if status == InvitationStatus.PENDING:
        return invitations.pending(now)
    if status == InvitationStatus.EXPIRED:
        return invitations.open().filter(expires_at__lte=now)
    if status == InvitationStatus.ACCEPTED:
        return invitations.filter(accepted_at__isnull=False)
    if status == InvitationStatus.REVOKED:
        return invitations.filter(accepted_at__isnull=True, revoked_at__isnull=False)
    return invitations


@dccu_required
def invitation_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every invitation with its status, so the DCCU sees who has not joined yet."""
    status = request.GET.get("statut", "")
    if status not in InvitationStatus.values:
        status = ""
    everything: InvitationQuerySet = Invitation.objects.select_related(
        "seat__canton", "invited_by"
    )
    counts = [
        (value, label, _filter_status(everything, value).count())
        for value, label in InvitationStatus.choices
    ]
    return render(
        request,
        "invitations/list.html",
        {
            "invitations": _filter_status(everything, status),
            "status": status,
            "counts": counts,
            "total": everything.count(),
        },
    )


@require_POST
@dccu_required
def invitation_resend(request: AuthenticatedRequest, invitation_id: uuid.UUID) -> HttpResponse:
    invitation = access_invitation(request.user, invitation_id)
    try:
        do_resend_invitation(request.user, invitation, base_url=_base_url(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("A new link was sent to %(email)s; the previous one no longer works.")
            % {"email": invitation.email},
        )
    return redirect("invitations:list")


@require_POST
@dccu_required
def invitation_revoke(request: AuthenticatedRequest, invitation_id: uuid.UUID) -> HttpResponse:
    invitation = access_invitation(request.user, invitation_id)
    try:
        do_revoke_invitation(request.user, invitation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("The invitation to %(email)s is revoked: its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("invitations:list")


# --- DCCU: invite one person ----------------------------------------------------------


class InviteForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email address"))
    first_name = forms.CharField(label=gettext_lazy("First name"), max_length=150)
    last_name = forms.CharField(label=gettext_lazy("Last name"), max_length=150)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=[("", "—"), *Role.choices]
    )
    canton = forms.ModelChoiceField(
        label=gettext_lazy("Canton"), queryset=Canton.objects.order_by("pk"), required=False,
        empty_label="—",
    )
    category = forms.ChoiceField(
        label=gettext_lazy("Category"), choices=[("", "—"), *SeatCategory.choices],
        required=False,
    )
    substitute_rank = forms.IntegerField(
        label=gettext_lazy("Substitute rank"), min_value=1, max_value=999, required=False,
        help_text=gettext_lazy("Substitutes only: rank 1 is called first when the seat frees up."),
    )

    MEMBER_FIELDS = ("canton", "category", "substitute_rank")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        role = data.get("role")
        if role in MEMBER_ROLES:
            if not data.get("canton"):
                self.add_error("canton", _("Choose the canton of the seat."))
            if not data.get("category"):
                self.add_error("category", _("Choose the category of the seat."))
            if role == MembershipKind.REMPLACANT and data.get("substitute_rank") is None:
                self.add_error("substitute_rank", _("A substitute needs a rank (1, 2, 3…)."))
            if role == MembershipKind.TITULAIRE:
                data["substitute_rank"] = None
        elif role:
            # Staff roles have no seat: what was typed there is not used.
            for name in self.MEMBER_FIELDS:
                data[name] = None
        return data


@dccu_required
def invitation_new(request: AuthenticatedRequest) -> HttpResponse:
    """Invite one person (a member seat, taken when they accept, or a staff role)."""
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        seat: Seat | None = None
        assembly = Assembly.current()
        if data["role"] in MEMBER_ROLES:
            seat = Seat.objects.filter(
                assembly=assembly, canton=data["canton"], category=data["category"]
            ).first()
            if seat is None:
                form.add_error(None, _("There is no such seat in the current assembly."))
        if not form.errors:
            try:
                invitation = do_invite_person(
                    request.user,
                    email=data["email"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    role=data["role"],
                    seat=seat,
                    substitute_rank=data["substitute_rank"],
                    base_url=_base_url(request),
                )
            except ValidationError as exc:
                for key, errors in exc.message_dict.items():
                    form.add_error(key if key in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("The invitation was sent to %(email)s.") % {"email": invitation.email},
                )
                return redirect("invitations:list")
    return render(
        request,
        "invitations/invite.html",
        {"form": form, "valid_days": settings.INVITATION_VALID_DAYS},
    )


# --- DCCU: import the draw --------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file of the draw"),
        help_text=gettext_lazy(
            "Columns: nom, prenom, email, canton, categorie (femme/homme), tranche_age "
            "(18-44/45+), statut (titulaire/remplacant), rang (empty for full members). "
            "UTF-8, commas or semicolons."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                _("The file is too large (%(max)s MB at most).")
                % {"max": MAX_FILE_BYTES // (1024 * 1024)}
            )
        return upload


@dccu_required
def invitation_import(request: AuthenticatedRequest) -> HttpResponse:
    """Import the draw in one go; the report is shown on the page, nothing is kept on error."""
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = do_import_members(
            request.user, form.cleaned_data["file"].read(), base_url=_base_url(request)
        )
        if report.ok:
            form = ImportForm()
    return render(
        request,
        "invitations/import.html",
        {"form": form, "report": report, "max_rows": MAX_ROWS},
    )


# --- The invitee -------------------------------------------------------------------------


class AcceptForm(forms.Form):
    display_name = forms.CharField(
        label=gettext_lazy("Name shown to the other participants"),
        max_length=150,
        help_text=gettext_lazy("Your first name is enough, for example “Camille” or “Camille D.”."),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password (optional)"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy(
            "At least 10 characters. Without a password, you log in with a code sent to "
            "your email address."
        ),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean_display_name(self) -> str:
        value = self.cleaned_data["display_name"].strip()
        validate_display_name(value, person=self.invitation.user)
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password1, password2 = data.get("password1", ""), data.get("password2", "")
        if password1 or password2:
            if password1 != password2:
                self.add_error("password2", _("The two passwords are different."))
            else:
                person = self.invitation.user or User(
                    email=self.invitation.email,
                    first_name=self.invitation.first_name,
                    last_name=self.invitation.last_name,
                )
                try:
                    password_validation.validate_password(password1, person)
                except ValidationError as exc:
                    self.add_error("password1", exc)
        return data


def _unavailable(request: HttpRequest, status: int) -> HttpResponse:
    # One page for unknown, used, expired and revoked links: it tells nothing more.
    return render(request, "invitations/unavailable.html", status=status)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email: choose a name (and a password), and you are in."""
    invitation = find_invitation(token)
    if invitation is None:
        return _unavailable(request, 404)
    if invitation.status != InvitationStatus.PENDING:
        return _unavailable(request, 410)
    form = AcceptForm(request.POST or None, invitation=invitation,
                      initial={"display_name": invitation.first_name})
    if request.method == "POST" and form.is_valid():
        try:
            user = do_accept_invitation(
                invitation,
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
            )
        except InvitationUnavailable:
            return _unavailable(request, 410)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            return redirect("home")
    return render(request, "invitations/accept.html", {"form": form, "invitation": invitation})
