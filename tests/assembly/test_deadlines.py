"""assembly.deadlines: what is due when for each kind of session, statuses and reminder
steps, on Paris days (the specification's delays, Art. 4.2 and 4.3)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from assembly import deadlines

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


def paris(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("pleniere", {"note_cadrage": dt.date(2026, 3, 4), "synthese": dt.date(2026, 4, 4)}),
        ("sous_groupe", {"compte_rendu": dt.date(2026, 3, 24)}),
        ("preparation", {"compte_rendu": dt.date(2026, 3, 28)}),
        ("interpleniere", {"compte_rendu": dt.date(2026, 3, 24)}),
        ("rencontre", {"synthese": dt.date(2026, 4, 4)}),
        ("comite_suivi", {}),
    ],
)
def test_each_kind_of_session_has_its_documents_and_delays(
    kind: str, expected: dict[str, dt.date]
) -> None:
    assert deadlines.due_dates(kind, paris(2026, 3, 14, 9, 30)) == expected


def test_the_session_day_is_the_paris_day_not_the_utc_one() -> None:
    # 00:30 in Paris on 15 March is still 14 March in UTC.
    late_night = dt.datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    assert deadlines.session_day(late_night) == dt.date(2026, 3, 15)
    assert deadlines.due_on("sous_groupe", "compte_rendu", late_night) == dt.date(2026, 3, 25)
    # Across the change to summer time (29 March 2026), ten days are ten calendar days.
    assert deadlines.due_on("pleniere", "note_cadrage", paris(2026, 4, 4, 10)) == dt.date(
        2026, 3, 25
    )


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError):
        deadlines.session_day(dt.datetime(2026, 3, 14, 9))  # noqa: DTZ001


def test_a_document_not_delivered_is_late_only_after_its_whole_due_day_in_paris() -> None:
    due = dt.date(2026, 3, 24)
    assert deadlines.status(due, None, paris(2026, 3, 24, 23, 59)) == deadlines.UPCOMING
    # 23:30 UTC on the 24th is already the 25th in Paris.
    assert deadlines.status(
        due, None, dt.datetime(2026, 3, 24, 23, 30, tzinfo=UTC)
    ) == deadlines.LATE
    assert deadlines.status(due, None, paris(2026, 3, 25, 0, 1)) == deadlines.LATE


def test_delivered_on_the_due_day_is_on_time_the_day_after_is_late() -> None:
    due = dt.date(2026, 3, 24)
    now = paris(2026, 4, 30, 12)
    assert deadlines.status(due, paris(2026, 3, 24, 23, 59), now) == deadlines.DELIVERED
    assert deadlines.status(due, paris(2026, 3, 20, 8), now) == deadlines.DELIVERED
    assert deadlines.status(due, paris(2026, 3, 25, 0, 0), now) == deadlines.DELIVERED_LATE


@pytest.mark.parametrize(
    ("day", "sent", "step"),
    [
        (dt.date(2026, 3, 20), set(), None),  # four days before: nothing yet
        (dt.date(2026, 3, 21), set(), "j-3"),
        (dt.date(2026, 3, 24), set(), "j-3"),  # the due day itself, if J-3 was missed
        (dt.date(2026, 3, 22), {"j-3"}, None),  # never twice
        (dt.date(2026, 3, 25), {"j-3"}, "late-0"),  # the day after
        (dt.date(2026, 3, 31), {"j-3", "late-0"}, None),
        (dt.date(2026, 4, 1), {"j-3", "late-0"}, "late-1"),  # a week later
        (dt.date(2026, 4, 8), {"late-1"}, "late-2"),
        (dt.date(2026, 4, 20), set(), "late-3"),  # only the current step, not every one missed
    ],
)
def test_reminder_steps(day: dt.date, sent: set[str], step: str | None) -> None:
    now = dt.datetime.combine(day, dt.time(8), tzinfo=PARIS)
    assert deadlines.reminder_step(dt.date(2026, 3, 24), now, delivered=False, sent=sent) == step


def test_no_reminder_for_a_delivered_document() -> None:
    now = paris(2026, 3, 30, 8)
    assert deadlines.reminder_step(dt.date(2026, 3, 24), now, delivered=True, sent=set()) is None
