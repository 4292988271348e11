"""Reading comfort on every page: the person's settings as classes on ``<html>``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.models import ReadingPreferences

# Session key: the home page starts the guided visit at once (after « Replay the visit »).
TOUR_AUTOSTART = "agora_tour_autostart"
_CACHE_ATTR = "_agora_reading_preferences"


def reading_preferences_of(user: Any) -> ReadingPreferences | None:
    """The person's settings, or None while they kept the defaults (one query a request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, _CACHE_ATTR):
        setattr(user, _CACHE_ATTR, ReadingPreferences.objects.filter(user=user).first())
    return getattr(user, _CACHE_ATTR)


def reading_comfort(request: HttpRequest) -> dict[str, Any]:
    """Template context: ``comfort`` for ``<html>`` (templates/base.html). Rendered by the
    server so that the page never shows at the default size first."""
    preferences = reading_preferences_of(getattr(request, "user", None))
    if preferences is None or preferences.is_default:
        return {}
    return {
        "comfort": {
            "classes": preferences.html_classes(),
            "text_size": preferences.text_size,
        }
    }
