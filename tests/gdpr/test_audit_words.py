"""The audit trail in words on the DPD's pages, never codes and ids alone."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from accounts.demo import enrol_demo_totp
from accounts.roles import Role
from forums.models import Room
from gdpr import audit
from gdpr.audit_words import describe
from gdpr.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def test_an_admin_view_reads_as_a_sentence(assembly: Any) -> None:
    dccu = factories.UserFactory(roles=[Role.DCCU], display_name="Claire D.")
    plenary = factories.plenary_room(factories.make_mandate(assembly))
    audit.record(dccu, "admin.view", obj=plenary, page="change")
    [line] = describe(AuditEntry.objects.filter(action="admin.view"))
    assert line.sentence == (
        f"Claire D. (DCCU) a consulté « {plenary.name} » (salon) dans l’administration"
    )
    assert plenary.name.startswith("Plénière")


def test_people_objects_and_unknown_actions_are_named_without_ids(assembly: Any) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD], display_name="Paul R.")
    member = factories.make_titulaire(assembly, display_name="Marc L.")
    audit.record(dpd, "gdpr.consent.view", subject=member)
    audit.record(dpd, "admin.view", subject=member, obj=member)
    audit.record(None, "gdpr.retention.apply")
    audit.record(dpd, "something.new")
    gone = factories.plenary_room(factories.make_mandate(assembly))
    audit.record(dpd, "forums.room.update", obj=gone)
    Room.objects.filter(pk=gone.pk).update(name="Ancien nom")
    sentences = [line.sentence for line in describe(AuditEntry.objects.order_by("at", "pk"))]
    assert sentences == [
        "Paul R. (DPD) a consulté les consentements de Marc L. (membre titulaire)",
        "Paul R. (DPD) a consulté la fiche de Marc L. (membre titulaire) dans l’administration",
        "La plateforme a appliqué les règles de conservation",
        "Paul R. (DPD) : something.new",
        "Paul R. (DPD) a modifié « Ancien nom » (salon)",
    ]
    for sentence in sentences:
        assert str(member.pk) not in sentence and str(gone.pk) not in sentence


def test_the_dpd_home_and_journal_show_the_trail_in_words(assembly: Any) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD])
    enrol_demo_totp(dpd)
    dccu = factories.UserFactory(roles=[Role.DCCU], display_name="Claire D.")
    plenary = factories.plenary_room(factories.make_mandate(assembly))
    audit.record(dccu, "admin.view", obj=plenary)
    client = Client()
    client.force_login(dpd)
    for url in ["/dpd/", "/dpd/journal/"]:
        html = client.get(url).content.decode()
        assert f"Claire D. (DCCU) a consulté « {plenary.name} » (salon)" in html, url
    # Reading the trail on the home page is itself in the trail.
    assert AuditEntry.objects.filter(
        actor=dpd, action="gdpr.audit.view", details__page="home"
    ).exists()


def test_the_journal_writes_its_dates_the_one_way(assembly: Any) -> None:
    from config.dates import format_when

    dpd = factories.UserFactory(roles=[Role.DPD])
    enrol_demo_totp(dpd)
    audit.record(dpd, "something.new")
    entry = AuditEntry.objects.get(action="something.new")
    client = Client()
    client.force_login(dpd)
    html = client.get("/dpd/journal/").content.decode()
    assert f">{format_when(entry.at)}</time>" in html  # « 7 déc. 2026, 3 h 20 »
    assert " Déc " not in html and "Dec " not in html  # not « 7 Déc 2026, 03:20:20 »


def test_the_dpd_reads_one_name_for_the_trail(assembly: Any) -> None:
    # The page is « Journal des opérations »: its links and sentences say the same.
    dpd = factories.UserFactory(roles=[Role.DPD])
    enrol_demo_totp(dpd)
    client = Client()
    client.force_login(dpd)
    for url in ["/", "/dpd/", "/dpd/journal/"]:
        html = client.get(url).content.decode()
        assert "journal des accès" not in html.lower(), url
    assert "Tout le journal des opérations" in client.get("/dpd/").content.decode()
