"""Sessions as iCalendar (RFC 5545): the personal feed and the file attached to convocations."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from assembly.models import Session


def absolute(path: str) -> str:
    return getattr(settings, "AGORA_BASE_URL", "").rstrip("/") + path


def _event(session: Session) -> Event:
    event = Event()
    event.add("uid", f"{session.pk}@agora")
    event.add("dtstamp", timezone.now())
    event.add("last-modified", session.updated_at)
    event.add("dtstart", session.starts_at)
    event.add("dtend", session.ends_at)
    title = session.title
    if session.is_cancelled:
        title = _("Cancelled: %(title)s") % {"title": title}
    event.add("summary", title)
    event.add("status", "CANCELLED" if session.is_cancelled else "CONFIRMED")
    where = session.place
    if session.online:
        where = f"{where} — {_('online')}" if where else _("Online")
    event.add("location", where)
    url = absolute(reverse("sessions:detail", args=[session.pk]))
    event.add("url", url)
    event.add("description", f"{session.agenda}\n\n{url}".strip())
    return event


def calendar_of(sessions: Iterable[Session], *, name: str) -> bytes:
    """An iCalendar file of these sessions (French texts)."""
    with translation.override(settings.LANGUAGE_CODE):
        calendar = Calendar()
        calendar.add("prodid", "-//Agora//Assemblée citoyenne//FR")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", name)
        calendar.add("x-wr-timezone", settings.TIME_ZONE)
        for session in sessions:
            calendar.add_component(_event(session))
        return calendar.to_ical()
