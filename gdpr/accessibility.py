"""The accessibility statement's facts, read from the checked-in audit file, and the
feedback that reaches the DCCU.

docs/accessibility/audit.toml is the one source: the statement page shows what it says
and computes the conformity status from it with the RGAA rule, so that the page never
claims more than was tested (docs/accessibility.md).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.translation import gettext as _

AUDIT_FILE = Path(settings.BASE_DIR) / "docs" / "accessibility" / "audit.toml"
STATUSES = ("conforme", "non conforme", "non applicable")
HOWS = ("axe", "clavier", "test", "manuel")

# The three legal statuses (décret 2019-768, art. 1; RGAA 4.1, « Obligations »).
TOTALLY, PARTIALLY, NOT = "totalement conforme", "partiellement conforme", "non conforme"


@dataclass(frozen=True)
class Criterion:
    number: str
    title: str
    status: str
    how: str
    notes: str = ""


@dataclass(frozen=True)
class Audit:
    referential: str
    total_criteria: int
    kind: str
    date: dt.date
    statement_date: dt.date
    auditor: str
    technologies: list[str]
    tools: list[str]
    environment: list[str]
    pages: str
    criteria: list[Criterion]
    noncompliant: list[dict[str, str]] = field(default_factory=list)

    @property
    def applicable(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status != "non applicable"]

    @property
    def conforming(self) -> list[Criterion]:
        return [c for c in self.criteria if c.status == "conforme"]

    @property
    def complete(self) -> bool:
        """Every criterion of the referential was assessed (a full audit)."""
        return len(self.criteria) == self.total_criteria

    @property
    def rate(self) -> int:
        """The RGAA rate: conforming criteria over applicable ones, in percent (rounded
        down, so 49.9 % never reads as 50 %)."""
        if not self.applicable:
            return 0
        return 100 * len(self.conforming) // len(self.applicable)

    @property
    def status(self) -> str:
        """The legal status: without a complete audit there is no measured rate, so the
        site is « non conforme » whatever the criteria tested say."""
        if not self.complete or not self.applicable:
            return NOT
        if len(self.conforming) == len(self.applicable):
            return TOTALLY
        return PARTIALLY if self.rate >= 50 else NOT


def parse_audit(data: dict[str, Any]) -> Audit:
    """The audit from the file's parsed TOML; ValueError on a status or method it does
    not know, or a criterion listed twice (tests/gdpr/test_accessibility.py)."""
    criteria = [Criterion(**{k: str(v) for k, v in row.items()})
                for row in data.get("criteria", [])]
    numbers = [c.number for c in criteria]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"a criterion is listed twice: {numbers}")
    for criterion in criteria:
        if criterion.status not in STATUSES:
            raise ValueError(f"{criterion.number}: unknown status {criterion.status!r}")
        if criterion.how not in HOWS:
            raise ValueError(f"{criterion.number}: unknown method {criterion.how!r}")
    meta = data["audit"]
    return Audit(
        referential=meta["referential"], total_criteria=int(meta["total_criteria"]),
        kind=meta["kind"], date=meta["date"], statement_date=meta["statement_date"],
        auditor=meta["auditor"], technologies=list(meta["technologies"]),
        tools=list(meta["tools"]), environment=list(meta["environment"]),
        pages=meta["pages"],
        criteria=sorted(criteria, key=lambda c: tuple(int(p) for p in c.number.split("."))),
        noncompliant=[dict(row) for row in data.get("noncompliant", [])],
    )


@lru_cache(maxsize=1)
def load_audit() -> Audit:
    with AUDIT_FILE.open("rb") as source:
        return parse_audit(tomllib.load(source))


def do_send_accessibility_feedback(*, message: str, email: str, page: str) -> None:
    """Mail a person's accessibility feedback to the DCCU, who answer it from their
    mailbox. Nothing is stored on the platform, and nothing but what the person typed
    is sent: no account, no address unless they give one (to be answered)."""
    body = _(
        "Feedback sent from the accessibility statement of the platform.\n\n"
        "Page concerned: %(page)s\nAnswer to: %(email)s\n\n%(message)s\n"
    ) % {"page": page or "-", "email": email or _("(no address given)"), "message": message}
    EmailMessage(
        _("[Agora] Accessibility feedback"), body, to=[settings.DCCU_EMAIL],
        reply_to=[email] if email else None,
    ).send()
