"""A person with data in every declared model, and a neighbour with data of their own.

``seed_everything`` walks ``gdpr.registry.declarations()`` and calls one seeder
per declaration: a declaration without a seeder fails the tests that use it,
so a new app's personal data cannot escape the access-copy and erasure tests.
Each seeder creates at least one row for the person and one for the neighbour,
through the real operations where there are some, and returns their ids.

``attachment_model`` adds, for the duration of a test, a declared model with an
uploaded file: no app stores files yet, and copies and erasure must handle them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection, models
from django.test import Client
from django.test.utils import isolate_apps
from django.utils import timezone
from guardian.models import UserObjectPermission
from guardian.shortcuts import assign_perm

from accounts.demo import enrol_demo_totp
from accounts.models import Invitation, User
from accounts.roles import Role
from assembly import actions as assembly_actions
from assembly.invitations import create_invitation
from assembly.models import (
    Assembly,
    Attendance,
    AttendanceChange,
    CalendarFeed,
    Canton,
    IndemnityStatement,
    Membership,
    SeatOffer,
    SessionDocument,
    SessionMailing,
    SessionReply,
    TravelClaim,
    TravelReceipt,
)
from assembly.models import Session as MeetingSession
from assembly.models_draws import Draw, Volunteer
from gdpr import audit
from gdpr.access_copy import do_request_access_copy
from gdpr.models import (
    ConsentDecision,
    ConsentRecord,
    PolicyText,
    RequestKind,
    RetentionRun,
    TextKind,
)
from gdpr.registry import _REGISTRY, Declaration, Erasure, LegalBasis, Retention, declare
from gdpr.rights import do_submit_request
from tests import factories

PASSWORD = "motdepasse-test"  # tests.factories.UserFactory's password

# Names nobody else in the tests has: a scan for them finds only the person.
PERSON = {
    "email": "zephyrine.quintal-erasmus@example.org",
    "first_name": "Zéphyrine",
    "last_name": "Quintal-Erasmus",
    "display_name": "Zéphyrine Q.",
}
NEIGHBOUR = {
    "email": "barnabe.oxley-thibaudeau@example.org",
    "first_name": "Barnabé",
    "last_name": "Oxley-Thibaudeau",
    "display_name": "Barnabé O.",
}


@dataclass
class World:
    assembly: Assembly
    person: User
    neighbour: User
    dccu: User
    dpd: User
    # label -> ids of the rows seeded for the person / for the neighbour
    mine: dict[str, set[str]] = field(default_factory=dict)
    theirs: dict[str, set[str]] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, label: str, mine: list[Any], theirs: list[Any]) -> None:
        assert mine and theirs, f"{label}: seed a row for each of the two people"
        self.mine.setdefault(label, set()).update(str(x) for x in mine)
        self.theirs.setdefault(label, set()).update(str(x) for x in theirs)


Seeder = Callable[[World], None]
SEEDERS: dict[str, Seeder] = {}


def seeder(label: str) -> Callable[[Seeder], Seeder]:
    def register(fn: Seeder) -> Seeder:
        SEEDERS[label] = fn
        return fn

    return register


def browser_login(user: User) -> Client:
    client = Client()
    response = client.post("/comptes/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302, "the real login form should let the person in"
    return client


@seeder("accounts.User")
def _users(world: World) -> None:
    world.add("accounts.User", [world.person.pk], [world.neighbour.pk])


@seeder("accounts.TourProgress")
def _tours(world: World) -> None:
    from accounts.tours import do_record_tour

    rows = [
        do_record_tour(world.person, "titulaire", "done", step=6).pk,
        do_record_tour(world.neighbour, "titulaire", "skipped", step=2).pk,
    ]
    world.add("accounts.TourProgress", [rows[0]], [rows[1]])


@seeder("accounts.ReadingPreferences")
def _reading(world: World) -> None:
    from accounts.models import ReadingPreferences

    rows = [
        ReadingPreferences.objects.create(user=world.person, text_size=200, high_contrast=True).pk,
        ReadingPreferences.objects.create(user=world.neighbour, dyslexia_spacing=True).pk,
    ]
    world.add("accounts.ReadingPreferences", [rows[0]], [rows[1]])


@seeder("account.EmailAddress")
def _email_addresses(world: World) -> None:
    rows = [
        EmailAddress.objects.create(user=u, email=u.email, primary=True, verified=True).pk
        for u in (world.person, world.neighbour)
    ]
    world.add("account.EmailAddress", rows[:1], rows[1:])


@seeder("mfa.Authenticator")
def _authenticators(world: World) -> None:
    for user in (world.person, world.neighbour):
        enrol_demo_totp(user)
    world.add(
        "mfa.Authenticator",
        list(Authenticator.objects.filter(user=world.person).values_list("pk", flat=True)),
        list(Authenticator.objects.filter(user=world.neighbour).values_list("pk", flat=True)),
    )


@seeder("sessions.Session")
def _sessions(world: World) -> None:
    before = set(Session.objects.values_list("session_key", flat=True))
    world.clients["person"] = browser_login(world.person)
    mine = set(Session.objects.values_list("session_key", flat=True)) - before
    world.clients["neighbour"] = browser_login(world.neighbour)
    theirs = set(Session.objects.values_list("session_key", flat=True)) - before - mine
    # The copy shows a session by the start of its key only: a key is a password.
    world.add("sessions.Session", [k[:6] + "…" for k in mine], [k[:6] + "…" for k in theirs])


@seeder("admin.LogEntry")
def _admin_log(world: World) -> None:
    subgroup_type = ContentType.objects.get_for_model(Membership)
    rows = []
    for user in (world.person, world.neighbour):
        membership = Membership.objects.filter(user=user).first()
        assert membership is not None
        # Each changed their own membership in the admin (as if they were staff)...
        rows.append(LogEntry.objects.create(
            user=user, content_type=subgroup_type, object_id=str(membership.pk),
            object_repr=str(membership), action_flag=CHANGE, change_message="[]",
        ).pk)
    # ...and the DCCU changed the person's: the description holds the person's name.
    membership = Membership.objects.get(user=world.person)
    world.extra["dccu_log"] = LogEntry.objects.create(
        user=world.dccu, content_type=subgroup_type, object_id=str(membership.pk),
        object_repr=str(membership), action_flag=CHANGE, change_message="[]",
    )
    world.add("admin.LogEntry", rows[:1], rows[1:])


@seeder("guardian.UserObjectPermission")
def _object_permissions(world: World) -> None:
    subgroup = world.extra["subgroups"][0]
    for user in (world.person, world.neighbour):
        assign_perm("deliberation.view_subgroup", user, subgroup)
    world.add(
        "guardian.UserObjectPermission",
        list(UserObjectPermission.objects.filter(user=world.person).values_list("pk", flat=True)),
        list(UserObjectPermission.objects.filter(user=world.neighbour)
             .values_list("pk", flat=True)),
    )


@seeder("accounts.Invitation")
def _invitations(world: World) -> None:
    rows = []
    for user in (world.person, world.neighbour):
        membership = Membership.objects.get(user=user)
        item = create_invitation(
            world.dccu, email=user.email, first_name=user.first_name, last_name=user.last_name,
            role="titulaire", seat=membership.seat, user=user,
        )
        Invitation.objects.filter(pk=item.invitation.pk).update(accepted_at=timezone.now())
        rows.append(item.invitation.pk)
    world.add("accounts.Invitation", rows[:1], rows[1:])


@seeder("assembly.Membership")
def _memberships(world: World) -> None:
    world.add(
        "assembly.Membership",
        [Membership.objects.get(user=world.person).pk],
        [Membership.objects.get(user=world.neighbour).pk],
    )


@seeder("assembly.SeatOffer")
def _seat_offers(world: World) -> None:
    rows = []
    for user in (world.person, world.neighbour):
        membership = Membership.objects.get(user=user)
        rows.append(SeatOffer.objects.create(
            seat=membership.seat, substitute=membership, user=user, status="declined",
            expires_at=timezone.now() + dt.timedelta(days=15), answered_at=timezone.now(),
            answer_note=f"Pas disponible cette année, dit {user.first_name}",
            notified_at=timezone.now(),
        ).pk)
    world.add("assembly.SeatOffer", rows[:1], rows[1:])


def _sessions_of(world: World) -> list[MeetingSession]:
    if "sessions" not in world.extra:
        start = timezone.now() - dt.timedelta(days=3)
        world.extra["sessions"] = [
            MeetingSession.objects.create(
                assembly=world.assembly, kind="pleniere", title=f"Plénière {n}",
                starts_at=start + dt.timedelta(days=n),
                ends_at=start + dt.timedelta(days=n, hours=6),
                place="Hôtel du Département", created_by=world.dccu,
            )
            for n in (0, 1)
        ]
    return world.extra["sessions"]  # type: ignore[no-any-return]


@seeder("assembly.Session")
def _assembly_sessions(world: World) -> None:
    mine, theirs = _sessions_of(world)
    mine.facilitators.add(world.person)
    theirs.facilitators.add(world.neighbour)
    world.add("assembly.Session", [mine.pk], [theirs.pk])


@seeder("assembly.Attendance")
def _attendances(world: World) -> None:
    session = _sessions_of(world)[0]
    rows = [
        Attendance.objects.create(session=session, user=user, mode="sur_place", source="liste")
        for user in (world.person, world.neighbour)
    ]
    world.add("assembly.Attendance", [rows[0].pk], [rows[1].pk])


@seeder("assembly.AttendanceChange")
def _attendance_changes(world: World) -> None:
    session = _sessions_of(world)[0]
    rows = [
        AttendanceChange.objects.create(
            session=session, user=user, actor=world.dccu, present=True, mode="sur_place",
            source="correction", reason=f"Arrivée en retard, vue par {world.neighbour.first_name}",
        )
        for user in (world.person, world.neighbour)
    ]
    world.add("assembly.AttendanceChange", [rows[0].pk], [rows[1].pk])


def _draw_of(world: World) -> Draw:
    if "draw" not in world.extra:
        world.extra["draw"] = Draw.objects.create(
            assembly=world.assembly, title="Comité de suivi", purpose="comite_suivi",
            panel_size=12, created_by=world.dccu,
        )
    return world.extra["draw"]  # type: ignore[no-any-return]


@seeder("assembly.Volunteer")
def _volunteers(world: World) -> None:
    draw = _draw_of(world)
    canton = Canton.objects.order_by("pk").first()
    rows = [
        Volunteer.objects.create(draw=draw, pseudonym=code, user=user, sex="f", age_band="45",
                                 canton=canton)
        for code, user in (("V-MINE", world.person), ("V-THEIRS", world.neighbour))
    ]
    world.add("assembly.Volunteer", [rows[0].pk], [rows[1].pk])


@seeder("assembly.Draw")
def _draws(world: World) -> None:
    rows = [
        Draw.objects.create(assembly=world.assembly, title=f"Tirage {n}", purpose="assemblee",
                            created_by=user)
        for n, user in ((1, world.person), (2, world.neighbour))
    ]
    world.add("assembly.Draw", [rows[0].pk], [rows[1].pk])
@seeder("assembly.SessionReply")
def _session_replies(world: World) -> None:
    session = _sessions_of(world)[1]
    rows = [
        SessionReply.objects.create(session=session, user=user, answer=answer).pk
        for user, answer in ((world.person, "visio"), (world.neighbour, "vient"))
    ]
    world.add("assembly.SessionReply", rows[:1], rows[1:])


@seeder("assembly.SessionMailing")
def _session_mailings(world: World) -> None:
    session = _sessions_of(world)[1]
    rows = [
        SessionMailing.objects.create(session=session, user=user, kind="convocation").pk
        for user in (world.person, world.neighbour)
    ]
    world.add("assembly.SessionMailing", rows[:1], rows[1:])


@seeder("assembly.CalendarFeed")
def _calendar_feeds(world: World) -> None:
    rows = [
        CalendarFeed.objects.create(user=user, token=f"secret-{n}").pk
        for n, user in enumerate((world.person, world.neighbour))
    ]
    world.add("assembly.CalendarFeed", rows[:1], rows[1:])
@seeder("assembly.SessionDocument")
def _session_documents(world: World) -> None:
    # The plenaries' signal made their framing notes and syntheses.
    mine, theirs = (
        SessionDocument.objects.get(session=session, kind="synthese")
        for session in _sessions_of(world)
    )
    now = timezone.now()
    SessionDocument.objects.filter(pk=mine.pk).update(delivered_by=world.person, delivered_at=now)
    SessionDocument.objects.filter(pk=theirs.pk).update(
        delivered_by=world.neighbour, delivered_at=now
    )
    world.add("assembly.SessionDocument", [mine.pk], [theirs.pk])
@seeder("assembly.IndemnityStatement")
def _indemnity_statements(world: World) -> None:
    rows = [
        IndemnityStatement.objects.create(
            assembly=world.assembly, user=user, period_start=dt.date(2025, 10, 1),
            period_end=dt.date(2026, 9, 30), plenaries=1, days=1, amount=90,
            lines=[{"title": "Plénière 0", "amount": "90.00"}], validated_by=world.dccu,
            validated_at=timezone.now(),
        )
        for user in (world.person, world.neighbour)
    ]
    world.add("assembly.IndemnityStatement", [rows[0].pk], [rows[1].pk])


def _claims_of(world: World) -> list[TravelClaim]:
    if "claims" not in world.extra:
        session = _sessions_of(world)[0]
        world.extra["claims"] = [
            TravelClaim.objects.create(
                assembly=world.assembly, user=user, session=session,
                date=session.starts_at.date(), origin="Saint-Gaudens", destination="Toulouse",
                amount="23.40", status="acceptee", decided_by=world.dccu,
                decided_at=timezone.now(),
            )
            for user in (world.person, world.neighbour)
        ]
    return world.extra["claims"]  # type: ignore[no-any-return]


@seeder("assembly.TravelClaim")
def _travel_claims(world: World) -> None:
    mine, theirs = _claims_of(world)
    world.add("assembly.TravelClaim", [mine.pk], [theirs.pk])


@seeder("assembly.TravelReceipt")
def _travel_receipts(world: World) -> None:
    from documents.files import library_storage

    storage = library_storage()
    rows = []
    for claim in _claims_of(world):
        stored = storage.save("claims/test.pdf", ContentFile(b"%PDF-1.4 billet de train"))
        rows.append(TravelReceipt.objects.create(
            claim=claim, storage_name=stored, name="billet.pdf", content_type="application/pdf",
            size=24, sha256="0" * 64,
        ))
    world.add("assembly.TravelReceipt", [rows[0].pk], [rows[1].pk])


@seeder("assembly.Subgroup")
def _subgroups(world: World) -> None:
    mine, theirs = world.extra["subgroups"]
    world.add("assembly.Subgroup", [mine.pk], [theirs.pk])


@seeder("gdpr.ConsentRecord")
def _consents(world: World) -> None:
    notice = PolicyText.current(TextKind.NOTICE)
    if notice is None:
        notice = PolicyText.objects.create(
            kind=TextKind.NOTICE, version=99, title="Notice", body="…",
            published_at=timezone.now(),
        )
    rows = [
        ConsentRecord.objects.create(user=u, text=notice, decision=ConsentDecision.READ).pk
        for u in (world.person, world.neighbour)
    ]
    world.add("gdpr.ConsentRecord", rows[:1], rows[1:])


@seeder("django_tasks_database.DBTaskResult")
def _task_results(world: World) -> None:
    """A request queues its reminder tasks: their results name the request by its id."""
    from django_tasks_db.models import DBTaskResult

    def queued_by(user: User) -> list[Any]:
        before = set(DBTaskResult.objects.values_list("pk", flat=True))
        do_submit_request(user, kind=RequestKind.RECTIFICATION,
                          details="Mon code postal a changé.")
        return list(set(DBTaskResult.objects.values_list("pk", flat=True)) - before)

    world.add("django_tasks_database.DBTaskResult", queued_by(world.person),
              queued_by(world.neighbour))


@seeder("gdpr.DataRequest")
def _requests(world: World) -> None:
    rows = [
        do_submit_request(
            u, kind=RequestKind.OBJECTION,
            details=f"{u.first_name} {u.last_name} objects to being photographed.",
        ).pk
        for u in (world.person, world.neighbour)
    ]
    world.add("gdpr.DataRequest", rows[:1], rows[1:])


@seeder("gdpr.AccessCopy")
def _copies(world: World) -> None:
    rows = [
        do_request_access_copy(u, base_url="http://testserver/").pk
        for u in (world.person, world.neighbour)
    ]
    world.add("gdpr.AccessCopy", rows[:1], rows[1:])


@seeder("gdpr.AuditEntry")
def _audit(world: World) -> None:
    rows = [
        # Staff looked at the person's data; the person did something themself.
        audit.record(world.dpd, "test.view", subject=world.person).pk,
        audit.record(world.person, "test.self").pk,
    ]
    other = audit.record(world.dpd, "test.view", subject=world.neighbour).pk
    world.add("gdpr.AuditEntry", rows, [other])


@seeder("gdpr.RetentionRun")
def _retention_runs(world: World) -> None:
    rows = [
        RetentionRun.objects.create(actor=u, trigger="test", finished_at=timezone.now()).pk
        for u in (world.person, world.neighbour)
    ]
    world.add("gdpr.RetentionRun", rows[:1], rows[1:])


# Logging in comes before the two-factor app is enrolled (which would ask for a code).
FIRST = ("sessions.Session",)


def make_world() -> World:
    assembly = factories.make_assembly()
    person = factories.make_titulaire(assembly, **PERSON, birth_date=dt.date(1990, 5, 1),
                                      postal_code="31600")
    neighbour = factories.make_titulaire(assembly, **NEIGHBOUR)
    dccu = factories.UserFactory(email="dccu-team@example.org", roles=[Role.DCCU])
    dpd = factories.UserFactory(email="dpo-office@example.org", roles=[Role.DPD])
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    world = World(assembly, person, neighbour, dccu, dpd)
    mandate = factories.make_mandate(assembly)
    world.extra["subgroups"] = [
        assembly_actions.do_create_subgroup(
            dccu, mandate=mandate, name=name, members=[member], facilitators=[facilitator]
        )
        for name, member in (("Transports", person), ("Santé", neighbour))
    ]
    world.extra["facilitator"] = facilitator
    return world


def seed_everything(declarations: list[Declaration]) -> World:
    """A world where the person and the neighbour each have rows for every declaration."""
    missing = sorted({d.label for d in declarations} - set(SEEDERS))
    assert not missing, (
        "No seeder for these declarations: add one to tests/gdpr/personal_data.py so that "
        f"access copies and erasure are tested on them: {missing}"
    )
    world = make_world()
    order = sorted(declarations, key=lambda d: (d.label not in FIRST, d.label))
    for declaration in order:
        SEEDERS[declaration.label](world)
        assert world.mine.get(declaration.label), f"{declaration.label}: nothing seeded"
    return world


# --- A declared model with files, for one test at a time --------------------------------------


ATTACHMENT_LABEL = "gdpr.TestAttachment"


def attachment_model() -> Iterator[type[models.Model]]:
    """Create the table and the declaration; remove both afterwards (a generator fixture)."""
    with isolate_apps("gdpr"):

        class TestAttachment(models.Model):
            owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
            title = models.CharField(max_length=100)
            upload = models.FileField(upload_to="attachments/")

            class Meta:
                app_label = "gdpr"

            def __str__(self) -> str:
                return self.title

        with connection.schema_editor() as editor:
            editor.create_model(TestAttachment)
        declare(
            TestAttachment,
            subject="owner",
            fields=("title", "upload"),
            files=("upload",),
            purpose="Files people share (test).",
            legal_basis=LegalBasis.PUBLIC_TASK,
            retention=Retention("While the account exists."),
            erasure=Erasure.DELETE,
            categories_of_people="members",
            recipients="members",
        )
        try:
            yield TestAttachment
        finally:
            _REGISTRY.pop(ATTACHMENT_LABEL, None)
            with connection.schema_editor() as editor:
                editor.delete_model(TestAttachment)


@seeder(ATTACHMENT_LABEL)
def _attachments(world: World) -> None:
    model = _REGISTRY[ATTACHMENT_LABEL].model
    rows = []
    for user, text in ((world.person, b"my notes on buses"), (world.neighbour, b"clinic map")):
        row: Any = model(owner=user, title=f"Notes of {user.first_name}")
        row.upload.save(f"{user.first_name}-notes.txt", ContentFile(text), save=True)
        rows.append(row)
    world.extra["attachments"] = rows
    world.add(ATTACHMENT_LABEL, [rows[0].pk], [rows[1].pk])


# --- The worker -------------------------------------------------------------------------------


def run_worker() -> None:
    """Run the real database worker until the queue is empty; fail on any failed task."""
    import signal

    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        call_command("db_worker", batch=True, startup_delay=False, reload=False,
                     interval=0, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)
    failed = DBTaskResult.objects.filter(status=TaskResultStatus.FAILED)
    assert not failed.exists(), [(f.task_path, f.traceback) for f in failed]



# --- Conversations (forums) -------------------------------------------------------------------


def _forums(world: World) -> dict[str, Any]:
    """The conversations of the person and the neighbour, built once for every forums seeder.

    Each talks in their own subgroup's room, starts a topic, sends a voice message, reacts,
    reads, reports, has a direct conversation with the facilitator and gets muted; the
    facilitator mentions the person by name (which erasure must replace).
    """
    if "forums" in world.extra:
        return world.extra["forums"]
    import uuid

    from forums import actions as forums_actions
    from forums.models import Attachment, AttachmentKind, NotificationPreference, Room

    facilitator = world.extra["facilitator"]
    data: dict[str, Any] = {"rooms": [], "threads": [], "messages": [], "attachments": [],
                            "reactions": [], "markers": [], "reports": [], "mutes": [],
                            "preferences": []}
    lines = {
        world.person: "Le bus du matin passe trop tôt pour les aides à domicile.",
        world.neighbour: "Il faut six mois pour un rendez-vous chez le cardiologue.",
    }
    for user, subgroup in zip((world.person, world.neighbour), world.extra["subgroups"],
                              strict=True):
        room = Room.objects.get(subgroup=subgroup)

        def say(author: Any, body: str, room: Any = room, **kwargs: Any) -> Any:
            message, _created = forums_actions.do_send_message(
                author, room, body=body, client_id=uuid.uuid4(), **kwargs
            )
            return message

        own = say(user, lines[user])
        welcome = say(facilitator, f"Merci @{user.display_name} pour cette remarque.")
        thread = forums_actions.do_create_thread(
            user, room, title="Horaires des transports", body="<p>Qui prend la ligne 315 ?</p>"
        )
        voice = say(user, "Message vocal", thread=thread)
        attachment = Attachment(message=voice, kind=AttachmentKind.VOICE, name="vocal.ogg",
                                content_type="audio/ogg", size=12, duration_seconds=3.0,
                                transcript="Je propose un minibus le mardi matin.")
        attachment.file.save("vocal.ogg", ContentFile(b"OggS-fake-audio"), save=True)
        forums_actions.do_react(user, welcome, emoji="👍", add=True)
        forums_actions.do_mark_read(user, welcome.thread, up_to_id=welcome.pk)
        report = forums_actions.do_report_message(user, welcome, reason="Hors sujet")
        direct = forums_actions.do_create_direct_room(user, participants=[facilitator])
        say(user, "Pouvons-nous parler de la prochaine séance ?", room=direct)
        mute = forums_actions.do_mute_person(facilitator, room, user, minutes=5,
                                             reason="Messages répétés")
        preference = NotificationPreference.objects.create(user=user)
        mentioned = [welcome.pk] if user == world.person else []
        data["rooms"].append([direct.pk])
        data["threads"].append([thread.pk])
        data["messages"].append([own.pk, voice.pk, *mentioned])
        data["attachments"].append([attachment.pk])
        data["reactions"].append(list(welcome.reactions.values_list("pk", flat=True)))
        data["markers"].append(list(user.read_markers.values_list("pk", flat=True)))
        data["reports"].append([report.pk])
        data["mutes"].append([mute.pk])
        data["preferences"].append([preference.pk])
    world.extra["forums"] = data
    return data


def _forums_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _forums(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (
    ("forums.Room", "rooms"), ("forums.Thread", "threads"), ("forums.Message", "messages"),
    ("forums.Attachment", "attachments"), ("forums.Reaction", "reactions"),
    ("forums.ReadMarker", "markers"), ("forums.Report", "reports"), ("forums.Mute", "mutes"),
    ("forums.NotificationPreference", "preferences"),
):
    _forums_seeder(_label, _key)


@seeder("forums.VoiceDraft")
def _voice_drafts(world: World) -> None:
    """Each person has a recording in their room not sent yet, its transcript proposed."""
    from forums.models import Room, VoiceDraft

    rows = []
    for user, subgroup in zip((world.person, world.neighbour), world.extra["subgroups"],
                              strict=True):
        _forums(world)
        draft = VoiceDraft(author=user, room=Room.objects.get(subgroup=subgroup),
                           content_type="audio/ogg", size=4, duration_seconds=1.5,
                           transcript=f"Brouillon de {user.first_name}",
                           transcript_status="done")
        draft.file.save("brouillon.ogg", ContentFile(b"OggS"), save=False)
        draft.save()
        rows.append([draft.pk])
    world.add("forums.VoiceDraft", rows[0], rows[1])


# --- Live calls (calls) -----------------------------------------------------------------------


def _calls(world: World) -> dict[str, Any]:
    """Each person starts a call in their subgroup's room, where the facilitator joins them;
    the person raises a hand and leaves (their attendance has an end)."""
    if "calls" in world.extra:
        return world.extra["calls"]
    from calls import actions as calls_actions
    from forums.models import Room

    facilitator = world.extra["facilitator"]
    data: dict[str, Any] = {"calls": [], "attendance": []}
    for user, subgroup in zip((world.person, world.neighbour), world.extra["subgroups"],
                              strict=True):
        room = Room.objects.get(subgroup=subgroup)
        call, mine = calls_actions.do_join_call(user, room, channel=f"socket-{user.pk}")
        calls_actions.do_join_call(facilitator, room, channel="socket-facilitator")
        calls_actions.do_raise_hand(user, call, raised=True)
        calls_actions.do_leave_call(user, call)
        data["calls"].append([call.pk])
        data["attendance"].append([mine.pk])
    world.extra["calls"] = data
    return data


def _calls_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _calls(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (("calls.Call", "calls"), ("calls.CallParticipation", "attendance")):
    _calls_seeder(_label, _key)


# --- Proposals and their drafts (deliberation) ------------------------------------------------


def _proposals(world: World) -> dict[str, Any]:
    """Each of the two people starts a proposal in their subgroup, types in its draft, sends
    it for review, names a version and comments on a passage — through the real operations."""
    if "proposals" in world.extra:
        return world.extra["proposals"]
    import pycrdt

    from deliberation import drafts
    from deliberation.models import (
        DraftComment,
        DraftContribution,
        DraftUpdate,
        DraftVersion,
        ProposalTransition,
    )
    from deliberation.proposals import (
        do_comment,
        do_create_proposal,
        do_named_version,
        do_transition,
    )

    data: dict[str, Any] = {key: [] for key in (
        "proposals", "drafts", "transitions", "updates", "versions", "contributions",
        "comments")}
    lines = {
        world.person: ("Un minibus le mardi matin", "Relier les hameaux au marché."),
        world.neighbour: ("Des consultations avancées", "Un cardiologue une fois par mois."),
    }
    for user, subgroup in zip((world.person, world.neighbour), world.extra["subgroups"],
                              strict=True):
        title, sentence = lines[user]
        proposal = do_create_proposal(user, subgroup, title)
        draft = proposal.draft
        doc = drafts.load(draft.pk).doc
        before = doc.get_state()
        fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
        fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(sentence)]))
        drafts.append(draft.pk, [(doc.get_update(before), user.pk)], known_authors=set())
        do_named_version(user, proposal, "Avant la plénière")
        do_transition(user, proposal, "relecture", note="Prêt à relire")
        do_comment(user, proposal, "Il faut préciser le coût.",
                   anchor={"start": {"type": None, "tname": "default", "item": None,
                                     "assoc": 0},
                           "end": {"type": None, "tname": "default", "item": None,
                                   "assoc": 0}},
                   quote=sentence)
        data["proposals"].append([proposal.pk])
        data["drafts"].append([draft.pk])
        data["transitions"].append(list(ProposalTransition.objects.filter(
            proposal=proposal, by=user).values_list("pk", flat=True)))
        data["updates"].append(list(DraftUpdate.objects.filter(
            draft=draft, author=user).values_list("pk", flat=True)))
        data["versions"].append(list(DraftVersion.objects.filter(
            draft=draft, authors=user).values_list("pk", flat=True)))
        data["contributions"].append(list(DraftContribution.objects.filter(
            draft=draft, user=user).values_list("pk", flat=True)))
        data["comments"].append(list(DraftComment.objects.filter(
            draft=draft, author=user).values_list("pk", flat=True)))
    world.extra["proposals"] = data
    return data


def _proposals_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _proposals(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (
    ("deliberation.Proposal", "proposals"),
    ("deliberation.Draft", "drafts"),
    ("deliberation.ProposalTransition", "transitions"),
    ("deliberation.DraftUpdate", "updates"),
    ("deliberation.DraftVersion", "versions"),
    ("deliberation.DraftContribution", "contributions"),
    ("deliberation.DraftComment", "comments"),
):
    _proposals_seeder(_label, _key)


# --- Decisions of the plenary (decisions) -------------------------------------------------------


def _decisions(world: World) -> dict[str, Any]:
    """Each person is alone in the plenary's call when a vote opens « présents seulement »
    (so each vote is theirs alone): a public one where the person votes against and writes
    a minority view, a secret one for the neighbour; each files an amendment to a proposal
    submitted to the plenary, which the facilitator answers — through the real operations."""
    if "decisions" in world.extra:
        return world.extra["decisions"]
    from calls import actions as calls_actions
    from decisions import actions as votes
    from decisions.amendments import do_answer_amendment, do_file_amendment
    from decisions.models import Participation, Voter
    from deliberation.proposals import do_create_proposal, do_transition
    from forums.actions import ensure_rooms
    from forums.models import Room, RoomKind

    facilitator = world.extra["facilitator"]
    subgroup = world.extra["subgroups"][0]
    mandate = subgroup.mandate
    ensure_rooms(mandate)
    room = Room.objects.get(mandate=mandate, kind=RoomKind.PLENARY)
    proposal = do_create_proposal(facilitator, subgroup, "Un marché de producteurs")
    from tests.decisions.world import add_paragraph

    add_paragraph(proposal, "Un marché chaque samedi sur la place de l'église.")
    do_transition(facilitator, proposal, "relecture")
    proposal = do_transition(facilitator, proposal, "soumise")
    data: dict[str, Any] = {key: [] for key in (
        "votes", "voters", "participations", "amendments", "views")}
    for user, secret, code, quote in ((world.person, False, "contre", "chaque samedi"),
                                      (world.neighbour, True, "pour", "place de l'église")):
        call, _mine = calls_actions.do_join_call(user, room, channel=f"vote-{user.pk}")
        vote = votes.do_create_vote(world.dccu, mandate, "Un marché ?", "majorite",
                                    secret=secret, present_only=True)
        vote = votes.do_open_vote(world.dccu, vote)
        calls_actions.do_leave_call(user, call)
        votes.do_cast_ballot(user, vote, {"choice": str(vote.options.get(code=code).pk)})
        votes.do_close_vote(world.dccu, vote)
        view = votes.do_write_minority_view(user, vote, "Le coût n'est pas connu.")
        amendment = do_file_amendment(user, proposal, "supprimer", quote, "", "Trop précis.")
        do_answer_amendment(facilitator, amendment, "reject", "Nous le gardons.")
        data["votes"].append([vote.pk])
        data["voters"].append(list(Voter.objects.filter(vote=vote, user=user)
                                   .values_list("pk", flat=True)))
        data["participations"].append(list(Participation.objects.filter(vote=vote, user=user)
                                           .values_list("pk", flat=True)))
        data["amendments"].append([amendment.pk])
        data["views"].append([view.pk])
    world.extra["decisions"] = data
    return data


def _decisions_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _decisions(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (
    ("decisions.Vote", "votes"),
    ("decisions.Voter", "voters"),
    ("decisions.Participation", "participations"),
    ("decisions.Amendment", "amendments"),
    ("decisions.MinorityView", "views"),
):
    _decisions_seeder(_label, _key)


# --- The library (documents) ------------------------------------------------------------------


# The bytes of the file each of the two people uploads to the library.
LIBRARY_FILES = (
    "Compte rendu de l'atelier mobilités : trois lignes de bus à revoir.\n".encode(),
    "Relevé des délais de rendez-vous chez les spécialistes.\n".encode(),
)


def _library(world: World) -> dict[str, Any]:
    """Each of the two people shares a published document and a proposal never published
    (which erasure deletes), uploads a file version, reads, follows a mandate; the DCCU
    publishes and builds a reading path — through the real operations."""
    if "library" in world.extra:
        return world.extra["library"]
    from documents import actions as library_actions
    from documents.models import DocumentEvent, MandateFollow, ReadingProgress

    facilitator = world.extra["facilitator"]
    mandate = world.extra["subgroups"][0].mandate
    data: dict[str, Any] = {key: [] for key in (
        "documents", "files", "events", "progress", "follows", "paths")}
    for number, (user, title) in enumerate(((world.person, "Le minibus de mon village"),
                                            (world.neighbour, "Carte des cabinets médicaux"))):
        shared = library_actions.do_propose_document(
            user, kind="lien", title=title, url="https://example.org/" + str(user.pk),
            mandates=[mandate],
        )
        library_actions.do_publish_document(facilitator, shared)
        private = library_actions.do_propose_document(
            user, kind="lien", title=f"Brouillon n°{number}",
            url="https://example.org/brouillon",
        )
        # A file on disk, through the real upload (checked, stored under a random name).
        from django.core.files.uploadedfile import SimpleUploadedFile

        filed = library_actions.do_propose_document(
            user, kind="fichier", title=f"Compte rendu n°{number}", mandates=[mandate],
            upload=SimpleUploadedFile(f"compte-rendu-{number}.txt", LIBRARY_FILES[number],
                                      "text/plain"),
        )
        library_actions.do_publish_document(facilitator, filed)
        file_row = filed.files.get()
        library_actions.do_mark_read(user, shared)
        library_actions.do_follow_mandate(user, mandate)
        path = factories.make_path(f"Parcours n°{number}", [shared],
                                   slug=f"parcours-{number}")
        path.created_by = user
        path.save()
        data["documents"].append([shared.pk, private.pk, filed.pk])
        data["files"].append([file_row.pk])
        data["events"].append(list(DocumentEvent.objects.filter(actor=user).values_list(
            "pk", flat=True)))
        data["progress"].append(list(ReadingProgress.objects.filter(user=user).values_list(
            "pk", flat=True)))
        data["follows"].append(list(MandateFollow.objects.filter(user=user).values_list(
            "pk", flat=True)))
        data["paths"].append([path.pk])
    world.extra["library"] = data
    return data


def _library_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _library(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (
    ("documents.Document", "documents"),
    ("documents.DocumentFile", "files"),
    ("documents.DocumentEvent", "events"),
    ("documents.ReadingProgress", "progress"),
    ("documents.MandateFollow", "follows"),
    ("documents.ReadingPath", "paths"),
):
    _library_seeder(_label, _key)


# --- The notification centre (notifications) ----------------------------------------------------


def _notifications(world: World) -> dict[str, Any]:
    """Each of the two people was mentioned by the facilitator in their subgroup's room and
    chose where to hear of replies."""
    if "notifications" in world.extra:
        return world.extra["notifications"]
    from forums.models import Room
    from notifications.models import Notification, Preference

    data: dict[str, Any] = {"notifications": [], "preferences": []}
    for user, subgroup in zip((world.person, world.neighbour), world.extra["subgroups"],
                              strict=True):
        notification = Notification.objects.create(
            recipient=user, kind="mention", actor=world.extra["facilitator"],
            room=Room.objects.get(subgroup=subgroup),
        )
        preference = Preference.objects.create(user=user, choices={"reply": {"email": True}})
        data["notifications"].append([notification.pk])
        data["preferences"].append([preference.pk])
    world.extra["notifications"] = data
    return data


def _notifications_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _notifications(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (
    ("notifications.Notification", "notifications"),
    ("notifications.Preference", "preferences"),
):
    _notifications_seeder(_label, _key)


@seeder("notifications.PushSubscription")
def _push_devices(world: World) -> None:
    """Each of the two people opted in one phone to web push."""
    from notifications.models import PushSubscription

    rows = [
        PushSubscription.objects.create(
            user=user,
            endpoint=f"https://fcm.googleapis.com/fcm/send/device-{n}",
            p256dh="B" + "A" * 86,
            auth="c2VjcmV0LXNlY3JldC0x",
        ).pk
        for n, user in enumerate((world.person, world.neighbour))
    ]
    world.add("notifications.PushSubscription", [rows[0]], [rows[1]])


# --- Workshops: idea walls and whiteboards -------------------------------------------------------


def _workshops(world: World) -> dict[str, Any]:
    """Each of the two people, in their subgroup: creates a wall and a board, writes a note
    naming the other, comments, writes on a silent-writing sheet, opens a vote and places
    a dot; a version of the wall records them — through the real operations."""
    if "workshops" in world.extra:
        return world.extra["workshops"]
    import pycrdt

    from deliberation.models import VersionKind
    from forums.models import Room
    from workshops import walls, ydocs
    from workshops.models import (
        Dot,
        NoteAuthor,
        VoteRound,
        WallSheet,
        YDocumentContribution,
        YDocumentUpdate,
        YDocumentVersion,
    )

    keys = ("walls", "documents", "updates", "versions", "contributions", "sheets",
            "authors", "rounds", "dots", "boards")
    data: dict[str, Any] = {key: [] for key in keys}
    people = (world.person, world.neighbour)
    for user, other, subgroup in zip(people, reversed(people), world.extra["subgroups"],
                                     strict=True):
        room = Room.objects.get(subgroup=subgroup)
        wall = walls.create_wall(room, question="Que changer ?", by=user,
                                 columns=[{"key": "idees", "label": "Idées"}])
        doc = walls.new_wall_doc()
        with doc.transaction():
            doc.get("notes", type=pycrdt.Map)["note-001"] = pycrdt.Map({
                "text": f"Comme le dit {other.display_name}, un bus le mardi.",
                "colour": "jaune", "column": "idees", "cluster": "", "order": 0,
                "author": walls.me_key(user), "name": user.display_name,
            })
            doc.get("comments", type=pycrdt.Map)["note-001"] = pycrdt.Array([{
                "id": "comment-1", "author": walls.me_key(user), "name": user.display_name,
                "text": "Je complète.", "at": "2026-12-07T10:00:00Z",
            }])
        ydocs.append(wall.pk, [(doc.get_update(), user.pk)], known_authors=set())
        walls.record_note_authors(wall.pk, [(user.pk, ("note", "note-001", False))])
        ydocs.create_version(wall.pk, walls.WALL_ROOTS, VersionKind.NAMED, name="Avant", by=user)
        sheet = walls.sheet_for(wall, user)
        sheet_doc = ydocs.new_doc(walls.SHEET_ROOTS)
        sheet_doc.get("notes", type=pycrdt.Map)["note-002"] = pycrdt.Map({
            "text": "Une idée à moi", "colour": "rose", "column": "", "cluster": "",
            "order": 0, "author": walls.me_key(user), "name": user.display_name,
        })
        ydocs.append(sheet.pk, [(sheet_doc.get_update(), user.pk)], known_authors=set())
        walls.open_round(wall, dots=2, by=user)
        walls.place_dot(wall, user, "add", "n:note-001")
        board = walls.create_board(room, title="Carte", by=user)
        board_doc = walls.new_board_doc()
        board_doc.get("elements", type=pycrdt.Map)["text-1"] = {
            "id": "text-1", "type": "text", "text": f"Idée de {other.display_name}",
            "originalText": f"Idée de {other.display_name}",
        }
        ydocs.append(board.pk, [(board_doc.get_update(), user.pk)], known_authors=set())
        data["walls"].append([wall.pk])
        data["boards"].append([board.pk])
        data["documents"].append([wall.pk, sheet.pk, board.pk])
        data["updates"].append(list(YDocumentUpdate.objects.filter(author=user)
                                    .values_list("pk", flat=True)))
        data["versions"].append(list(YDocumentVersion.objects.filter(created_by=user)
                                     .values_list("pk", flat=True)))
        data["contributions"].append(list(YDocumentContribution.objects.filter(user=user)
                                          .values_list("pk", flat=True)))
        data["sheets"].append(list(WallSheet.objects.filter(owner=user)
                                   .values_list("pk", flat=True)))
        data["authors"].append(list(NoteAuthor.objects.filter(person=user)
                                    .values_list("pk", flat=True)))
        data["rounds"].append(list(VoteRound.objects.filter(opened_by=user)
                                   .values_list("pk", flat=True)))
        data["dots"].append(list(Dot.objects.filter(person=user).values_list("pk", flat=True)))
    world.extra["workshops"] = data
    return data


def _workshops_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _workshops(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (
    ("workshops.Wall", "walls"),
    ("workshops.Board", "boards"),
    ("workshops.YDocument", "documents"),
    ("workshops.YDocumentUpdate", "updates"),
    ("workshops.YDocumentVersion", "versions"),
    ("workshops.YDocumentContribution", "contributions"),
    ("workshops.WallSheet", "sheets"),
    ("workshops.NoteAuthor", "authors"),
    ("workshops.VoteRound", "rounds"),
    ("workshops.Dot", "dots"),
):
    _workshops_seeder(_label, _key)


# --- The practice space (learning.sandbox) --------------------------------------------------


@seeder("learning.PracticeSpace")
def _practice_spaces(world: World) -> None:
    import uuid

    from forums.actions import do_send_message
    from learning import sandbox

    rows = []
    for user in (world.person, world.neighbour):
        space = sandbox.practice_space(user)
        do_send_message(user, space.room, body=f"Essai de {user.display_name}",
                        client_id=uuid.uuid4())
        rows.append(space.pk)
    world.add("learning.PracticeSpace", rows[:1], rows[1:])


# --- Follow-up of adopted proposals (deliberation.followup) --------------------------------


def _followup(world: World) -> dict[str, Any]:
    """For each of the two people, an adopted proposal of their subgroup with the
    Département's answer, a commitment they carry, a progress update with a file, a committee
    question they asked, addressed to them and answered by them, and the history — through
    the real operations (by the platform), then signed by the person."""
    if "followup" in world.extra:
        return world.extra["followup"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    from deliberation import followup
    from deliberation.models import (
        Commitment,
        CommitteeQuestion,
        FollowUpEvent,
        ProgressAttachment,
        ProgressUpdate,
        Proposal,
        ProposalAnswer,
    )
    from deliberation.proposals import do_create_proposal

    data: dict[str, Any] = {key: [] for key in (
        "answers", "commitments", "updates", "attachments", "questions", "events")}
    for user, subgroup in zip((world.person, world.neighbour), world.extra["subgroups"],
                              strict=True):
        proposal = do_create_proposal(None, subgroup, f"Proposition suivie {user.pk}")
        Proposal.objects.filter(pk=proposal.pk).update(status="adoptee")
        proposal.refresh_from_db()
        answer = followup.do_answer_proposal(None, proposal, decision="retenue",
                                             reasons="Retenue au budget.")
        commitment = followup.do_add_commitment(None, proposal, title="Lancer une étude",
                                                service="Direction des mobilités")
        update = followup.do_post_update(
            None, proposal, body="Étude lancée.",
            uploads=[SimpleUploadedFile("note.txt", b"Compte rendu de la reunion.\n")],
        )
        question = followup.do_ask_question(None, proposal, body="Quel calendrier ?",
                                            service="Direction des mobilités")
        followup.do_answer_question(None, question, answer="Fin de l'année.")
        ProposalAnswer.objects.filter(pk=answer.pk).update(answered_by=user)
        Commitment.objects.filter(pk=commitment.pk).update(owner=user)
        ProgressUpdate.objects.filter(pk=update.pk).update(author=user)
        CommitteeQuestion.objects.filter(pk=question.pk).update(
            author=user, addressee=user, answered_by=user)
        FollowUpEvent.objects.filter(proposal=proposal).update(actor=user)
        data["answers"].append([answer.pk])
        data["commitments"].append([commitment.pk])
        data["updates"].append([update.pk])
        data["attachments"].append(list(ProgressAttachment.objects.filter(
            update=update).values_list("pk", flat=True)))
        data["questions"].append([question.pk])
        data["events"].append(list(FollowUpEvent.objects.filter(
            proposal=proposal).values_list("pk", flat=True)))
    world.extra["followup"] = data
    return data


def _followup_seeder(label: str, key: str) -> None:
    @seeder(label)
    def seed(world: World) -> None:
        mine, theirs = _followup(world)[key]
        world.add(label, mine, theirs)


for _label, _key in (
    ("deliberation.ProposalAnswer", "answers"),
    ("deliberation.Commitment", "commitments"),
    ("deliberation.ProgressUpdate", "updates"),
    ("deliberation.ProgressAttachment", "attachments"),
    ("deliberation.CommitteeQuestion", "questions"),
    ("deliberation.FollowUpEvent", "events"),
):
    _followup_seeder(_label, _key)
