"""Reading comfort: text size, contrast, motion and spacing, kept per person and applied by
the server on <html> of every page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import ReadingPreferences, User
from assembly.models import Assembly
from tests import factories

URL = "/comptes/confort-de-lecture/"


def _html_tag(client: Client, url: str = "/") -> str:
    body = client.get(url).content.decode()
    found = re.search(r"<html[^>]*>", body)
    assert found is not None
    return found.group(0)


@pytest.mark.django_db
def test_the_page_is_in_the_account_menu_and_offers_every_size_up_to_200(
    member_client: Client,
) -> None:
    body = member_client.get(URL).content.decode()
    assert "Confort de lecture" in body
    assert f'href="{URL}"' in member_client.get("/").content.decode()
    for size in (100, 125, 150, 175, 200):
        assert f'value="{size}"' in body


@pytest.mark.django_db
def test_saved_settings_are_kept_and_drawn_on_html_of_every_page(
    member: User, member_client: Client
) -> None:
    response = member_client.post(
        URL, {"text_size": "200", "high_contrast": "on", "reduced_motion": "on",
              "dyslexia_spacing": "on"},
    )
    assert response.status_code == 302 and response["Location"] == URL
    preferences = ReadingPreferences.objects.get(user=member)
    assert (preferences.text_size, preferences.high_contrast, preferences.reduced_motion,
            preferences.dyslexia_spacing) == (200, True, True, True)
    for url in ("/", "/aide/", URL):
        tag = _html_tag(member_client, url)
        assert 'data-text-size="200"' in tag, url
        assert 'class="comfort-contrast comfort-still comfort-spacing"' in tag, url


@pytest.mark.django_db
def test_the_defaults_leave_html_bare_and_a_change_back_is_kept(
    member: User, member_client: Client
) -> None:
    assert _html_tag(member_client) == '<html lang="fr">'
    member_client.post(URL, {"text_size": "150"})
    assert _html_tag(member_client) == '<html lang="fr" data-text-size="150">'
    member_client.post(URL, {"text_size": "100"})
    assert _html_tag(member_client) == '<html lang="fr">'
    assert ReadingPreferences.objects.get(user=member).text_size == 100


@pytest.mark.django_db
@pytest.mark.parametrize("size", ["90", "250", "big", ""])
def test_a_size_outside_the_list_is_refused(
    size: str, member: User, member_client: Client
) -> None:
    response = member_client.post(URL, {"text_size": size})
    assert response.status_code == 200
    assert "field--invalid" in response.content.decode()
    assert not ReadingPreferences.objects.filter(user=member).exists()


@pytest.mark.django_db
def test_settings_are_ones_own(assembly: Assembly, member: User, member_client: Client) -> None:
    other = factories.make_titulaire(assembly)
    member_client.post(URL, {"text_size": "175", "user": str(other.pk)})
    assert list(ReadingPreferences.objects.values_list("user_id", flat=True)) == [member.pk]
    neighbour = Client()
    neighbour.force_login(other)
    assert "data-text-size" not in _html_tag(neighbour)


@pytest.mark.django_db
def test_the_page_asks_for_a_login_and_the_form_checks_the_csrf_token(member: User) -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(URL, {"text_size": "200"}).status_code == 403
    assert not ReadingPreferences.objects.exists()
