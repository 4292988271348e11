"""Which media path a call takes, and what a browser needs to reach it.

Mesh (peer to peer between the browsers) needs nothing from the server but the
signalling over /ws/. The media server side (Janus, in ``calls.janus``) plugs in
here: ``mode_for_new_call`` chooses it when it is configured and up, and
``media_for`` then hands each person the address, room and short-lived token that
let them listen, or speak when ``may_speak``.
"""

from __future__ import annotations

from typing import Any

from calls.models import Call, CallMode


def mode_for_new_call(room: Any) -> str:
    """The mode of a call starting now in ``room``."""
    return CallMode.MESH


def media_for(call: Call, user: Any, may_speak: bool) -> dict[str, Any]:
    """What ``user``'s browser needs to send and receive the call's media.

    Called when the person joins and again whenever their right to speak changes
    (the floor given or taken back): a media server token must then be reissued.
    """
    return {"mode": "mesh"}


def call_ended(call: Call) -> None:
    """The call ended: release what the media server holds for it (nothing in mesh)."""
