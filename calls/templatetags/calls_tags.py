"""The call panel of a room's page, and the « call in progress » badge of the room lists."""

from __future__ import annotations

from typing import Any

from django import template
from django.templatetags.static import static
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from calls.media import media_server_configured

register = template.Library()

SPEAKER_ALARM_SECONDS = 180  # the facilitator's soft alarm, per speaker


def call_text() -> dict[str, str]:
    """The words call.js shows, translated here (JS has no gettext)."""
    return {
        "start": _("Join the live audio"),
        "no_call": _("No live call in this room right now."),
        "in_call_one": _("%(count)s person in the live call: %(names)s"),
        "in_call_many": _("%(count)s people in the live call: %(names)s"),
        "mic_refused": _(
            "Your browser does not let the site use the microphone. Click the padlock or "
            "the camera icon next to the address, allow the microphone, then reload the page."
        ),
        "mic_missing": _(
            "No microphone was found. Plug in a microphone or a headset, or join to listen only."
        ),
        "mic_failed": _(
            "The microphone could not be opened. Close other applications that "
            "use it, then try again."
        ),
        "microphone_n": _("Microphone %(n)s"),
        "camera_n": _("Camera %(n)s"),
        "no_camera": _("No camera"),
        "camera_failed": _("The camera could not be opened."),
        "video_of_someone": _("A participant's camera or screen"),
        "peer_to_peer_now": _(
            "The audio server stopped answering: the call goes on directly between you."
        ),
        "camera_on": _("Turn my camera on"),
        "camera_off": _("Turn my camera off"),
        "screen_on": _("Share my screen"),
        "screen_off": _("Stop sharing my screen"),
        "screen_failed": _("The screen could not be shared."),
        "mute": _("Mute my microphone"),
        "unmute": _("Unmute my microphone"),
        "raise_hand": _("Raise my hand"),
        "lower_hand": _("Lower my hand"),
        "joined": _("You are in the call."),
        "you_left": _("You left the call."),
        "ended": _("The call has ended."),
        "left_elsewhere": _("You joined the call from another window."),
        "left_timeout": _("The connection was lost for too long: join the call again."),
        "reconnecting": _("Connection lost, reconnecting…"),
        "offline": _("No connection: try again in a moment."),
        "you": _("%(name)s (you)"),
        "listener": _("listens"),
        "hand_raised": _("hand raised, no. %(rank)s"),
        "speaking": _("%(name)s is speaking"),
        "speaking_badge": _("speaking"),
        "floor_given": _("You have the floor: your microphone is on."),
        "floor_taken": _("The floor was taken back: you listen again."),
        "muted_by": _("%(name)s muted your microphone. You can turn it back on."),
        "mute_person": _("Mute %(name)s"),
        "give_floor": _("Give the floor to %(name)s"),
        "take_floor": _("Take the floor back from %(name)s"),
        "lower_hand_of": _("Lower the hand of %(name)s"),
        "timer": _("%(name)s has been speaking for %(time)s"),
        "time_over": _("Speaking time is up for %(name)s"),
        "confirm_end": _("End the call for everyone?"),
        "autoplay_blocked": _("Your browser blocks the sound: click anywhere on the page."),
        "media_server_unsupported": _(
            "This call needs the media server, which this page cannot reach."
        ),
        "media_server_failed": _("The media server does not answer. Try again in a moment."),
        "breakout_sent": _("You are going to %(place)s for %(minutes)s minutes."),
        "breakout_group": _("your group (%(label)s)"),
        "breakout_subgroup": _("your subgroup's room"),
        "breakouts_started": _("Breakouts started for %(minutes)s minutes."),
        "breakouts_summary": _("%(groups)s groups, %(stayed)s people stay in the plenary."),
        "countdown": _("Back to the plenary in %(time)s"),
        "countdown_plenary": _("Breakouts end in %(time)s"),
        "one_minute": _("One minute left before going back to the plenary."),
        "time_up": _("Time is up: back to the plenary."),
        "recalled": _("Everyone is called back to the plenary."),
        "back_in_plenary": _("You are back in the plenary."),
        "broadcast_from": _("Message from %(name)s: %(text)s"),
        "nobody_for_groups": _("Nobody else is in the call to send into groups."),
    }


@register.inclusion_tag("calls/_panel.html", takes_context=True)
def call_panel(context: Any, room: Any) -> dict[str, Any]:
    from calls.actions import call_state, live_call

    user = context["user"]
    abilities = room.get_abilities(user)
    state = call_state(room, live_call(room))
    return {
        "room": room,
        "user": user,
        "abilities": abilities,
        "people": state.participants,
        "text": call_text(),
        "alarm": SPEAKER_ALARM_SECONDS,
        # The media server's client, a bundle of its own (frontend/src/calls), loaded only
        # when a call goes through Janus.
        "janus_module": static("calls/janus.js") if media_server_configured() else "",
    }


@register.inclusion_tag("calls/_badge.html", takes_context=True)
def call_badge(context: Any, room: Any) -> dict[str, Any]:
    """« Call in progress » next to a room that has one (all live calls: one query a page).

    Empty (but there) for a room without a call: static/js/rooms.js shows, counts and hides
    it live from ``call.live`` events, with the words in ``data-one`` and ``data-many``.
    """
    from calls.actions import live_call_counts

    counts = context.render_context.get("calls_live")
    if counts is None:
        counts = context.render_context["calls_live"] = live_call_counts()
    return {
        "room": room,
        "count": counts.get(str(room.pk), 0),
        "one": ngettext("live call, %(counter)s person", "live call, %(counter)s people", 1),
        "many": ngettext("live call, %(counter)s person", "live call, %(counter)s people", 2),
    }


@register.inclusion_tag("calls/_live_list.html", takes_context=True)
def live_calls_list(context: Any) -> dict[str, Any]:
    """The home page's « calls in progress »: the rooms one reads that have one now."""
    from calls.actions import live_call_counts
    from forums.access import readable_rooms

    user = context["user"]
    counts = live_call_counts()
    rooms = [room for room in readable_rooms(user) if str(room.pk) in counts] if counts else []
    return {"user": user, "rows": [(room, counts[str(room.pk)]) for room in rooms]}
