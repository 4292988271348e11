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
