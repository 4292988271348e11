"""What the home pages and dashboards show, per role: read-only queries across the apps.

Every listing starts from the owning app's own reader (``readable_rooms``,
``visible_documents``, ``readable_proposals``, ``reports_visible_to``,
``moderation_queue``), so a dashboard never shows what its reader may not see.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db.models import Count, Max, Prefetch, Q
from django.utils import timezone

from accounts.models import Invitation, User
from accounts.roles import Role, user_roles
from assembly.models import (
    Assembly,
    EndReason,
    Mandate,
    Membership,
    MembershipKind,
    Seat,
    SeatOffer,
    Subgroup,
)
from deliberation.models import Proposal, ProposalStatus, ProposalTransition
from deliberation.people import label_people
from deliberation.proposals import readable_proposals
from documents.access import visible_documents
from documents.actions import moderation_queue
from documents.models import Document, DocumentStatus, MandateFollow
from forums.access import readable_rooms
from forums.actions import reports_visible_to
from forums.models import PRACTICE_KINDS, Message, RoomKind
from forums.queries import room_summaries

# Someone not seen for this long is worth a call from their facilitator.
QUIET_AFTER = timedelta(days=14)
# « Quoi de neuf »: what happened in this window.
NEW_WITHIN = timedelta(days=14)
# Participation statistics count activity in this window.
ACTIVE_WITHIN = timedelta(days=30)


def current_mandates(today: Any = None) -> Any:
    today = today or timezone.localdate()
    assembly = Assembly.current(today)
    if assembly is None:
        return Mandate.objects.none()
    return Mandate.objects.filter(assembly=assembly, start__lte=today, end__gte=today)


def _with_people(subgroups: Any) -> list[Subgroup]:
    people = User.objects.order_by("display_name", "first_name")
    listed = list(
        subgroups.distinct()
        .select_related("mandate")
        .prefetch_related(
            Prefetch("members", queryset=people), Prefetch("facilitators", queryset=people)
        )
        .order_by("name")
    )
    label_people(p for s in listed for p in [*s.members.all(), *s.facilitators.all()])
    return listed


def my_subgroups(user: Any) -> list[Subgroup]:
    """The subgroups the person sits in or facilitates, with their people named."""
    return _with_people(Subgroup.objects.filter(Q(members=user) | Q(facilitators=user)))


def facilitated_subgroups(user: Any) -> list[Subgroup]:
    """A facilitator's subgroups; the DCCU facilitates every subgroup of the current mandates."""
    if Role.DCCU in user_roles(user):
        return _with_people(Subgroup.objects.filter(mandate__in=current_mandates()))
    return _with_people(Subgroup.objects.filter(facilitators=user))


def my_proposals(user: Any, subgroups: list[Subgroup]) -> list[Proposal]:
    return list(
        readable_proposals(user)
        .filter(subgroup__in=subgroups)
        .order_by("subgroup__name", "position", "created_at")
    )


def unread_rooms(user: Any) -> list[dict[str, Any]]:
    """The conversations with unread messages, the most unread first."""
    rooms = [row for row in room_summaries(user) if row["unread"]]
    return sorted(rooms, key=lambda row: -row["unread"])


def mentions_of(user: Any, limit: int = 5) -> list[Message]:
    """The latest messages that name this person (« questions addressed to them »)."""
    rooms = [room.pk for room in readable_rooms(user)]
    messages = list(
        Message.objects.filter(
            mentions=user, room__in=rooms, deleted_at__isnull=True, hidden_at__isnull=True
        )
        .exclude(author=user)
        .select_related("room", "author")
        .order_by("-created_at")[:limit]
    )
    label_people(m.author for m in messages)
    return messages


def whats_new(user: Any, limit: int = 6) -> dict[str, list[Any]]:
    """Documents published and proposals that changed stage lately, among what one reads."""
    since = timezone.now() - NEW_WITHIN
    documents = list(
        visible_documents(user)
        .filter(status=DocumentStatus.PUBLISHED, published_at__gte=since)
        .order_by("-published_at")[:limit]
    )
    # One line per proposal, its latest change: a proposal that went through five stages in
    # a week would otherwise push every other news item out of the list.
    recent = (
        ProposalTransition.objects.filter(
            proposal__in=readable_proposals(user).values("pk"), created_at__gte=since
        )
        .select_related("proposal")
        .order_by("-created_at", "-pk")
    )
    transitions: list[Any] = []
    seen: set[Any] = set()
    for transition in recent.iterator(chunk_size=50):
        if transition.proposal_id in seen:
            continue
        seen.add(transition.proposal_id)
        transitions.append(transition)
        if len(transitions) == limit:
            break
    return {"documents": documents, "transitions": transitions}


def shared_documents(user: Any, limit: int = 10) -> list[Document]:
    return list(Document.objects.filter(contributor=user).order_by("-created_at")[:limit])


def followed_mandates(user: Any) -> list[Mandate]:
    return [f.mandate for f in MandateFollow.objects.filter(user=user).select_related("mandate")]


def readable_subgroups(user: Any) -> list[Subgroup]:
    """For agents: the current subgroups they may read (docs/permissions.md, Subgroups)."""
    listed = Subgroup.objects.filter(mandate__in=current_mandates()).select_related("mandate")
    return [s for s in listed.order_by("name") if s.get_abilities(user)["read"]]


# --- The facilitator's dashboard --------------------------------------------------------------


def open_reports(user: Any) -> list[Any]:
    reports = list(reports_visible_to(user).order_by("-created_at"))
    label_people(r.message.author for r in reports)
    return reports


def proposed_documents(user: Any) -> list[Document]:
    return list(moderation_queue(user).order_by("created_at"))


def proposals_by_stage(user: Any, subgroups: list[Subgroup]) -> list[dict[str, Any]]:
    proposals = list(
        readable_proposals(user).filter(subgroup__in=subgroups).order_by("position", "created_at")
    )
    stages = []
    for status in ProposalStatus:
        inside = [p for p in proposals if p.status == status]
        if inside:
            stages.append({"label": status.label, "proposals": inside})
    return stages


def subgroup_activity(subgroups: list[Subgroup]) -> list[dict[str, Any]]:
    """Messages, writers and last message per subgroup room, over the last 30 days."""
    since = timezone.now() - ACTIVE_WITHIN
    rows = (
        Message.objects.filter(
            room__kind=RoomKind.SUBGROUP,
            room__subgroup__in=subgroups,
            deleted_at__isnull=True,
            created_at__gte=since,
        )
        .order_by()
        .values("room__subgroup")
        .annotate(messages=Count("id"), writers=Count("author", distinct=True))
    )
    counts = {row["room__subgroup"]: row for row in rows}
    last = dict(
        Message.objects.filter(
            room__kind=RoomKind.SUBGROUP, room__subgroup__in=subgroups, deleted_at__isnull=True
        )
        .order_by()
        .values("room__subgroup")
        .annotate(last=Max("created_at"))
        .values_list("room__subgroup", "last")
    )
    return [
        {
            "subgroup": subgroup,
            "members": len(subgroup.members.all()),
            "messages": counts.get(subgroup.pk, {}).get("messages", 0),
            "writers": counts.get(subgroup.pk, {}).get("writers", 0),
            "last": last.get(subgroup.pk),
        }
        for subgroup in subgroups
    ]


def quiet_people(subgroups: list[Subgroup]) -> list[dict[str, Any]]:
    """Members not seen for 14 days (no login, no message): to call them."""
    limit = timezone.now() - QUIET_AFTER
    members = {p.pk: (p, s) for s in subgroups for p in s.members.all()}
    if not members:
        return []
    spoke = dict(
        Message.objects.filter(author__in=list(members))
        .exclude(room__kind__in=PRACTICE_KINDS)  # practising is not taking part
        .order_by()
        .values("author")
        .annotate(last=Max("created_at"))
        .values_list("author", "last")
    )
    quiet = []
    for person, subgroup in members.values():
        seen = max(filter(None, [person.last_login, spoke.get(person.pk)]), default=None)
        if seen is None or seen < limit:
            quiet.append({"person": person, "subgroup": subgroup, "seen": seen})
    epoch = timezone.now() - timedelta(days=36500)
    return sorted(quiet, key=lambda row: row["seen"] or epoch)


# --- The DCCU's dashboard -------------------------------------------------------------------


def seats_overview(assembly: Assembly | None) -> dict[str, Any]:
    if assembly is None:
        return {}
    today = timezone.localdate()
    seats = Seat.objects.filter(assembly=assembly)
    current = Membership.objects.current(today).filter(seat__assembly=assembly)
    filled = current.filter(kind=MembershipKind.TITULAIRE).values("seat").distinct().count()
    substitutions = list(
        Membership.objects.filter(
            seat__assembly=assembly, kind=MembershipKind.TITULAIRE, end__isnull=False
        )
        .select_related("user", "seat__canton")
        .order_by("-end")[:10]
    )
    promoted = list(
        Membership.objects.filter(
            seat__assembly=assembly,
            kind=MembershipKind.REMPLACANT,
            end_reason=EndReason.PROMOTED,
        )
        .select_related("user", "seat__canton")
        .order_by("-end")[:10]
    )
    return {
        "seats": seats.count(),
        "filled": filled,
        "vacant": seats.count() - filled,
        "substitutes": current.filter(kind=MembershipKind.REMPLACANT).count(),
        "offers": SeatOffer.objects.pending().filter(seat__assembly=assembly).count(),
        "ended": substitutions,
        "promoted": promoted,
    }


def invitations_overview() -> dict[str, int]:
    now = timezone.now()
    invitations = Invitation.objects.all()
    return {
        "pending": invitations.pending(now).count(),
        "expired": invitations.open().filter(expires_at__lte=now).count(),
        "accepted": invitations.filter(accepted_at__isnull=False).count(),
        "revoked": invitations.filter(revoked_at__isnull=False).count(),
    }


def participation_by_subgroup(subgroups: list[Subgroup]) -> list[dict[str, Any]]:
    return subgroup_activity(subgroups)


def _natural(name: str) -> list[Any]:
    """« Toulouse-2 » before « Toulouse-10 »."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def participation_by_canton(assembly: Assembly | None) -> list[dict[str, Any]]:
    """Per canton, counts only: sitting members, those who wrote or logged in lately."""
    if assembly is None:
        return []
    since = timezone.now() - ACTIVE_WITHIN
    current = Membership.objects.current().filter(
        seat__assembly=assembly, kind=MembershipKind.TITULAIRE
    )
    writers = (
        Message.objects.filter(created_at__gte=since, deleted_at__isnull=True)
        .exclude(room__kind__in=PRACTICE_KINDS)
        .values("author")
    )
    rows = sorted(
        current.order_by()
        .values("seat__canton__name")
        .annotate(
            members=Count("user", distinct=True),
            wrote=Count("user", filter=Q(user__in=writers), distinct=True),
            came=Count("user", filter=Q(user__last_login__gte=since), distinct=True),
        ),
        key=lambda row: _natural(row["seat__canton__name"]),
    )
    return [
        {
            "canton": row["seat__canton__name"],
            "members": row["members"],
            "wrote": row["wrote"],
            "came": row["came"],
        }
        for row in rows
    ]


def open_votes(user: Any) -> list[dict[str, Any]]:
    """The plenary's open votes (decisions' own reader), each with whether the person may
    still vote in it: the members' home says « Voter » first."""
    from decisions.actions import readable_votes
    from decisions.models import Participation, Voter, VoteStatus

    votes = list(readable_votes(user).filter(status=VoteStatus.OPEN).order_by("-opened_at")[:5])
    ids = [vote.pk for vote in votes]
    listed = set(Voter.objects.filter(vote_id__in=ids, user=user).values_list("vote_id",
                                                                               flat=True))
    voted = set(Participation.objects.filter(vote_id__in=ids, user=user).values_list(
        "vote_id", flat=True))
    return [{"vote": vote, "may_vote": vote.pk in listed and vote.pk not in voted,
             "voted": vote.pk in voted} for vote in votes]
