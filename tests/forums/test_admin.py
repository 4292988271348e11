"""The conversations' admin: the DCCU reads and moderates, never a private exchange unreported."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from forums import actions
from forums.models import Message, Room
from gdpr.models import AuditEntry
from tests import factories

CHANGELISTS = ["room", "message", "report", "mute"]


def staff_client(user: User) -> Client:
    enrol_demo_totp(user)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rooms(assembly: Assembly, member: User) -> dict[str, Room]:
    other = factories.make_titulaire(assembly)
    subgroup = factories.make_subgroup(assembly, members=[member, other])
    direct = factories.direct_room(member, other)
    return {"subgroup": factories.room_of(subgroup), "direct": direct}


@pytest.mark.parametrize("model", CHANGELISTS)
def test_dccu_opens_every_changelist(
    dccu_client: Client, rooms: dict[str, Room], model: str
) -> None:
    assert dccu_client.get(f"/admin/forums/{model}/").status_code == 200


@pytest.mark.parametrize("model", CHANGELISTS)
def test_the_dpo_has_no_access_to_conversations(
    rooms: dict[str, Room], model: str
) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD])
    assert staff_client(dpd).get(f"/admin/forums/{model}/").status_code == 403


def test_direct_conversations_stay_out_of_the_admin_until_a_message_is_reported(
    dccu_client: Client, rooms: dict[str, Room], member: User
) -> None:
    public = factories.send(member, rooms["subgroup"], "Dans le groupe")
    private = factories.send(member, rooms["direct"], "Entre nous seulement")
    listing = dccu_client.get("/admin/forums/message/").content.decode()
    assert "Dans le groupe" in listing and "Entre nous" not in listing
    rooms_page = dccu_client.get("/admin/forums/room/").content.decode()
    assert str(rooms["direct"].pk) not in rooms_page
    assert dccu_client.get(
        reverse("admin:forums_room_change", args=[rooms["direct"].pk])
    ).status_code in (302, 404)
    other = rooms["direct"].participants.exclude(pk=member.pk).get()
    actions.do_report_message(other, private, reason="Harcèlement")
    listing = dccu_client.get("/admin/forums/message/").content.decode()
    assert "Entre nous seulement" in listing
    assert public.pk


def test_dccu_hides_reported_messages_from_the_admin(
    dccu_client: Client, rooms: dict[str, Room], member: User
) -> None:
    message = factories.send(member, rooms["direct"], "Message blessant")
    other = rooms["direct"].participants.exclude(pk=member.pk).get()
    report = actions.do_report_message(other, message, reason="Insulte")
    response = dccu_client.post(
        "/admin/forums/report/",
        {"action": "hide_messages", "_selected_action": [str(report.pk)]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.hidden_at is not None and message.hidden_reason == "Insulte"
    assert AuditEntry.objects.filter(action="forums.message.hide").exists()


def test_dccu_pins_a_charter_and_archives_a_room(
    dccu_client: Client, rooms: dict[str, Room], dccu: User
) -> None:
    room = rooms["subgroup"]
    url = reverse("admin:forums_room_change", args=[room.pk])
    assert dccu_client.get(url).status_code == 200
    response = dccu_client.post(url, {"name": "Mobilité (archivé)", "charter": "Respect.",
                                      "archived": "on", "participants": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    room.refresh_from_db()
    assert room.name == "Mobilité (archivé)" and room.charter == "Respect."
    assert room.archived_at is not None
    assert AuditEntry.objects.filter(action="forums.room.update", actor=dccu).exists()
    member = room.subgroup.members.first()
    assert not room.get_abilities(member)["write"]


def test_nothing_is_added_or_deleted_from_the_admin(
    dccu_client: Client, rooms: dict[str, Room], member: User
) -> None:
    message = factories.send(member, rooms["subgroup"])
    assert dccu_client.get("/admin/forums/room/add/").status_code == 403
    assert dccu_client.get(
        reverse("admin:forums_message_delete", args=[message.pk])
    ).status_code == 403
    assert Message.objects.filter(pk=message.pk).exists()


def test_no_query_per_row_in_the_message_list(
    dccu_client: Client, rooms: dict[str, Room], member: User, settings: Any,
    django_assert_max_num_queries: Any,
) -> None:
    settings.FORUMS_RATE_LIMIT = (1000, 1)
    for i in range(30):
        factories.send(member, rooms["subgroup"], f"Message {i}")
    with django_assert_max_num_queries(25):
        assert dccu_client.get("/admin/forums/message/").status_code == 200
