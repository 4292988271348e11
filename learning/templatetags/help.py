"""``{% help_link "slug" %}``: a page's « ? » link to the guide of what it is for."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from learning.guides import get_guide

register = template.Library()


@register.simple_tag
def help_link(slug: str) -> SafeString:
    """A small « ? Aide » link; its accessible name says which guide it opens."""
    guide = get_guide(slug)
    if guide is None:
        raise template.TemplateSyntaxError(f"help_link: no guide « {slug} »")
    label = gettext("Help: %(title)s") % {"title": guide.title}
    return format_html(
        '<a class="help-link" href="{}" aria-label="{}" title="{}">'
        '<span class="help-link__mark" aria-hidden="true">?</span> {}</a>',
        reverse("help_guide", args=[slug]), label, label, gettext("Help"),
    )
