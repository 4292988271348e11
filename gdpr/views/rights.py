"""Pages of the rights of the people: « Mes données », the profile, access copies, requests.

Every write goes through ``gdpr.rights`` or ``gdpr.access_copy``; these views
read the request, call the operation and pick the next page. What a person may
not see answers 404, whether it exists or not.
"""

from __future__ import annotations

import copy
import re
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.names import validate_display_name
from accounts.roles import MEMBER_ROLES, has_role
from config.dates import format_day
from gdpr import audit
from gdpr.access_copy import (
    IN_PROGRESS,
    access_copy,
    describe,
    do_download_access_copy,
    do_request_access_copy,
)
from gdpr.models import (
    OPEN_REQUEST_STATUSES,
    AccessCopy,
    CopyStatus,
    DataRequest,
    RequestKind,
)
from gdpr.registry import Erasure, declarations
from gdpr.rights import (
    access_data_request,
    do_complete_request,
    do_decide_request,
    do_extend_request,
    do_prepare_copy_for_request,
    do_submit_request,
    is_handler,
    visible_requests,
)
from gdpr.subjects import count_for

# What the person may ask for from the request form (a copy is self-service).
SELF_SERVICE_KINDS = (
    RequestKind.RECTIFICATION, RequestKind.ERASURE, RequestKind.LIMITATION,
    RequestKind.OBJECTION,
)
# What only staff can change, each with a « demander une correction » link.
STAFF_ONLY_FIELDS = ("email", "birth_date", "is_department_agent", "holds_elected_office")


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


def _field_label(name: str) -> str:
    field: Any = User._meta.get_field(name)
    return str(field.verbose_name)


def _errors(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# --- « Mes données » --------------------------------------------------------------------------


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """What Agora holds about me, why, for how long, and a button for each right."""
    user = request.user
    held = []
    for declaration in declarations():
        count = count_for(declaration, user, with_acts=True)
        if count:
            held.append({**describe(declaration), "count": count})
    return render(
        request,
        "gdpr/rights/home.html",
        {
            "held": held,
            "copies": AccessCopy.objects.filter(user=user).order_by("-created_at")[:5],
            "requests": DataRequest.objects.filter(user=user).order_by("-received_at"),
            "copy_in_progress": AccessCopy.objects.filter(
                user=user, requested_by=user, status__in=IN_PROGRESS
            ).first(),
            "kinds": [(k, RequestKind(k).label) for k in SELF_SERVICE_KINDS],
            "is_handler": is_handler(user),
        },
    )


# --- The profile (rectification by the person) ------------------------------------------------


POSTAL_CODE = re.compile(r"^\d{5}$")


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("display_name", "first_name", "last_name", "postal_code")
        # WCAG 1.3.5 (identify input purpose): browsers and assistive tools can fill these.
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "postal_code": forms.TextInput(
                attrs={"autocomplete": "postal-code", "inputmode": "numeric"}
            ),
        }

    def clean_display_name(self) -> str:
        value = (self.cleaned_data.get("display_name") or "").strip()
        if value and "display_name" in self.changed_data:
            validate_display_name(value, person=self.instance)
        return value

    def clean_postal_code(self) -> str:
        value = (self.cleaned_data.get("postal_code") or "").strip()
        if value and not POSTAL_CODE.match(value):
            raise ValidationError(_("A postal code has five digits."))
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "postal_code" in self.changed_data and has_role(self.instance, *MEMBER_ROLES):
            # A member who moved out of Haute-Garonne leaves the assembly: that is the
            # DCCU's decision to record, not a side effect of a form.
            from assembly.actions import eligibility_problems

            candidate = copy.copy(self.instance)
            candidate.postal_code = data.get("postal_code", "")
            if eligibility_problems(candidate):
                self.add_error(
                    "postal_code",
                    _("Members of the assembly live in Haute-Garonne. If you have moved, "
                      "ask for a correction: the DCCU team will contact you."),
                )
        return data


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    """The person corrects what they may; the rest has a « request a correction » link."""
    user = User.objects.get(pk=request.user.pk)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        changed = list(form.changed_data)
        if changed:
            form.save()
            # Field names only: the values are the person's data.
            audit.record(user, "gdpr.profile.update", subject=user, fields=changed)
            messages.success(request, _("Your profile is up to date."))
        return redirect("rights:profile")
    staff_only = [
        {"name": name, "label": _field_label(name),
         "value": getattr(user, name)}
        for name in STAFF_ONLY_FIELDS
    ]
    return render(request, "gdpr/rights/profile.html", {"form": form, "staff_only": staff_only})


# --- Access copies ----------------------------------------------------------------------------


@require_POST
@login_required
def copy_request(request: AuthenticatedRequest) -> HttpResponse:
    try:
        copy = do_request_access_copy(request.user, base_url=_base_url(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("rights:home")
    return redirect("rights:copy", copy_id=copy.pk)


def _copy_context(copy: AccessCopy) -> dict[str, Any]:
    return {
        "status": copy.status,
        "label": str(copy.get_status_display()),
        "done": copy.done,
        "total": copy.total,
        "percent": copy.percent,
        "ready": copy.status == CopyStatus.READY,
        "finished": copy.status not in IN_PROGRESS,
    }


@never_cache
@login_required
def copy_detail(request: AuthenticatedRequest, copy_id: uuid.UUID) -> HttpResponse:
    copy = access_copy(request.user, copy_id)
    return render(
        request, "gdpr/rights/copy.html",
        {"copy": copy, "state": _copy_context(copy),
         "on_behalf": copy.user_id != request.user.pk},
    )


@never_cache
@login_required
def copy_status(request: AuthenticatedRequest, copy_id: uuid.UUID) -> HttpResponse:
    """The progress, for the page's small script to poll."""
    copy = access_copy(request.user, copy_id)
    return JsonResponse(_copy_context(copy))


@never_cache
@login_required
def copy_download(request: AuthenticatedRequest, copy_id: uuid.UUID) -> FileResponse:
    copy = access_copy(request.user, copy_id)
    path = do_download_access_copy(request.user, copy)
    day = timezone.localtime(copy.finished_at or timezone.now()).date().isoformat()
    response = FileResponse(
        path.open("rb"), as_attachment=True, filename=f"agora-mes-donnees-{day}.zip",
        content_type="application/zip",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    return response


# --- Requests: the person's side --------------------------------------------------------------


class RequestForm(forms.Form):
    details = forms.CharField(
        label=gettext_lazy("Your request"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=5000,
    )


REQUEST_HELP = {
    RequestKind.RECTIFICATION: gettext_lazy(
        "Say which information is wrong and what it should be."),
    RequestKind.ERASURE: gettext_lazy(
        "Your account and your personal data will be deleted. What you wrote in shared "
        "work (messages, co-written texts, shared documents) stays, signed with a "
        "pseudonym. While your mandate runs, the DPO may refuse and tell you why."),
    RequestKind.LIMITATION: gettext_lazy(
        "Say which processing should be paused and why (for example while a correction "
        "is checked)."),
    RequestKind.OBJECTION: gettext_lazy(
        "Say which processing you object to and why, given your situation."),
    RequestKind.ACCESS: gettext_lazy(
        "You can download a copy of your data yourself from « My data »."),
}


@login_required
def request_new(request: AuthenticatedRequest, kind: str) -> HttpResponse:
    if kind not in SELF_SERVICE_KINDS:
        return redirect("rights:home")
    initial = {}
    field = request.GET.get("champ", "")
    if kind == RequestKind.RECTIFICATION and field in STAFF_ONLY_FIELDS:
        label = _field_label(field)
        initial["details"] = _("%(field)s: the correct value is …") % {"field": label}
    form = RequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            data_request = do_submit_request(
                request.user, kind=kind, details=form.cleaned_data["details"],
                base_url=_base_url(request),
            )
        except ValidationError as exc:
            for message in _errors(exc):
                form.add_error(None, message)
        else:
            messages.success(
                request,
                _("Your request is recorded. You will have an answer by %(date)s.")
                % {"date": format_day(data_request.due_at)},
            )
            return redirect("rights:request", request_id=data_request.pk)
    return render(
        request, "gdpr/rights/request_form.html",
        {"form": form, "kind": kind, "kind_label": RequestKind(kind).label,
         "help": REQUEST_HELP[RequestKind(kind)]},
    )


@login_required
def request_detail(request: AuthenticatedRequest, request_id: uuid.UUID) -> HttpResponse:
    data_request = access_data_request(request.user, request_id)
    abilities = data_request.get_abilities(request.user)
    handling = abilities["handle"]
    if handling:
        audit.record(request.user, "gdpr.request.view", subject=data_request.user,
                     obj=data_request)
    person = data_request.user
    return render(
        request, "gdpr/rights/request_detail.html",
        {
            "data_request": data_request,
            "abilities": abilities,
            "handling": handling,
            "person": person,
            "sitting_member": handling and has_role(person, *MEMBER_ROLES),
            "kept": [
                describe(d) for d in declarations()
                if handling and d.erasure == Erasure.KEEP and count_for(d, person)
            ] if data_request.kind == RequestKind.ERASURE else [],
            "copies": AccessCopy.objects.filter(
                user=person, requested_by=request.user
            ).exclude(requested_by=person)[:5] if handling else [],
            "now": timezone.now(),
        },
    )


# --- Requests: the DPD's and the DCCU's side --------------------------------------------------


def _handler_only(request: AuthenticatedRequest) -> None:
    if not is_handler(request.user):
        raise PermissionDenied


@login_required
def request_list(request: AuthenticatedRequest) -> HttpResponse:
    """Every request with its deadline, the closest first; closed ones below."""
    _handler_only(request)
    requests = visible_requests(request.user)
    open_requests = requests.filter(status__in=OPEN_REQUEST_STATUSES).order_by(
        "due_at"
    )
    closed = requests.exclude(pk__in=open_requests.values("pk")).order_by("-received_at")[:50]
    return render(
        request, "gdpr/rights/request_list.html",
        {"open_requests": open_requests, "closed": closed, "now": timezone.now()},
    )


class RecordForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("The person's email address"))
    kind = forms.ChoiceField(label=gettext_lazy("Request"), choices=RequestKind.choices)
    details = forms.CharField(
        label=gettext_lazy("What the person asks"), widget=forms.Textarea(attrs={"rows": 5}),
        required=False, max_length=5000,
    )


@login_required
def request_record(request: AuthenticatedRequest) -> HttpResponse:
    """Record a request received by post, email or phone, on the person's behalf."""
    _handler_only(request)
    form = RecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        person = User.objects.filter(
            email__iexact=form.cleaned_data["email"], is_active=True
        ).first()
        if person is None:
            form.add_error("email", _("No active account has this address."))
        else:
            try:
                data_request = do_submit_request(
                    request.user, kind=form.cleaned_data["kind"],
                    details=form.cleaned_data["details"], person=person,
                    base_url=_base_url(request),
                )
            except ValidationError as exc:
                for message in _errors(exc):
                    form.add_error(None, message)
            else:
                messages.success(request, _("The request is recorded."))
                return redirect("rights:request", request_id=data_request.pk)
    return render(request, "gdpr/rights/request_record.html", {"form": form})


def _after_action(request: AuthenticatedRequest, data_request: DataRequest) -> HttpResponse:
    return redirect("rights:request", request_id=data_request.pk)


@require_POST
@login_required
def request_extend(request: AuthenticatedRequest, request_id: uuid.UUID) -> HttpResponse:
    data_request = access_data_request(request.user, request_id)
    try:
        do_extend_request(request.user, data_request, reason=request.POST.get("reason", ""),
                          base_url=_base_url(request))
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, _("The deadline is extended; the person has been told why."))
    return _after_action(request, data_request)


@require_POST
@login_required
def request_decide(request: AuthenticatedRequest, request_id: uuid.UUID) -> HttpResponse:
    data_request = access_data_request(request.user, request_id)
    decision = request.POST.get("decision")
    if decision not in {"accept", "refuse"}:
        messages.error(request, _("Choose to accept or to refuse."))
        return _after_action(request, data_request)
    try:
        do_decide_request(
            request.user, data_request, accept=decision == "accept",
            reason=request.POST.get("reason", ""),
            archives_agreement=request.POST.get("archives_agreement", ""),
            base_url=_base_url(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(_errors(exc)))
    else:
        messages.success(request, _("The decision is recorded; the person has been told."))
    return _after_action(request, data_request)


@require_POST
@login_required
def request_complete(request: AuthenticatedRequest, request_id: uuid.UUID) -> HttpResponse:
    data_request = access_data_request(request.user, request_id)
    do_complete_request(request.user, data_request, base_url=_base_url(request))
    messages.success(request, _("The request is marked as carried out; the person has been told."))
    return _after_action(request, data_request)


@require_POST
@login_required
def request_prepare_copy(request: AuthenticatedRequest, request_id: uuid.UUID) -> HttpResponse:
    data_request = access_data_request(request.user, request_id)
    copy = do_prepare_copy_for_request(request.user, data_request, base_url=_base_url(request))
    return redirect("rights:copy", copy_id=copy.pk)
