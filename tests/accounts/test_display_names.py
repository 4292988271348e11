"""No one passes for someone else: names others already show, or the organisers' words,
are refused; staff names carry their role wherever names are shown."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.template import Context, Template
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role, grant_role, revoke_role
from assembly.invitations import do_invite_person
from assembly.models import Assembly
from forums.queries import serialize_message
from tests import factories

LINK = re.compile(r"https?://[^/\s]+/invitations/([A-Za-z0-9_-]{20,})/")


@pytest.fixture
def facilitator(db: Any) -> User:
    return factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Amandine R.")


@pytest.fixture
def neighbour_assembly(db: Any) -> Assembly:
    return factories.make_assembly(name="Assemblée citoyenne du Gers")


def rename(client: Client, person: User, name: str) -> Any:
    return client.post("/mes-donnees/profil/", {
        "display_name": name, "first_name": person.first_name, "last_name": person.last_name,
        "postal_code": person.postal_code,
    })


@pytest.mark.parametrize(
    "name", ["Amandine R.", "amandine r", "Amândine  R", "AMANDINE R.!"],
)
def test_a_member_cannot_take_a_facilitators_name(
    member_client: Client, member: User, facilitator: User, name: str
) -> None:
    response = rename(member_client, member, name)
    assert response.status_code == 200
    assert "Une autre personne utilise déjà ce nom" in response.content.decode()
    member.refresh_from_db()
    assert member.display_name != name


def test_a_member_cannot_take_the_name_another_member_shows(
    member_client: Client, member: User, neighbour_assembly: Assembly
) -> None:
    # Someone without a display name shows their full name.
    factories.make_titulaire(neighbour_assembly, display_name="", first_name="Léa",
                             last_name="Garnier")
    response = rename(member_client, member, "Lea Garnier")
    assert "Une autre personne utilise déjà ce nom" in response.content.decode()


@pytest.mark.parametrize("name", [
    "Équipe DCCU (officiel)", "La modératrice", "Administration", "Département 31",
    "Animatrice Sud", "DPD", "Participant·e n°12",
])
def test_a_member_cannot_use_the_organisers_words(
    member_client: Client, member: User, name: str
) -> None:
    response = rename(member_client, member, name)
    assert response.status_code == 200
    assert "mot réservé aux organisateurs" in response.content.decode()
    member.refresh_from_db()
    assert member.display_name != name


def test_a_name_no_active_person_shows_is_accepted(
    member_client: Client, member: User, facilitator: User, assembly: Assembly
) -> None:
    gone = factories.make_titulaire(assembly, display_name="Sacha P.")
    gone.is_active = False
    gone.save()
    for name in ["Amandine Roux", "Sacha P."]:
        assert rename(member_client, member, name).status_code == 302
        member.refresh_from_db()
        assert member.display_name == name
    # Keeping one's own name while correcting something else is fine.
    assert rename(member_client, member, "Sacha P.").status_code == 302


def test_an_invitee_cannot_accept_under_a_taken_name(
    facilitator: User, assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    dccu = factories.UserFactory(roles=[Role.DCCU])
    with django_capture_on_commit_callbacks(execute=True):
        do_invite_person(dccu, email="agent@example.org", first_name="Amandine",
                         last_name="Rey", role=Role.AGENT, base_url="http://testserver")
    token = LINK.search(mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    visitor = Client()
    response = visitor.post(f"/invitations/{token}/", {"display_name": "Amandine R"})
    assert response.status_code == 200
    assert "Une autre personne utilise déjà ce nom" in response.content.decode()
    assert not User.objects.filter(email="agent@example.org", is_active=True,
                                   display_name="Amandine R").exists()
    response = visitor.post(f"/invitations/{token}/", {"display_name": "Amandine Rey"})
    assert response.status_code == 302


# --- The badge -----------------------------------------------------------------------------


def test_staff_messages_carry_their_role_and_a_look_alike_does_not(
    assembly: Assembly, facilitator: User,
) -> None:
    member = factories.make_titulaire(assembly, display_name="Amandine R")  # before the rule
    subgroup = factories.make_subgroup(assembly, members=[member], facilitators=[facilitator])
    room = factories.room_of(subgroup)
    real = factories.send(facilitator, room, "Bienvenue dans le sous-groupe")
    fake = factories.send(member, room, "Je suis l'animatrice, envoyez-moi vos mots de passe")

    # Live: the payload every socket receives.
    assert serialize_message(real)["author"]["role"] == "facilitateur"
    assert serialize_message(fake)["author"]["role"] == ""

    # Server-rendered: the room page.
    client = Client()
    client.force_login(member)
    page = client.get(reverse("forums:room", args=[room.pk])).content.decode()
    real_item = page[page.index(f'id="m{real.pk}"'):page.index(f'id="m{fake.pk}"')]
    fake_item = page[page.index(f'id="m{fake.pk}"'):]
    assert 'class="badge badge--role"' in real_item and ">animation</span>" in real_item
    assert "badge--role" not in fake_item.split("</p>")[0]


def test_the_badge_follows_the_role(db: Any) -> None:
    agent = factories.UserFactory(display_name="Karim B.")
    assert serialize_author_role(agent) == ""
    grant_role(agent, Role.AGENT)
    assert serialize_author_role(agent) == "agent"
    grant_role(agent, Role.DCCU)
    assert serialize_author_role(agent) == "dccu"
    revoke_role(agent, Role.DCCU)
    revoke_role(agent, Role.AGENT)
    assert serialize_author_role(agent) == ""


def serialize_author_role(person: User) -> str:
    from forums.queries import author_dict

    return author_dict(person)["role"]


@pytest.mark.parametrize("role, label", [(Role.DCCU, "DCCU"), (Role.FACILITATEUR, "animation")])
def test_facilitators_on_the_home_page_show_the_badge(
    assembly: Assembly, member: User, role: Role, label: str
) -> None:
    staff = factories.UserFactory(roles=[role], display_name="Noa T.")
    factories.make_subgroup(assembly, members=[member], facilitators=[staff])
    client = Client()
    client.force_login(member)
    page = client.get("/").content.decode()
    assert re.search(r"Noa T\. <span class=\"badge badge--role\" title=\"[^\"]+\">"
                     + re.escape(label) + "</span>", page)


@pytest.mark.parametrize("role, label", [
    (Role.DCCU, "DCCU"), (Role.DPD, "DPD"), (Role.AGENT, "agent"),
    (Role.FACILITATEUR, "animation"), (Role.COMITE_SUIVI, ""),
])
def test_the_shared_name_tag_labels_each_staff_role(db: Any, role: Role, label: str) -> None:
    staff = factories.UserFactory(roles=[role], display_name="Noa T.")
    html = Template("{% load people %}{% person someone %}").render(Context({"someone": staff}))
    if label:
        assert html.startswith("Noa T. <span") and html.endswith(f">{label}</span>")
    else:
        assert html == "Noa T."
