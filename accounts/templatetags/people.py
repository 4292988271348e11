"""``{% person someone %}``: a person's public name, with the badge of their staff role."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.names import badge_label, badge_role, badge_title

register = template.Library()


@register.simple_tag
def person(user: Any, default: str = "") -> SafeString:
    """« Amandine R. [animation] »: every name shown to others goes through here."""
    if user is None:
        return format_html("{}", default)
    role = badge_role(user)
    if not role:
        return format_html("{}", user.public_name)
    return format_html(
        '{} <span class="badge badge--role" title="{}">{}</span>',
        user.public_name, badge_title(role), badge_label(role),
    )


@register.simple_tag
def person_badge(user: Any) -> SafeString:
    """The badge alone, for places that print the name themselves."""
    role = badge_role(user)
    if not role:
        return mark_safe("")  # noqa: S308 - empty
    return format_html(
        '<span class="badge badge--role" title="{}">{}</span>', badge_title(role),
        badge_label(role),
    )
