"""Sessions of the assembly: who is convened, who may do what, and the operations on them.

Who is convened follows from the kind (never a stored list, so it follows membership
changes live): the current titulaires for a plenary, an inter-plenary or a meeting with the
public; the subgroup's members for a subgroup session; the follow-up committee for its
meetings; the DCCU team for a preparation meeting; and the session's facilitators (and its
subgroup's) always. Substitutes are not convened, but the plenaries are in their agenda as
readers (they may attend, they answer nothing): they prepare to take a seat.

Convocations, reminders and their emails are ``assembly.convocations``; the ICS is
``assembly.ics``.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import ASSEMBLY_ROLES, Role, has_role, user_roles
from assembly.models import (
    Assembly,
    CalendarFeed,
    Mandate,
    Membership,
    MembershipKind,
    ReplyAnswer,
    Session,
    SessionKind,
    SessionReply,
    Subgroup,
)

# Sessions of the whole assembly: every titulaire is convened.
ASSEMBLY_KINDS = frozenset({SessionKind.PLENIERE, SessionKind.INTERPLENIERE, SessionKind.RENCONTRE})
# The online link opens this long before the start (people test their microphone).
CALL_OPENS_BEFORE = timedelta(minutes=30)


# --- Who -----------------------------------------------------------------------------------


def convened_ids(session: Session) -> set[Any]:
    """The ids of the people convened to the session (see the module); remembered on the
    instance, since telling 108 people asks it once per person (``forget_convened``)."""
    memo = session.__dict__.get("_convened_ids")
    if memo is not None:
        return set(memo)
    ids = _convened_ids(session)
    session.__dict__["_convened_ids"] = frozenset(ids)
    return ids


def forget_convened(session: Session) -> None:
    session.__dict__.pop("_convened_ids", None)


def _convened_ids(session: Session) -> set[Any]:
    ids: set[Any] = set(session.facilitators.values_list("pk", flat=True))
    if session.subgroup_id is not None:
        subgroup = session.subgroup
        assert subgroup is not None  # noqa: S101 - subgroup_id checked above
        ids |= set(subgroup.facilitators.values_list("pk", flat=True))
    kind = session.kind
    if kind in ASSEMBLY_KINDS:
        ids |= set(
            Membership.objects.current()
            .filter(kind=MembershipKind.TITULAIRE, seat__assembly_id=session.assembly_id)
            .values_list("user_id", flat=True)
        )
    elif kind == SessionKind.SOUS_GROUPE and session.subgroup is not None:
        ids |= set(session.subgroup.members.values_list("pk", flat=True))
    elif kind == SessionKind.COMITE_SUIVI:
        ids |= set(User.objects.filter(groups__name=Role.COMITE_SUIVI).values_list("pk", flat=True))
    elif kind == SessionKind.PREPARATION:
        ids |= set(User.objects.filter(groups__name=Role.DCCU).values_list("pk", flat=True))
    return ids


def convened(session: Session) -> QuerySet[User]:
    """The active people convened to the session."""
    return User.objects.filter(pk__in=convened_ids(session), is_active=True).order_by("pk")


def is_convened(session: Session, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.pk in convened_ids(session)


def may_manage(session: Session, user: Any) -> bool:
    """The DCCU, any session; a facilitator, the sessions of the subgroups they facilitate."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or has_role(user, Role.DCCU):
        return True
    return (
        session.subgroup_id is not None
        and has_role(user, Role.FACILITATEUR)
        and Subgroup.objects.filter(pk=session.subgroup_id, facilitators=user).exists()
    )


def manageable_subgroups(user: Any) -> QuerySet[Subgroup]:
    """The subgroups whose sessions this person may create (all of them for the DCCU)."""
    if user.is_superuser or has_role(user, Role.DCCU):
        return Subgroup.objects.all()
    if has_role(user, Role.FACILITATEUR):
        return Subgroup.objects.filter(facilitators=user)
    return Subgroup.objects.none()


def may_create_sessions(user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return has_role(user, Role.DCCU) or user.is_superuser or manageable_subgroups(user).exists()


def _substitute_reader(session: Session, user: Any) -> bool:
    return session.kind == SessionKind.PLENIERE and Role.REMPLACANT in user_roles(user)


def rights_on_session(session: Session, user: Any) -> dict[str, bool]:
    """What this person may do with the session; « read » false = it does not exist for them."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return dict.fromkeys(("read", "reply", "manage", "see_replies", "join_call"), False)
    manage = may_manage(session, user)
    is_facilitator = session.facilitators.filter(pk=user.pk).exists()
    convened_here = is_convened(session, user)
    roles = user_roles(user)
    read = (
        manage
        or convened_here
        or (session.kind in ASSEMBLY_KINDS and bool(roles & ASSEMBLY_ROLES))
        or (session.subgroup is not None and session.subgroup.get_abilities(user)["read"])
    )
    now = timezone.now()
    live = not session.is_cancelled
    return {
        "read": read,
        "reply": convened_here and live and now < session.starts_at,
        "manage": manage,
        "see_replies": manage or is_facilitator,
        "join_call": read and live and session.online and call_is_open(session, now),
    }


def access_session(user: Any, session_id: Any) -> Session:
    """The session, or 404 when it does not exist *or* this person may not read it."""
    try:
        session = Session.objects.select_related("subgroup", "assembly", "mandate").get(
            pk=session_id
        )
    except (Session.DoesNotExist, ValueError, ValidationError) as exc:
        raise Http404 from exc
    if not session.get_abilities(user)["read"]:
        raise Http404
    return session


def sessions_for(user: Any, *, start: date | None = None, end: date | None = None
                 ) -> QuerySet[Session]:
    """The sessions in this person's agenda: those they are convened to (cancelled ones
    too, marked), and the plenaries for substitutes. ``start``/``end``: local days."""
    if not getattr(user, "is_authenticated", False):
        return Session.objects.none()
    roles = user_roles(user)
    titulaire_of = Membership.objects.current().filter(
        user=user, kind=MembershipKind.TITULAIRE
    ).values("seat__assembly_id")
    query = (
        Q(facilitators=user)
        | Q(subgroup__facilitators=user)
        | Q(kind__in=ASSEMBLY_KINDS, assembly_id__in=titulaire_of)
        | Q(kind=SessionKind.SOUS_GROUPE, subgroup__members=user)
    )
    if Role.COMITE_SUIVI in roles:
        query |= Q(kind=SessionKind.COMITE_SUIVI)
    if Role.DCCU in roles:
        query |= Q(kind=SessionKind.PREPARATION)
    if Role.REMPLACANT in roles:
        substitute_of = Membership.objects.current().filter(user=user).values(
            "seat__assembly_id"
        )
        query |= Q(kind=SessionKind.PLENIERE, assembly_id__in=substitute_of)
    ids = Session.objects.filter(query).values("pk")
    sessions = Session.objects.filter(pk__in=ids).select_related("subgroup")
    zone = timezone.get_current_timezone()
    if start is not None:
        sessions = sessions.filter(
            ends_at__gte=datetime.combine(start, datetime.min.time(), tzinfo=zone)
        )
    if end is not None:
        sessions = sessions.filter(
            starts_at__lt=datetime.combine(end + timedelta(days=1), datetime.min.time(),
                                           tzinfo=zone)
        )
    return sessions.order_by("starts_at")


def next_session(user: Any) -> Session | None:
    """The next session in this person's agenda that is not cancelled (for the home page)."""
    return (
        sessions_for(user).filter(ends_at__gte=timezone.now(), cancelled_at__isnull=True).first()
    )


def managed_sessions(user: Any) -> QuerySet[Session]:
    """The sessions this person may edit, upcoming first (the organisers' list)."""
    if user.is_superuser or has_role(user, Role.DCCU):
        sessions = Session.objects.all()
    else:
        sessions = Session.objects.filter(subgroup__in=manageable_subgroups(user))
    return sessions.filter(ends_at__gte=timezone.now()).select_related("subgroup")


# --- The online call ---------------------------------------------------------------------


def session_room(session: Session) -> Any:
    """The room whose live call hosts the session online: its subgroup's room, else the
    plenary room of its mandate (the staff room for a preparation meeting)."""
    from forums.models import Room, RoomKind

    if session.subgroup_id is not None:
        return Room.objects.filter(subgroup_id=session.subgroup_id).first()
    mandate = session.mandate or Mandate.objects.filter(assembly_id=session.assembly_id).first()
    if mandate is None:
        return None
    kind = RoomKind.STAFF if session.kind == SessionKind.PREPARATION else RoomKind.PLENARY
    return Room.objects.filter(kind=kind, mandate=mandate).first()


def call_is_open(session: Session, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return session.starts_at - CALL_OPENS_BEFORE <= now <= session.ends_at


def call_link(session: Session, user: Any) -> str | None:
    """The page where this person joins the session's call (the room's call panel), when the
    session is online, open now, and the person reads the room; else None."""
    from django.urls import reverse

    if not session.get_abilities(user)["join_call"]:
        return None
    room = session_room(session)
    if room is None or not room.get_abilities(user)["read"]:
        return None
    return reverse("forums:room", args=[room.pk]) + "#call"


def readable_documents(session: Session, user: Any) -> list[Any]:
    """The session's documents this person may read (the others are not shown at all)."""
    from documents.access import visible_documents

    return list(visible_documents(user).filter(sessions=session).order_by("title"))


# --- Operations --------------------------------------------------------------------------


def _validate(actor: Any, data: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if starts_at and ends_at and ends_at <= starts_at:
        errors.setdefault("ends_at", []).append(_("The session must end after it starts."))
    kind = data.get("kind")
    subgroup = data.get("subgroup")
    if kind == SessionKind.SOUS_GROUPE and subgroup is None:
        errors.setdefault("subgroup", []).append(_("Choose the subgroup of this session."))
    if not data.get("place", "").strip() and not data.get("online"):
        errors.setdefault("place", []).append(
            _("Give the address of the place, or hold the session online.")
        )
    if not (actor.is_superuser or has_role(actor, Role.DCCU)):
        if kind != SessionKind.SOUS_GROUPE:
            errors.setdefault("kind", []).append(
                _("Facilitators organise the sessions of their subgroups only.")
            )
        elif subgroup is not None and not manageable_subgroups(actor).filter(
            pk=subgroup.pk
        ).exists():
            errors.setdefault("subgroup", []).append(
                _("You do not facilitate this subgroup.")
            )
    if errors:
        raise ValidationError(errors)


SESSION_FIELDS = ("kind", "title", "starts_at", "ends_at", "place", "online", "agenda",
                  "subgroup")


def do_create_session(
    actor: User, *, assembly: Assembly | None = None, facilitators: Any = (),
    documents: Any = (), **data: Any,
) -> Session:
    """Create a session and send its convocations (by email and in the page)."""
    from assembly.convocations import convene_on_commit

    if not may_create_sessions(actor):
        raise PermissionDenied(_("Only the DCCU team and facilitators organise sessions."))
    _validate(actor, data)
    assembly = assembly or Assembly.current()
    if assembly is None:
        raise ValidationError(_("There is no assembly to hold a session for."))
    subgroup = data.get("subgroup")
    with transaction.atomic():
        session = Session(
            assembly=assembly, created_by=actor,
            mandate=subgroup.mandate if subgroup is not None else data.pop("mandate", None),
            **{k: v for k, v in data.items() if k in SESSION_FIELDS},
        )
        if session.kind in ASSEMBLY_KINDS:
            session.subgroup = None  # the whole assembly's
        if session.mandate is None:
            session.mandate = Mandate.objects.filter(assembly=assembly).order_by("-start").first()
        session.full_clean(exclude=["facilitators", "documents"])
        session.save()
        session.facilitators.set(facilitators)
        session.documents.set(documents)
        forget_convened(session)
        convene_on_commit(session)
    return session


def do_update_session(
    actor: User, session: Session, *, facilitators: Any = None, documents: Any = None,
    **data: Any,
) -> Session:
    """Change a session; when its date or place changes, the people convened are told."""
    from assembly.convocations import changed_on_commit

    if not may_manage(session, actor):
        raise PermissionDenied(_("You may not change this session."))
    if session.is_cancelled:
        raise ValidationError(_("This session is cancelled: it can no longer be changed."))
    merged = {f: getattr(session, f) for f in SESSION_FIELDS} | data
    _validate(actor, merged)
    watched = ("starts_at", "ends_at", "place", "online")
    moved = any(merged[f] != getattr(session, f) for f in watched)
    with transaction.atomic():
        for field, value in data.items():
            if field in SESSION_FIELDS:
                setattr(session, field, value)
        session.full_clean(exclude=["facilitators", "documents"])
        session.save()
        if facilitators is not None:
            session.facilitators.set(facilitators)
        if documents is not None:
            session.documents.set(documents)
        forget_convened(session)
        if moved:
            changed_on_commit(session)
    return session


def do_cancel_session(actor: User, session: Session) -> Session:
    """Cancel a session (it stays in the agendas, marked cancelled); the convened are told."""
    from assembly.convocations import cancelled_on_commit

    if not may_manage(session, actor):
        raise PermissionDenied(_("You may not cancel this session."))
    if session.is_cancelled:
        return session
    if session.ends_at <= timezone.now():
        raise ValidationError(_("This session is over: it can no longer be cancelled."))
    with transaction.atomic():
        session.cancelled_at = timezone.now()
        session.save(update_fields=["cancelled_at", "updated_at"])
        cancelled_on_commit(session)
    return session


def do_reply(actor: User, session: Session, answer: str) -> SessionReply:
    """A convened person says whether they come, in person or online (until it starts)."""
    if answer not in ReplyAnswer.values:
        raise ValidationError(_("Choose one of the answers."))
    if not is_convened(session, actor):
        raise PermissionDenied(_("You are not convened to this session."))
    if session.is_cancelled:
        raise ValidationError(_("This session is cancelled."))
    if timezone.now() >= session.starts_at:
        raise ValidationError(_("This session has started: the answers are closed."))
    if answer == ReplyAnswer.ONLINE and not session.online:
        raise ValidationError(_("This session cannot be joined online."))
    with transaction.atomic():
        reply, _created = SessionReply.objects.update_or_create(
            session=session, user=actor, defaults={"answer": answer}
        )
    return reply


def reply_of(session: Session, user: Any) -> SessionReply | None:
    return SessionReply.objects.filter(session=session, user_id=user.pk).first()


def reply_summary(session: Session) -> dict[str, Any]:
    """The counts per answer and the list of the convened with their answer (for staff)."""
    people = list(convened(session))
    answers = dict(
        SessionReply.objects.filter(session=session).values_list("user_id", "answer")
    )
    counts = Counter(answers.get(p.pk, "") for p in people)
    labels = dict(ReplyAnswer.choices)
    rows = [
        {"person": p, "answer": answers.get(p.pk, ""),
         "label": labels.get(answers.get(p.pk, ""), _("no answer yet"))}
        for p in people
    ]
    return {
        "coming": counts[ReplyAnswer.COMING],
        "online": counts[ReplyAnswer.ONLINE],
        "not_coming": counts[ReplyAnswer.NOT_COMING],
        "no_answer": counts[""],
        "total": len(people),
        "rows": rows,
    }


# --- The personal calendar feed ----------------------------------------------------------


def feed_of(user: Any) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user_id=user.pk).first()


def do_regenerate_feed(actor: User) -> CalendarFeed:
    """A new secret address for the person's calendar; the previous one stops at once."""
    with transaction.atomic():
        feed, _created = CalendarFeed.objects.update_or_create(
            user=actor, defaults={"token": secrets.token_urlsafe(32)}
        )
    return feed


def do_revoke_feed(actor: User) -> None:
    CalendarFeed.objects.filter(user=actor).delete()


def feed_owner(token: str) -> User:
    """The person whose secret address this is; 404 for a wrong or revoked one."""
    feed = CalendarFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    return feed.user
