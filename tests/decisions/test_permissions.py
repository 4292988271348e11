"""docs/permissions.md, « Votes » and « Amendements »: every role against every URL of the
decisions app (a new URL fails the last check until it is added here)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.roles import Role
from decisions.actions import do_cast_ballot, do_close_vote, do_create_vote, do_open_vote
from decisions.amendments import do_file_amendment
from tests import factories
from tests.decisions.world import make_plenary

ROLES = [
    "anonymous",
    "titulaire",
    "remplacant",
    "facilitateur",
    "agent",
    "dccu",
    "dpd",
    "comite_suivi",
    "no_role",
]
OK, LOGIN, FORBIDDEN, NOT_FOUND, INVALID, HOME = "ok", "login", "403", "404", "400", "home"
READERS = {"dpd": NOT_FOUND, "no_role": NOT_FOUND, "anonymous": LOGIN}
MANAGERS = {"facilitateur": HOME, "dccu": HOME}

# (method, url, expectation per role, "*" for the others). Objects: {open} a vote open now,
# {closed} a closed public vote where the titulaire voted « contre », {closing} a vote each
# manager closes, {proposal} submitted to the plenary, {amendment} filed by someone else.
MATRIX: list[tuple[str, str, dict[str, str]]] = [
    ("get", "/decisions/", {"anonymous": LOGIN, "*": OK}),
    (
        "get",
        "/decisions/votes/nouveau/",
        {"anonymous": LOGIN, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN},
    ),
    (
        "post",
        "/decisions/votes/nouveau/",
        {"anonymous": LOGIN, "facilitateur": INVALID, "dccu": INVALID, "*": FORBIDDEN},
    ),
    ("get", "/decisions/votes/{open}/", {**READERS, "*": OK}),
    # An empty ballot: refused with its message for a voter, 403 for anyone not on the list.
    ("post", "/decisions/votes/{open}/voter/", {**READERS, "titulaire": INVALID, "*": FORBIDDEN}),
    ("post", "/decisions/votes/{open}/ouvrir/", {**READERS, **MANAGERS, "*": FORBIDDEN}),
    ("get", "/decisions/votes/{open}/resultats/", {**READERS, "*": OK}),
    (
        "get",
        "/decisions/votes/{open}/projection/",
        {**READERS, "facilitateur": OK, "dccu": OK, "*": FORBIDDEN},
    ),
    ("post", "/decisions/votes/{closing}/fermer/", {**READERS, **MANAGERS, "*": FORBIDDEN}),
    ("get", "/decisions/votes/{closed}/resultats/", {**READERS, "*": OK}),
    # An empty minority view: its form's message for one who voted against, 403 otherwise.
    ("post", "/decisions/votes/{closed}/avis/", {**READERS, "titulaire": HOME, "*": FORBIDDEN}),
    ("get", "/decisions/propositions/{proposal}/amendements/", {**READERS, "*": OK}),
    (
        "post",
        "/decisions/propositions/{proposal}/amendements/",
        {**READERS, "titulaire": INVALID, "*": FORBIDDEN},
    ),
    ("get", "/decisions/amendements/{amendment}/", {**READERS, "*": OK}),
    # The subgroup answers (its facilitator and the DCCU; this facilitator is not its own).
    (
        "post",
        "/decisions/amendements/{amendment}/repondre/",
        {**READERS, "dccu": HOME, "*": FORBIDDEN},
    ),
    ("post", "/decisions/amendements/{amendment}/maintenir/", {**READERS, "*": FORBIDDEN}),
    ("post", "/decisions/amendements/{amendment}/vote/", {**READERS, **MANAGERS, "*": FORBIDDEN}),
    # Last: a manager's show of hands decides the proposal.
    (
        "post",
        "/decisions/propositions/{proposal}/main-levee/",
        {**READERS, **MANAGERS, "*": FORBIDDEN},
    ),
]


def _person(role: str, assembly: Any) -> Any:
    if role == "anonymous":
        return None
    if role == "titulaire":
        return factories.make_titulaire(assembly)
    if role == "remplacant":
        return factories.make_substitute(assembly, factories.seat(assembly, "Cazères"))
    if role == "no_role":
        return factories.UserFactory()
    user = factories.UserFactory(roles=[Role(role)])
    if role in {"dccu", "dpd"}:
        enrol_demo_totp(user)
    return user


def _check(expect: str, response: Any, url: str) -> None:
    location = response.get("Location", "")
    if expect == LOGIN:
        assert response.status_code == 302 and location.startswith("/comptes/login/"), url
    elif expect == HOME:
        assert response.status_code == 302, (url, response.status_code)
        assert not location.startswith("/comptes/login"), (url, location)
    else:
        expected = {OK: 200, FORBIDDEN: 403, NOT_FOUND: 404, INVALID: 400}[expect]
        assert response.status_code == expected, (url, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_role_gets_the_documented_answer_on_every_decisions_url(role: str) -> None:
    plenary = make_plenary(members=3)
    person = _person(role, plenary.assembly)
    manager = plenary.dccu
    closed = do_open_vote(
        manager, do_create_vote(manager, plenary.mandate, "Q1 ?", "majorite", secret=False)
    )
    if role == "titulaire":
        contre = str(closed.options.get(code="contre").pk)
        do_cast_ballot(person, closed, {"choice": contre})
    do_close_vote(manager, closed)
    ids = {
        "open": do_open_vote(
            manager, do_create_vote(manager, plenary.mandate, "Q2 ?", "majorite")
        ).pk,
        "closing": do_open_vote(
            manager, do_create_vote(manager, plenary.mandate, "Q3 ?", "consentement")
        ).pk,
        "closed": closed.pk,
        "proposal": plenary.proposal.pk,
        "amendment": do_file_amendment(
            plenary.members[2],
            plenary.proposal,
            "supprimer",
            "le mardi matin",
            "",
            "Tous les jours.",
        ).pk,
    }
    client = Client()
    if person is not None:
        client.force_login(person)
    for method, template, expectations in MATRIX:
        url = template.format(**ids)
        response = getattr(client, method)(url)
        _check(expectations.get(role, expectations["*"]), response, f"{role}: {url}")
        if person is not None:
            assert "no-store" in response.get("Cache-Control", ""), url


def test_every_decisions_url_is_in_the_matrix() -> None:
    from decisions.urls import urlpatterns

    walked = {re.sub(r"\{\w+\}", "", url) for _method, url, _e in MATRIX}
    for pattern in urlpatterns:
        route = "/decisions/" + re.sub(r"<[^>]+>", "", str(pattern.pattern))
        assert route in walked, f"{route} is not in the decisions permission matrix"
