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


@register.simple_tag
def reactions_of(message: Any) -> list[dict[str, Any]]:
    """The message's reactions in the offered order: emoji, count, the people (shown names
    and ids, so the page marks the reader's own choice) and the name a screen reader says."""
    from deliberation.people import person_name
    from forums.actions import REACTION_NAMES

    people: dict[str, list[Any]] = {}
    for reaction in message.reactions.all():  # prefetched with their people
        people.setdefault(reaction.emoji, []).append(reaction.user)
    shown = []
    for emoji, name in REACTION_NAMES.items():
        if emoji not in people:
            continue
        who = people[emoji]
        shown.append({
            "emoji": emoji, "count": len(who), "label": str(name),
            "names": ", ".join(person_name(p) for p in who),
            "ids": " ".join(str(p.pk) for p in who),
        })
    return shown


@register.simple_tag
def reaction_choices() -> list[tuple[str, str]]:
    from forums.actions import REACTION_NAMES

    return [(emoji, str(name)) for emoji, name in REACTION_NAMES.items()]


@register.filter
def file_size(size: int | None) -> str:
    """« 2,4 Mo », « 820 ko »: how big a file is, in the units French readers know."""
    from django.utils.formats import number_format

    size = size or 0
    if size >= 1024 * 1024:
        return _("%(n)s MB") % {"n": number_format(round(size / (1024 * 1024), 1))}
    if size >= 1024:
        return _("%(n)s kB") % {"n": round(size / 1024)}
    return _("%(n)s bytes") % {"n": size}


@register.filter
def is_image(attachment: Any) -> bool:
    from forums.attachments import IMAGE_TYPES

    return attachment.content_type in IMAGE_TYPES
