"""Request plumbing: French first, the real client address, no caching of private pages."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control


class FrenchFirstLocaleMiddleware(LocaleMiddleware):
    """Like Django's, but ignores the browser's Accept-Language header.

    A citizen on a borrowed or English-configured phone still gets the
    département's French interface; English is one explicit choice away
    (the language selector in the footer sets the language cookie).
    """

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


def forwarded_client(forwarded_for: str, trusted_proxies: int) -> str | None:
    """The client address in ``X-Forwarded-For`` behind ``trusted_proxies`` proxies of ours.

    Each proxy appends the address it received the request from, so only the last
    ``trusted_proxies`` entries were written by machines we trust; everything to
    their left came from the client and may be forged. The entry the outermost
    trusted proxy wrote is the client. Daphne's ``--proxy-headers`` takes the
    left-most entry instead, the one the client controls.
    """
    entries = [entry.strip() for entry in forwarded_for.split(",") if entry.strip()]
    if trusted_proxies <= 0 or not entries:
        return None
    # Fewer entries than proxies: the request skipped some of them; the left-most
    # entry is still one a proxy of ours wrote.
    candidate = entries[-trusted_proxies] if len(entries) >= trusted_proxies else entries[0]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None


class TrustedProxyMiddleware:
    """Set ``REMOTE_ADDR`` to the client's address as our own proxies saw it.

    Everything that needs the client's address (allauth's per-address login limits
    first of all) reads ``REMOTE_ADDR``, so this is the one place that reads
    ``X-Forwarded-For``, trusting exactly ``AGORA_TRUSTED_PROXY_COUNT`` proxies
    (docs/deploy.md « Reverse proxy »). With 0, the header is ignored.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        client = forwarded_client(
            request.META.get("HTTP_X_FORWARDED_FOR", ""), settings.AGORA_TRUSTED_PROXY_COUNT
        )
        if client is not None:
            request.META["REMOTE_ADDR"] = client
        return self.get_response(request)


class PrivatePagesNoStoreMiddleware:
    """Whatever a logged-in person is sent is theirs: no cache may keep a copy.

    Pages behind login show names, messages and drafts; with no ``Cache-Control``
    a shared computer's browser (a library, the plenary's kiosk) or a proxy could
    serve them again after logout. Static files never reach this (whitenoise answers
    first) and anonymous visitors' public pages keep their caching.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
