"""The notification centre's pages, per role: one's own only, 404 for anyone else's."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from assembly.models import Assembly
from notifications.models import Notification, Preference
from tests import factories
from tests.notifications.conftest import ROLES, People, client_for, person_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", ROLES)
def test_each_role_sees_and_opens_its_own_and_gets_404_for_anyone_elses(
    role: str, assembly: Assembly, people: People
) -> None:
    person = person_of(role, assembly)
    mine = Notification.objects.create(
        recipient=person, kind="mention", room=people.plenary, actor=people.alice
    )
    theirs = Notification.objects.create(
        recipient=people.bob, kind="mention", room=people.plenary, actor=people.alice
    )
    client = client_for(person)
    page = client.get("/notifications/").content.decode()
    assert f"/notifications/{mine.pk}/ouvrir/" in page
    assert f"/notifications/{theirs.pk}/ouvrir/" not in page
    assert client.post(f"/notifications/{theirs.pk}/ouvrir/").status_code == 404
    assert client.post(f"/notifications/{theirs.pk.hex[:8]}/ouvrir/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    response = client.post(f"/notifications/{mine.pk}/ouvrir/")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.read_at is not None
    # The titulaire reads the plenary: led to the message; others back to the list.
    readable = people.plenary.get_abilities(person)["read"]
    expected = f"/discussions/salle/{people.plenary.pk}/" if readable else "/notifications/"
    assert response["Location"].startswith(expected)


def test_opening_is_a_post_and_anonymous_people_are_sent_to_log_in(people: People) -> None:
    notification = Notification.objects.create(
        recipient=people.bob, kind="mention", room=people.plenary
    )
    assert (
        client_for(people.bob).get(f"/notifications/{notification.pk}/ouvrir/").status_code == 405
    )
    response = Client().post(f"/notifications/{notification.pk}/ouvrir/")
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


def test_the_bell_counts_unread_ones_in_its_accessible_name(people: People) -> None:
    client = client_for(people.bob)
    page = client.get("/").content.decode()
    assert 'aria-label="Notifications"' in page
    for _ in range(3):
        Notification.objects.create(recipient=people.bob, kind="mention", room=people.plenary)
    Notification.objects.create(recipient=people.carol, kind="mention", room=people.plenary)
    page = client.get("/").content.decode()
    assert 'aria-label="Notifications, 3 non lues"' in page
    assert re.search(r'data-inbox-count aria-hidden="true">3<', page)
    assert "js/inbox.js" in page


def test_the_list_groups_by_day_newest_first_and_marks_all_read(
    people: People, committed: Callable[..., Any]
) -> None:
    now = timezone.now()
    old = Notification.objects.create(
        recipient=people.bob,
        kind="mention",
        room=people.plenary,
        actor=people.alice,
        created_at=now - dt.timedelta(days=3),
    )
    committed(factories.send, people.alice, people.plenary, "Tu viens @Bob D. ?")
    client = client_for(people.bob)
    page = client.get("/notifications/").content.decode()
    assert page.index("Aujourd’hui") < page.index(str(old.pk))
    assert "Alice M. vous a mentionné·e dans « " in page
    assert "Tu viens" not in page
    assert "2 notifications non lues" in page
    response = client.post("/notifications/tout-lu/")
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=people.bob, read_at__isnull=True).exists()
    assert "Tout marquer comme lu" not in client.get("/notifications/").content.decode()


def test_the_list_pages_by_thirty(people: People) -> None:
    for _ in range(31):
        Notification.objects.create(recipient=people.bob, kind="mention", room=people.plenary)
    client = client_for(people.bob)
    first = client.get("/notifications/").content.decode()
    assert first.count("/ouvrir/") == 30 and "Page 1 sur 2" in first
    assert client.get("/notifications/?page=2").content.decode().count("/ouvrir/") == 1


def test_a_notification_about_a_room_one_left_does_not_name_it(people: People) -> None:
    Notification.objects.create(
        recipient=people.carol, kind="mention", room=people.mobility, actor=people.alice
    )
    page = client_for(people.carol).get("/notifications/").content.decode()
    assert "Mobilités" not in page
    assert "une conversation à laquelle vous n’avez plus accès" in page


def test_preferences_are_saved_per_kind_and_channel(people: People) -> None:
    client = client_for(people.bob)
    page = client.get("/notifications/preferences/").content.decode()
    assert "Préférences de notification" in page and "Dans le résumé quotidien" in page
    data = {
        "mention__page": "on",
        "mention__digest": "on",
        "direct__page": "on",
        "direct__email": "on",
    }
    assert client.post("/notifications/preferences/", data).status_code == 302
    preference = Preference.objects.get(user=people.bob)
    assert preference.wants("mention", "page") and not preference.wants("mention", "email")
    assert preference.wants("direct", "email") and not preference.wants("reply", "page")


def test_no_live_bell_behind_the_welcome_gate(people: People) -> None:
    """A page a person reaches before accepting the charter never opens a socket that would
    be refused (and reload the page)."""
    newcomer = factories.UserFactory(accepted_policies=False)
    page = client_for(newcomer).get("/bienvenue/").content.decode()
    assert "data-inbox" in page and "js/inbox.js" not in page
    assert "js/inbox.js" in client_for(people.bob).get("/bienvenue/", follow=True).content.decode()
