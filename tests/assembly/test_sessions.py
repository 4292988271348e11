"""Sessions: who is convened, replies, convocations and reminders, the ICS feed, the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly import sessions as ops
from assembly.convocations import send_reminders
from assembly.models import Assembly, CalendarFeed, SessionMailing
from notifications.models import Notification
from tests import factories

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _immediate_tasks(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tasks run at once, and what waits for the commit runs now (the test's transaction
    never commits)."""
    settings.TASKS = IMMEDIATE
    monkeypatch.setattr("django.db.transaction.on_commit",
                        lambda func, using=None, robust=False: func())


@pytest.fixture
def people(assembly: Assembly) -> dict[str, User]:
    titulaire = factories.make_titulaire(assembly)
    other = factories.make_titulaire(assembly)
    substitute = factories.make_substitute(assembly, factories.seat(assembly))
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    outsider_facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    committee = factories.UserFactory(roles=[Role.COMITE_SUIVI])
    dccu = factories.UserFactory(roles=[Role.DCCU])
    enrol_demo_totp(dccu)
    subgroup = factories.make_subgroup(assembly, members=[titulaire],
                                       facilitators=[facilitator])
    return {"titulaire": titulaire, "other": other, "substitute": substitute,
            "facilitator": facilitator, "outsider_facilitator": outsider_facilitator,
            "committee": committee, "dccu": dccu, "subgroup": subgroup}  # type: ignore[dict-item]


def _session(actor: User, *, kind: str = "pleniere", days: float = 10, **extra: Any) -> Any:
    start = timezone.now() + dt.timedelta(days=days)
    data: dict[str, Any] = {
        "kind": kind, "title": extra.pop("title", "Plénière d'hiver"), "starts_at": start,
        "ends_at": start + dt.timedelta(hours=3), "place": "Hôtel du Département, Toulouse",
        "online": False, "agenda": "Accueil\nTravail en sous-groupes",
    }
    return ops.do_create_session(actor, **(data | extra))


@pytest.mark.django_db
def test_plenary_convenes_titulaires_and_facilitators_not_substitutes(people: dict) -> None:
    session = _session(people["dccu"], facilitators=[people["facilitator"]])
    convened = ops.convened_ids(session)
    assert {people["titulaire"].pk, people["other"].pk, people["facilitator"].pk} <= convened
    assert people["substitute"].pk not in convened
    assert people["committee"].pk not in convened
    # Substitutes see the plenary in their agenda, as readers who answer nothing.
    assert session in ops.sessions_for(people["substitute"])
    abilities = session.get_abilities(people["substitute"])
    assert abilities["read"] and not abilities["reply"]


@pytest.mark.django_db
def test_subgroup_session_convenes_its_members_only(people: dict) -> None:
    session = _session(people["facilitator"], kind="sous_groupe", subgroup=people["subgroup"],
                       title="Mobilité, séance 3")
    convened = ops.convened_ids(session)
    assert convened == {people["titulaire"].pk, people["facilitator"].pk}
    assert list(ops.sessions_for(people["other"])) == []
    assert not session.get_abilities(people["other"])["read"]


@pytest.mark.django_db
def test_committee_meeting_convenes_the_committee(people: dict) -> None:
    session = _session(people["dccu"], kind="comite_suivi", title="Comité de suivi")
    assert ops.convened_ids(session) == {people["committee"].pk}
    assert session in ops.sessions_for(people["committee"])


@pytest.mark.django_db
def test_facilitator_organises_only_the_sessions_of_their_subgroup(people: dict) -> None:
    with pytest.raises(ValidationError):
        _session(people["facilitator"], kind="pleniere")
    with pytest.raises(PermissionDenied):
        _session(people["titulaire"], kind="sous_groupe", subgroup=people["subgroup"])
    mine = _session(people["facilitator"], kind="sous_groupe", subgroup=people["subgroup"])
    with pytest.raises(PermissionDenied):
        ops.do_cancel_session(people["outsider_facilitator"], mine)
    ops.do_cancel_session(people["facilitator"], mine)
    assert mine.is_cancelled


@pytest.mark.django_db
def test_convocation_is_emailed_with_ics_and_shown_in_the_page(people: dict) -> None:
    session = _session(people["dccu"])
    to_titulaire = [m for m in mail.outbox if people["titulaire"].email in m.to]
    assert len(to_titulaire) == 1
    message = to_titulaire[0]
    assert "Convocation" in message.subject
    assert "Hôtel du Département" in message.body and "Travail en sous-groupes" in message.body
    name, content, mimetype = message.attachments[0]
    assert name == "seance.ics" and mimetype.startswith("text/calendar")
    events = Calendar.from_ical(content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in events] == ["Plénière d'hiver"]
    assert Notification.objects.filter(recipient=people["titulaire"], session=session).exists()
    assert not [m for m in mail.outbox if people["substitute"].email in m.to]


@pytest.mark.django_db
def test_reply_changes_until_the_session_starts(people: dict) -> None:
    session = _session(people["dccu"], online=True)
    ops.do_reply(people["titulaire"], session, "vient")
    ops.do_reply(people["titulaire"], session, "visio")
    assert ops.reply_of(session, people["titulaire"]).answer == "visio"  # type: ignore[union-attr]
    summary = ops.reply_summary(session)
    assert summary["online"] == 1 and summary["no_answer"] == summary["total"] - 1
    with pytest.raises(PermissionDenied):
        ops.do_reply(people["substitute"], session, "vient")
    session.starts_at = timezone.now() - dt.timedelta(minutes=1)
    session.save()
    with pytest.raises(ValidationError):
        ops.do_reply(people["titulaire"], session, "absent")


@pytest.mark.django_db
def test_reminders_go_once_and_never_to_those_who_declined(people: dict) -> None:
    session = _session(people["dccu"], days=6.5)
    ops.do_reply(people["other"], session, "absent")
    SessionMailing.objects.filter(kind="convocation").update(
        sent_at=timezone.now() - dt.timedelta(days=5))
    mail.outbox.clear()
    first = send_reminders()
    assert first >= 1
    reminded = {address for m in mail.outbox for address in m.to}
    assert people["titulaire"].email in reminded
    assert people["other"].email not in reminded
    assert all("one week" in m.subject or "une semaine" in m.subject for m in mail.outbox)
    mail.outbox.clear()
    assert send_reminders() == 0
    assert mail.outbox == []
    # The day before: the J-1 reminder, once too.
    tomorrow = timezone.now() + dt.timedelta(days=6)
    assert send_reminders(tomorrow) == first
    assert send_reminders(tomorrow) == 0


@pytest.mark.django_db
def test_no_reminder_for_a_cancelled_session(people: dict) -> None:
    session = _session(people["dccu"], days=0.5)
    ops.do_cancel_session(people["dccu"], session)
    mail.outbox.clear()
    assert send_reminders() == 0


@pytest.mark.django_db
def test_ics_feed_lists_the_persons_sessions_and_revoked_token_is_404(people: dict) -> None:
    plenary = _session(people["dccu"])
    subgroup_session = _session(people["facilitator"], kind="sous_groupe",
                                subgroup=people["subgroup"], title="Mobilité, séance 3")
    feed = ops.do_regenerate_feed(people["other"])
    client = Client()
    response = client.get(f"/agenda/flux/{feed.token}.ics")
    assert response.status_code == 200
    events = Calendar.from_ical(response.content).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"{plenary.pk}@agora"]
    assert str(events[0]["LOCATION"]) == "Hôtel du Département, Toulouse"
    assert subgroup_session.title not in response.content.decode()
    old = feed.token
    new = ops.do_regenerate_feed(people["other"])
    assert client.get(f"/agenda/flux/{old}.ics").status_code == 404
    assert client.get(f"/agenda/flux/{new.token}.ics").status_code == 200
    ops.do_revoke_feed(people["other"])
    assert not CalendarFeed.objects.filter(user=people["other"]).exists()
    assert client.get(f"/agenda/flux/{new.token}.ics").status_code == 404
    assert client.get("/agenda/flux/n-importe-quoi.ics").status_code == 404


@pytest.mark.django_db
def test_online_session_links_to_the_rooms_call_when_open(people: dict) -> None:
    session = _session(people["facilitator"], kind="sous_groupe", subgroup=people["subgroup"],
                       online=True, place="", days=0.01)  # in about 15 minutes
    link = ops.call_link(session, people["titulaire"])
    room = factories.room_of(people["subgroup"])
    assert link == f"/discussions/salle/{room.pk}/#call"
    later = _session(people["dccu"], online=True, days=3)
    assert ops.call_link(later, people["titulaire"]) is None


# --- Pages, role by role (docs/permissions.md, « Agenda ») ----------------------------------

ROLES = ["titulaire", "substitute", "facilitator", "outsider_facilitator", "committee", "dccu",
         "other"]
# For a subgroup session of the facilitator's subgroup (the titulaire is its member):
# r = reads the page, a = may answer, m = manages it.
SUBGROUP_SESSION = {"titulaire": "ra", "substitute": "", "facilitator": "ram",
                    "outsider_facilitator": "", "committee": "", "dccu": "rm", "other": ""}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_session_pages_answer_each_role_as_documented(role: str, people: dict) -> None:
    session = _session(people["facilitator"], kind="sous_groupe", subgroup=people["subgroup"],
                       online=True)
    client = Client()
    client.force_login(people[role])
    abilities = SUBGROUP_SESSION[role]
    base = f"/agenda/seance/{session.pk}/"
    assert client.get("/agenda/").status_code == 200
    assert client.get("/agenda/?vue=mois").status_code == 200
    assert client.get("/agenda/abonnement/").status_code == 200
    expected_create = 200 if role in {"facilitator", "dccu"} else 403
    assert client.get("/agenda/nouvelle/").status_code == expected_create
    read = 200 if "r" in abilities else 404
    assert client.get(base).status_code == read
    assert client.get(base + "seance.ics").status_code == read
    reply = client.post(base + "reponse/", {"answer": "visio"})
    assert reply.status_code == (302 if "a" in abilities else 403 if "r" in abilities else 404)
    manage = 200 if "m" in abilities else 403 if "r" in abilities else 404
    assert client.get(base + "modifier/").status_code == manage
    cancel = client.post(base + "annuler/")
    assert cancel.status_code == (302 if "m" in abilities else 403 if "r" in abilities else 404)
    session.refresh_from_db()
    assert session.is_cancelled == ("m" in abilities)


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_except_for_the_feed(people: dict) -> None:
    session = _session(people["dccu"])
    client = Client()
    for url in ["/agenda/", "/agenda/nouvelle/", f"/agenda/seance/{session.pk}/",
                "/agenda/abonnement/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")


@pytest.mark.django_db
def test_staff_see_who_comes_members_do_not(people: dict) -> None:
    session = _session(people["dccu"], facilitators=[people["facilitator"]], online=True)
    ops.do_reply(people["titulaire"], session, "visio")
    client = Client()
    client.force_login(people["facilitator"])
    page = client.get(f"/agenda/seance/{session.pk}/").content.decode()
    assert "Qui vient" in page or "Who comes" in page
    client.force_login(people["other"])
    page = client.get(f"/agenda/seance/{session.pk}/").content.decode()
    assert "Qui vient" not in page and "Who comes" not in page


@pytest.mark.django_db
def test_dccu_creates_a_session_through_the_form(people: dict) -> None:
    client = Client()
    client.force_login(people["dccu"])
    start = timezone.localtime() + dt.timedelta(days=20)
    response = client.post("/agenda/nouvelle/", {
        "kind": "pleniere", "title": "Plénière de printemps",
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + dt.timedelta(hours=4)).strftime("%Y-%m-%dT%H:%M"),
        "place": "Hôtel du Département", "agenda": "Ouverture",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert any(people["titulaire"].email in m.to for m in mail.outbox)
    home = Client()
    home.force_login(people["titulaire"])
    assert "Plénière de printemps" in home.get("/").content.decode()
