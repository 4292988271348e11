"""The deadlines of the sessions' documents: which document each kind of session gets,
when it is due, its status, and which reminder is owed — pure functions, no database.

The delays are the specification's (seed/000_f4864914ffc92fa5.txt, Article 4):

- note de cadrage of a plenary: « au plus tard dix jours avant chaque séance plénière »
  (Art. 4.2, phases 2 and 3);
- minutes of a subgroup session: « au plus tard dix [jours] après chaque réunion […] en
  sous-groupe » (Art. 4.3, « Animations ponctuelles interplénier » and « Appui à la
  facilitation »);
- minutes of a preparation meeting: « au plus tard deux semaines après chaque réunion »
  (Art. 4.2, phase 1, « Comptes rendus des réunions de préparation ») — the longer of the
  two delays the text gives (Art. 4.3 says ten days for ordered extra work);
- synthesis of a plenary: « pour les synthèses des réunions en plénières au plus tard
  21 jours » (Art. 4.3).

Kinds the text leaves open, decided here (docs/deadlines.md):

- interplénière: work between plenaries in subgroups (Art. 2, Art. 4.3 « Animations
  ponctuelles interplénier »): minutes within ten days, as a subgroup session;
- rencontre avec le public: Art. 4.3 asks to « rédiger une synthèse des échanges » of the
  meetings with the public without a delay of its own: the plenaries' 21 days;
- comité de suivi: its meetings are the members' own work, no deliverable of the provider
  in the text: no document is due.

A document is due on a day (Europe/Paris): delivered any time that day, it is on time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

NOTE_CADRAGE = "note_cadrage"
COMPTE_RENDU = "compte_rendu"
SYNTHESE = "synthese"


@dataclass(frozen=True)
class Rule:
    document: str  # NOTE_CADRAGE, COMPTE_RENDU or SYNTHESE
    days: int  # after the session's day (before it when negative)
    article: str  # where the specification says so


RULES: dict[str, tuple[Rule, ...]] = {
    "pleniere": (Rule(NOTE_CADRAGE, -10, "4.2"), Rule(SYNTHESE, 21, "4.3")),
    "sous_groupe": (Rule(COMPTE_RENDU, 10, "4.3"),),
    "preparation": (Rule(COMPTE_RENDU, 14, "4.2"),),
    "interpleniere": (Rule(COMPTE_RENDU, 10, "4.3"),),
    "rencontre": (Rule(SYNTHESE, 21, "4.3"),),
    "comite_suivi": (),
}

# Statuses (the dashboard's filter values).
UPCOMING = "a_venir"
LATE = "en_retard"
DELIVERED = "remis"
DELIVERED_LATE = "remis_en_retard"
STATUSES = (UPCOMING, LATE, DELIVERED, DELIVERED_LATE)

# Reminders: three days before the due day, then the day after it and every week after.
BEFORE = "j-3"
BEFORE_DAYS = 3
LATE_EVERY_DAYS = 7


def rules_for(session_kind: str) -> tuple[Rule, ...]:
    return RULES.get(session_kind, ())


def session_day(starts_at: dt.datetime) -> dt.date:
    """The day a session takes place, in Paris (a session at 00:30 Paris is on that day,
    though it is still the day before in UTC)."""
    if starts_at.tzinfo is None:
        raise ValueError("an aware datetime is needed")
    return starts_at.astimezone(PARIS).date()


def due_on(session_kind: str, document: str, starts_at: dt.datetime) -> dt.date:
    for rule in rules_for(session_kind):
        if rule.document == document:
            return session_day(starts_at) + dt.timedelta(days=rule.days)
    raise KeyError(f"no {document} for a {session_kind} session")


def due_dates(session_kind: str, starts_at: dt.datetime) -> dict[str, dt.date]:
    day = session_day(starts_at)
    return {r.document: day + dt.timedelta(days=r.days) for r in rules_for(session_kind)}


def today_in_paris(now: dt.datetime) -> dt.date:
    return now.astimezone(PARIS).date()


def status(due: dt.date, delivered_at: dt.datetime | None, now: dt.datetime) -> str:
    """À venir until the end of the due day (Paris), en retard after; remis or remis en
    retard by the day it was delivered."""
    if delivered_at is not None:
        return DELIVERED if today_in_paris(delivered_at) <= due else DELIVERED_LATE
    return UPCOMING if today_in_paris(now) <= due else LATE


def reminder_step(
    due: dt.date, now: dt.datetime, *, delivered: bool, sent: set[str] | frozenset[str]
) -> str | None:
    """The reminder owed now, or None: "j-3" from three days before the due day up to it,
    then "late-0" from the day after, "late-1" a week later, and so on. Only the current
    step is ever owed (a job that did not run for a while sends one reminder, not every
    one it missed), and never one already in `sent`."""
    if delivered:
        return None
    today = today_in_paris(now)
    if today < due - dt.timedelta(days=BEFORE_DAYS):
        return None
    if today <= due:
        step = BEFORE
    else:
        step = f"late-{((today - due).days - 1) // LATE_EVERY_DAYS}"
    return None if step in sent else step
