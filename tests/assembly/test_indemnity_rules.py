"""The indemnity rule (assembly.indemnities.compute_statement), fact by fact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from assembly.indemnities import Presence, Rules, compute_statement, period_of

RULES = Rules()  # 90 €, 4 plenaries, year from October, online paid


def plenary(day: date, share: str = "1", mode: str = "sur_place", days: int = 1,
            name: str = "") -> Presence:
    return Presence(session_id=name or day.isoformat(), title=f"Plénière du {day}", day=day,
                    days=days, share=Decimal(share), mode=mode)


def test_one_full_day_is_paid_the_daily_amount() -> None:
    statement = compute_statement([plenary(date(2025, 11, 15))], RULES, date(2025, 10, 1))
    assert statement.amount == Decimal("90.00")
    assert statement.days == Decimal("1.00")
    assert statement.plenaries == 1


def test_no_more_than_four_plenaries_are_paid_in_a_year() -> None:
    days = [date(2025, 10, 11), date(2025, 12, 6), date(2026, 2, 7), date(2026, 4, 4),
            date(2026, 6, 13)]
    statement = compute_statement([plenary(d) for d in days], RULES, date(2025, 10, 1))
    assert statement.plenaries == 4
    assert statement.amount == Decimal("360.00")
    unpaid = [line for line in statement.lines if line.amount == 0]
    assert [line.day for line in unpaid] == [date(2026, 6, 13)]  # the latest of equals
    assert "4" in unpaid[0].note


def test_the_cap_keeps_the_full_days_rather_than_a_half_one() -> None:
    presences = [plenary(date(2025, 10, 11), "0.5")] + [
        plenary(d) for d in (date(2025, 12, 6), date(2026, 2, 7), date(2026, 4, 4),
                             date(2026, 6, 13))
    ]
    statement = compute_statement(presences, RULES, date(2025, 10, 1))
    assert statement.amount == Decimal("360.00")
    assert statement.lines[0].amount == 0


def test_a_partial_day_is_paid_pro_rata() -> None:
    statement = compute_statement([plenary(date(2026, 3, 7), "0.5")], RULES, date(2025, 10, 1))
    assert statement.amount == Decimal("45.00")
    assert statement.days == Decimal("0.50")


def test_a_two_day_plenary_counts_two_days_and_one_plenary() -> None:
    statement = compute_statement([plenary(date(2026, 3, 6), days=2)], RULES, date(2025, 10, 1))
    assert statement.amount == Decimal("180.00")
    assert statement.plenaries == 1


@pytest.mark.parametrize(
    ("day", "start"),
    [
        (date(2025, 10, 1), date(2025, 10, 1)),  # first day of the year
        (date(2025, 9, 30), date(2024, 10, 1)),  # the day before belongs to the year before
        (date(2026, 6, 30), date(2025, 10, 1)),  # June closes the plenaries' year
        (date(2026, 8, 15), date(2025, 10, 1)),  # a summer plenary is not lost
        (date(2026, 1, 1), date(2025, 10, 1)),  # the civil year does not matter
    ],
)
def test_the_year_runs_from_october(day: date, start: date) -> None:
    assert period_of(day, RULES)[0] == start


def test_plenaries_outside_the_period_are_not_in_its_statement() -> None:
    presences = [plenary(date(2025, 9, 30)), plenary(date(2025, 10, 1)),
                 plenary(date(2026, 9, 30)), plenary(date(2026, 10, 1))]
    statement = compute_statement(presences, RULES, date(2025, 10, 1))
    assert [line.day for line in statement.lines] == [date(2025, 10, 1), date(2026, 9, 30)]
    assert statement.period_end == date(2026, 9, 30)


def test_each_year_has_its_own_cap() -> None:
    presences = [plenary(date(2025, m, 1)) for m in (10, 11, 12)] + [
        plenary(date(2026, m, 5)) for m in (1, 2, 3, 10, 11)
    ]
    first = compute_statement(presences, RULES, date(2025, 10, 1))
    second = compute_statement(presences, RULES, date(2026, 10, 1))
    assert (first.plenaries, second.plenaries) == (4, 2)


def test_online_presence_counts_unless_the_assembly_says_otherwise() -> None:
    online = [plenary(date(2026, 2, 7), mode="visio")]
    assert compute_statement(online, RULES, date(2025, 10, 1)).amount == Decimal("90.00")
    strict = Rules(counts_online=False)
    statement = compute_statement(online, strict, date(2025, 10, 1))
    assert statement.amount == 0
    assert statement.lines[0].note  # listed, with why it is not paid


def test_the_amount_cap_and_start_month_are_settings() -> None:
    rules = Rules(per_day=Decimal("100"), max_plenaries=2, year_start_month=9)
    presences = [plenary(date(2025, 9, 1)), plenary(date(2025, 11, 1)),
                 plenary(date(2026, 1, 1))]
    statement = compute_statement(presences, rules, date(2025, 9, 1))
    assert statement.amount == Decimal("200.00")


def test_a_period_must_start_on_its_first_day() -> None:
    with pytest.raises(ValueError):
        compute_statement([], RULES, date(2025, 11, 1))
