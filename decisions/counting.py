"""Counting the ballots of a vote: pure functions, the same at closing and in the recount.

Ballots are stored as small JSON objects (``decisions.actions.clean_ballot`` makes them):

- majority and consent: ``{"choice": <option id>}``;
- approval: ``{"approved": [<option id>, …]}`` (possibly empty);
- majority judgment: ``{"grades": {<option id>: <grade code>, …}}``, every option graded.

Majority judgment follows its authors (M. Balinski and R. Laraki, *Majority Judgment*, MIT
Press 2011): an option's majority grade is the median of its grades, the lower one when the
number of grades is even; options with the same majority grade are told apart by their
*majority values*: drop one grade equal to the majority grade and take the new majority
grade, again and again; the first difference decides. Two options tie only when their
grades are exactly the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# Best first. The codes are what ballots store; the French words are the method's own.
GRADES: tuple[tuple[str, str], ...] = (
    ("tres_bien", "Très bien"),
    ("bien", "Bien"),
    ("assez_bien", "Assez bien"),
    ("passable", "Passable"),
    ("insuffisant", "Insuffisant"),
    ("a_rejeter", "À rejeter"),
)
GRADE_CODES = tuple(code for code, _label in GRADES)
# A value per grade, higher is better: « À rejeter » 0 … « Très bien » 5.
GRADE_VALUE = {code: len(GRADES) - 1 - index for index, code in enumerate(GRADE_CODES)}
# A proposal put to a majority judgment is adopted when its majority grade is at least this.
ADOPTION_GRADE = "passable"

MAJORITY_CODES = ("pour", "contre", "abstention")
CONSENT_CODES = ("soutien", "reserve", "objection")


@dataclass(frozen=True)
class Option:
    id: str
    label: str
    code: str = ""


def majority_grade(values: Sequence[int]) -> int | None:
    """The lower median of grade values (None without grades)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def majority_value(values: Sequence[int]) -> tuple[int, ...]:
    """The successive majority grades, each time one grade equal to the last is dropped:
    comparing these tuples (larger is better) is Balinski and Laraki's majority ranking."""
    remaining = sorted(values)
    sequence = []
    while remaining:
        median = remaining[(len(remaining) - 1) // 2]
        sequence.append(median)
        remaining.remove(median)
    return tuple(sequence)


def quorum_needed(eligible: int, quorum_percent: int) -> int:
    return math.ceil(eligible * quorum_percent / 100)


def count(
    method: str,
    options: Sequence[Option],
    ballots: Iterable[dict[str, Any]],
    *,
    eligible: int,
    quorum_percent: int = 0,
    majority: str = "simple",
) -> dict[str, Any]:
    """The result of a vote from its ballots (see the module for their shape).

    Always: ``ballots`` (how many), ``eligible``, ``quorum_needed``, ``quorum_reached``,
    ``options`` (one dict per option, in order) and ``adopted`` (True/False: whether the
    question or the first option carried, quorum included). Per method, more (see below).
    """
    ballots = list(ballots)
    needed = quorum_needed(eligible, quorum_percent)
    result: dict[str, Any] = {
        "method": method,
        "ballots": len(ballots),
        "eligible": eligible,
        "quorum_needed": needed,
        "quorum_reached": len(ballots) >= needed and len(ballots) > 0,
    }
    ids = [option.id for option in options]
    if method in ("majorite", "consentement"):
        counts = dict.fromkeys(ids, 0)
        for ballot in ballots:
            counts[ballot["choice"]] += 1
        result["options"] = [
            {"id": o.id, "label": o.label, "code": o.code, "count": counts[o.id]} for o in options
        ]
        by_code = {o.code: counts[o.id] for o in options}
        if method == "majorite":
            carried = _majority_carries(by_code, len(ballots), majority)
        else:
            carried = by_code.get("objection", 0) == 0 and len(ballots) > 0
        result["adopted"] = carried and result["quorum_reached"]
    elif method == "approbation":
        counts = dict.fromkeys(ids, 0)
        for ballot in ballots:
            for option_id in set(ballot["approved"]):
                counts[option_id] += 1
        best = max(counts.values(), default=0)
        winners = [i for i in ids if counts[i] == best and best > 0]
        result["options"] = [
            {
                "id": o.id,
                "label": o.label,
                "code": o.code,
                "count": counts[o.id],
                "winner": o.id in winners,
            }
            for o in options
        ]
        result["winners"] = winners
        result["adopted"] = (
            len(winners) == 1 and best * 2 > len(ballots) and result["quorum_reached"]
        )
    elif method == "jugement":
        result.update(_judgment(options, ballots))
        winners = result["winners"]
        top = next((o for o in result["options"] if o["id"] in winners), None)
        result["adopted"] = (
            len(winners) == 1
            and top is not None
            and GRADE_VALUE[top["majority_grade"]] >= GRADE_VALUE[ADOPTION_GRADE]
            and result["quorum_reached"]
        )
    else:
        raise ValueError(f"unknown method {method!r}")
    return result


def _majority_carries(by_code: dict[str, int], cast: int, rule: str) -> bool:
    pour, contre = by_code.get("pour", 0), by_code.get("contre", 0)
    if rule == "absolue":
        return pour * 2 > cast
    if rule == "deux_tiers":
        return pour + contre > 0 and pour * 3 >= (pour + contre) * 2
    return pour > contre


def _judgment(options: Sequence[Option], ballots: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, list[int]] = {o.id: [] for o in options}
    for ballot in ballots:
        for option_id, grade in ballot["grades"].items():
            values[option_id].append(GRADE_VALUE[grade])
    rows: list[dict[str, Any]] = []
    for option in options:
        grades = values[option.id]
        median = majority_grade(grades)
        total = len(grades) or 1
        rows.append(
            {
                "id": option.id,
                "label": option.label,
                "code": option.code,
                # The merit profile, best grade first.
                "profile": [
                    {"grade": code, "count": sum(1 for v in grades if v == GRADE_VALUE[code])}
                    for code in GRADE_CODES
                ],
                "majority_grade": GRADE_CODES[len(GRADES) - 1 - median]
                if median is not None
                else "a_rejeter",
                # Shares above and below the majority grade (the « majority gauge »), in %.
                "above": round(
                    100 * sum(1 for v in grades if median is not None and v > median) / total, 1
                ),
                "below": round(
                    100 * sum(1 for v in grades if median is not None and v < median) / total, 1
                ),
                "_value": majority_value(grades),
            }
        )
    ordered = sorted(rows, key=lambda row: row["_value"], reverse=True)
    rank = 0
    previous: tuple[int, ...] | None = None
    for position, row in enumerate(ordered, 1):
        if row["_value"] != previous:
            rank = position
            previous = row["_value"]
        row["rank"] = rank
    best = ordered[0]["_value"] if ordered and ordered[0]["_value"] else None
    winners = [row["id"] for row in rows if best is not None and row["_value"] == best]
    for row in rows:
        row["winner"] = row["id"] in winners
        del row["_value"]
    return {"options": rows, "winners": winners}
