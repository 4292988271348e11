"""Attendance at sessions: check-in by list, by the venue's QR code, from the session's
call, and corrections with a reason. Every change is written to ``AttendanceChange``.

Who is convened (and so may be checked in): the current titulaires for plenaries,
inter-plenaries and meetings with the public; the subgroup's members for its sessions;
the follow-up committee for its meetings; the facilitators for preparation meetings.
Who checks people in: a facilitator of the session, or the DCCU.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, has_role
from assembly.models import (
    Attendance,
    AttendanceChange,
    AttendanceMode,
    AttendanceSource,
    Membership,
    MembershipKind,
    Session,
    SessionKind,
)

logger = logging.getLogger(__name__)

# Check-in opens a little before the session starts (people arrive early).
EARLY = timedelta(minutes=30)
# The list stays open a day after the session for late ticks; then corrections only.
LIST_LATE = timedelta(hours=24)
QR_SALT = "assembly.attendance.qr"


def qr_max_age() -> int:
    return int(getattr(settings, "ATTENDANCE_QR_MAX_AGE", 180))


# --- Who ------------------------------------------------------------------------------------


def convened(session: Session) -> QuerySet[User]:
    """The people convened to the session (on its day)."""
    day = session.day
    if session.kind == SessionKind.SOUS_GROUPE and session.subgroup_id:
        people = User.objects.filter(subgroups=session.subgroup_id)
    elif session.kind == SessionKind.COMITE_SUIVI:
        people = User.objects.filter(groups__name=Role.COMITE_SUIVI.value)
    elif session.kind == SessionKind.PREPARATION:
        people = User.objects.filter(facilitated_sessions=session)
    else:
        titulaires = Membership.objects.current(day).filter(
            seat__assembly=session.assembly_id, kind=MembershipKind.TITULAIRE
        )
        people = User.objects.filter(pk__in=titulaires.values("user_id"))
    return people.filter(is_active=True).distinct().order_by("last_name", "first_name", "pk")


def is_convened(session: Session, user: Any) -> bool:
    return bool(user.is_authenticated) and convened(session).filter(pk=user.pk).exists()


def can_check_in(user: Any, session: Session) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return has_role(user, Role.DCCU) or session.facilitators.filter(pk=user.pk).exists()


def rights(session: Session, user: Any) -> dict[str, bool]:
    check_in = can_check_in(user, session)
    return {
        "read": check_in or is_convened(session, user),
        "check_in": check_in,
        "correct": check_in,
    }


def access_attendance_list(user: Any, session_id: Any, ability: str = "read") -> Session:
    """The session, if ``user`` may see it (404 otherwise), and has ``ability`` (403)."""
    try:
        session = Session.objects.select_related("assembly", "subgroup").get(pk=session_id)
    except (Session.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    abilities = rights(session, user)
    if not abilities["read"]:
        raise Http404
    if not abilities[ability]:
        raise PermissionDenied
    return session


def sessions_to_check_in(user: Any) -> QuerySet[Session]:
    """The sessions this person checks people in (the DCCU: all), recent and coming."""
    since = timezone.now() - timedelta(days=60)
    sessions = Session.objects.filter(ends_at__gte=since, cancelled_at__isnull=True)
    if not has_role(user, Role.DCCU):
        sessions = sessions.filter(facilitators=user)
    return sessions.order_by("starts_at")


def in_window(session: Session, at: datetime, *, late: timedelta = timedelta(0)) -> bool:
    return session.starts_at - EARLY <= at <= session.ends_at + late


# --- Writing --------------------------------------------------------------------------------


def _log(
    session: Session, user: Any, actor: Any, *, present: bool, mode: str, source: str,
    share: Decimal | None, reason: str = "",
) -> AttendanceChange:
    return AttendanceChange.objects.create(
        session=session, user=user, actor=actor, present=present, mode=mode, source=source,
        share=share, reason=reason,
    )


def _mode(mode: str) -> str:
    if mode not in AttendanceMode.values:
        raise ValidationError(_("Choose on site or online."), code="mode")
    return mode


def _record(session: Session, user: Any, actor: Any, *, mode: str, source: str) -> Attendance:
    """Create the attendance (or return the existing one: a second tick changes nothing)."""
    existing = Attendance.objects.filter(session=session, user=user).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(
                session=session, user=user, mode=mode, source=source, share=Decimal(1)
            )
    except IntegrityError:  # checked in twice at once: the first one stands
        return Attendance.objects.get(session=session, user=user)
    _log(session, user, actor, present=True, mode=mode, source=source, share=Decimal(1))
    return attendance


def _require_open(session: Session) -> None:
    if session.cancelled_at is not None:
        raise ValidationError(_("This session was cancelled."), code="cancelled")


@transaction.atomic
def do_check_in(actor: Any, session: Session, *, user: Any, mode: str) -> Attendance:
    """A facilitator (or the DCCU) ticks a convened person present."""
    if not can_check_in(actor, session):
        raise PermissionDenied(_("Only the session's facilitators and the DCCU check people in."))
    _require_open(session)
    if not in_window(session, timezone.now(), late=LIST_LATE):
        raise ValidationError(
            _("The attendance list is closed: make a correction, with its reason."),
            code="closed",
        )
    if not is_convened(session, user):
        raise ValidationError(_("This person is not convened to this session."),
                              code="not_convened")
    return _record(session, user, actor, mode=_mode(mode), source=AttendanceSource.LIST)


@transaction.atomic
def do_correct_attendance(
    actor: Any, session: Session, *, user: Any, present: bool, mode: str = "",
    share: Any = None, reason: str,
) -> Attendance | None:
    """Add, change or remove a presence after the fact; the reason is mandatory."""
    if not can_check_in(actor, session):
        raise PermissionDenied(
            _("Only the session's facilitators and the DCCU correct attendance.")
        )
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give the reason for the correction."), code="reason")
    reason = reason[:300]
    existing = Attendance.objects.select_for_update().filter(session=session, user=user).first()
    if not present:
        if existing is None:
            raise ValidationError(_("This person is not marked present."), code="absent")
        existing.delete()
        _log(session, user, actor, present=False, mode="", source=AttendanceSource.CORRECTION,
             share=None, reason=reason)
        return None
    if existing is None and not is_convened(session, user):
        raise ValidationError(_("This person is not convened to this session."),
                              code="not_convened")
    try:
        value = Decimal(str(share if share not in (None, "") else 1).replace(",", "."))
    except InvalidOperation as exc:
        raise ValidationError(_("The share of the day is a number between 0 and 1."),
                              code="share") from exc
    if not Decimal(0) < value <= Decimal(1):
        raise ValidationError(_("The share of the day is a number between 0 and 1."),
                              code="share")
    value = value.quantize(Decimal("0.01"))
    mode = _mode(mode or (existing.mode if existing else AttendanceMode.ON_SITE))
    if existing is None:
        existing = Attendance.objects.create(
            session=session, user=user, mode=mode, source=AttendanceSource.CORRECTION, share=value
        )
    else:
        existing.mode, existing.share = mode, value
        existing.source = AttendanceSource.CORRECTION
        existing.save(update_fields=["mode", "share", "source", "updated_at"])
    _log(session, user, actor, present=True, mode=mode, source=AttendanceSource.CORRECTION,
         share=value, reason=reason)
    return existing


# --- The venue's QR code -------------------------------------------------------------------


def qr_token(session: Session) -> str:
    """A signed token naming the session; valid ``qr_max_age()`` seconds."""
    return signing.TimestampSigner(salt=QR_SALT).sign(str(session.pk))


@dataclass(frozen=True)
class ScanResult:
    session: Session | None
    attendance: Attendance | None
    error: str = ""


def read_qr_token(token: str) -> Session:
    try:
        value = signing.TimestampSigner(salt=QR_SALT).unsign(token, max_age=qr_max_age())
    except signing.SignatureExpired as exc:
        raise ValidationError(
            _("This code has expired: scan the code shown in the room again."), code="expired"
        ) from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This code is not valid."), code="invalid") from exc
    session = Session.objects.filter(pk=value).select_related("assembly").first()
    if session is None:
        raise ValidationError(_("This code is not valid."), code="invalid")
    return session


@transaction.atomic
def do_scan_check_in(user: Any, token: str) -> Attendance:
    """A member scanned the venue's code while logged in: check them in, on site."""
    session = read_qr_token(token)
    _require_open(session)
    if not in_window(session, timezone.now()):
        raise ValidationError(
            _("Check-in by code is open only during the session."), code="outside_window"
        )
    if not is_convened(session, user):
        raise ValidationError(
            _("You are not convened to this session: ask a facilitator."), code="not_convened"
        )
    return _record(session, user, user, mode=AttendanceMode.ON_SITE, source=AttendanceSource.QR)


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an inline SVG (no image file, no external service)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg


# --- The session's call ---------------------------------------------------------------------


def sessions_of_room(room: Any, at: datetime) -> QuerySet[Session]:
    """The online sessions held in ``room``'s call at ``at``: a subgroup's room holds its
    subgroup's sessions, a mandate's plenary room the plenaries of that mandate's
    assembly (and the other sessions of the whole assembly)."""
    from forums.models import RoomKind

    sessions = Session.objects.filter(
        online=True, cancelled_at__isnull=True, starts_at__lte=at + EARLY, ends_at__gte=at
    )
    if room.kind == RoomKind.SUBGROUP and room.subgroup_id:
        return sessions.filter(subgroup=room.subgroup_id)
    if room.kind == RoomKind.PLENARY and room.mandate_id:
        return sessions.filter(subgroup__isnull=True).filter(
            Q(mandate=room.mandate_id) | Q(mandate__isnull=True, assembly__mandates=room.mandate_id)
        ).distinct()
    return sessions.none()


def record_call_attendance(participation_id: int) -> list[Attendance]:
    """Someone joined a call: if it is the live call of a session they are convened to,
    during the session, they are present online (source « appel »)."""
    from calls.models import CallParticipation

    participation = (
        CallParticipation.objects.select_related("call__room", "user")
        .filter(pk=participation_id).first()
    )
    if participation is None:
        return []
    recorded = []
    for session in sessions_of_room(participation.call.room, participation.joined_at):
        if not is_convened(session, participation.user):
            continue
        with transaction.atomic():
            recorded.append(
                _record(session, participation.user, None, mode=AttendanceMode.ONLINE,
                        source=AttendanceSource.CALL)
            )
    return recorded


def on_call_participation_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` of ``calls.CallParticipation``: calls knows nothing of sessions."""
    if not created:
        return
    participation_id = instance.pk

    def record() -> None:
        try:
            record_call_attendance(participation_id)
        except Exception:  # a call must never fail for the attendance list
            logger.exception("attendance: could not record call participation %s",
                             participation_id)

    transaction.on_commit(record)
