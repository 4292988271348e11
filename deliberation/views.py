"""Pages about the assembly: the member's home."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.http import AuthenticatedRequest
from accounts.models import User
from accounts.roles import ASSEMBLY_ROLES, MEMBER_ROLES, Role, user_roles
from assembly.models import Assembly, Mandate, Membership, Subgroup
from deliberation.models import Proposal


def _my_proposals(user: User, subgroups: Any) -> list[Proposal]:
    """The proposals of the person's subgroups, for the home page's links."""
    return list(
        Proposal.objects.filter(subgroup__in=list(subgroups))
        .select_related("subgroup")
        .order_by("subgroup__name", "position", "created_at")
    )


def _reading_paths(user: User) -> list[dict[str, Any]]:
    """The person's progress in the library's reading paths (« 3 sur 5 lus »)."""
    from documents.views import path_progress

    return path_progress(user)


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    """What a person sees first: their place in the assembly, mandate and subgroups."""
    user = request.user
    today = timezone.localdate()
    assembly = Assembly.current(today)
    membership = (
        Membership.objects.current(today)
        .filter(user=user)
        .select_related("seat__canton")
        .first()
    )
    mandates = (
        Mandate.objects.filter(assembly=assembly, start__lte=today, end__gte=today)
        if assembly
        else Mandate.objects.none()
    )
    people = Prefetch("facilitators", queryset=User.objects.order_by("display_name"))
    subgroups = (
        Subgroup.objects.filter(members=user) | Subgroup.objects.filter(facilitators=user)
    ).distinct().select_related("mandate").prefetch_related(people)
    return render(
        request,
        "deliberation/home.html",
        {
            "assembly": assembly,
            "membership": membership,
            "mandates": mandates,
            "subgroups": subgroups,
            "roles": sorted(user_roles(user), key=list(Role).index),
            "proposals": _my_proposals(user, subgroups),
            # Staff who follow every subgroup's proposals: sent to the whole list.
            "reads_all_proposals": bool(user_roles(user) & (ASSEMBLY_ROLES - MEMBER_ROLES)),
            "reads_proposals": bool(user_roles(user) & ASSEMBLY_ROLES),
            "reading_paths": _reading_paths(user),
        },
    )
