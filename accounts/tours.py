"""The guided first visits: per role, the few places that matter, shown once on the home page.

The steps are declared here (French through gettext) and drawn by static/js/tour.js in a
native ``<dialog>``; each one points at a real element of the page by a CSS selector. The
menu's entries carry ``data-tour`` (templates/base.html). On a phone the menu is folded
behind its button: tour.js then points at the button and says where the entry is.

A person with several roles gets one visit, the one of their main role (``TOUR_ORDER``); a
new main role (a substitute who takes a seat) brings its own visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.models import TourOutcome, TourProgress, User
from accounts.roles import MAIN_ROLE_ORDER, Role, user_roles


@dataclass(frozen=True)
class Step:
    target: str  # a CSS selector; the first match that is shown is highlighted
    title: Any
    text: Any


# The places every visit shows the same way.
MENU = Step(
    "[data-tour=menu]",
    _("The menu"),
    _("Every part of Agora is one click away from this menu, on every page. « Home » "
      "brings you back here."),
)
ACCOUNT = Step(
    "[data-tour=account]",
    _("My account and help"),
    _("In « My account »: your profile, your notifications and « Reading comfort » (larger "
      "text, high contrast, more spacing). « Help » explains each part; you can replay this "
      "visit from there."),
)
LIBRARY = Step(
    "[data-tour=nav-library]",
    _("The library"),
    _("Documents to understand the questions: sheets, videos, links, reading paths. "
      "Members can add documents too."),
)

TOURS: dict[Role, tuple[Step, ...]] = {
    Role.TITULAIRE: (
        MENU,
        Step("[data-tour=nav-discussions]", _("Your subgroup's chat"),
             _("« Discussions » holds your subgroup's room, the plenary and your direct "
               "messages. What is said live stays there to read later.")),
        Step("[data-tour=nav-discussions]", _("Live audio"),
             _("When your subgroup meets at a distance, open its room and press « Join "
               "the live audio ». Calls are never recorded.")),
        Step("[data-tour=nav-proposals]", _("Proposals"),
             _("Your subgroup writes its proposals together, live or when you have time. "
               "Each change is kept.")),
        LIBRARY,
        ACCOUNT,
    ),
    Role.REMPLACANT: (
        MENU,
        Step("[data-tour=nav-library]", _("The library and its reading paths"),
             _("Start here: the reading paths of the library prepare you to take a seat "
               "if one becomes free.")),
        Step("[data-tour=nav-discussions]", _("The plenary"),
             _("In « Discussions » you read the plenary conversation and its live audio. "
               "You will write there once you sit.")),
        Step("[data-tour=nav-proposals]", _("Proposals"),
             _("Read the proposals the subgroups are writing, and how they move on.")),
        ACCOUNT,
    ),
    Role.AGENT: (
        MENU,
        Step("[data-tour=nav-library]", _("Share documents"),
             _("Add the documents that help members understand a question; they show in "
               "the library at once.")),
        Step("[data-tour=nav-discussions]", _("Answer questions"),
             _("Members ask you by writing @ and your name in a conversation: your home "
               "page lists those questions.")),
        Step("[data-tour=nav-followup]", _("Follow-up of the proposals"),
             _("Say here what the Département does with each proposal.")),
        ACCOUNT,
    ),
    Role.FACILITATEUR: (
        MENU,
        Step("[data-tour=tools]", _("Your tools"),
             _("« Management » opens the facilitation desk: what to moderate, where each "
               "subgroup stands, the attendance lists.")),
        Step("[data-tour=nav-discussions]", _("Subgroup chat and live audio"),
             _("Each subgroup has its room; start its live audio from there. You can "
               "moderate the messages.")),
        Step("[data-tour=nav-proposals]", _("Live co-writing"),
             _("Open a proposal to write it with the subgroup, live, with its history and "
               "comments.")),
        LIBRARY,
        ACCOUNT,
    ),
    Role.DCCU: (
        MENU,
        Step("[data-tour=tools]", _("Administration"),
             _("« Management » opens the DCCU dashboard, invitations, indemnities, data "
               "requests and the administration.")),
        Step("[data-tour=nav-discussions]", _("Conversations"),
             _("Every room of the assembly, and the reports to moderate.")),
        LIBRARY,
        ACCOUNT,
    ),
    Role.DPD: (
        MENU,
        Step("[data-tour=tools]", _("Data protection"),
             _("« Management » opens the register of processing, the people's data "
               "requests, the retention runs and the audit trail.")),
        Step("[data-tour=nav-help]", _("Help"),
             _("What each part of the platform is for, in plain words: useful to answer "
               "the people's questions about their data.")),
        ACCOUNT,
    ),
}

# The visit of a person with several roles: the first of theirs in this order.
TOUR_ORDER = MAIN_ROLE_ORDER


def tour_for(user: User) -> Role | None:
    """The visit that fits the person's main role (none for a person without a role)."""
    roles = user_roles(user)
    return next((role for role in TOUR_ORDER if role in roles), None)


def pending_tour(user: User) -> Role | None:
    """The visit still to offer the person: their main role's, unless done or skipped."""
    tour = tour_for(user)
    if tour is None or TourProgress.objects.filter(user=user, tour=tour).exists():
        return None
    return tour


def tour_payload(tour: Role, *, autostart: bool = False) -> dict[str, Any]:
    """What tour.js needs, rendered into the home page with ``json_script``."""
    steps = TOURS[tour]
    return {
        "tour": tour.value,
        "autostart": autostart,
        "steps": [
            {"target": step.target, "title": str(step.title), "text": str(step.text)}
            for step in steps
        ],
        "progress_url": reverse("accounts:tour_progress"),
    }


def do_record_tour(user: User, tour: str, outcome: str, *, step: int = 0) -> TourProgress:
    """Keep that the person finished or skipped a visit (the latest answer wins)."""
    role = Role(tour)
    if role not in TOURS:
        raise ValueError(f"No guided visit for {tour!r}.")
    outcome = TourOutcome(outcome)
    step = max(0, min(step, len(TOURS[role])))
    with transaction.atomic():
        progress, _created = TourProgress.objects.update_or_create(
            user=user, tour=role, defaults={"outcome": outcome, "step": step}
        )
    return progress


def do_reset_tours(user: User) -> int:
    """« Replay the guided visit »: forget every visit the person saw."""
    deleted, _details = TourProgress.objects.filter(user=user).delete()
    return deleted
