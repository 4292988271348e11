"""Each role's home, the help page and the dashboards: who gets in, and what they see."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from forums.actions import do_report_message
from tests import factories
from tests.dashboards.conftest import ROLES, client_for, make_person

pytestmark = pytest.mark.django_db

# How a page would tell someone they have no subgroup (the home said it to everyone).
NOT_IN_A_SUBGROUP = [
    "pas encore de sous-groupe",
    "pas encore partie d'un sous-groupe",
    "pas encore partie d’un sous-groupe",
]


def _text(response: Any) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("/aide/", set(ROLES)),
        ("/animation/", {"facilitateur", "dccu"}),
        ("/pilotage/", {"dccu"}),
    ],
)
def test_each_dashboard_refuses_the_wrong_roles(
    url: str, allowed: set[str], world: dict[str, Any]
) -> None:
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/comptes/login/")
    for role, person in world["people"].items():
        response = client_for(person).get(url)
        expected = 200 if role in allowed else 403
        assert response.status_code == expected, (role, url, response.status_code)
        if expected == 403:
            assert "Accès refusé" in response.content.decode()


def test_titulaire_home_shows_subgroup_people_proposals_unread_and_path(
    world: dict[str, Any],
) -> None:
    people = world["people"]
    other = factories.make_titulaire(world["subgroup"].mandate.assembly, display_name="Inès")
    factories.send(other, world["plenary"], "Qui vient samedi ?")
    text = _text(client_for(people["titulaire"]).get("/"))
    assert "Mobilités du quotidien" in text
    assert people["facilitateur"].public_name in text  # « Animé par »
    assert "1 membre" in text
    assert "Des bus le dimanche" in text and "Mes propositions" in text
    assert "Plénière" in text and "1 non lu" in text  # the plenary's unread message
    assert "Premiers pas" in text and "Déjà lu : 0 sur 1" in text
    assert "Guide des transports" in text  # « Quoi de neuf »


def test_substitute_home_says_what_they_read_why_they_cannot_write_and_what_comes_next(
    world: dict[str, Any],
) -> None:
    text = _text(client_for(world["people"]["remplacant"]).get("/"))
    assert "Ce que vous pouvez lire" in text
    assert "vous pourrez écrire si un siège se libère" in text
    assert "Quand un siège se libère" in text and "numéro 1" in text
    assert "Mes sous-groupes" not in text


def test_a_titulaire_without_subgroup_is_told_so(world: dict[str, Any]) -> None:
    # The sentence the other roles never see does exist: the check above can fail.
    alone = factories.make_titulaire(world["subgroup"].mandate.assembly)
    text = _text(client_for(alone).get("/"))
    assert any(words in text for words in NOT_IN_A_SUBGROUP)


def test_agent_home_shows_shared_documents_questions_and_subgroups(world: dict[str, Any]) -> None:
    agent = world["people"]["agent"]
    asker = world["people"]["titulaire"]
    factories.send(asker, world["plenary"], f"@{agent.public_name} quand passe le bus ?")
    text = _text(client_for(agent).get("/"))
    assert "Documents que j’ai partagés" in text or "Documents que j'ai partagés" in text
    assert "Guide des transports" in text
    assert "Questions qui vous sont adressées" in text
    assert "Sous-groupes que je suis" in text and "Mobilités du quotidien" in text
    assert not any(words in text for words in NOT_IN_A_SUBGROUP)


@pytest.mark.parametrize("role", ["dpd", "agent", "dccu", "comite_suivi"])
def test_no_home_tells_a_person_without_subgroup_seat_they_have_none_yet(
    role: str, world: dict[str, Any]
) -> None:
    text = _text(client_for(world["people"][role]).get("/"))
    assert not any(words in text for words in NOT_IN_A_SUBGROUP)
    assert "Mes sous-groupes" not in text


def test_dpd_home_leads_to_the_data_protection_desk(world: dict[str, Any]) -> None:
    text = _text(client_for(world["people"]["dpd"]).get("/"))
    assert "Protection des données" in text
    assert "Vous ne lisez ni les conversations" in text


def test_facilitator_dashboard_lists_reports_of_their_rooms_only(world: dict[str, Any]) -> None:
    people = world["people"]
    assembly = world["subgroup"].mandate.assembly
    reporter = factories.make_titulaire(assembly)
    world["subgroup"].members.add(reporter)
    do_report_message(reporter, world["message"], reason="Propos blessant")
    elsewhere_author, elsewhere_reader = (factories.make_titulaire(assembly) for _ in range(2))
    elsewhere = factories.make_subgroup(
        assembly,
        members=[elsewhere_author, elsewhere_reader],
        name="Santé",
        mandate=world["subgroup"].mandate,
    )
    hidden = factories.send(elsewhere_author, factories.room_of(elsewhere), "Message ailleurs")
    do_report_message(elsewhere_reader, hidden, reason="Hors sujet")
    text = _text(client_for(people["facilitateur"]).get("/animation/"))
    assert "Le bus de 7 h 12 ne passe plus" in text and "Propos blessant" in text
    assert "Message ailleurs" not in text
    assert "Horaires 2026" in text  # the proposed document waits for a decision
    assert "Brouillon" in text and "Des bus le dimanche" in text
    # The DCCU sees both rooms' reports, with the room and the author.
    dccu_text = _text(client_for(people["dccu"]).get("/pilotage/"))
    assert "Message ailleurs" in dccu_text and "Le bus de 7 h 12" in dccu_text
    assert "« Santé »" in dccu_text and people["titulaire"].public_name in dccu_text


def test_facilitator_dashboard_shows_activity_and_people_not_seen_for_14_days(
    world: dict[str, Any],
) -> None:
    people = world["people"]
    assembly = world["subgroup"].mandate.assembly
    quiet = factories.make_titulaire(assembly, display_name="Quentin")
    world["subgroup"].members.add(quiet)
    type(quiet).objects.filter(pk=quiet.pk).update(
        last_login=timezone.now() - dt.timedelta(days=20)
    )
    type(quiet).objects.filter(pk=people["titulaire"].pk).update(last_login=timezone.now())
    response = client_for(people["facilitateur"]).get("/animation/")
    text = _text(response)
    assert "Pas vu·es depuis 14 jours" in text
    assert quiet.public_name in text
    cells = r"\s*</th>" + r"\s*<td[^>]*>(\d+)</td>" * 3
    row = re.search("Mobilités du quotidien" + cells, response.content.decode())
    assert row is not None and row.groups() == ("2", "1", "1")
    assert people["titulaire"].public_name not in text.split("Pas vu")[-1]


def test_dccu_dashboard_counts_seats_invitations_and_participation_per_canton(
    world: dict[str, Any],
) -> None:
    response = client_for(world["people"]["dccu"]).get("/pilotage/")
    text = _text(response)
    assert "Sièges et remplacements" in text and "Invitations" in text
    assert "Participation par canton" in text and "Participation par sous-groupe" in text
    membership = world["people"]["titulaire"].memberships.get()
    canton = membership.seat.canton.name
    row = re.search(
        re.escape(canton) + r"\s*</th>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>",
        response.content.decode(),
    )
    assert row is not None and row.groups() == ("1", "1")  # one member, who wrote


def test_help_page_lists_each_part(world: dict[str, Any]) -> None:
    text = _text(client_for(world["people"]["titulaire"]).get("/aide/"))
    for part in ["Discussions", "Propositions", "Bibliothèque", "Mon compte"]:
        assert part in text
    assert "Pilotage DCCU" not in text
    staff_text = _text(client_for(world["people"]["dccu"]).get("/aide/"))
    assert "Pilotage DCCU" in staff_text


def test_dccu_role_alone_is_not_enough_without_two_factor(assembly: Any) -> None:
    person = factories.UserFactory(roles=[Role.DCCU])
    response = client_for(person).get("/pilotage/")
    assert response.status_code == 302
    assert response["Location"] == "/comptes/double-authentification/"


def test_a_person_without_role_sees_a_plain_home(assembly: Any) -> None:
    text = _text(client_for(make_person("no_role", assembly)).get("/"))
    assert "Vous n’avez pas encore de rôle" in text or "Vous n'avez pas encore de rôle" in text


def test_staff_homes_lead_to_their_desks_with_what_waits(world: dict[str, Any]) -> None:
    facilitator_text = _text(client_for(world["people"]["facilitateur"]).get("/"))
    assert "Animation" in facilitator_text
    assert "1 élément à modérer" in facilitator_text  # the proposed document
    assert "Pilotage DCCU" not in facilitator_text
    dccu_text = _text(client_for(world["people"]["dccu"]).get("/"))
    assert "Pilotage DCCU" in dccu_text and "Protection des données" in dccu_text
    committee_text = _text(client_for(world["people"]["comite_suivi"]).get("/"))
    assert "Suivez ce que deviennent les propositions" in committee_text
    for role in ["titulaire", "remplacant", "agent", "comite_suivi"]:
        text = _text(client_for(world["people"][role]).get("/"))
        assert "Pilotage DCCU" not in text and "élément à modérer" not in text, role


def test_both_dashboards_write_the_last_message_the_same_way(world: dict[str, Any]) -> None:
    from config.dates import format_when

    people = world["people"]
    message = factories.send(people["titulaire"], factories.room_of(world["subgroup"]), "Salut")
    when = format_when(message.created_at)  # « 7 déc. 2026, 2 h 59 », never « 7 décembre »
    for person, url in ((people["facilitateur"], "/animation/"), (people["dccu"], "/pilotage/")):
        html = client_for(person).get(url).content.decode()
        # One piece: « 2 h » never wraps away from « 59 » in a narrow column.
        assert re.search(r'<time class="nowrap" datetime="[^"]+">' + re.escape(when), html), url


def test_dashboard_tables_stack_on_a_phone_with_each_figure_labelled(
    world: dict[str, Any],
) -> None:
    # A 390 px phone cut the five columns (and their caption) in a scrolled box.
    for person, url in ((world["people"]["facilitateur"], "/animation/"),
                        (world["people"]["dccu"], "/pilotage/")):
        html = client_for(person).get(url).content.decode()
        assert '<table class="table-stack">' in html, url
        assert '<td data-label="Messages">' in html, url


def test_invitations_read_the_same_on_the_dashboard_and_say_what_to_do_when_none(
    world: dict[str, Any],
) -> None:
    client = client_for(world["people"]["dccu"])
    # The list says « Annulée »: the dashboard's count too (it said « Révoquées »).
    assert "Annulées" in _text(client.get("/pilotage/"))
    response = client.get("/invitations/")
    assert '<table class="table-stack">' in response.content.decode()
    assert "« Importer le tirage au sort » invite toute une liste" in _text(response)


def test_whats_new_gives_each_proposal_one_line_with_its_latest_stage(
    world: dict[str, Any],
) -> None:
    """A proposal moved through several stages in a week is one news item (its latest
    change), so that it does not push the other proposals out of « Quoi de neuf »."""
    from dashboards.queries import whats_new
    from deliberation.models import ProposalStatus, ProposalTransition
    from deliberation.proposals import do_create_proposal

    people = world["people"]
    busy = world["proposal"]
    quiet = do_create_proposal(people["titulaire"], world["subgroup"], "Un marché couvert")
    steps = [ProposalStatus.DRAFT, ProposalStatus.REVIEW, ProposalStatus.SUBMITTED]
    for before, after in zip(steps, steps[1:], strict=False):
        ProposalTransition.objects.create(
            proposal=busy, from_status=before, to_status=after, by=people["facilitateur"]
        )
    ProposalTransition.objects.create(
        proposal=quiet,
        from_status=ProposalStatus.DRAFT,
        to_status=ProposalStatus.REVIEW,
        by=people["facilitateur"],
    )
    news = whats_new(people["titulaire"])["transitions"]
    assert [t.proposal_id for t in news].count(busy.pk) == 1
    latest = next(t for t in news if t.proposal_id == busy.pk)
    assert latest.to_status == ProposalStatus.SUBMITTED
    assert quiet.pk in [t.proposal_id for t in news]
