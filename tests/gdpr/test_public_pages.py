"""« Données personnelles », « Mentions légales » and the accessibility statement: public."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils.html import escape

from accounts.models import User
from accounts.roles import Role
from gdpr import consent
from gdpr.models import AccessCopy, ConsentRecord, PolicyText, TextKind
from gdpr.registry import get_declaration
from tests import factories

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/donnees-personnelles/", "/mentions-legales/", "/accessibilite/"]


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_are_reachable_without_logging_in(client: Client, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")


def test_privacy_page_shows_the_current_notice_register_summary_and_dpo(client: Client) -> None:
    content = client.get("/donnees-personnelles/").content.decode()
    notice = PolicyText.current(TextKind.NOTICE)
    assert notice is not None
    assert escape(notice.title) in content
    assert "CNIL" in content and 'href="/mes-donnees/"' in content
    # The summary is generated from the declarations, retention included.
    for model in (ConsentRecord, AccessCopy, User):
        declaration = get_declaration(model)
        assert declaration is not None
        assert escape(str(declaration.retention.description)) in content
    assert 'href="mailto:dpd.haute-garonne@cd31.fr"' in content
    assert "05 34 33 36 06" in content


@override_settings(DPO_EMAIL="dpo@exemple.fr", DPO_PHONE="05 61 00 00 00")
def test_privacy_page_follows_the_dpo_contact_in_settings(client: Client) -> None:
    content = client.get("/donnees-personnelles/").content.decode()
    assert "dpo@exemple.fr" in content and "05 61 00 00 00" in content
    assert "dpd.haute-garonne@cd31.fr" not in content
    legal = client.get("/mentions-legales/").content.decode()
    assert "dpo@exemple.fr" in legal


def test_privacy_page_shows_a_newly_published_notice(client: Client) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD])
    draft = consent.do_create_policy_draft(
        dpd, kind=TextKind.NOTICE, title="Notice révisée", body="## Nouveau\n\nTexte révisé."
    )
    assert "Notice révisée" not in client.get("/donnees-personnelles/").content.decode()
    consent.do_publish_policy_text(dpd, draft)
    content = client.get("/donnees-personnelles/").content.decode()
    assert "Notice révisée" in content and "<h2>Nouveau</h2>" in content


def test_legal_notice_names_the_publisher_host_and_licence(client: Client) -> None:
    content = client.get("/mentions-legales/").content.decode()
    assert "Conseil départemental de la Haute-Garonne" in content
    assert "1 boulevard de la Marquette, 31090 Toulouse Cedex 9" in content
    assert "AGPL-3.0-or-later" in content


@override_settings(AGORA_HOST_PROVIDER="Hébergeur Exemple SAS, 31000 Toulouse",
                   AGORA_SOURCE_URL="https://forge.example.org/agora")
def test_legal_notice_follows_the_host_and_source_settings(client: Client) -> None:
    content = client.get("/mentions-legales/").content.decode()
    assert "Hébergeur Exemple SAS, 31000 Toulouse" in content
    assert 'href="https://forge.example.org/agora"' in content


def test_every_page_links_to_the_public_pages_in_its_footer(
    client: Client, member_client: Client
) -> None:
    for response in (client.get("/comptes/login/"), member_client.get("/")):
        footer = response.content.decode().split('class="site-footer"', 1)[1]
        for url in PUBLIC_PAGES:
            assert f'href="{url}"' in footer
    member_footer = member_client.get("/").content.decode().split('class="site-footer"')[1]
    assert 'href="/confidentialite/choix/"' in member_footer


def test_someone_who_has_not_accepted_yet_can_read_the_public_pages(
    assembly: Any,
) -> None:
    newcomer = factories.make_titulaire(assembly, accepted_policies=False)
    client = Client()
    client.force_login(newcomer)
    for url in PUBLIC_PAGES:
        assert client.get(url).status_code == 200, url
