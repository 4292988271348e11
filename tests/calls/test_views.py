"""The attendance pages of calls (calls/views.py) and the call panel of a room's page."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client

from calls import actions
from tests.calls.world import CallWorld, make_call_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> CallWorld:
    return make_call_world()


def client_of(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_facilitator_downloads_who_attended_and_for_how_long(world: CallWorld) -> None:
    world.alice.display_name = "=HYPERLINK(1)"
    world.alice.save()
    call, _ = actions.do_join_call(world.alice, world.mobility, channel="a")
    actions.do_join_call(world.bob, world.mobility, channel="b")
    actions.do_leave_call(world.alice, call)
    response = client_of(world.fanny).get(f"/appels/{call.pk}/presences.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="presences-')
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 3
    names = [row[0] for row in rows[1:]]
    assert names[1] == "Bob"
    assert names[0].startswith("'=")  # never a formula in a spreadsheet
    assert rows[1][2] != "" and rows[2][2] == ""  # Alice left, Bob is still in


def test_member_may_not_download_the_attendance(world: CallWorld) -> None:
    call, _ = actions.do_join_call(world.alice, world.mobility, channel="a")
    assert client_of(world.bob).get(f"/appels/{call.pk}/presences.csv").status_code == 403
    assert client_of(world.carol).get(f"/appels/{call.pk}/presences.csv").status_code == 404


def test_room_page_shows_who_is_in_the_call_and_never_recorded(world: CallWorld) -> None:
    actions.do_join_call(world.alice, world.mobility, channel="a")
    page = client_of(world.bob).get(f"/discussions/salle/{world.mobility.pk}/")
    text = page.content.decode()
    assert "Rejoindre l’audio en direct" in text or "Rejoindre l'audio en direct" in text
    assert "1 personne dans l’appel" in text or "1 personne dans l'appel" in text
    assert "Alice" in text
    assert "jamais enregistrés" in text
    # Members get no facilitator controls.
    assert 'id="call-end"' not in text
    assert (
        'id="call-end"'
        in client_of(world.fanny).get(f"/discussions/salle/{world.mobility.pk}/").content.decode()
    )


def test_room_list_and_home_show_rooms_with_a_call(world: CallWorld) -> None:
    actions.do_join_call(world.alice, world.mobility, channel="a")
    bob = client_of(world.bob)
    assert "appel en direct, 1 personne" in bob.get("/discussions/").content.decode()
    home = bob.get("/").content.decode()
    assert "Appels en cours" in home and "Mobilités" in home
    # Carol reads neither the room nor its call.
    assert "Appels en cours" not in client_of(world.carol).get("/").content.decode()


def test_room_list_has_an_empty_call_badge_for_rooms_without_a_call(world: CallWorld) -> None:
    """rooms.js fills it from ``call.live``: the words for one and several are on it."""
    page = client_of(world.bob).get("/discussions/").content.decode()
    badge = f'<span data-call-badge="{world.mobility.pk}"'
    assert badge in page
    after = page.split(badge, 1)[1]
    assert 'data-one="appel en direct, %(counter)s personne"' in after.split("</span>", 1)[0]
    assert 'data-many="appel en direct, %(counter)s personnes"' in after.split("</span>", 1)[0]
    assert after.split(">", 1)[1].startswith("</span>")  # empty, no badge shown
    assert "badge--call" not in page
