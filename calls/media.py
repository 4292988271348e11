"""Which media path a call takes, and what a browser needs to reach it.

Mesh (peer to peer between the browsers, up to ``CALLS_MESH_MAX``) needs nothing from the
server but the signalling over /ws/. When a media server is configured
(``CALLS_JANUS_URL`` or ``CALLS_JANUS_SERVERS``), every new call goes through Janus
(``calls.janus``): ``media_for`` hands each person the address, rooms and a short-lived
token that let them listen, or speak when ``may_speak``; the floor given or taken back
changes the token's rights on Janus itself. A Janus that does not answer when a call starts
makes it a mesh call (the size cap and its French message then apply); one that stops
answering during a call is told to the person in French (``media_unavailable``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext

from calls import janus
from calls.models import Call, CallMode
from calls.turn import ice_servers

logger = logging.getLogger(__name__)


def media_server_configured() -> bool:
    return bool(settings.CALLS_JANUS_URL or settings.CALLS_JANUS_SERVERS)


def mode_for_new_call(room: Any) -> str:
    """The mode of a call starting now in ``room``: Janus when configured and answering."""
    if not media_server_configured():
        return CallMode.MESH
    try:
        janus.client().ping()
    except janus.JanusUnavailable:
        logger.warning("Janus does not answer: a call starts peer to peer")
        return CallMode.MESH
    return CallMode.JANUS


def _unavailable() -> ValidationError:
    return ValidationError(
        gettext(
            "The audio server does not answer. Try again in a moment; a call of at most "
            "%(max)s people can go on without it."
        )
        % {"max": settings.CALLS_MESH_MAX},
        code="media_unavailable",
    )


def media_for(call: Call, user: Any, may_speak: bool) -> dict[str, Any]:
    """What ``user``'s browser needs to send and receive the call's media.

    Called when the person joins and again whenever their right to speak changes
    (the floor given or taken back): a media server token is then reissued.
    """
    if call.mode != CallMode.JANUS:
        return {"mode": "mesh", "iceServers": ice_servers(str(user.pk))}
    try:
        return janus.media_for(str(call.pk), str(call.room), str(user.pk), may_speak)
    except janus.JanusUnavailable as exc:
        logger.warning("Janus: no media for call %s: %s", call.pk, exc)
        if not fall_back_to_mesh(call):
            raise _unavailable() from exc
    return {"mode": "mesh", "iceServers": ice_servers(str(user.pk))}


def fall_back_to_mesh(call: Call) -> bool:
    """Janus stopped answering during the call: small enough, the call goes on peer to peer
    (everyone's page hears the new mode in ``call.state`` and links up); too large, it
    stays on Janus and the person is told to try again."""
    from calls.actions import publish_state
    from calls.models import CallParticipation

    with transaction.atomic():
        live = CallParticipation.objects.filter(call=call, left_at__isnull=True).count()
        if live > settings.CALLS_MESH_MAX:
            return False
        switched = Call.objects.filter(pk=call.pk, mode=CallMode.JANUS).update(
            mode=CallMode.MESH
        )
        call.mode = CallMode.MESH
        if switched:
            logger.warning("Janus: call %s goes on peer to peer (%s people)", call.pk, live)
            publish_state(call)
    return True


def floor_changed(call: Call, user_id: Any, may_speak: bool) -> None:
    """Give or withdraw the floor on the media server itself (after commit)."""
    if call.mode != CallMode.JANUS:
        return
    try:
        janus.set_speaking(str(call.pk), str(user_id), may_speak)
    except (janus.JanusUnavailable, janus.JanusError):
        logger.warning("Janus: the floor of call %s could not be changed", call.pk)


def person_left(call: Call, user_id: Any) -> None:
    """Their tokens stop working and they leave the media rooms (after commit)."""
    if call.mode != CallMode.JANUS:
        return
    try:
        janus.revoke(str(call.pk), str(user_id))
    except (janus.JanusUnavailable, janus.JanusError):
        logger.warning("Janus: could not revoke a participant of call %s", call.pk)


def call_ended(call: Call) -> None:
    """The call ended: release what the media server holds for it (nothing in mesh)."""
    if call.mode != CallMode.JANUS:
        return
    try:
        janus.end(str(call.pk))
    except (janus.JanusUnavailable, janus.JanusError):
        logger.warning("Janus: the rooms of call %s could not be destroyed", call.pk)
