"""The agenda: a person's sessions (month and list), a session's page, the organisers' forms,
the personal calendar feed. Thin: the rules are ``assembly.sessions``."""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.http import AuthenticatedRequest
from assembly import sessions as ops
from assembly.forms_sessions import ReplyForm, SessionForm
from assembly.ics import absolute, calendar_of
from assembly.models import Session


def _month(value: str | None) -> date:
    today = timezone.localdate()
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1)
    except ValueError:
        return today.replace(day=1)


@require_GET
@login_required
def agenda(request: AuthenticatedRequest) -> HttpResponse:
    """« Mon agenda »: the sessions one is convened to, as a list (default) or a month."""
    user = request.user
    view = "mois" if request.GET.get("vue") == "mois" else "liste"
    context: dict[str, Any] = {"view": view, "may_create": ops.may_create_sessions(user)}
    replies = dict(user.session_replies.values_list("session_id", "answer"))
    if view == "mois":
        first = _month(request.GET.get("mois"))
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        sessions = list(ops.sessions_for(user, start=weeks[0][0], end=weeks[-1][-1]))
        by_day: dict[date, list[Session]] = {}
        for session in sessions:
            by_day.setdefault(session.day, []).append(session)
        previous = (first.replace(day=1) - timedelta(days=1)).replace(day=1)
        following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        context |= {
            "month": first,
            "weeks": [[{"day": d, "in_month": d.month == first.month,
                        "today": d == timezone.localdate(),
                        "sessions": by_day.get(d, [])} for d in week] for week in weeks],
            "previous": f"{previous:%Y-%m}",
            "following": f"{following:%Y-%m}",
            "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
        }
    else:
        now = timezone.now()
        mine = ops.sessions_for(user)
        recent = list(mine.filter(ends_at__lt=now).order_by("-starts_at")[:10])
        context |= {
            "upcoming": [(s, replies.get(s.pk, "")) for s in mine.filter(ends_at__gte=now)],
            "past": [(s, replies.get(s.pk, "")) for s in reversed(recent)],
        }
    if context["may_create"]:
        context["managed"] = ops.managed_sessions(user)[:20]
    return render(request, "assembly/sessions/agenda.html", context)


@require_GET
@login_required
def session_detail(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    user = request.user
    session = ops.access_session(user, session_id)
    abilities = session.get_abilities(user)
    reply = ops.reply_of(session, user)
    context: dict[str, Any] = {
        "session": session,
        "abilities": abilities,
        "convened": ops.is_convened(session, user),
        "reply": reply,
        "form": ReplyForm(initial={"answer": reply.answer if reply else None},
                          online=session.online),
        "documents": ops.readable_documents(session, user),
        "call_link": ops.call_link(session, user),
        "call_opens": session.starts_at - ops.CALL_OPENS_BEFORE,
        "facilitators": list(session.facilitators.all()),
        "agenda_items": [line.strip() for line in session.agenda.splitlines() if line.strip()],
        "started": timezone.now() >= session.starts_at,
    }
    if abilities["see_replies"]:
        context["summary"] = ops.reply_summary(session)
    return render(request, "assembly/sessions/detail.html", context)


@require_POST
@login_required
def session_reply(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    session = ops.access_session(request.user, session_id)
    if not ops.is_convened(session, request.user):
        raise PermissionDenied
    form = ReplyForm(request.POST, online=session.online)
    if form.is_valid():
        try:
            ops.do_reply(request.user, session, form.cleaned_data["answer"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your answer is saved. You can change it until the "
                                        "session starts."))
    else:
        messages.error(request, _("Choose one of the answers."))
    return redirect("sessions:detail", session.pk)


def _form_page(request: AuthenticatedRequest, session: Session | None) -> HttpResponse:
    user = request.user
    form = SessionForm(request.POST or None, instance=session, actor=user)
    if request.method == "POST" and form.is_valid():
        data = form.operation_data()
        try:
            if session is None:
                session = ops.do_create_session(user, **data)
                messages.success(request, _("The session is created: the people convened are "
                                            "told by email and in the page."))
            else:
                session = ops.do_update_session(user, session, **data)
                messages.success(request, _("The session is saved."))
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            return redirect("sessions:detail", session.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "assembly/sessions/form.html",
                  {"form": form, "session": session}, status=status)


@require_http_methods(["GET", "POST"])
@login_required
def session_create(request: AuthenticatedRequest) -> HttpResponse:
    if not ops.may_create_sessions(request.user):
        raise PermissionDenied
    return _form_page(request, None)


@require_http_methods(["GET", "POST"])
@login_required
def session_edit(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    session = ops.access_session(request.user, session_id)
    if not session.get_abilities(request.user)["manage"]:
        raise PermissionDenied
    if session.is_cancelled:
        messages.error(request, _("This session is cancelled: it can no longer be changed."))
        return redirect("sessions:detail", session.pk)
    return _form_page(request, session)


@require_POST
@login_required
def session_cancel(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    session = ops.access_session(request.user, session_id)
    if not session.get_abilities(request.user)["manage"]:
        raise PermissionDenied
    try:
        ops.do_cancel_session(request.user, session)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The session is cancelled: the people convened are told."))
    return redirect("sessions:detail", session.pk)


@require_GET
@login_required
def session_ics(request: AuthenticatedRequest, session_id: str) -> HttpResponse:
    """One session as a file to add to one's calendar."""
    session = ops.access_session(request.user, session_id)
    response = HttpResponse(calendar_of([session], name=session.title),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="seance.ics"'
    return response


@require_http_methods(["GET", "POST"])
@login_required
def feed_settings(request: AuthenticatedRequest) -> HttpResponse:
    """The secret address of one's calendar: see it, make a new one (the old one stops)."""
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            ops.do_revoke_feed(request.user)
            messages.success(request, _("Your calendar address is revoked: it no longer works."))
        else:
            ops.do_regenerate_feed(request.user)
            messages.success(request, _("Your new calendar address is ready. The previous one "
                                        "no longer works."))
        return redirect("sessions:feed_settings")
    feed = ops.feed_of(request.user)
    url = absolute(reverse("sessions:feed", args=[feed.token])) if feed else ""
    return render(request, "assembly/sessions/feed.html", {"feed": feed, "url": url})


@require_GET
@never_cache
def feed(request: HttpRequest, token: str) -> HttpResponse:
    """The personal ICS feed: no login (calendar apps cannot log in), the secret is the key.
    A wrong or revoked secret answers 404, like any missing page."""
    user = ops.feed_owner(token)
    if user is None:  # pragma: no cover - feed_owner raises
        raise Http404
    body = calendar_of(ops.sessions_for(user), name=_("Citizens' assembly — my agenda"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    return response
