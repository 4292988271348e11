"""The notification centre's personal data: erasure of either side, and retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from gdpr.erasure import erase_person
from gdpr.registry import get_declaration
from gdpr.retention import due_queryset
from notifications.models import Notification
from notifications.render import sentence
from tests import factories
from tests.notifications.conftest import People

pytestmark = pytest.mark.django_db


def test_an_erased_actor_leaves_no_name_in_the_notifications_of_others(
    people: People, committed: Callable[..., Any]
) -> None:
    committed(factories.send, people.alice, people.plenary, "Bonjour @Bob D.")
    notification = Notification.objects.get(recipient=people.bob)
    assert "Alice M." in sentence(notification, people.bob)
    erase_person(people.alice)
    notification.refresh_from_db()
    assert notification.actor_id is None
    text = sentence(notification, people.bob)
    assert text.startswith("Quelqu’un vous a mentionné·e") and "Alice" not in text
    row = Notification.objects.filter(pk=notification.pk).values().get()
    assert not any("Alice" in str(value) or "Martin" in str(value) for value in row.values())


def test_erasing_the_recipient_deletes_their_notifications(
    people: People, committed: Callable[..., Any]
) -> None:
    committed(factories.send, people.alice, people.plenary, "Bonjour @Bob D. et @Carol P.")
    erase_person(people.bob)
    assert not Notification.objects.filter(recipient=people.bob).exists()
    assert Notification.objects.filter(recipient=people.carol).count() == 1


def test_read_ones_go_after_90_days_and_every_one_after_a_year(people: People) -> None:
    now = timezone.now()
    day = dt.timedelta(days=1)

    def row(created_days_ago: int, read_days_ago: int | None) -> Notification:
        return Notification.objects.create(
            recipient=people.bob,
            kind="mention",
            room=people.plenary,
            created_at=now - created_days_ago * day,
            read_at=None if read_days_ago is None else now - read_days_ago * day,
        )

    kept = [row(100, 89), row(364, None), row(10, 5)]
    due = [row(100, 91), row(366, None), row(400, 300), row(380, 10)]
    declaration = get_declaration(Notification)
    assert declaration is not None
    found = set(due_queryset(declaration, now=now).values_list("pk", flat=True))
    assert found == {n.pk for n in due}
    assert not found & {n.pk for n in kept}
