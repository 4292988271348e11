"""Pages behind login are never cached; static files and public pages keep their caching.

The URL list of tests/test_permission_matrix.py checks every page role by role.
"""

from __future__ import annotations

from django.test import Client


def test_a_logged_in_page_is_private_and_not_stored(member_client: Client) -> None:
    response = member_client.get("/")
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


def test_static_files_stay_cacheable_for_logged_in_people(member_client: Client) -> None:
    response = member_client.get("/static/js/chat.js")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response.get("Cache-Control", "")


def test_a_public_page_for_an_anonymous_visitor_is_not_marked_private(client: Client) -> None:
    response = client.get("/mentions-legales/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
