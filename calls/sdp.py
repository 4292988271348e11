"""Reading just enough of an SDP to know whether it sends media (listeners may not)."""

from __future__ import annotations

SENDING = {"sendrecv", "sendonly"}
DIRECTIONS = SENDING | {"recvonly", "inactive"}
MEDIA_KINDS = {"audio", "video"}


def sends_media(sdp: str) -> bool:
    """True when an audio or video section of ``sdp`` would send (RFC 8866 §6.7).

    A section without a direction attribute takes the session's, and the session's
    default is ``sendrecv``; a section with port 0 is rejected and sends nothing.
    """
    session_direction = "sendrecv"
    sections: list[tuple[str, bool, str | None]] = []  # kind, port zero, direction
    for raw in sdp.splitlines():
        line = raw.strip()
        if line.startswith("m="):
            parts = line[2:].split()
            kind = parts[0] if parts else ""
            port_zero = len(parts) > 1 and parts[1] == "0"
            sections.append((kind, port_zero, None))
        elif line.startswith("a=") and line[2:] in DIRECTIONS:
            if sections:
                kind, port_zero, _ = sections[-1]
                sections[-1] = (kind, port_zero, line[2:])
            else:
                session_direction = line[2:]
    return any(
        kind in MEDIA_KINDS and not port_zero and (direction or session_direction) in SENDING
        for kind, port_zero, direction in sections
    )
