"""French error pages, and nobody deletes a person from the admin (erasure does it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_missing_page_answers_in_french_with_the_site_around_it(client: Client) -> None:
    member = factories.UserFactory()
    client.force_login(member)
    response = client.get("/cette-page-n-existe-pas/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page
    assert 'lang="fr"' in page
    assert "Accueil" in page  # the site's navigation, not Django's bare page


def test_a_refusal_answers_in_french(client: Client) -> None:
    member = factories.UserFactory()
    client.force_login(member)
    response = client.get("/invitations/")  # the DCCU's page
    assert response.status_code == 403
    assert "Accès refusé" in response.content.decode()


def test_a_form_without_its_csrf_token_is_explained_in_french() -> None:
    client = Client(enforce_csrf_checks=True)
    member = factories.UserFactory()
    client.force_login(member)
    response = client.post("/bibliotheque/proposer/", {"title": "x"})
    assert response.status_code == 403
    assert "Renvoyez le formulaire" in response.content.decode()


def test_the_admin_never_deletes_a_person(dccu_client: Client, dccu: User, member: Any) -> None:
    page = dccu_client.get(f"/admin/accounts/user/{member.pk}/delete/")
    assert page.status_code == 403
    response = dccu_client.post(f"/admin/accounts/user/{member.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert User.objects.filter(pk=member.pk).exists()
    # Nor in bulk from the list.
    listing = dccu_client.post(
        "/admin/accounts/user/",
        {"action": "delete_selected", "_selected_action": [str(member.pk)], "post": "yes"},
    )
    assert listing.status_code in (200, 302)
    assert User.objects.filter(pk=member.pk).exists()


def test_the_server_error_page_is_french_and_stands_alone(rf: Any) -> None:
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "Une erreur est survenue" in page
    assert "/static/css/agora.css" in page or "agora" in page
