"""Small template helpers of the conversation pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def voice_duration(seconds: float | None) -> str:
    """« 1 min 05 s », read the same by eyes and screen readers."""
    if not seconds:
        return ""
    total = max(1, round(seconds))
    minutes, rest = divmod(total, 60)
    if minutes:
        return _("%(min)d min %(sec)02d s") % {"min": minutes, "sec": rest}
    return _("%(sec)d s") % {"sec": rest}


@register.filter
def room_name(room: Any, viewer: Any) -> str:
    """A direct room without a name is called after the other people in it."""
    from forums.queries import direct_room_name

    return direct_room_name(room, viewer)
