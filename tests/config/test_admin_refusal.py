"""``/admin/`` for a logged-in person without the role: a French 403, never a redirect loop.

The admin sends a refused person to its login page, which sends everyone to allauth's
(accounts.middleware: the second factor), which sends a logged-in person back to ``next``
(the admin): ERR_TOO_MANY_REDIRECTS in the browser.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.roles import Role
from tests import factories


def _follow(client: Client, url: str, limit: int = 10) -> tuple[list[str], Any]:
    """Follow redirects by hand, stopping at the first address seen twice."""
    seen: list[str] = []
    response = client.get(url)
    while response.status_code in (301, 302) and len(seen) < limit:
        seen.append(url)
        url = response["Location"]
        if url in seen:
            break
        response = client.get(url)
    return seen, response


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["titulaire", "facilitateur", "agent", "comite_suivi", "none"])
def test_admin_refuses_a_logged_in_person_without_the_role_in_french(
    role: str, assembly: Any
) -> None:
    if role == "titulaire":
        person = factories.make_titulaire(assembly)
    elif role == "none":
        person = factories.UserFactory()
    else:
        person = factories.UserFactory(roles=[Role(role)])
    client = Client()
    client.force_login(person)
    for url in ["/admin/", "/admin/assembly/membership/", "/admin/login/?next=/admin/"]:
        visited, response = _follow(client, url)
        assert response.status_code == 403, (url, visited, response.status_code)
        assert "Accès refusé" in response.content.decode() or "Action non autorisée" in (
            response.content.decode()
        )


@pytest.mark.django_db
def test_admin_still_sends_anonymous_visitors_to_the_login_page() -> None:
    response = Client().get("/admin/")
    assert response.status_code == 302
    assert "login" in response["Location"]
    response = Client().get("/admin/login/?next=/admin/")
    assert response["Location"].startswith("/comptes/login/")


@pytest.mark.django_db
def test_admin_login_page_sends_the_dccu_to_the_admin(dccu_client: Client) -> None:
    response = dccu_client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/admin/"
