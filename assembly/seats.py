"""Seats and replacements around the operations: telling a substitute of an offer, the
daily job that passes unanswered offers on, and what the DCCU's seats page shows.

The rules themselves live in ``assembly.actions`` (``offer_seat``, ``do_accept_seat_offer``…);
docs/assembly.md writes them in words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from accounts.models import User
from assembly.models import (
    Assembly,
    EndReason,
    Membership,
    MembershipKind,
    OfferStatus,
    Seat,
    SeatOffer,
)
from config.logs import mail_failure

logger = logging.getLogger(__name__)

# How long the new titulaire's home and « My seat » page show the welcome (onboarding).
WELCOME_DAYS = 30
# The reading path a new titulaire is pointed to (documents.ReadingPath.slug).
WELCOME_PATH_SLUG = "bienvenue"


# --- Telling the substitute ---------------------------------------------------------------


def tell_offer_on_commit(offer: SeatOffer) -> None:
    """Email and in-page notification, once the offer is committed; once only."""
    from notifications.actions import notify
    from notifications.models import Kind

    notify(Kind.SEAT_OFFER, offer.user)
    offer_id = offer.pk
    transaction.on_commit(lambda: send_offer_email(offer_id))


def send_offer_email(offer_id: Any) -> bool:
    """Send the offer's email unless it was sent already (``notified_at``)."""
    offer = (
        SeatOffer.objects.select_related("user", "seat__canton")
        .filter(pk=offer_id, notified_at__isnull=True, status=OfferStatus.PENDING)
        .first()
    )
    if offer is None or not offer.user.email:
        return False
    with translation.override(settings.LANGUAGE_CODE):
        body = render_to_string(
            "email/seat_offer.txt",
            {
                "offer": offer,
                "person": offer.user,
                "canton": offer.seat.canton.name,
                "category": offer.seat.get_category_display(),
                "expires": timezone.localtime(offer.expires_at),
                "link": settings.AGORA_BASE_URL.rstrip("/") + reverse("seats:mine"),
                "site_name": settings.AGORA_SITE_NAME,
                "assembly_name": settings.AGORA_ASSEMBLY_NAME,
                "dccu_email": settings.DCCU_EMAIL,
            },
        )
        subject = _("A seat in the assembly is offered to you")
    # Mark first: a retry of this function never sends a second email.
    if not SeatOffer.objects.filter(pk=offer.pk, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    try:
        EmailMessage(
            subject=f"[{settings.AGORA_SITE_NAME}] {subject}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[offer.user.email],
            reply_to=[settings.DCCU_EMAIL],
        ).send()
    except Exception:
        mail_failure(logger, "Seat offer email %s failed", offer.pk)
        SeatOffer.objects.filter(pk=offer.pk).update(notified_at=None)
        return False
    return True


# --- The daily job ------------------------------------------------------------------------


@task()
def expire_seat_offers_task() -> int:
    """Pass the overdue offers on; queue the next run (hourly) whatever happens to this one."""
    from assembly.actions import do_expire_seat_offers

    try:
        return len(do_expire_seat_offers())
    finally:
        ensure_offers_job_scheduled()


def ensure_offers_job_scheduled() -> Any:
    """Make sure exactly one future run is queued (None with a backend that cannot defer)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    backend = expire_seat_offers_task.get_backend()
    if not backend.supports_defer:
        return None
    with transaction.atomic():
        queued = list(
            DBTaskResult.objects.filter(
                task_path=expire_seat_offers_task.module_path, backend_name=backend.alias,
                status=TaskResultStatus.READY,
            ).order_by("run_after", "enqueued_at")
        )
        if queued:
            DBTaskResult.objects.filter(pk__in=[q.pk for q in queued[1:]]).delete()
            return queued[0].run_after or timezone.now()
        when = timezone.now() + timedelta(hours=1)
        expire_seat_offers_task.using(run_after=when).enqueue()
    return when


# --- What the pages show ------------------------------------------------------------------


class SeatState:
    FILLED = "filled"
    OFFERED = "offered"
    VACANT = "vacant"  # eligible substitutes remain: the DCCU can offer it
    TO_DRAW = "to_draw"  # nobody left to ask: « à pourvoir par tirage »


@dataclass
class SeatRow:
    seat: Seat
    titulaire: Membership | None = None
    substitutes: list[Membership] = field(default_factory=list)
    offer: SeatOffer | None = None
    state: str = SeatState.FILLED


def seats_board(assembly: Assembly | None) -> list[SeatRow]:
    """Every seat of the assembly with its titulaire, substitutes by rank, pending offer and
    state — in four queries."""
    if assembly is None:
        return []
    seats = list(Seat.objects.filter(assembly=assembly).select_related("canton"))
    rows = {seat.pk: SeatRow(seat) for seat in seats}
    open_memberships = (
        Membership.objects.open().filter(seat__assembly=assembly).select_related("user")
        .order_by("substitute_rank")
    )
    for membership in open_memberships:
        row = rows[membership.seat_id]
        if membership.kind == MembershipKind.TITULAIRE:
            row.titulaire = membership
        else:
            row.substitutes.append(membership)
    for offer in SeatOffer.objects.pending().filter(seat__assembly=assembly).select_related(
        "user"
    ):
        rows[offer.seat_id].offer = offer
    asked: dict[int, set[Any]] = {}
    last_vacated: dict[int, Any] = {}
    for seat_id, vacated_id in (
        Membership.objects.filter(
            seat__assembly=assembly, kind=MembershipKind.TITULAIRE, end__isnull=False
        ).order_by("end", "created_at").values_list("seat_id", "pk")
    ):
        last_vacated[seat_id] = vacated_id
    for seat_id, vacated_id, user_id in SeatOffer.objects.filter(
        seat__assembly=assembly
    ).values_list("seat_id", "vacated_id", "user_id"):
        if vacated_id is not None and last_vacated.get(seat_id) == vacated_id:
            asked.setdefault(seat_id, set()).add(user_id)
    from assembly.actions import eligibility_problems

    today = timezone.localdate()
    for row in rows.values():
        if row.titulaire is not None:
            row.state = SeatState.FILLED
        elif row.offer is not None:
            row.state = SeatState.OFFERED
        elif any(
            s.user_id not in asked.get(row.seat.pk, set())
            and not eligibility_problems(s.user, today)
            for s in row.substitutes
        ):
            row.state = SeatState.VACANT
        else:
            row.state = SeatState.TO_DRAW
    return sorted(rows.values(), key=lambda r: (_natural(r.seat.canton.name), r.seat.category))


def _natural(name: str) -> list[Any]:
    import re

    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def replacement_history(assembly: Assembly | None, limit: int = 50) -> list[dict[str, Any]]:
    """The departures of titulaires and what became of their seat, latest first."""
    if assembly is None:
        return []
    departures = list(
        Membership.objects.filter(seat__assembly=assembly, end__isnull=False)
        .exclude(end_reason=EndReason.PROMOTED)
        .select_related("user", "ended_by", "seat__canton")
        .order_by("-end", "-updated_at")[:limit]
    )
    offers: dict[Any, list[SeatOffer]] = {}
    for offer in SeatOffer.objects.filter(vacated__in=departures).select_related("user").order_by(
        "created_at"
    ):
        offers.setdefault(offer.vacated_id, []).append(offer)
    return [
        {"membership": m, "offers": offers.get(m.pk, []),
         "by_self": m.ended_by_id is not None and m.ended_by_id == m.user_id}
        for m in departures
    ]


def seat_counts(rows: list[SeatRow]) -> dict[str, int]:
    counts = {SeatState.FILLED: 0, SeatState.OFFERED: 0, SeatState.VACANT: 0,
              SeatState.TO_DRAW: 0}
    for row in rows:
        counts[row.state] += 1
    return counts


def recent_welcome(user: User) -> SeatOffer | None:
    """The accepted offer of a titulaire who took their seat in the last WELCOME_DAYS days
    and still holds it: their onboarding is shown."""
    since = timezone.now() - timedelta(days=WELCOME_DAYS)
    return (
        SeatOffer.objects.filter(
            user=user, status=OfferStatus.ACCEPTED, answered_at__gte=since,
        )
        .filter(Q(became__end__isnull=True))
        .select_related("seat__canton")
        .order_by("-answered_at")
        .first()
    )
