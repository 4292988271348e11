"""The notification centre: the list, opening one (marks it read), all read, the choices."""

from __future__ import annotations

import uuid
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from notifications import actions
from notifications.forms import PreferenceForm
from notifications.models import CHANNEL_HEADINGS, Channel, Preference
from notifications.render import sentence, url

PER_PAGE = 30


def _day(when: Any) -> Any:
    return timezone.localtime(when).date()


@login_required
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = Paginator(actions.inbox(request.user), PER_PAGE).get_page(request.GET.get("page"))
    items = [
        {"n": n, "text": sentence(n, request.user), "url": url(n, request.user)}
        for n in page.object_list
    ]
    today = timezone.localdate()
    days = [
        {
            "day": day,
            "today": day == today,
            "yesterday": (today - day).days == 1,
            "items": list(rows),
        }
        for day, rows in groupby(items, key=lambda item: _day(item["n"].created_at))
    ]
    return render(
        request,
        "notifications/list.html",
        {
            "page": page,
            "days": days,
            "unread": actions.unread_count(request.user),
        },
    )


@login_required
@require_POST
def notification_open(request: AuthenticatedRequest, notification_id: uuid.UUID) -> HttpResponse:
    notification = actions.access_notification(request.user, notification_id)
    actions.do_mark_read(request.user, notification)
    return redirect(url(notification, request.user))


@login_required
@require_POST
def notification_mark_all(request: AuthenticatedRequest) -> HttpResponse:
    count = actions.do_mark_all_read(request.user)
    if count:
        messages.success(request, _("Every notification is marked as read."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = "notifications:list"
    return redirect(target)


@login_required
def notification_preferences(request: AuthenticatedRequest) -> HttpResponse:
    from gdpr.consent import has_consent
    from gdpr.models import OptionalPurpose

    preference = Preference.objects.filter(user=request.user).first() or Preference(
        user=request.user
    )
    form = PreferenceForm(request.POST if request.method == "POST" else None, preference=preference)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "channels": [(c, CHANNEL_HEADINGS[c]) for c in Channel],
            "digest": has_consent(request.user, OptionalPurpose.EMAIL_DIGEST),
        },
    )
