"""ICE servers for browsers and Janus: STUN/TURN URLs and coturn's time-limited credentials.

coturn's ``use-auth-secret`` (the "TURN REST API" scheme): the username is
``<expiry unix time>:<user id>`` and the password is base64(HMAC-SHA1(secret, username)), so
coturn checks a credential without asking Django, and a copied credential dies at its expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlsplit

from django.conf import settings


def turn_credentials(
    user_id: str, *, secret: str | None = None, ttl: int | None = None, now: float | None = None
) -> tuple[str, str]:
    """(username, password) for coturn, valid ``ttl`` seconds from now."""
    secret = settings.CALLS_TURN_SECRET if secret is None else secret
    ttl = settings.CALLS_TURN_TTL if ttl is None else ttl
    expiry = int((time.time() if now is None else now) + ttl)
    if ":" in str(user_id):
        raise ValueError("a TURN user id cannot contain ':'")
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_servers(user_id: str) -> list[dict[str, object]]:
    """RTCPeerConnection's ``iceServers`` for this person (empty: host candidates only)."""
    servers: list[dict[str, object]] = []
    if settings.CALLS_STUN_URLS:
        servers.append({"urls": list(settings.CALLS_STUN_URLS)})
    if settings.CALLS_TURN_URLS:
        username, credential = turn_credentials(user_id)
        servers.append(
            {"urls": list(settings.CALLS_TURN_URLS), "username": username, "credential": credential}
        )
    return servers


def janus_nat_settings() -> dict[str, object]:
    """The ``nat`` items of janus.jcfg: Janus's own STUN server, and TURN with a long credential.

    Janus gathers candidates once per PeerConnection; its TURN credential is renewed each time
    the configuration is written (``manage.py janus_config``), valid for a year.
    """
    out: dict[str, object] = {}
    if settings.CALLS_STUN_URLS:
        host, port = _host_port(settings.CALLS_STUN_URLS[0], 3478)
        out.update({"stun_server": host, "stun_port": port})
    if settings.CALLS_TURN_URLS:
        url = settings.CALLS_TURN_URLS[0]
        host, port = _host_port(url, 3478)
        username, password = turn_credentials("janus", ttl=365 * 24 * 60 * 60)
        transport = "tcp" if "transport=tcp" in url else "udp"
        if url.startswith("turns:"):
            transport = "tls"
        out.update(
            {
                "turn_server": host,
                "turn_port": port,
                "turn_type": transport,
                "turn_user": username,
                "turn_pwd": password,
            }
        )
    return out


def _host_port(url: str, default: int) -> tuple[str, int]:
    """'stun:host:port' / 'turn:host:port?transport=udp' -> (host, port)."""
    rest = url.split(":", 1)[1] if ":" in url else url
    parsed = urlsplit("//" + rest.split("?", 1)[0])
    return parsed.hostname or "", parsed.port or default
