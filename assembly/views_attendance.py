"""Attendance, indemnities and travel claims pages (assembly.attendance, .indemnities,
.claims hold the rules; these views only read forms and render)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.roles import Role, has_role
from assembly import attendance, claims, indemnities
from assembly.models import (
    Assembly,
    Attendance,
    AttendanceMode,
    ClaimStatus,
    IndemnityStatement,
    Session,
    TravelClaim,
)
from assembly.views_invitations import dccu_required


def _assembly() -> Assembly:
    assembly = Assembly.current()
    if assembly is None:
        raise Http404
    return assembly


def _posted_person(request: AuthenticatedRequest) -> User:
    try:
        return User.objects.get(pk=request.POST.get("user") or "")
    except (User.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc


def _errors(request: AuthenticatedRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# --- Member: my attendance and indemnities -------------------------------------------------


@login_required
def mine(request: AuthenticatedRequest) -> HttpResponse:
    assembly = Assembly.current()
    statements = []
    if assembly is not None:
        for start, end in indemnities.periods(assembly):
            if start > timezone.localdate():
                continue
            computed = indemnities.statement_for(request.user, assembly, start)
            statements.append({
                "label": indemnities.period_label(start, end),
                "start": start, "end": end, "computed": computed,
                "travel": indemnities.travel_total(request.user, assembly, start, end),
                "validated": indemnities.current_statement(request.user, assembly, start),
            })
    presences = (
        Attendance.objects.filter(user=request.user).select_related("session")
        .order_by("-session__starts_at")[:100]
    )
    return render(request, "attendance/mine.html", {
        "assembly": assembly,
        "statements": statements,
        "presences": presences,
        "claims": TravelClaim.objects.filter(user=request.user)[:50],
        "may_claim": claims.may_claim(request.user),
    })


# --- Facilitator: check-in -----------------------------------------------------------------


@login_required
def sessions(request: AuthenticatedRequest) -> HttpResponse:
    if not (has_role(request.user, Role.DCCU)
            or Session.objects.filter(facilitators=request.user).exists()
            or has_role(request.user, Role.FACILITATEUR)):
        raise PermissionDenied
    return render(request, "attendance/sessions.html", {
        "sessions": attendance.sessions_to_check_in(request.user),
        "now": timezone.now(),
    })


@login_required
def checkin(request: AuthenticatedRequest, session_id: uuid.UUID) -> HttpResponse:
    session = attendance.access_attendance_list(request.user, session_id, "check_in")
    present = {a.user_id: a for a in session.attendances.all()}
    people: list[dict[str, Any]] = [
        {"user": person, "attendance": present.get(person.pk)}
        for person in attendance.convened(session)
    ]
    # People present who are no longer convened (a membership ended since) stay listed.
    convened_ids = {row["user"].pk for row in people}
    people += [
        {"user": a.user, "attendance": a}
        for a in session.attendances.select_related("user")
        if a.user_id not in convened_ids
    ]
    return render(request, "attendance/checkin.html", {
        "session": session,
        "people": people,
        "present_count": len(present),
        "modes": AttendanceMode.choices,
        "list_open": attendance.in_window(session, timezone.now(), late=attendance.LIST_LATE),
        "changes": session.attendance_changes.select_related("user", "actor").order_by("-at")[:200],
    })


@require_POST
@login_required
def checkin_save(request: AuthenticatedRequest, session_id: uuid.UUID) -> HttpResponse:
    session = attendance.access_attendance_list(request.user, session_id, "check_in")
    people = {str(p.pk): p for p in attendance.convened(session)}
    count = 0
    for key in request.POST.getlist("present"):
        person = people.get(key)
        if person is None:
            continue
        mode = request.POST.get(f"mode_{key}", AttendanceMode.ON_SITE)
        try:
            before = Attendance.objects.filter(session=session, user=person).exists()
            attendance.do_check_in(request.user, session, user=person, mode=mode)
            count += 0 if before else 1
        except ValidationError as error:
            _errors(request, error)
            break
    if count:
        messages.success(request, _("%(count)d presence(s) recorded.") % {"count": count})
    return redirect("attendance:checkin", session_id=session.pk)


@require_POST
@login_required
def correct(request: AuthenticatedRequest, session_id: uuid.UUID) -> HttpResponse:
    session = attendance.access_attendance_list(request.user, session_id, "correct")
    person = _posted_person(request)
    try:
        attendance.do_correct_attendance(
            request.user, session, user=person, present=request.POST.get("present") == "1",
            mode=request.POST.get("mode", ""), share=request.POST.get("share"),
            reason=request.POST.get("reason", ""),
        )
        messages.success(request, _("The correction was recorded."))
    except ValidationError as error:
        _errors(request, error)
    return redirect("attendance:checkin", session_id=session.pk)


@login_required
def qr_display(request: AuthenticatedRequest, session_id: uuid.UUID) -> HttpResponse:
    """The code to project in the room; the page renews it before it expires."""
    session = attendance.access_attendance_list(request.user, session_id, "check_in")
    url = request.build_absolute_uri(
        reverse("attendance:scan", kwargs={"token": attendance.qr_token(session)})
    )
    return render(request, "attendance/qr.html", {
        "session": session,
        "svg": attendance.qr_svg(url),
        "url": url,
        "refresh": max(30, attendance.qr_max_age() // 2),
    })


@login_required
def scan(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """Open from the code: a button confirms (a link opened by a preview never checks in)."""
    context: dict[str, Any] = {"token": token}
    status = 200
    try:
        session = attendance.read_qr_token(token)
        context["session"] = session
        if request.method == "POST":
            attendance.do_scan_check_in(request.user, token)
            context["done"] = True
    except ValidationError as error:
        context["error"] = " ".join(error.messages)
        status = 400
    return render(request, "attendance/scan.html", context, status=status)


# --- DCCU: indemnities per period ----------------------------------------------------------


def _period(assembly: Assembly, year: int) -> tuple[date, date]:
    for start, end in indemnities.periods(assembly):
        if start.year == year:
            return start, end
    raise Http404


@dccu_required
def indemnities_index(request: AuthenticatedRequest) -> HttpResponse:
    assembly = _assembly()
    today = timezone.localdate()
    periods = [(s, e, indemnities.period_label(s, e)) for s, e in indemnities.periods(assembly)]
    current = next((p for p in periods if p[0] <= today <= p[1]), periods[-1] if periods else None)
    if current is None:
        raise Http404
    return _period_page(request, assembly, current[0].year)


@dccu_required
def indemnities_period(request: AuthenticatedRequest, year: int) -> HttpResponse:
    return _period_page(request, _assembly(), year)


def _period_page(request: AuthenticatedRequest, assembly: Assembly, year: int) -> HttpResponse:
    """The year's statements: as computed now, as validated, and what changed since."""
    start, end = _period(assembly, year)
    rows = indemnities.period_rows(assembly, start)
    return render(request, "attendance/indemnities.html", {
        "assembly": assembly,
        "start": start, "end": end, "label": indemnities.period_label(start, end),
        "periods": [(s, indemnities.period_label(s, e)) for s, e in indemnities.periods(assembly)],
        "rows": rows,
        "to_validate": sum(1 for r in rows if r.validated is None
                           and (r.computed.amount > 0 or r.travel > 0)),
        "corrections": IndemnityStatement.objects.filter(
            assembly=assembly, period_start=start, supersedes__isnull=False
        ).select_related("user", "validated_by"),
        "pending_claims": TravelClaim.objects.filter(
            assembly=assembly, status=ClaimStatus.SUBMITTED, date__gte=start, date__lte=end
        ).count(),
    })


@require_POST
@dccu_required
def indemnities_validate(request: AuthenticatedRequest, year: int) -> HttpResponse:
    assembly = _assembly()
    start, _end = _period(assembly, year)
    count = indemnities.do_validate_period(request.user, assembly, start)
    messages.success(request, _("%(count)d statement(s) validated.") % {"count": count})
    return redirect("attendance:indemnities_period", year=year)


@require_POST
@dccu_required
def indemnities_correct(request: AuthenticatedRequest, year: int) -> HttpResponse:
    assembly = _assembly()
    start, _end = _period(assembly, year)
    person = _posted_person(request)
    try:
        indemnities.do_correct_statement(
            request.user, assembly, start, user=person, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("The corrected statement replaces the validated one."))
    except ValidationError as error:
        _errors(request, error)
    return redirect("attendance:indemnities_period", year=year)


@dccu_required
def indemnities_export(request: AuthenticatedRequest, year: int, fmt: str) -> HttpResponse:
    assembly = _assembly()
    start, end = _period(assembly, year)
    header, rows = indemnities.export_rows(assembly, start)
    name = f"indemnites-{start.year}-{end.year}"
    if fmt == "csv":
        response = HttpResponse(indemnities.to_csv(header, rows),
                                content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            indemnities.to_ods(header, rows, _("Indemnities")),
            content_type="application/vnd.oasis.opendocument.spreadsheet",
        )
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


# --- Travel claims --------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ReceiptsField(forms.FileField):
    """Several files; ``assembly.claims`` checks each one (the library's door)."""

    def clean(self, data: Any, initial: Any = None) -> Any:
        if isinstance(data, list | tuple):
            return [super(ReceiptsField, self).clean(item, initial) for item in data]
        return super().clean(data, initial)


class ClaimForm(forms.Form):
    date = forms.DateField(label=gettext_lazy("Date of the journey"),
                           widget=forms.DateInput(attrs={"type": "date"}))
    session = forms.ModelChoiceField(
        label=gettext_lazy("Session"), queryset=Session.objects.none(), required=False,
        empty_label=gettext_lazy("— none —"),
    )
    origin = forms.CharField(label=gettext_lazy("Departure"), max_length=200,
                             help_text=gettext_lazy("Town or address you left from."))
    destination = forms.CharField(label=gettext_lazy("Arrival"), max_length=200)
    amount = forms.CharField(label=gettext_lazy("Amount (€)"), max_length=12,
                             widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    receipts = ReceiptsField(
        label=gettext_lazy("Receipts"), required=False,
        widget=MultipleFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.webp"}),
        help_text=gettext_lazy("PDF or photos, %(max)d files at most.") % {
            "max": claims.MAX_RECEIPTS},
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = Session.objects.filter(  # type: ignore[attr-defined]
            attendances__user=user
        ).order_by("-starts_at")


@login_required
def claim_list(request: AuthenticatedRequest) -> HttpResponse:
    if not claims.may_claim(request.user):
        raise PermissionDenied
    form = ClaimForm(user=request.user)
    if request.method == "POST":
        form = ClaimForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                claim = claims.do_submit_claim(
                    request.user, _assembly(), day=form.cleaned_data["date"],
                    session=form.cleaned_data["session"], origin=form.cleaned_data["origin"],
                    destination=form.cleaned_data["destination"],
                    amount=form.cleaned_data["amount"],
                    receipts=request.FILES.getlist("receipts"),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your claim was sent to the DCCU."))
                return redirect("attendance:claim", claim_id=claim.pk)
    return render(request, "attendance/claims.html", {
        "form": form,
        "claims": TravelClaim.objects.filter(user=request.user).prefetch_related("receipts"),
    }, status=400 if form.errors else 200)


@dccu_required
def claims_to_decide(request: AuthenticatedRequest) -> HttpResponse:
    status = request.GET.get("statut", ClaimStatus.SUBMITTED)
    found = TravelClaim.objects.select_related("user", "session")
    if status in ClaimStatus.values:
        found = found.filter(status=status)
    return render(request, "attendance/claims_dccu.html", {
        "claims": found.order_by("date")[:300], "status": status,
        "statuses": ClaimStatus.choices,
    })


@login_required
def claim_detail(request: AuthenticatedRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = claims.access_claim(request.user, claim_id)
    return render(request, "attendance/claim.html", {
        "claim": claim, "abilities": claims.rights(claim, request.user),
        "receipts": claim.receipts.all(),
    })


@require_POST
@login_required
def claim_decide(request: AuthenticatedRequest, claim_id: uuid.UUID) -> HttpResponse:
    claim = claims.access_claim(request.user, claim_id, "decide")
    try:
        claims.do_decide_claim(request.user, claim, approve=request.POST.get("decision") == "1",
                               reason=request.POST.get("reason", ""))
        messages.success(request, _("The decision was recorded."))
    except ValidationError as error:
        _errors(request, error)
    return redirect("attendance:claim", claim_id=claim.pk)


@login_required
def claim_receipt(
    request: AuthenticatedRequest, claim_id: uuid.UUID, receipt_id: uuid.UUID
) -> HttpResponse:
    claim = claims.access_claim(request.user, claim_id)
    receipt = claim.receipts.filter(pk=receipt_id).first()
    if receipt is None:
        raise Http404
    return claims.serve_receipt(receipt)  # type: ignore[return-value]

