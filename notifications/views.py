"""The notification centre: the list, opening one (marks it read), all read, the choices."""

from __future__ import annotations

import uuid
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from notifications import actions, webpush
from notifications.forms import PreferenceForm
from notifications.models import CHANNEL_HEADINGS, Channel, Preference, PushSubscription
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


def _channels() -> list[Channel]:
    """The columns of the choices: the phone only when the platform has web push."""
    return [c for c in Channel if c != Channel.PUSH or webpush.is_enabled()]


@login_required
def notification_preferences(request: AuthenticatedRequest) -> HttpResponse:
    from gdpr.consent import has_consent
    from gdpr.models import OptionalPurpose

    preference = Preference.objects.filter(user=request.user).first() or Preference(
        user=request.user
    )
    channels = _channels()
    form = PreferenceForm(
        request.POST if request.method == "POST" else None,
        preference=preference,
        channels=channels,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your choices are saved."))
        return redirect("notifications:preferences")
    push = None
    if webpush.is_enabled():
        push = {
            "public_key": webpush.public_key(),
            "consent": has_consent(request.user, OptionalPurpose.WEB_PUSH),
            "devices": PushSubscription.objects.filter(user=request.user).count(),
        }
    return render(
        request,
        "notifications/preferences.html",
        {
            "form": form,
            "channels": [(c, CHANNEL_HEADINGS[c]) for c in channels],
            "digest": has_consent(request.user, OptionalPurpose.EMAIL_DIGEST),
            "push": push,
        },
    )


# --- Web push (notifications/webpush.py) ------------------------------------------------


def _devices(request: AuthenticatedRequest) -> int:
    return PushSubscription.objects.filter(user=request.user).count()


@login_required
@require_POST
def push_device_add(request: AuthenticatedRequest) -> HttpResponse:
    """The browser subscribed after the person ticked the box: keep this device (and their
    consent). JSON for static/js/push.js; 404 while the platform has no web push."""
    if not webpush.is_enabled():
        raise Http404
    try:
        webpush.do_add_push_device(
            request.user,
            endpoint=request.POST.get("endpoint", ""),
            p256dh=request.POST.get("p256dh", ""),
            auth=request.POST.get("auth", ""),
        )
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"ok": True, "devices": _devices(request)})


@login_required
@require_POST
def push_device_remove(request: AuthenticatedRequest) -> HttpResponse:
    """This device stops receiving (the person unticked the box): only the person's own."""
    if not webpush.is_enabled():
        raise Http404
    webpush.do_remove_push_device(request.user, endpoint=request.POST.get("endpoint", ""))
    return JsonResponse({"ok": True, "devices": _devices(request)})


def push_service_worker(request: HttpRequest) -> HttpResponse:
    """static/js/push-sw.js served from /sw.js: a service worker's scope is its folder, and
    this one shows notifications for the whole site. Public: it holds no data."""
    found = finders.find("js/push-sw.js")
    if not webpush.is_enabled() or not found:
        raise Http404
    with open(str(found), "rb") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response
