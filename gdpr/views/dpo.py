"""The DPO's pages: retention runs, the register of processing, the audit trail.

Anonymous visitors are sent to the login page; a logged-in person without the
role gets a 403, as on the other staff pages (docs/permissions.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.http import AuthenticatedRequest
from accounts.roles import DATA_HANDLER_ROLES, Role, has_role
from gdpr import audit
from gdpr.audit_words import describe
from gdpr.models import AuditEntry, RetentionRun
from gdpr.register import EXPORTS, build_register, do_export_register, may_read_register
from gdpr.registry import RetentionAction
from gdpr.retention import do_run_retention, next_run_at

View = Callable[..., HttpResponse]

RUNS_SHOWN = 30
ENTRIES_PER_PAGE = 50
HOME_ENTRIES = 10

ACTION_LABELS = {
    RetentionAction.DELETE: gettext_lazy("delete"),
    RetentionAction.ANONYMISE_FIELDS: gettext_lazy("blank the personal fields"),
    RetentionAction.ERASE_PERSON: gettext_lazy("erase the person"),
}


def role_required(*roles: Role) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@require_safe
@role_required(*DATA_HANDLER_ROLES)
def index(request: AuthenticatedRequest) -> HttpResponse:
    """The DPD's desk: open requests by deadline, the last runs and the trail in words."""
    from gdpr.models import OPEN_REQUEST_STATUSES
    from gdpr.rights import visible_requests

    is_dpo = has_role(request.user, Role.DPD)
    open_requests = (
        visible_requests(request.user).filter(status__in=OPEN_REQUEST_STATUSES)
        .select_related("user").order_by("due_at")[:20]
    )
    recent: list[Any] = []
    last_run = None
    if is_dpo:
        recent = describe(AuditEntry.objects.select_related("actor", "subject")[:HOME_ENTRIES])
        # Reading the trail, even its last lines, is an access to personal data.
        audit.record(request.user, "gdpr.audit.view", page="home")
        last_run = RetentionRun.objects.order_by("-started_at").first()
    return render(
        request,
        "gdpr/dpo/index.html",
        {"is_dpo": is_dpo, "open_requests": open_requests, "recent": recent,
         "last_run": last_run, "next_run": next_run_at() if is_dpo else None,
         "now": timezone.now()},
    )


# --- Retention ---------------------------------------------------------------------------------


@dataclass
class RunLine:
    model: str
    name: str
    action: str
    rule: str
    due: int
    processed: int
    files: int
    error: str

    def __getitem__(self, key: str) -> Any:  # templates and tests read it like the summary
        return getattr(self, key)


@dataclass
class RunView:
    run: RetentionRun
    lines: list[RunLine]

    @property
    def applied(self) -> bool:
        return self.run.applied

    @property
    def due(self) -> int:
        return sum(line.due for line in self.lines)

    @property
    def processed(self) -> int:
        return sum(line.processed for line in self.lines)


def _model_name(label: str) -> str:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return label  # a model that no longer exists: its label is all we have
    return str(model._meta.verbose_name_plural).capitalize()


def _run_view(run: RetentionRun) -> RunView:
    lines = [
        RunLine(
            model=item.get("model", ""),
            name=_model_name(item.get("model", "")),
            action=str(ACTION_LABELS.get(item.get("action", ""), item.get("action", ""))),
            rule=item.get("rule", ""),
            due=int(item.get("due", 0)),
            processed=int(item.get("processed", 0)),
            files=int(item.get("files", 0)),
            error=item.get("error", ""),
        )
        for item in (run.summary or [])
    ]
    return RunView(run, lines)


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(Role.DPD)
def retention(request: AuthenticatedRequest) -> HttpResponse:
    """The last runs and what each did; POST asks for a dry run now."""
    if request.method == "POST":
        run = do_run_retention(request.user, apply=False, trigger="dpo")
        due = sum(line["due"] for line in run.summary)
        messages.success(
            request,
            _("Dry run done: %(due)s item(s) due, nothing changed.") % {"due": due},
        )
        return redirect("dpo:retention")
    runs = RetentionRun.objects.select_related("actor")[:RUNS_SHOWN]
    return render(
        request,
        "gdpr/dpo/retention.html",
        {"runs": [_run_view(run) for run in runs], "next_run": next_run_at()},
    )


# --- The register ----------------------------------------------------------------------------


@require_safe
@login_required
def register(request: AuthenticatedRequest) -> HttpResponse:
    if not may_read_register(request.user):
        raise PermissionDenied
    return render(
        request,
        "gdpr/dpo/register.html",
        {"register": build_register(), "formats": list(EXPORTS)},
    )


@require_safe
@login_required
def register_export(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    if not may_read_register(request.user):
        raise PermissionDenied
    if fmt not in EXPORTS:
        raise Http404
    content, content_type, filename = do_export_register(request.user, fmt)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The audit trail -------------------------------------------------------------------------


class JournalFilter(forms.Form):
    person = forms.CharField(
        label=gettext_lazy("Person (name or email address)"), required=False, max_length=150
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), required=False)
    start = forms.DateField(
        label=gettext_lazy("From"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        actions = AuditEntry.objects.order_by("action").values_list("action", flat=True)
        action_field: Any = self.fields["action"]
        action_field.choices = [("", _("All actions"))] + [(a, a) for a in actions.distinct()]

    def filter(self, entries: QuerySet[AuditEntry, Any]) -> QuerySet[AuditEntry, Any]:
        data = self.cleaned_data
        if data.get("person"):
            term = data["person"]
            people = get_user_model()._base_manager.filter(
                Q(email__icontains=term)
                | Q(first_name__icontains=term)
                | Q(last_name__icontains=term)
                | Q(display_name__icontains=term)
            ).values("pk")
            entries = entries.filter(Q(actor__in=people) | Q(subject__in=people))
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        zone = timezone.get_current_timezone()
        if data.get("start"):
            entries = entries.filter(
                at__gte=dt.datetime.combine(data["start"], dt.time.min, tzinfo=zone)
            )
        if data.get("end"):
            entries = entries.filter(
                at__lt=dt.datetime.combine(data["end"] + dt.timedelta(days=1), dt.time.min,
                                           tzinfo=zone)
            )
        return entries


@require_safe
@role_required(Role.DPD)
def journal(request: AuthenticatedRequest) -> HttpResponse:
    """Who did what to whose data, newest first; read only."""
    form = JournalFilter(request.GET or None)
    entries: QuerySet[AuditEntry, Any] = AuditEntry.objects.select_related("actor", "subject")
    filtered = form.is_bound and form.is_valid()
    if filtered:
        entries = form.filter(entries)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    # Read the page before writing this visit: otherwise the new entry pushes the last
    # one of the page out of the list the count was made for.
    described = describe(page.object_list)
    # Reading the trail is itself an access to personal data. The search terms are not
    # kept: they may be a name.
    audit.record(request.user, "gdpr.audit.view", page=page.number, filtered=filtered)
    query = {k: v for k, v in request.GET.items() if k != "page" and v}
    return render(
        request,
        "gdpr/dpo/journal.html",
        {"form": form, "page": page, "query": urlencode(query),
         "described": described},
    )
