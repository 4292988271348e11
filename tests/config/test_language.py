"""The interface is French by default, whatever the browser asks; English on request."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client


@pytest.mark.django_db
def test_an_english_browser_still_gets_the_french_interface(client: Client) -> None:
    response = client.get("/comptes/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


@pytest.mark.django_db
def test_choosing_english_switches_the_interface(client: Client, db: Any) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/comptes/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/comptes/login/").content.decode()
    assert 'lang="en"' in page


@pytest.mark.django_db
def test_an_unknown_language_cookie_falls_back_to_french(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    assert 'lang="fr"' in client.get("/comptes/login/").content.decode()
