"""The guided first visits: one per role, offered once on the home page, replayable."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from accounts.demo import enrol_demo_totp
from accounts.models import TourProgress, User
from accounts.roles import Role
from accounts.tours import TOUR_ORDER, TOURS, pending_tour, tour_for, tour_payload
from assembly.models import Assembly
from tests import factories

PROGRESS = "/comptes/visite-guidee/"
REPLAY = "/comptes/visite-guidee/revoir/"
TOUR_ROLES = [Role.TITULAIRE, Role.REMPLACANT, Role.AGENT, Role.FACILITATEUR, Role.DCCU,
              Role.DPD]


def _person(role: Role, assembly: Assembly) -> User:
    if role == Role.TITULAIRE:
        return factories.make_titulaire(assembly)
    if role == Role.REMPLACANT:
        return factories.make_substitute(assembly, factories.seat(assembly))
    user = factories.UserFactory(roles=[role])
    if role in {Role.DCCU, Role.DPD}:
        enrol_demo_totp(user)
    return user


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _tour_on_home(client: Client) -> dict[str, Any] | None:
    body = client.get("/").content.decode()
    found = re.search(r'<script id="tour-data" type="application/json">(.*?)</script>', body)
    return json.loads(found.group(1)) if found else None


def test_each_role_of_the_brief_has_a_short_visit_that_opens_on_the_menu() -> None:
    assert set(TOURS) == set(TOUR_ROLES) == set(TOUR_ORDER)
    for role, steps in TOURS.items():
        assert 3 <= len(steps) <= 6, role
        assert steps[0].target == "[data-tour=menu]", role
        assert all(step.target.startswith("[data-tour=") for step in steps), role


@pytest.mark.parametrize(
    ("role", "places"),
    [
        (Role.TITULAIRE, {"nav-discussions", "nav-proposals", "nav-library", "account"}),
        (Role.REMPLACANT, {"nav-library", "nav-discussions", "nav-proposals"}),
        (Role.AGENT, {"nav-library", "nav-discussions", "nav-followup"}),
        (Role.FACILITATEUR, {"tools", "nav-discussions", "nav-proposals"}),
        (Role.DCCU, {"tools", "nav-discussions"}),
        (Role.DPD, {"tools", "nav-help"}),
    ],
)
def test_each_visit_points_at_the_places_that_matter_to_its_role(
    role: Role, places: set[str]
) -> None:
    targets = {step.target.removeprefix("[data-tour=").removesuffix("]") for step in TOURS[role]}
    assert places <= targets


def test_the_member_visit_names_the_live_audio_in_french() -> None:
    with translation.override("fr"):
        payload = tour_payload(Role.TITULAIRE)
    titles = [step["title"] for step in payload["steps"]]
    assert titles[0] == "Le menu"
    assert "Audio en direct" in titles
    assert payload["progress_url"] == PROGRESS


@pytest.mark.django_db
@pytest.mark.parametrize("role", TOUR_ROLES)
def test_each_role_is_offered_its_own_visit_on_the_home_page(
    role: Role, assembly: Assembly
) -> None:
    person = _person(role, assembly)
    assert tour_for(person) == role
    tour = _tour_on_home(_client(person))
    assert tour is not None and tour["tour"] == role.value
    assert len(tour["steps"]) == len(TOURS[role])
    assert tour["autostart"] is False


@pytest.mark.django_db
def test_a_facilitator_who_is_also_dccu_gets_the_dccu_visit_and_no_role_none() -> None:
    both = factories.UserFactory(roles=[Role.FACILITATEUR, Role.DCCU])
    assert tour_for(both) == Role.DCCU
    assert tour_for(factories.UserFactory()) is None
    assert pending_tour(factories.UserFactory()) is None


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["done", "skipped"])
def test_a_finished_or_skipped_visit_is_not_offered_again(
    outcome: str, member: User, member_client: Client
) -> None:
    response = member_client.post(
        PROGRESS, {"tour": "titulaire", "outcome": outcome, "step": "3"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200 and response.json() == {"ok": True}
    progress = TourProgress.objects.get(user=member)
    assert (progress.tour, progress.outcome, progress.step) == ("titulaire", outcome, 3)
    assert _tour_on_home(member_client) is None


@pytest.mark.django_db
def test_skip_without_javascript_goes_home_without_the_visit(
    member: User, member_client: Client
) -> None:
    response = member_client.post(PROGRESS, {"tour": "titulaire", "outcome": "skipped"})
    assert response.status_code == 302 and response["Location"] == "/"
    assert _tour_on_home(member_client) is None


@pytest.mark.django_db
def test_progress_is_post_only_and_checks_the_csrf_token(member: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.get(PROGRESS).status_code == 405
    refused = client.post(PROGRESS, {"tour": "titulaire", "outcome": "done"})
    assert refused.status_code == 403
    assert not TourProgress.objects.exists()


@pytest.mark.django_db
def test_progress_asks_for_a_login(db: Any) -> None:
    response = Client().post(PROGRESS, {"tour": "titulaire", "outcome": "done"})
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    assert not TourProgress.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [{}, {"tour": "titulaire", "outcome": "maybe"}, {"tour": "comite_suivi", "outcome": "done"},
     {"tour": "nobody", "outcome": "done"}, {"tour": "titulaire", "outcome": "done", "step": "x"}],
)
def test_progress_refuses_what_is_not_a_visit(data: dict[str, str], member_client: Client) -> None:
    assert member_client.post(PROGRESS, data).status_code == 400
    assert not TourProgress.objects.exists()


@pytest.mark.django_db
def test_progress_is_kept_for_oneself_only(assembly: Assembly, member: User) -> None:
    other = factories.make_titulaire(assembly)
    client = _client(member)
    # No field names a person: whatever is posted is the poster's own progress.
    client.post(PROGRESS, {"tour": "titulaire", "outcome": "done", "user": str(other.pk)})
    assert list(TourProgress.objects.values_list("user_id", flat=True)) == [member.pk]
    assert _tour_on_home(_client(other)) is not None


@pytest.mark.django_db
def test_replay_forgets_ones_own_visit_and_starts_it_once_on_the_home_page(
    assembly: Assembly, member: User, member_client: Client
) -> None:
    other = factories.make_titulaire(assembly)
    member_client.post(PROGRESS, {"tour": "titulaire", "outcome": "done"})
    _client(other).post(PROGRESS, {"tour": "titulaire", "outcome": "skipped"})
    assert member_client.get(REPLAY).status_code == 405
    response = member_client.post(REPLAY)
    assert response.status_code == 302 and response["Location"] == "/"
    tour = _tour_on_home(member_client)
    assert tour is not None and tour["autostart"] is True
    # Started once: a later visit of the home page offers it without opening it.
    again = _tour_on_home(member_client)
    assert again is not None and again["autostart"] is False
    assert TourProgress.objects.filter(user=other).exists()


@pytest.mark.django_db
def test_replay_is_in_the_account_menu_and_on_the_help_page(member_client: Client) -> None:
    for url in ("/", "/aide/"):
        body = member_client.get(url).content.decode()
        assert f'action="{REPLAY}"' in body, url

