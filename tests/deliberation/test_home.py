"""The home page a member sees after login."""

from typing import Any

import pytest
from django.test import Client

from assembly import actions
from tests import factories


def test_anonymous_visitor_is_sent_to_login(client: Client, db: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")


@pytest.mark.django_db
def test_member_sees_mandate_and_subgroup_with_facilitator(assembly: Any, member: Any) -> None:
    from accounts.roles import Role

    facilitator = factories.UserFactory(display_name="Camille Facil", roles=[Role.FACILITATEUR])
    mandate = factories.make_mandate(assembly, title="Mobilités du quotidien")
    actions.do_create_subgroup(
        None, mandate=mandate, name="Transports ruraux", members=[member],
        facilitators=[facilitator],
    )
    client = Client()
    client.force_login(member)
    page = client.get("/").content.decode()
    assert "Mobilités du quotidien" in page
    assert "Transports ruraux" in page
    assert "Camille Facil" in page
