"""Each role's home, and the facilitator's and the DCCU's dashboards."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.comfort import TOUR_AUTOSTART
from accounts.http import AuthenticatedRequest
from accounts.roles import ASSEMBLY_ROLES, MODERATOR_ROLES, Role, user_roles
from accounts.tours import pending_tour, tour_payload
from assembly.models import Assembly, Membership
from dashboards import queries

View = Callable[..., HttpResponse]


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Anonymous visitors log in; a logged-in person without one of ``roles`` gets a 403
    (the page's existence is no secret, what it shows is)."""

    def decorator(view: View) -> View:
        @wraps(view)
        @login_required
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not user_roles(request.user) & set(roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _reading_paths(user: Any) -> list[dict[str, Any]]:
    from documents.views import path_progress

    return path_progress(user)


@require_safe
@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """What a person sees first, by role: a member's subgroup and conversations, a
    substitute's reading, an agent's documents and questions, each staff role's desk."""
    user = request.user
    roles = user_roles(user)
    today = timezone.localdate()
    assembly = Assembly.current(today)
    membership = (
        Membership.objects.current(today).filter(user=user).select_related("seat__canton").first()
    )
    subgroups = queries.my_subgroups(user)
    sits = Role.TITULAIRE in roles or Role.FACILITATEUR in roles or bool(subgroups)
    reads_assembly = bool(roles & ASSEMBLY_ROLES)
    context: dict[str, Any] = {
        "assembly": assembly,
        "membership": membership,
        "roles": sorted(roles, key=list(Role).index),
        "is_titulaire": Role.TITULAIRE in roles,
        "is_substitute": Role.REMPLACANT in roles,
        "is_facilitator": Role.FACILITATEUR in roles,
        "is_agent": Role.AGENT in roles,
        "is_dccu": Role.DCCU in roles,
        "is_dpd": Role.DPD in roles,
        "is_committee": Role.COMITE_SUIVI in roles,
        "reads_assembly": reads_assembly,
        "shows_subgroups": sits,
        "subgroups": subgroups,
        "mandates": queries.current_mandates(today) if reads_assembly else [],
        "proposals": queries.my_proposals(user, subgroups) if subgroups else [],
        "unread": queries.unread_rooms(user) if reads_assembly or subgroups else [],
        "reading_paths": _reading_paths(user),
        "new": queries.whats_new(user) if reads_assembly else {},
        "open_votes": queries.open_votes(user) if reads_assembly else [],
    }
    from assembly.sessions import is_convened, next_session, reply_of

    upcoming = next_session(user)
    if upcoming is not None:
        context["next_session"] = upcoming
        context["next_convened"] = is_convened(upcoming, user)
        context["next_reply"] = reply_of(upcoming, user)
    if Role.AGENT in roles or Role.FACILITATEUR in roles or Role.DCCU in roles:
        context["shared"] = queries.shared_documents(user)
    if Role.AGENT in roles:
        context["mentions"] = queries.mentions_of(user)
        context["followed"] = queries.followed_mandates(user)
        context["agent_subgroups"] = queries.readable_subgroups(user)
    elif reads_assembly:
        context["mentions"] = queries.mentions_of(user)
    if roles & MODERATOR_ROLES:
        context["to_moderate"] = len(queries.open_reports(user)) + len(
            queries.proposed_documents(user)
        )
    if Role.DPD in roles or Role.DCCU in roles:
        from gdpr.models import OPEN_REQUEST_STATUSES
        from gdpr.rights import visible_requests

        context["open_requests"] = list(
            visible_requests(user).filter(status__in=OPEN_REQUEST_STATUSES).order_by("due_at")[:5]
        )
    # The guided first visit of the person's main role, until done or skipped; at once
    # after « Replay the guided visit ».
    autostart = bool(request.session.pop(TOUR_AUTOSTART, False))
    tour = pending_tour(user)
    if tour is not None:
        context["tour"] = tour_payload(tour, autostart=autostart)
    return render(request, "dashboards/home.html", context)


@require_safe
@roles_required(*MODERATOR_ROLES)
def facilitator(request: AuthenticatedRequest) -> HttpResponse:
    """The facilitator's desk: what to moderate, where each subgroup stands, whom to call."""
    user = request.user
    subgroups = queries.facilitated_subgroups(user)
    return render(
        request,
        "dashboards/facilitator.html",
        {
            "subgroups": subgroups,
            "reports": queries.open_reports(user),
            "documents": queries.proposed_documents(user),
            "stages": queries.proposals_by_stage(user, subgroups),
            "activity": queries.subgroup_activity(subgroups),
            "quiet": queries.quiet_people(subgroups),
            "quiet_days": queries.QUIET_AFTER.days,
            "active_days": queries.ACTIVE_WITHIN.days,
        },
    )


@require_safe
@roles_required(Role.DCCU)
def dccu(request: AuthenticatedRequest) -> HttpResponse:
    """The DCCU's desk outside the admin: reports, seats, invitations, participation."""
    user = request.user
    assembly = Assembly.current(timezone.localdate())
    subgroups = queries.facilitated_subgroups(user)
    return render(
        request,
        "dashboards/dccu.html",
        {
            "assembly": assembly,
            "reports": queries.open_reports(user),
            "documents": queries.proposed_documents(user),
            "seats": queries.seats_overview(assembly),
            "invitations": queries.invitations_overview(),
            "by_subgroup": queries.participation_by_subgroup(subgroups),
            "by_canton": queries.participation_by_canton(assembly),
            "active_days": queries.ACTIVE_WITHIN.days,
        },
    )
