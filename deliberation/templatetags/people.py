"""``{% load people %}`` then ``{{ person|person_name }}``: a name as the others see it."""

from __future__ import annotations

from typing import Any

from django import template

from deliberation import people

register = template.Library()


@register.filter
def person_name(person: Any) -> str:
    return people.person_name(person)
