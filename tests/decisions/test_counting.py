"""The counting rules against results computed by hand (decisions/counting.py)."""

from __future__ import annotations

from typing import Any

import pytest

from decisions.counting import Option, count, majority_grade, majority_value

A, B, C = Option("a", "A"), Option("b", "B"), Option("c", "C")
MAJ = [
    Option("p", "Pour", "pour"),
    Option("c", "Contre", "contre"),
    Option("x", "Abstention", "abstention"),
]
CONSENT = [
    Option("s", "Soutien", "soutien"),
    Option("r", "Réserve", "reserve"),
    Option("o", "Objection", "objection"),
]
G = {
    "TB": "tres_bien",
    "B": "bien",
    "AB": "assez_bien",
    "P": "passable",
    "I": "insuffisant",
    "R": "a_rejeter",
}


def judged(**columns: str) -> list[dict[str, Any]]:
    """Ballots from columns of grades: judged(a="TB B", b="R P") → two ballots."""
    rows = {key: value.split() for key, value in columns.items()}
    n = len(next(iter(rows.values())))
    return [{"grades": {key: G[grades[i]] for key, grades in rows.items()}} for i in range(n)]


def by_id(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in result["options"]}


def test_majority_grade_is_the_lower_median() -> None:
    assert majority_grade([5, 4, 4, 3, 2]) == 4
    # Four grades: Passable, Passable, Très bien, Très bien → the lower middle, Passable.
    assert majority_grade([2, 2, 5, 5]) == 2
    assert majority_grade([]) is None


def test_majority_value_drops_the_median_grade_again_and_again() -> None:
    # By hand: [2,2,3,4,4] → 3; [2,2,4,4] → 2; [2,4,4] → 4; [2,4] → 2; [4] → 4.
    assert majority_value([2, 2, 3, 4, 4]) == (3, 2, 4, 2, 4)
    assert majority_value([0, 3, 3, 3, 5]) == (3, 3, 3, 0, 5)


def test_majority_judgment_best_median_wins() -> None:
    result = count("jugement", [A, B], judged(a="TB B B AB P", b="TB TB AB I R"), eligible=5)
    rows = by_id(result)
    assert rows["a"]["majority_grade"] == "bien"
    assert rows["b"]["majority_grade"] == "assez_bien"
    assert result["winners"] == ["a"] and rows["a"]["rank"] == 1 and rows["b"]["rank"] == 2
    assert result["adopted"] is True
    assert [p["count"] for p in rows["b"]["profile"]] == [2, 0, 1, 0, 1, 1]
    assert rows["a"]["above"] == 20.0 and rows["a"]["below"] == 40.0


def test_majority_judgment_tie_on_the_median_is_broken_by_the_majority_values() -> None:
    # Both « Assez bien »; dropping one, A's next median is Passable, B's Assez bien: B wins.
    result = count("jugement", [A, B], judged(a="B B AB P P", b="TB AB AB AB R"), eligible=5)
    rows = by_id(result)
    assert rows["a"]["majority_grade"] == rows["b"]["majority_grade"] == "assez_bien"
    assert result["winners"] == ["b"]
    assert (rows["b"]["rank"], rows["a"]["rank"]) == (1, 2)


def test_majority_judgment_second_tie_case_by_hand() -> None:
    # A: TB B B P I → Bien, then [I,P,B,TB] → Passable. C: B B B AB AB → Bien, then Assez bien.
    result = count("jugement", [A, C], judged(a="TB B B P I", c="B B B AB AB"), eligible=5)
    assert result["winners"] == ["c"]


def test_majority_judgment_even_number_of_voters_takes_the_lower_median() -> None:
    result = count("jugement", [A, B], judged(a="TB TB P P", b="AB AB AB AB"), eligible=4)
    rows = by_id(result)
    assert rows["a"]["majority_grade"] == "passable"
    assert result["winners"] == ["b"]


def test_majority_judgment_same_grades_is_a_true_tie() -> None:
    result = count("jugement", [A, B], judged(a="TB P R", b="R TB P"), eligible=3)
    assert result["winners"] == ["a", "b"]
    assert by_id(result)["a"]["rank"] == by_id(result)["b"]["rank"] == 1
    assert result["adopted"] is False  # a tie decides nothing


def test_majority_judgment_below_passable_is_not_adopted() -> None:
    result = count("jugement", [A], judged(a="I I P R B"), eligible=5)
    assert by_id(result)["a"]["majority_grade"] == "insuffisant"
    assert result["adopted"] is False


@pytest.mark.parametrize(
    ("rule", "adopted"),
    [
        ("simple", True),  # 4 for > 3 against
        ("absolue", False),  # 4 of 10 ballots is not more than half
        ("deux_tiers", False),  # 4 of 7 expressed is less than two thirds
    ],
)
def test_simple_majority_rules(rule: str, adopted: bool) -> None:
    ballots = ([{"choice": "p"}] * 4) + ([{"choice": "c"}] * 3) + ([{"choice": "x"}] * 3)
    result = count("majorite", MAJ, ballots, eligible=12, quorum_percent=50, majority=rule)
    assert [row["count"] for row in result["options"]] == [4, 3, 3]
    assert result["quorum_needed"] == 6 and result["quorum_reached"] is True
    assert result["adopted"] is adopted


def test_two_thirds_reached_exactly() -> None:
    ballots = [{"choice": "p"}] * 6 + [{"choice": "c"}] * 3
    assert count("majorite", MAJ, ballots, eligible=9, majority="deux_tiers")["adopted"] is True


def test_without_quorum_nothing_is_adopted() -> None:
    ballots = [{"choice": "p"}] * 10
    result = count("majorite", MAJ, ballots, eligible=25, quorum_percent=50)
    assert result["quorum_needed"] == 13
    assert result["quorum_reached"] is False and result["adopted"] is False


def test_approval_most_approved_wins_and_needs_half_of_the_voters() -> None:
    ballots = [
        {"approved": ["a", "b"]},
        {"approved": ["a"]},
        {"approved": ["a", "b"]},
        {"approved": ["a", "b"]},
        {"approved": []},
    ]
    result = count("approbation", [A, B, C], ballots, eligible=5)
    assert [row["count"] for row in result["options"]] == [4, 3, 0]
    assert result["winners"] == ["a"] and result["adopted"] is True
    tied = count("approbation", [A, B], [{"approved": ["a"]}, {"approved": ["b"]}], eligible=2)
    assert tied["winners"] == ["a", "b"] and tied["adopted"] is False


def test_consent_one_objection_blocks_reservations_do_not() -> None:
    blocked = count(
        "consentement", CONSENT, [{"choice": "s"}, {"choice": "r"}, {"choice": "o"}], eligible=3
    )
    assert blocked["adopted"] is False
    passed = count(
        "consentement", CONSENT, [{"choice": "s"}, {"choice": "r"}, {"choice": "r"}], eligible=3
    )
    assert passed["adopted"] is True
    assert [row["count"] for row in passed["options"]] == [1, 2, 0]
