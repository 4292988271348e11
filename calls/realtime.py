"""The calls' frames on /ws/ (docs/protocol.md, « Calls »): transport only, actions do the rest.

One ``CallFeature`` per socket. A socket watches the calls of the rooms whose page is
open (``call.watch``) and is in at most one call (``call.join``). Mesh negotiation
(``call.signal``) goes from socket to socket, only between two people in the same call;
a listener's description that would send media is refused by ``calls.actions``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext

from calls.events import call_group
from realtime.frames import FrameError, bool_field, required_uuid
from realtime.hub import LiveFeature


class CallFeature(LiveFeature):
    name = "calls"
    frames = {
        "call.watch": "watch",
        "call.unwatch": "unwatch",
        "call.join": "join",
        "call.leave": "leave",
        "call.ping": "ping",
        "call.signal": "signal",
        "call.media": "media",
        "call.hand": "hand",
        "call.floor": "floor",
        "call.mute": "mute",
        "call.end": "end",
        "call.breakout": "breakout",
        "call.broadcast": "broadcast",
        "call.recall": "recall",
    }
    events = ("call.", "room.access_changed")

    def __init__(self, socket: Any) -> None:
        super().__init__(socket)
        self.watching: set[str] = set()
        self.room: str | None = None  # the room whose call this socket is in
        self.call_id: str | None = None
        self.own_group: str | None = None  # a labelled breakout's own group
        self.may_speak = False

    # --- Frames ---------------------------------------------------------------------------

    async def watch(self, content: dict[str, Any]) -> None:
        room_id = required_uuid(content, "room")
        state = await self.socket.call(_watch, self.socket.user, room_id)
        await self._watch_group(room_id)
        await self.socket.send_json(state)

    async def unwatch(self, content: dict[str, Any]) -> None:
        room_id = required_uuid(content, "room")
        if room_id != self.room:  # the call's room stays watched while in the call
            await self._unwatch_group(room_id)
        await self.socket.send_json({"type": "call.unwatched", "room": room_id})

    async def join(self, content: dict[str, Any]) -> None:
        room_id = required_uuid(content, "room")
        call_id = required_uuid(content, "call") if content.get("call") is not None else None
        if self.call_id is not None and (
            self.room != room_id
            or (call_id is not None and call_id != self.call_id)
            or (call_id is None and self.own_group is not None)
        ):
            await self._leave_current()  # into a breakout, or back to the plenary
        joined = await self.socket.call(
            _join, self.socket.user, room_id, self.socket.channel_name, call_id
        )
        await self._watch_group(room_id)
        group = joined.pop("group")
        if group != self.own_group:
            await self._leave_own_group()
            if group != call_group(room_id):
                await self.socket.join(group)
                self.own_group = group
        self.room, self.call_id = room_id, joined["call"]
        self.may_speak = joined["may_speak"]
        await self.socket.send_json(joined)

    async def leave(self, content: dict[str, Any]) -> None:
        self._current()
        room_id, call_id = self.room, self.call_id
        await self._leave_current()
        if room_id is not None and call_id is not None:
            await self.socket.send_json(
                {"type": "call.left", "room": room_id, "call": call_id, "reason": "left"}
            )

    async def ping(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        await self.socket.call(_heartbeat, self.socket.user, call_id, self.socket.channel_name)

    async def signal(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        to = required_uuid(content, "to")
        sdp, candidate = content.get("sdp"), content.get("candidate")
        if not isinstance(sdp, dict | None) or not isinstance(candidate, dict | None):
            raise FrameError("invalid", gettext("Unreadable description."))
        channel, event = await self.socket.call(
            _signal, self.socket.user, call_id, to, sdp, candidate, self.socket.channel_name
        )
        await self.socket.channel_layer.send(channel, {"type": "event.relay", "event": event})

    async def media(self, content: dict[str, Any]) -> None:
        """The media parameters again (e.g. after a media server error); ``publish`` true
        asks for the right to send, which only people who may speak get."""
        call_id = self._current()
        publish = bool_field(content, "publish", False)
        answer = await self.socket.call(_media, self.socket.user, call_id, publish)
        await self.socket.send_json(answer)

    async def hand(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        raised = bool_field(content, "raised", True)
        target = content.get("user")
        if target is None:
            await self.socket.call(_hand, self.socket.user, call_id, raised)
            return
        if raised:
            raise FrameError("invalid", gettext("Only the person may raise their own hand."))
        if target != "all":
            target = required_uuid(content, "user")
        await self.socket.call(_lower, self.socket.user, call_id, target)

    async def floor(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        target = required_uuid(content, "user")
        give = bool_field(content, "give", True)
        await self.socket.call(_floor, self.socket.user, call_id, target, give)

    async def mute(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        target = None if content.get("user") == "all" else required_uuid(content, "user")
        await self.socket.call(_mute, self.socket.user, call_id, target)

    async def end(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        await self.socket.call(_end, self.socket.user, call_id)

    async def breakout(self, content: dict[str, Any]) -> None:
        """``groups``: "subgroups" or a list of lists of person ids; ``minutes``."""
        call_id = self._current()
        groups = content.get("groups")
        if groups != "subgroups" and not (
            isinstance(groups, list)
            and all(
                isinstance(group, list) and all(isinstance(p, str) for p in group)
                for group in groups
            )
        ):
            raise FrameError("invalid", gettext("Choose at least one group of people."))
        minutes = content.get("minutes")
        await self.socket.call(_breakout, self.socket.user, call_id, groups, minutes)

    async def broadcast(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        text = content.get("text")
        if not isinstance(text, str):
            raise FrameError("invalid", gettext("Write a message."))
        await self.socket.call(_broadcast, self.socket.user, call_id, text)

    async def recall(self, content: dict[str, Any]) -> None:
        call_id = self._current()
        await self.socket.call(_recall, self.socket.user, call_id)

    # --- Socket life ----------------------------------------------------------------------

    async def disconnect(self) -> None:
        # Tab closed: out of the call at once (a lost network is caught by the heartbeat).
        await self._leave_current()
        for room_id in list(self.watching):
            await self._unwatch_group(room_id)

    async def roles_changed(self) -> None:
        await self._recheck_rooms()

    async def relay(self, event: dict[str, Any]) -> None:
        kind, room_id = event.get("type"), event.get("room")
        if kind == "room.access_changed":
            if isinstance(room_id, str) and (room_id in self.watching or room_id == self.room):
                await self._recheck_rooms()
            return
        if kind == "call.live":
            await self.socket.send_json(event)  # through the readers group: already checked
            return
        if kind in ("call.signal", "call.breakout"):
            # Sent to this socket alone, about the call it is in.
            if self.call_id is not None and event.get("call") == self.call_id:
                await self.socket.send_json(event)
            return
        if kind == "call.left":
            if event.get("call") == self.call_id:
                self.room = self.call_id = None
                self.may_speak = False
                await self.socket.send_json(event)
            return
        if room_id not in self.watching:
            return
        if kind in ("call.breakouts", "call.broadcast", "call.recall") and self.call_id not in (
            None,
            event.get("call"),
        ):
            return  # in a call: only what is said to that call (one copy)
        if kind == "call.ended" and event.get("call") == self.call_id:
            self.room = self.call_id = None
            self.may_speak = False
            await self._leave_own_group()
        await self.socket.send_json(event)
        if kind == "call.state" and self.call_id is not None and event.get("call") == self.call_id:
            await self._follow_floor(event)

    # --- Helpers --------------------------------------------------------------------------

    def _current(self) -> str:
        if self.call_id is None:
            raise FrameError("not_in_call", gettext("You are not in a call."))
        return self.call_id

    async def _follow_floor(self, state: dict[str, Any]) -> None:
        """The floor was given or taken back: new media parameters for this person."""
        me = str(self.socket.user.pk)
        mine = next((p for p in state.get("participants", []) if p.get("id") == me), None)
        if mine is None:
            return  # not in the list (any more): call.left follows
        if bool(mine.get("may_speak")) != self.may_speak:
            self.may_speak = bool(mine.get("may_speak"))
            answer = await self.socket.call(_media, self.socket.user, self.call_id, False)
            await self.socket.send_json(answer)

    async def _leave_current(self) -> None:
        if self.call_id is None:
            return
        call_id, self.room, self.call_id = self.call_id, None, None
        self.may_speak = False
        await self._leave_own_group()
        await self.socket.call(_leave, self.socket.user, call_id, self.socket.channel_name)

    async def _leave_own_group(self) -> None:
        if self.own_group is not None:
            group, self.own_group = self.own_group, None
            await self.socket.leave(group)

    async def _watch_group(self, room_id: str) -> None:
        if room_id not in self.watching:
            await self.socket.join(call_group(room_id))
            self.watching.add(room_id)

    async def _unwatch_group(self, room_id: str) -> None:
        if room_id in self.watching:
            self.watching.discard(room_id)
            await self.socket.leave(call_group(room_id))

    async def _recheck_rooms(self) -> None:
        readable = await self.socket.call(_readable, self.socket.user, sorted(self.watching))
        for room_id in list(self.watching):
            if room_id not in readable:
                if room_id == self.room:
                    await self._leave_current()
                await self._unwatch_group(room_id)
                await self.socket.send_json(
                    {"type": "call.unwatched", "room": room_id, "reason": "access_ended"}
                )


# --- Calls into the domain (run in the database thread) -----------------------------------


def _watch(user: Any, room_id: str) -> dict[str, Any]:
    from calls import actions

    room = actions.access_call_room(user, room_id)
    call = actions.live_call(room)
    if call is not None and actions.expire_silent(call):
        call = actions.live_call(room)
    return actions.call_state(room, call).to_dict()


def _join(user: Any, room_id: str, channel: str, call_id: str | None) -> dict[str, Any]:
    from calls import actions, media

    room = actions.access_call_room(user, room_id)
    call, participation = actions.do_join_call(user, room, channel=channel, call_id=call_id)
    given = media.media_for(call, user, participation.may_speak)
    return {
        "type": "call.joined",
        "room": str(room.pk),
        "call": str(call.pk),
        "may_speak": participation.may_speak,
        "abilities": call.get_abilities(user),
        "media": given,
        # STUN, and TURN with this person's time-limited credential (calls.turn).
        "ice_servers": given.get("iceServers", []),
        "heartbeat": settings.CALLS_HEARTBEAT,
        "state": actions.call_state(room, call).to_dict(),
        "label": call.label,
        "breakout": actions.breakout_info(call),
        "group": actions.group_of(call),
    }


def _leave(user: Any, call_id: str, channel: str) -> None:
    from calls import actions
    from calls.models import Call

    call = Call.objects.select_related("room").filter(pk=call_id).first()
    if call is not None:
        actions.do_leave_call(user, call, channel=channel)


def _heartbeat(user: Any, call_id: str, channel: str) -> None:
    from calls import actions

    actions.do_heartbeat(user, actions.access_call(user, call_id), channel=channel)


def _signal(
    user: Any,
    call_id: str,
    to: str,
    sdp: dict[str, Any] | None,
    candidate: dict[str, Any] | None,
    channel: str,
) -> tuple[str, dict[str, Any]]:
    from calls import actions

    call = actions.access_call(user, call_id)
    target, event = actions.signal_target(
        user, call, to=to, sdp=sdp, candidate=candidate, channel=channel
    )
    return target, event.to_dict()


def _media(user: Any, call_id: str, publish: bool) -> dict[str, Any]:
    from django.core.exceptions import ValidationError

    from calls import actions, media
    from calls.models import CallParticipation

    call = actions.access_call(user, call_id)
    mine = CallParticipation.objects.filter(call=call, user=user, left_at__isnull=True).first()
    if mine is None:
        raise ValidationError(gettext("You are not in this call."), code="not_in_call")
    may_speak = call.get_abilities(user)["speak"]
    if publish and not may_speak:
        raise ValidationError(
            gettext("You are listening: raise your hand and wait for the floor to speak."),
            code="may_not_speak",
        )
    return {
        "type": "call.media",
        "room": str(call.room_id),
        "call": str(call.pk),
        "may_speak": may_speak,
        "media": media.media_for(call, user, may_speak),
    }


def _hand(user: Any, call_id: str, raised: bool) -> None:
    from calls import actions

    actions.do_raise_hand(user, actions.access_call(user, call_id), raised=raised)


def _lower(user: Any, call_id: str, target: str) -> None:
    from calls import actions

    call = actions.access_call(user, call_id)
    actions.do_lower_hands(user, call, user_id=None if target == "all" else target)


def _floor(user: Any, call_id: str, target: str, give: bool) -> None:
    from calls import actions

    actions.do_give_floor(user, actions.access_call(user, call_id), user_id=target, give=give)


def _mute(user: Any, call_id: str, target: str | None) -> None:
    from calls import actions

    actions.do_mute(user, actions.access_call(user, call_id), user_id=target)


def _end(user: Any, call_id: str) -> None:
    from calls import actions

    actions.do_end_call(user, actions.access_call(user, call_id))


def _readable(user: Any, room_ids: list[str]) -> set[str]:
    from forums.models import Room

    rooms = Room.objects.select_related("subgroup", "document").filter(pk__in=room_ids)
    return {str(room.pk) for room in rooms if room.get_abilities(user)["read"]}


def _breakout(user: Any, call_id: str, groups: Any, minutes: Any) -> None:
    from calls import actions

    call = actions.access_call(user, call_id)
    actions.do_start_breakouts(user, call, groups=groups, minutes=minutes)


def _broadcast(user: Any, call_id: str, text: str) -> None:
    from calls import actions

    call = actions.access_call(user, call_id)
    actions.do_broadcast(user, call.parent or call, text)


def _recall(user: Any, call_id: str) -> None:
    from calls import actions

    call = actions.access_call(user, call_id)
    actions.do_recall(user, call.parent or call)
