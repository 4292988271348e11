"""``{% load people %}``: names as the others see them, with the staff's role badge.

``{{ person|person_name }}`` is the name alone (with the canton when the person agreed to
show it, ``deliberation.people``); ``{% person someone %}`` adds the badge of a staff role
(``accounts.names``), so a badge-less « Amandine R. » stands out as not the facilitator.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.names import badge_label, badge_role, badge_title
from deliberation import people

register = template.Library()


@register.filter
def person_name(person: Any) -> str:
    return people.person_name(person)


@register.simple_tag
def person_badge(user: Any) -> SafeString:
    """The badge alone, for places that print the name themselves."""
    role = badge_role(user) if user is not None else None
    if not role:
        return mark_safe("")  # noqa: S308 - empty
    return format_html(
        '<span class="badge badge--role" title="{}">{}</span>', badge_title(role),
        badge_label(role),
    )


@register.simple_tag
def person(user: Any, default: str = "") -> SafeString:
    """« Amandine R. [animation] »: every name shown to others goes through here."""
    if user is None:
        return format_html("{}", default)
    badge = person_badge(user)
    if not badge:
        return format_html("{}", people.person_name(user))
    return format_html("{} {}", people.person_name(user), badge)
