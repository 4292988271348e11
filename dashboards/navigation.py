"""The main menu: which entries a person sees, and which one is the current page.

One place for both, so the header, its tests and the reachability crawl agree. A staff
tool is listed when the person holds the role its page checks (the pages check it again).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.roles import (
    DATA_HANDLER_ROLES,
    FOLLOWUP_ROLES,
    MEMBER_ROLES,
    MODERATOR_ROLES,
    Role,
    user_roles,
)


@dataclass(frozen=True)
class Entry:
    key: str
    label: Any
    url: str


# url name (or namespace:*) → menu entry key. Checked in order: the first match wins.
_SECTIONS: list[tuple[str, str]] = [
    ("home", "home"),
    ("help*", "help"),
    ("forums:preferences", "notifications"),
    ("notifications:preferences", "notifications"),
    ("forums:*", "discussions"),
    ("library*", "library"),
    ("proposal*", "proposals"),
    ("followup*", "followup"),
    ("workshops:*", "workshops"),
    ("sessions:*", "agenda"),
    ("mandate_report_docx", "proposals"),
    ("decisions:*", "votes"),
    ("rights:profile", "profile"),
    ("rights:requests", "requests"),
    ("rights:request_record", "requests"),
    ("rights:*", "my_data"),
    ("consent:choices", "choices"),
    ("account_change_password", "password"),
    ("account_set_password", "password"),
    ("mfa_*", "two_factor"),
    ("accounts:two_factor_required", "two_factor"),
    ("accounts:reading", "reading"),
    ("dpo:*", "dpo"),
    ("invitations:*", "invitations"),
    ("attendance:mine", "attendance"),
    ("attendance:claims", "attendance"),
    ("attendance:claim", "attendance"),
    ("attendance:scan", "attendance"),
    ("attendance:indemnities", "indemnities"),
    ("attendance:indemnities_period", "indemnities"),
    ("attendance:claims_dccu", "indemnities"),
    ("attendance:*", "checkin"),
    ("facilitator_dashboard", "facilitator"),
    ("dccu_dashboard", "dccu"),
    ("seats:board", "dccu"),
    ("seats:end", "dccu"),
    ("seats:*", "seat"),
]

ACCOUNT_KEYS = frozenset(
    {
        "profile", "seat", "password", "two_factor", "notifications", "my_data", "choices",
        "attendance", "reading",
    }
)


def current_section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return ""
    namespace, name = match.namespace or "", match.url_name or ""
    full = f"{namespace}:{name}" if namespace else name
    for pattern, key in _SECTIONS:
        if pattern.endswith(":*"):
            if namespace == pattern[:-2]:
                return key
        elif pattern.endswith("*"):
            if not namespace and name.startswith(pattern[:-1]):
                return key
        elif full == pattern:
            return key
    return ""


def main_entries(user: Any = None) -> list[Entry]:
    # « Suivi » in the row for the people whose work it is (the committee, the agents who
    # answer, the DCCU); the others read it from « Propositions » (the row must fit on one
    # line of a laptop's screen, tests/e2e/test_navigation.py).
    followup = (
        [Entry("followup", _("Follow-up"), reverse("followup"))]
        if user is None or user_roles(user) & FOLLOWUP_ROLES
        else []
    )
    return [
        Entry("home", _("Home"), reverse("home")),
        Entry("agenda", _("Agenda"), reverse("sessions:agenda")),
        Entry("discussions", _("Discussions"), reverse("forums:rooms")),
        Entry("proposals", _("Proposals"), reverse("proposals")),
        *followup,
        Entry("votes", _("Votes"), reverse("decisions:votes")),
        Entry("workshops", _("Workshops"), reverse("workshops:index")),
        Entry("library", _("Library"), reverse("library")),
        Entry("help", _("Help"), reverse("help")),
    ]


def account_entries(user: Any = None) -> list[Entry]:
    """« My account »; « My seat » for the members and the substitutes (an offered seat
    is always offered to a substitute)."""
    seat = []
    if user is not None and user_roles(user) & MEMBER_ROLES:
        seat = [Entry("seat", _("My seat"), reverse("seats:mine"))]
    return [
        Entry("profile", _("My profile"), reverse("rights:profile")),
        *seat,
        Entry("password", _("Password"), reverse("account_change_password")),
        Entry("two_factor", _("Two-factor login"), reverse("mfa_index")),
        Entry("notifications", _("Notifications"), reverse("notifications:preferences")),
        Entry("reading", _("Reading comfort"), reverse("accounts:reading")),
        Entry("choices", _("My choices"), reverse("consent:choices")),
        Entry("my_data", _("My data"), reverse("rights:home")),
        Entry("attendance", _("My attendance and indemnities"), reverse("attendance:mine")),
    ]


def tool_entries(user: Any) -> list[Entry]:
    """The staff tools this person's roles open."""
    roles = user_roles(user)
    entries = []
    if Role.DCCU in roles:
        entries.append(Entry("dccu", _("DCCU dashboard"), reverse("dccu_dashboard")))
    if roles & MODERATOR_ROLES:
        entries.append(Entry("facilitator", _("Facilitation"), reverse("facilitator_dashboard")))
    if roles & MODERATOR_ROLES:
        entries.append(Entry("checkin", _("Attendance lists"), reverse("attendance:sessions")))
    if Role.DCCU in roles:
        entries.append(Entry("invitations", _("Invitations"), reverse("invitations:list")))
        entries.append(
            Entry("indemnities", _("Indemnities"), reverse("attendance:indemnities"))
        )
    if roles & DATA_HANDLER_ROLES:
        entries.append(Entry("requests", _("Data requests"), reverse("rights:requests")))
        entries.append(Entry("dpo", _("Data protection"), reverse("dpo:index")))
    if Role.DCCU in roles or Role.DPD in roles or getattr(user, "is_superuser", False):
        entries.append(Entry("admin", _("Administration"), reverse("admin:index")))
    return entries


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Template context: the menu of the logged-in person (nothing for visitors)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    current = current_section(request)
    tools = tool_entries(user)
    return {
        "nav": {
            "current": current,
            "main": main_entries(user),
            "account": account_entries(user),
            "tools": tools,
            "in_account": current in ACCOUNT_KEYS,
            "in_tools": current in {entry.key for entry in tools},
        }
    }
