"""The bell in the header: the person's unread count, and whether the page may go live."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


def _may_go_live(user: Any) -> bool:
    """Whether /ws/ would accept this person now: the same checks as the socket's guards, so
    a page behind a gate (welcome, second factor) never opens a socket that is refused and
    reloads the page."""
    from accounts.middleware import missing_two_factor
    from realtime import guards

    if missing_two_factor(user):
        return False
    return guards.closed_gate(user) is None


@register.inclusion_tag("notifications/_bell_link.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    from notifications.actions import unread_count

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    resolved = getattr(request, "resolver_match", None)
    return {
        "show": True,
        "unread": unread_count(user),
        "live": _may_go_live(user),
        "current": bool(resolved and resolved.namespace == "notifications"),
    }
