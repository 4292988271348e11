"""Which pages may open a socket: the site itself, compared by scheme, host and port.

Channels' `AllowedHostsOriginValidator` compares the Origin's host name with
ALLOWED_HOSTS and ignores its port, so a page served by another program on the
same machine (http://agora.example.org:8080) could open an authenticated socket
with the visitor's cookie. This is the rule Django's CSRF check applies to HTTP
POSTs instead: the Origin must be `scheme://Host` of the request itself (the Host
header validated against ALLOWED_HOSTS, the scheme https when the connection is
secure, directly or per SECURE_PROXY_SSL_HEADER), or one of CSRF_TRUSTED_ORIGINS.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier
from django.conf import settings
from django.http.request import split_domain_port, validate_host
from django.utils.http import is_same_domain

DEFAULT_PORTS = {"http": 80, "https": 443}
Origin = tuple[str, str, int]  # scheme, host name (lower case), port


def parse_origin(value: str) -> Origin | None:
    """(scheme, host, port) of an `Origin` value or of a CSRF_TRUSTED_ORIGINS entry."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port if port is not None else DEFAULT_PORTS[scheme]


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1")
        for name, value in scope.get("headers", [])
    }


def _secure(scope: dict[str, Any], headers: dict[str, str]) -> bool:
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy:
        name, expected = proxy
        header = name.removeprefix("HTTP_").replace("_", "-").lower()
        return headers.get(header, "").split(",")[0].strip() == expected
    return False


def _own_origin(scope: dict[str, Any], headers: dict[str, str]) -> Origin | None:
    """The origin of the site this socket was opened on, from its Host header."""
    host = headers.get("host", "")
    domain, port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return None
    scheme = "https" if _secure(scope, headers) else "http"
    try:
        number = int(port) if port else DEFAULT_PORTS[scheme]
    except ValueError:
        return None
    return scheme, domain.strip("[]"), number


def _trusted(origin: Origin) -> bool:
    """One of CSRF_TRUSTED_ORIGINS, port included (`https://*.example.org`: subdomains)."""
    for entry in settings.CSRF_TRUSTED_ORIGINS:
        wildcard = "://*." in entry
        trusted = parse_origin(entry.replace("://*.", "://", 1))
        if trusted is None or (origin[0], origin[2]) != (trusted[0], trusted[2]):
            continue
        if origin[1] == trusted[1] or (wildcard and is_same_domain(origin[1], "." + trusted[1])):
            return True
    return False


def origin_allowed(scope: dict[str, Any]) -> bool:
    headers = _headers(scope)
    origin = parse_origin(headers.get("origin", ""))
    if origin is None:
        return False
    own = _own_origin(scope, headers)
    return origin == own or _trusted(origin)


class SameOriginValidator:
    """ASGI middleware: a websocket whose Origin is not the site itself is refused
    (403 at the handshake) before any consumer runs."""

    def __init__(self, application: Any) -> None:
        self.application = application

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        if scope["type"] == "websocket" and not origin_allowed(scope):
            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
