"""Operations on live calls: join, leave, hands, floor, mute, end (docs/protocol.md « Calls »).

Each checks the person's abilities (``Call.get_abilities``, which follow the room's),
writes in a transaction and publishes events after commit. Nothing said in a call is
ever stored: only who attended, when, and whether they had the floor.
"""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from calls import media
from calls.events import (
    CallBreakoutEvent,
    CallBreakoutsEvent,
    CallBroadcastEvent,
    CallEndedEvent,
    CallLeftEvent,
    CallLiveEvent,
    CallMutedEvent,
    CallRecallEvent,
    CallSignalEvent,
    CallStateEvent,
    call_group,
)
from calls.models import Call, CallMode, CallParticipation
from calls.sdp import sends_media
from forums.events import readers_group
from forums.models import Room
from gdpr import audit
from realtime.bus import send_event_on_commit

SDP_MAX_CHARS = 32 * 1024
CANDIDATE_MAX_CHARS = 1024


def _mesh_max() -> int:
    return int(getattr(settings, "CALLS_MESH_MAX", 6))


def _timeout() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "CALLS_HEARTBEAT_TIMEOUT", 15)))


# --- Reading -------------------------------------------------------------------------------


def access_call(user: Any, call_id: Any) -> Call:
    """The call, or 404 when it does not exist *or* the user may not read its room."""
    try:
        call = Call.objects.select_related("room__subgroup", "room__document").get(pk=call_id)
    except (Call.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if not call.room.get_abilities(user)["read"]:
        raise Http404
    return call


def access_call_room(user: Any, room_id: Any) -> Room:
    """The room whose call one watches or joins: 404 exactly like a missing room."""
    from forums.access import access_room

    return access_room(user, room_id)


def live_call(room: Room) -> Call | None:
    """The room's own live call (not a labelled breakout of ad-hoc groups)."""
    return Call.objects.filter(room=room, ended_at__isnull=True, label="").first()


def group_of(call: Call) -> str:
    """The group of the sockets watching this call (a labelled breakout has its own)."""
    return call_group(call.room_id, call.pk if call.label else None)


def live_call_counts(rooms: list[Room] | None = None) -> dict[str, int]:
    """Room id -> number of people in its call, for the rooms with a call going on (of
    ``rooms``, or every room: the lists only show it next to rooms one reads)."""
    counts: dict[str, int] = {}
    rows = CallParticipation.objects.filter(
        call__ended_at__isnull=True,
        left_at__isnull=True,
        seen_at__gte=timezone.now() - _timeout(),
    )
    if rooms is not None:
        rows = rows.filter(call__room__in=rooms)
    for room_id in rows.values_list("call__room_id", flat=True):
        counts[str(room_id)] = counts.get(str(room_id), 0) + 1
    return counts


def _participants(call: Call) -> list[CallParticipation]:
    return list(
        CallParticipation.objects.filter(call=call, left_at__isnull=True)
        .select_related("user")
        .order_by("joined_at", "id")
    )


def call_state(room: Room, call: Call | None) -> CallStateEvent:
    from deliberation.people import person_name

    if call is None or not call.is_live:
        return CallStateEvent(
            room=str(room.pk), call=None, mode=CallMode.MESH, live=False, participants=[], hands=[]
        )
    people = _participants(call)
    raised = [(p.hand_raised_at, p.pk, p) for p in people if p.hand_raised_at is not None]
    hands = [p for _when, _pk, p in sorted(raised, key=lambda row: (row[0], row[1]))]
    return CallStateEvent(
        room=str(room.pk),
        call=str(call.pk),
        mode=str(call.mode),
        live=True,
        participants=[
            {
                "id": str(p.user_id),
                "name": person_name(p.user),
                "may_speak": p.may_speak,
                "hand": p.hand_raised_at.isoformat() if p.hand_raised_at else None,
            }
            for p in people
        ],
        hands=[str(p.user_id) for p in hands],
    )


def publish_state(call: Call) -> None:
    """Tell the room's sockets the call's state (after commit)."""
    _publish_state(call)


def _publish_state(call: Call) -> None:
    room = call.room
    state = call_state(room, call if call.ended_at is None else None)
    if call.label and call.ended_at is not None:
        return  # its own group heard call.ended; the room's state is the plenary's
    send_event_on_commit(state, [group_of(call)])
    if call.label:
        return  # the room lists show the room's own call
    send_event_on_commit(
        CallLiveEvent(room=str(room.pk), live=state.live, count=len(state.participants)),
        [readers_group(room.pk)],
    )


def _mine(user: Any, call: Call, *, lock: bool = False) -> CallParticipation:
    rows = CallParticipation.objects.filter(call=call, user=user, left_at__isnull=True)
    if lock:
        rows = rows.select_for_update()
    participation = rows.first()
    if participation is None:
        raise ValidationError(_("You are not in this call."), code="not_in_call")
    return participation


def _require(call: Call, user: Any, ability: str) -> dict[str, bool]:
    abilities = call.get_abilities(user)
    if not call.room.get_abilities(user)["read"]:
        raise Http404
    if not call.is_live:
        raise ValidationError(_("This call has ended."), code="call_ended")
    if not abilities[ability]:
        raise PermissionDenied(_("Only the room's facilitators may do this."))
    return abilities


# --- Joining and leaving -----------------------------------------------------------------


def do_join_call(
    user: Any, room: Room, *, channel: str = "", call_id: Any = None
) -> tuple[Call, CallParticipation]:
    """Join the room's call, starting it when there is none (or, with ``call_id``, that
    live call of the room: a breakout of ad-hoc groups).

    Who reads the room joins; who writes in it may speak. A person already in the call
    (another tab) moves to this socket; the other one hears ``call.left``.
    """
    abilities = room.get_abilities(user)
    if not abilities["read"]:
        raise Http404
    for _attempt in range(2):
        try:
            return _join(user, room, abilities, channel, call_id)
        except IntegrityError:
            continue  # two people started the call at once: join the one that won
    raise ValidationError(_("The call could not be joined; please try again."), code="busy")


def _join(
    user: Any, room: Room, abilities: dict[str, bool], channel: str, call_id: Any = None
) -> tuple[Call, CallParticipation]:
    now = timezone.now()
    with transaction.atomic():
        live = Call.objects.select_for_update().filter(room=room, ended_at__isnull=True)
        if call_id is not None:
            try:
                call = live.filter(pk=call_id).first()
            except (ValueError, ValidationError):
                call = None
            if call is None:
                raise ValidationError(_("This call has ended."), code="call_ended")
        else:
            call = live.filter(label="").first()
        if call is not None:
            _expire(call, now)
        if call is None:
            call = Call.objects.create(
                room=room, started_by=user, started_at=now, mode=media.mode_for_new_call(room)
            )
            audit.record(user, "calls.call.start", obj=call)
        previous = CallParticipation.objects.filter(
            call=call, user=user, left_at__isnull=True
        ).first()
        if previous is not None:
            if previous.channel and previous.channel != channel:
                _tell_socket(
                    previous.channel,
                    CallLeftEvent(room=str(room.pk), call=str(call.pk), reason="elsewhere"),
                )
            previous.channel = channel
            previous.seen_at = now
            previous.save(update_fields=["channel", "seen_at"])
            _publish_state(call)
            return call, previous
        count = CallParticipation.objects.filter(call=call, left_at__isnull=True).count()
        if call.mode == CallMode.MESH and count >= _mesh_max():
            raise ValidationError(
                _(
                    "This call already has %(max)d people, the most a call can hold without "
                    "the media server, which is not available here."
                )
                % {"max": _mesh_max()},
                code="call_too_large",
            )
        participation = CallParticipation.objects.create(
            call=call,
            user=user,
            joined_at=now,
            seen_at=now,
            may_speak=abilities["write"],
            channel=channel,
        )
        _leave_related(user, call, now)
        _publish_state(call)
    return call, participation


def _leave_related(user: Any, call: Call, now: Any) -> None:
    """One person, one call: joining a breakout leaves its plenary, coming back to the
    plenary leaves its breakouts (from whatever socket)."""
    if call.parent_id is not None:
        related = Call.objects.filter(pk=call.parent_id, ended_at__isnull=True)
    else:
        related = call.breakouts.filter(ended_at__isnull=True)
    for other in related.select_related("room"):
        left = CallParticipation.objects.filter(call=other, user=user, left_at__isnull=True).update(
            left_at=now, hand_raised_at=None
        )
        if left:
            transaction.on_commit(functools.partial(media.person_left, other, user.pk))
            _end_if_empty(other)
            _publish_state(other)


def do_leave_call(user: Any, call: Call, *, channel: str | None = None) -> bool:
    """Leave the call (a closed socket leaves only if the call is still on that socket).

    The last one out ends the call. False when the person was not in it (nothing done).
    """
    with transaction.atomic():
        rows = CallParticipation.objects.select_for_update().filter(
            call=call, user=user, left_at__isnull=True
        )
        if channel is not None:
            rows = rows.filter(channel=channel)
        participation = rows.first()
        if participation is None:
            return False
        participation.left_at = timezone.now()
        participation.hand_raised_at = None
        participation.save(update_fields=["left_at", "hand_raised_at"])
        transaction.on_commit(lambda: media.person_left(call, user.pk))
        _end_if_empty(call)
        _publish_state(call)
    return True


def _end_if_empty(call: Call) -> None:
    """The last one out ends the call, unless its breakouts go on (people come back)."""
    if (
        call.ended_at is None
        and not CallParticipation.objects.filter(call=call, left_at__isnull=True).exists()
        and not call.breakouts.filter(ended_at__isnull=True).exists()
    ):
        _end(call)


def _end(call: Call) -> None:
    now = timezone.now()
    call.ended_at = now
    call.save(update_fields=["ended_at"])
    CallParticipation.objects.filter(call=call, left_at__isnull=True).update(
        left_at=now, hand_raised_at=None
    )
    send_event_on_commit(
        CallEndedEvent(room=str(call.room_id), call=str(call.pk)), [group_of(call)]
    )
    transaction.on_commit(lambda: media.call_ended(call))


def _tell_socket(channel: str, event: Any) -> None:
    """An event for one socket only (the one a person was in the call from)."""
    message = {"type": "event.relay", "event": event.to_dict()}

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.send)(channel, message)

    transaction.on_commit(send)


def do_heartbeat(user: Any, call: Call, *, channel: str) -> None:
    """The socket in the call is alive; take out whoever has been silent too long."""
    now = timezone.now()
    with transaction.atomic():
        updated = CallParticipation.objects.filter(
            call=call, user=user, left_at__isnull=True, channel=channel
        ).update(seen_at=now)
        if not updated:
            raise ValidationError(_("You are not in this call."), code="not_in_call")
        if _expire(call, now):
            _end_if_empty(call)
            _publish_state(call)
    end_due_breakouts(call, now=now)


def expire_silent(call: Call) -> int:
    """Take out of the call whoever has sent no heartbeat for CALLS_HEARTBEAT_TIMEOUT."""
    with transaction.atomic():
        gone = _expire(call, timezone.now())
        if gone:
            _end_if_empty(call)
            _publish_state(call)
    return gone


def _expire(call: Call, now: Any) -> int:
    stale = list(
        CallParticipation.objects.filter(
            call=call, left_at__isnull=True, seen_at__lt=now - _timeout()
        )
    )
    for participation in stale:
        if participation.channel:
            _tell_socket(
                participation.channel,
                CallLeftEvent(room=str(call.room_id), call=str(call.pk), reason="timeout"),
            )
    CallParticipation.objects.filter(pk__in=[p.pk for p in stale]).update(
        left_at=now, hand_raised_at=None
    )
    for gone in {p.user_id for p in stale}:
        transaction.on_commit(functools.partial(media.person_left, call, gone))
    return len(stale)


# --- The floor ----------------------------------------------------------------------------


def do_raise_hand(user: Any, call: Call, *, raised: bool) -> None:
    """Raise or lower one's own hand (anyone in the call)."""
    _require(call, user, "join")
    with transaction.atomic():
        participation = _mine(user, call, lock=True)
        if raised and participation.hand_raised_at is None:
            participation.hand_raised_at = timezone.now()
        elif not raised:
            participation.hand_raised_at = None
        participation.save(update_fields=["hand_raised_at"])
        _publish_state(call)


def do_lower_hands(actor: Any, call: Call, *, user_id: Any = None) -> None:
    """A facilitator lowers one raised hand, or every one (``user_id`` None)."""
    _require(call, actor, "moderate")
    with transaction.atomic():
        rows = CallParticipation.objects.filter(call=call, left_at__isnull=True)
        if user_id is not None:
            rows = rows.filter(user_id=user_id)
        rows.update(hand_raised_at=None)
        _publish_state(call)


def do_give_floor(actor: Any, call: Call, *, user_id: Any, give: bool) -> CallParticipation:
    """A facilitator gives a listener the floor for this call, or takes it back.

    Taking it back from someone who may write in the room changes nothing: they speak
    by right (mute them instead). Giving the floor lowers their hand.
    """
    _require(call, actor, "moderate")
    with transaction.atomic():
        participation = (
            CallParticipation.objects.select_for_update()
            .select_related("user")
            .filter(call=call, user_id=user_id, left_at__isnull=True)
            .first()
        )
        if participation is None:
            raise ValidationError(_("This person is not in the call."), code="not_in_call")
        by_right = call.room.get_abilities(participation.user)["write"]
        participation.may_speak = give or by_right
        if give:
            participation.hand_raised_at = None
        participation.save(update_fields=["may_speak", "hand_raised_at"])
        may_speak = participation.may_speak
        transaction.on_commit(lambda: media.floor_changed(call, user_id, may_speak))
        audit.record(
            actor,
            "calls.floor.give" if give else "calls.floor.take",
            subject=participation.user,
            obj=call,
        )
        _publish_state(call)
    return participation


def do_mute(actor: Any, call: Call, *, user_id: Any = None) -> None:
    """A facilitator mutes one participant, or everyone but themselves (None).

    The muted browsers turn their microphone off; they may turn it on again.
    """
    _require(call, actor, "moderate")
    if (
        user_id is not None
        and not CallParticipation.objects.filter(
            call=call, user_id=user_id, left_at__isnull=True
        ).exists()
    ):
        raise ValidationError(_("This person is not in the call."), code="not_in_call")
    send_event_on_commit(
        CallMutedEvent(
            room=str(call.room_id),
            call=str(call.pk),
            user=str(user_id) if user_id is not None else None,
            by=str(actor.pk),
        ),
        [group_of(call)],
    )


def do_end_call(actor: Any, call: Call) -> None:
    """A facilitator ends the call for everyone."""
    _require(call, actor, "moderate")
    with transaction.atomic():
        call = Call.objects.select_for_update().select_related("room").get(pk=call.pk)
        if call.ended_at is not None:
            return
        for child in _live_breakouts(call):  # its breakouts end with it
            _end(child)
        _end(call)
        audit.record(actor, "calls.call.end", obj=call)
        _publish_state(call)


# --- Signalling (mesh) --------------------------------------------------------------------


def signal_target(
    user: Any,
    call: Call,
    *,
    to: str,
    sdp: dict[str, Any] | None,
    candidate: dict[str, Any] | None,
    channel: str,
) -> tuple[str, CallSignalEvent]:
    """Check a negotiation message and say which socket it goes to.

    Only between two people in the same call, from the socket in the call; a listener's
    description may not send audio or video (``listener_cannot_publish``).
    """
    if call.mode != CallMode.MESH:
        raise ValidationError(_("This call goes through the media server."), code="not_mesh")
    if (sdp is None) == (candidate is None):
        raise ValidationError(_("Send either a description or a candidate."), code="invalid")
    mine = CallParticipation.objects.filter(
        call=call, user=user, left_at__isnull=True, channel=channel
    ).first()
    if mine is None:
        raise ValidationError(_("You are not in this call."), code="not_in_call")
    target = (
        CallParticipation.objects.filter(call=call, user_id=to, left_at__isnull=True)
        .exclude(user=user)
        .first()
    )
    if target is None or not target.channel:
        raise ValidationError(_("This person is not in the call."), code="not_in_call")
    if sdp is not None:
        kind, text = sdp.get("type"), sdp.get("sdp")
        if kind not in ("offer", "answer") or not isinstance(text, str):
            raise ValidationError(_("Unreadable description."), code="invalid")
        if len(text) > SDP_MAX_CHARS:
            raise ValidationError(_("This description is too large."), code="too_large")
        if not mine.may_speak and sends_media(text):
            raise ValidationError(
                _("You are listening: raise your hand and wait for the floor to speak."),
                code="may_not_speak",
            )
        sdp = {"type": kind, "sdp": text}
    else:
        assert candidate is not None  # noqa: S101 - checked above
        text = candidate.get("candidate")
        if not isinstance(text, str) or len(text) > CANDIDATE_MAX_CHARS:
            raise ValidationError(_("Unreadable candidate."), code="invalid")
        mid, index = candidate.get("sdpMid"), candidate.get("sdpMLineIndex")
        candidate = {
            "candidate": text,
            "sdpMid": mid if isinstance(mid, str) else None,
            "sdpMLineIndex": index if isinstance(index, int) else None,
        }
    event = CallSignalEvent(
        call=str(call.pk), sender=str(user.pk), to=str(to), sdp=sdp, candidate=candidate
    )
    return target.channel, event


# --- Breakouts ----------------------------------------------------------------------------

BREAKOUT_MINUTES_MAX = 120
BROADCAST_MAX_CHARS = 500
SUBGROUPS = "subgroups"


def _live_breakouts(call: Call) -> list[Call]:
    return list(call.breakouts.filter(ended_at__isnull=True).select_related("room"))


def _plenary(actor: Any, call: Call) -> None:
    """Breakouts are run from a call that is not itself a breakout, by its facilitators."""
    _require(call, actor, "moderate")
    if call.parent_id is not None:
        raise ValidationError(
            _("Breakouts are run from the plenary call, not from a breakout."), code="nested"
        )


def _ad_hoc_groups(groups: Any, here: dict[str, CallParticipation]) -> list[list[str]]:
    """Check a list of lists of person ids: each in the call, in one group only."""
    if not isinstance(groups, list) or not groups or len(groups) > 50:
        raise ValidationError(_("Choose at least one group of people."), code="invalid_groups")
    seen: set[str] = set()
    checked: list[list[str]] = []
    for group in groups:
        if not isinstance(group, list) or not group:
            raise ValidationError(_("A group may not be empty."), code="invalid_groups")
        ids = []
        for person in group:
            person = str(person)
            if person in seen:
                raise ValidationError(
                    _("A person may be in one group only."), code="duplicate_person"
                )
            if person not in here:
                raise ValidationError(
                    _("Only people in the call may be sent into a group."), code="not_in_call"
                )
            seen.add(person)
            ids.append(person)
        checked.append(ids)
    return checked


def _subgroup_rooms(call: Call, here: dict[str, CallParticipation]) -> list[tuple[Room, list[str]]]:
    """Each person's subgroup room (of the plenary's mandate) that they may read."""
    from forums.models import RoomKind

    mandate_id = call.room.mandate_id
    if mandate_id is None:
        return []  # a direct conversation has no subgroups
    rooms = list(
        Room.objects.select_related("subgroup", "document")
        .filter(kind=RoomKind.SUBGROUP, mandate_id=mandate_id, subgroup__isnull=False)
        .order_by("subgroup__name")
    )
    members = {
        room.pk: {str(pk) for pk in room.subgroup.members.values_list("pk", flat=True)}
        for room in rooms
        if room.subgroup is not None
    }
    placed: dict[Any, list[str]] = {}
    for person, participation in here.items():
        for room in rooms:
            if person in members[room.pk] and room.get_abilities(participation.user)["read"]:
                placed.setdefault(room.pk, []).append(person)
                break
    return [(room, placed[room.pk]) for room in rooms if room.pk in placed]


def do_start_breakouts(actor: Any, call: Call, *, groups: Any, minutes: Any) -> list[Call]:
    """Send the people of a plenary call into breakouts for ``minutes``.

    ``groups``: "subgroups" (each person to the call of their own subgroup's room, which
    they may read; the others stay) or a list of lists of person ids (ad-hoc groups, each
    a labelled call in the plenary's room: « Groupe 1 »…). The facilitator who starts
    them stays in the plenary unless they put themselves in a group. Each person sent
    hears ``call.breakout`` on the socket they are in the call from; the plenary hears
    ``call.breakouts`` (the countdown).
    """
    _plenary(actor, call)
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValidationError(_("Give the duration in whole minutes."), code="invalid_minutes")
    if not 1 <= minutes <= BREAKOUT_MINUTES_MAX:
        raise ValidationError(
            _("The duration must be between 1 and %(max)d minutes.")
            % {"max": BREAKOUT_MINUTES_MAX},
            code="invalid_minutes",
        )
    now = timezone.now()
    ends_at = now + timedelta(minutes=minutes)
    with transaction.atomic():
        call = Call.objects.select_for_update().select_related("room").get(pk=call.pk)
        if call.ended_at is not None:
            raise ValidationError(_("This call has ended."), code="call_ended")
        if _live_breakouts(call):
            raise ValidationError(
                _("Breakouts are already going on: call everyone back first."),
                code="breakouts_running",
            )
        here = {str(p.user_id): p for p in _participants(call)}
        plan: list[tuple[Room, str, list[str]]]
        if groups == SUBGROUPS:
            others = {k: v for k, v in here.items() if k != str(actor.pk)}
            plan = [(room, "", people) for room, people in _subgroup_rooms(call, others)]
        else:
            plan = [
                (call.room, _("Group %(n)d") % {"n": n}, people)
                for n, people in enumerate(_ad_hoc_groups(groups, here), start=1)
            ]
        if not plan:
            raise ValidationError(
                _("Nobody in the call can be sent into a breakout."), code="nobody_to_send"
            )
        children: list[Call] = []
        summary: list[dict[str, Any]] = []
        sent = 0
        for room, label, people in plan:
            child = None
            if not label:
                child = (
                    Call.objects.select_for_update()
                    .filter(room=room, ended_at__isnull=True, label="")
                    .first()
                )
            if child is not None:  # a call already going on there becomes the breakout
                child.parent, child.ends_at = call, ends_at
                child.save(update_fields=["parent", "ends_at"])
            else:
                child = Call.objects.create(
                    room=room,
                    parent=call,
                    label=label,
                    ends_at=ends_at,
                    started_by=actor,
                    started_at=now,
                    mode=media.mode_for_new_call(room),
                )
            children.append(child)
            summary.append(
                {"label": label, "room": str(room.pk), "call": str(child.pk), "count": len(people)}
            )
            for person in people:
                sent += 1
                channel = here[person].channel
                if channel:
                    _tell_socket(
                        channel,
                        CallBreakoutEvent(
                            room=str(call.room_id),
                            call=str(call.pk),
                            target_room=str(room.pk),
                            target_call=str(child.pk),
                            label=label,
                            ends_at=ends_at.isoformat(),
                        ),
                    )
        send_event_on_commit(
            CallBreakoutsEvent(
                room=str(call.room_id),
                call=str(call.pk),
                ends_at=ends_at.isoformat(),
                groups=summary,
                stayed=len(here) - sent,
            ),
            [group_of(call)],
        )
        audit.record(
            actor, "calls.breakouts.start", obj=call, groups=len(children), minutes=minutes
        )
    return children


def _clean_text(text: Any) -> str:
    if not isinstance(text, str):
        raise ValidationError(_("Write a message."), code="invalid")
    # No control characters (but line breaks); shown as text, never as HTML.
    cleaned = "".join(c for c in text if c == "\n" or (c.isprintable() and c != "\x7f"))
    cleaned = "\n".join(line.strip() for line in cleaned.strip().splitlines())
    if not cleaned:
        raise ValidationError(_("Write a message."), code="invalid")
    if len(cleaned) > BROADCAST_MAX_CHARS:
        raise ValidationError(
            _("A message to everyone may hold at most %(max)d characters.")
            % {"max": BROADCAST_MAX_CHARS},
            code="too_large",
        )
    return cleaned


def do_broadcast(actor: Any, call: Call, text: Any) -> str:
    """A facilitator's message to the plenary and every breakout going on (text only)."""
    from deliberation.people import person_name

    _plenary(actor, call)
    cleaned = _clean_text(text)
    by_name = person_name(actor)
    with transaction.atomic():
        for target in [call, *_live_breakouts(call)]:
            send_event_on_commit(
                CallBroadcastEvent(
                    room=str(target.room_id),
                    call=str(target.pk),
                    parent=str(call.pk),
                    text=cleaned,
                    by=str(actor.pk),
                    by_name=by_name,
                ),
                [group_of(target)],
            )
        audit.record(actor, "calls.breakouts.broadcast", obj=call, chars=len(cleaned))
    return cleaned


def _recall(call: Call, children: list[Call], reason: str) -> None:
    """Everyone back: ``call.recall`` in each breakout (and the plenary), then they end."""
    for target in [call, *children]:
        send_event_on_commit(
            CallRecallEvent(
                room=str(target.room_id),
                call=str(target.pk),
                parent_room=str(call.room_id),
                parent=str(call.pk),
                reason=reason,
            ),
            [group_of(target)],
        )
    for child in children:
        _end(child)
        _publish_state(child)
    if call.ended_at is None:
        _end_if_empty(call)
        if call.ended_at is not None:
            _publish_state(call)


def do_recall(actor: Any, call: Call) -> int:
    """A facilitator calls everyone back to the plenary: the breakouts end and each page
    joins the plenary call again by itself. The number of breakouts ended."""
    _plenary(actor, call)
    with transaction.atomic():
        call = Call.objects.select_for_update().select_related("room").get(pk=call.pk)
        children = _live_breakouts(call)
        if not children:
            raise ValidationError(_("No breakout is going on."), code="no_breakouts")
        _recall(call, children, "recall")
        audit.record(actor, "calls.breakouts.recall", obj=call, groups=len(children))
    return len(children)


def end_due_breakouts(call: Call, *, now: Any = None) -> int:
    """The countdown ended: everyone back (run at each heartbeat, in the plenary or a
    breakout). The number of breakouts ended."""
    now = now or timezone.now()
    parent_id = call.parent_id or call.pk
    if not Call.objects.filter(
        parent_id=parent_id, ended_at__isnull=True, ends_at__lte=now
    ).exists():
        return 0
    with transaction.atomic():
        parent = Call.objects.select_for_update().select_related("room").get(pk=parent_id)
        children = [c for c in _live_breakouts(parent) if c.ends_at and c.ends_at <= now]
        if children:
            _recall(parent, children, "time")
    return len(children)


def breakout_info(call: Call) -> dict[str, Any] | None:
    """For a page joining a breakout (or a plenary with breakouts going on): the
    countdown and where to come back."""
    if call.parent_id is not None and call.ends_at is not None:
        parent = call.parent
        assert parent is not None  # noqa: S101 - parent_id is set
        return {
            "parent_room": str(parent.room_id),
            "parent": str(parent.pk),
            "label": call.label,
            "ends_at": call.ends_at.isoformat(),
        }
    child = call.breakouts.filter(ended_at__isnull=True).order_by("ends_at").first()
    if child is not None and child.ends_at is not None:
        return {
            "parent_room": str(call.room_id),
            "parent": str(call.pk),
            "label": "",
            "ends_at": child.ends_at.isoformat(),
        }
    return None
