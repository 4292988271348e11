"""The admin stays for rare edits, in clean French."""

from __future__ import annotations

import re

import pytest
from django.test import Client


@pytest.mark.django_db
def test_admin_index_has_one_section_per_thing_in_french(dccu_client: Client) -> None:
    html = dccu_client.get("/admin/").content.decode()
    sections = re.findall(r'<caption>\s*<a[^>]*class="section"[^>]*>([^<]+)</a>', html)
    assert sections, html[:500]
    assert len(sections) == len(set(sections)), sections
    assert "Personnes et accès" in sections and "Adresses de connexion" in sections


@pytest.mark.django_db
def test_admin_add_and_change_titles_read_as_french(dccu_client: Client) -> None:
    html = dccu_client.get("/admin/assembly/assembly/add/").content.decode()
    assert "Ajouter : assemblée" in html
    assert "Ajout de" not in html
    html = dccu_client.get("/admin/assembly/canton/").content.decode()
    assert "Ajout de" not in html


@pytest.mark.django_db
def test_admin_lists_and_role_filters_read_as_french(dccu_client: Client) -> None:
    html = dccu_client.get("/admin/accounts/user/").content.decode()
    assert "l’objet" not in html and "Choisir une fiche à modifier : personne" in html
    # Roles by their French names, capitalised; never the groups' codes.
    assert "Équipe DCCU" in html and "Membre titulaire" in html
    assert ">comite_suivi<" not in html and ">dccu<" not in html
    html = dccu_client.get("/admin/accounts/user/?role=dccu").content.decode()
    assert "dccu@" in html or "1 personne" in html


@pytest.mark.django_db
def test_admin_person_form_names_roles_in_french(dccu_client: Client) -> None:
    from accounts.roles import Role
    from tests.factories import UserFactory

    agent = UserFactory(roles=[Role.AGENT])
    html = dccu_client.get(f"/admin/accounts/user/{agent.pk}/change/").content.decode()
    assert ">Agent du Département</option>" in html and ">comite_suivi<" not in html
