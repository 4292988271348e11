"""One way to write dates, on the server and in the live client (static/js/dates.js).

« 6 déc. 2026, 19 h 08 » for a moment (``|when``), « 1er octobre 2026 » for a day
(``|day``), in the site's time zone. static/js/dates.js writes the same from Intl's
parts; tests/config/test_dates.py checks both give the same text for the same instants.
The month names are CLDR's (what Intl prints), not Django's own (« fév. », « avril »),
so the two sides cannot drift. Registered as template builtins (config/settings.py):
no ``{% load %}`` needed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone, translation

register = template.Library()

SHORT_MONTHS = {
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sept", "Oct", "Nov", "Dec"),
}
LONG_MONTHS = {
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}


def _language(language: str | None) -> str:
    code = (language or translation.get_language() or "fr").split("-")[0].lower()
    return code if code in SHORT_MONTHS else "fr"


def _local(value: Any) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, dt.date):
        return value
    return None


def _day_number(day: int, language: str) -> str:
    return "1er" if language == "fr" and day == 1 else str(day)


def format_when(value: Any, language: str | None = None) -> str:
    """« 6 déc. 2026, 19 h 08 » (French), « 6 Dec 2026, 19:08 » (English); "" for no date."""
    moment = _local(value)
    if moment is None:
        return ""
    code = _language(language)
    day = f"{_day_number(moment.day, code)} {SHORT_MONTHS[code][moment.month - 1]} {moment.year}"
    if not isinstance(moment, dt.datetime):
        return day
    return f"{day}, {format_clock(moment, code)}"


def format_clock(value: Any, language: str | None = None) -> str:
    """« 19 h 08 » (French), « 19:08 » (English): the time of ``|when`` alone; "" for none."""
    moment = _local(value)
    if not isinstance(moment, dt.datetime):
        return ""
    if _language(language) == "fr":
        return f"{moment.hour} h {moment.minute:02d}"
    return f"{moment.hour:02d}:{moment.minute:02d}"


def format_day(value: Any, language: str | None = None, *, year: bool = True) -> str:
    """« 1er octobre 2026 » (French), « 1 October 2026 » (English); "" for no date."""
    moment = _local(value)
    if moment is None:
        return ""
    code = _language(language)
    text = f"{_day_number(moment.day, code)} {LONG_MONTHS[code][moment.month - 1]}"
    return f"{text} {moment.year}" if year else text


@register.filter(name="when")
def when_filter(value: Any) -> str:
    return format_when(value)


@register.filter(name="clock")
def clock_filter(value: Any) -> str:
    """``|clock`` « 19 h 08 », under a heading that gives the day."""
    return format_clock(value)


@register.filter(name="day")
def day_filter(value: Any, arg: str = "") -> str:
    """``|day`` « 1er octobre 2026 »; ``|day:"short"`` « 1er octobre »."""
    return format_day(value, year=arg != "short")
