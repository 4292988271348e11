"""Reading paths: progress per person, only readable documents counted, « lu » toggles."""

from __future__ import annotations

import pytest

from accounts.roles import Role
from assembly.models import Assembly
from documents.models import ReadingProgress
from tests import factories
from tests.documents.people import ROLES, client_for, person


@pytest.fixture
def welcome_path(db: None) -> object:
    docs = [factories.DocumentFactory(title=f"Étape {i}") for i in range(1, 5)]
    docs.append(factories.DocumentFactory(title="Étape réservée", audience="equipe"))
    return factories.make_path("Bienvenue dans l'Assemblée", docs, slug="bienvenue")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_paths_pages_per_role(role: str, assembly: Assembly, welcome_path: object) -> None:
    client = client_for(person(role, assembly))
    listing = client.get("/bibliotheque/parcours/")
    page = client.get("/bibliotheque/parcours/bienvenue/")
    if role == "anonymous":
        assert listing.status_code == page.status_code == 302
        return
    if role == "dpd":  # reads no document of the path
        assert listing.status_code == 200 and "Bienvenue" not in listing.content.decode()
        assert page.status_code == 404
        return
    assert listing.status_code == page.status_code == 200
    staff = role in {"facilitateur", "agent", "dccu"}
    total = 5 if staff else 4
    assert f'max="{total}" value="0"' in listing.content.decode()
    assert ("Étape réservée" in page.content.decode()) == staff


@pytest.mark.django_db
def test_marking_read_moves_the_progress_bar(assembly: Assembly, welcome_path: object) -> None:
    member = factories.make_titulaire(assembly)
    client = client_for(member)
    first = factories.DocumentFactory._meta.model.objects.get(title="Étape 1")
    response = client.post(f"/bibliotheque/{first.pk}/lu/",
                           {"read": "1", "next": "/bibliotheque/parcours/bienvenue/"})
    assert response["Location"] == "/bibliotheque/parcours/bienvenue/"
    assert ReadingProgress.objects.filter(user=member, document=first).exists()
    page = client.get("/bibliotheque/parcours/bienvenue/").content.decode()
    assert 'max="4" value="1"' in page
    home = client.get("/").content.decode()
    assert 'max="4" value="1"' in home
    # « Lu ✓ » can be taken back; an outside `next` is ignored.
    response = client.post(f"/bibliotheque/{first.pk}/lu/",
                           {"read": "0", "next": "https://evil.example/"})
    assert response["Location"] == f"/bibliotheque/{first.pk}/"
    assert not ReadingProgress.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_nobody_marks_read_a_document_they_may_not_read(assembly: Assembly,
                                                        welcome_path: object) -> None:
    member = factories.make_titulaire(assembly)
    hidden = factories.DocumentFactory._meta.model.objects.get(title="Étape réservée")
    assert client_for(member).post(f"/bibliotheque/{hidden.pk}/lu/").status_code == 404
    assert not ReadingProgress.objects.exists()
    agent = factories.UserFactory(roles=[Role.AGENT])
    assert client_for(agent).post(f"/bibliotheque/{hidden.pk}/lu/").status_code == 302
