"""Erasure: nothing identifies the person afterwards, collective work stays under a pseudonym,
and their sessions and live sockets end at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.cache import cache
from django.db import connection, models
from django.test import Client
from django.utils import timezone

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import EndReason, Membership, MembershipKind, Subgroup
from config.asgi import application
from gdpr import registry
from gdpr.access_copy import do_request_access_copy
from gdpr.erasure import check_declaration, erase_person
from gdpr.models import AccessCopy, AuditEntry, ConsentRecord, DataRequest, RequestKind
from gdpr.registry import declarations
from gdpr.rights import do_decide_request, do_submit_request
from gdpr.subjects import count_for
from realtime.bus import CLOSE_ACCESS_ENDED
from tests import factories
from tests.gdpr import personal_data
from tests.gdpr.personal_data import PERSON, browser_login, run_worker, seed_everything


@pytest.fixture(autouse=True)
def _storage(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def attachment_model(transactional_db: Any) -> Iterator[type[models.Model]]:
    yield from personal_data.attachment_model()


@pytest.mark.parametrize("declaration", declarations(), ids=lambda d: d.label)
def test_every_declaration_can_be_carried_out_by_the_engine(declaration: Any) -> None:
    assert check_declaration(declaration) == []


# --- Scanning for what identifies the person --------------------------------------------------


def identifiers(person: dict[str, str]) -> list[str]:
    return [person["email"], person["first_name"], person["last_name"], person["display_name"]]


def database_hits(needles: list[str]) -> list[tuple[str, str]]:
    """Every (table, value) holding one of ``needles``, over every column of every table."""
    lowered = [n.casefold() for n in needles]
    hits: list[tuple[str, str]] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    if isinstance(value, str) and any(n in value.casefold() for n in lowered):
                        hits.append((table, value[:120]))
    return hits


def file_hits(roots: list[Path], needles: list[str]) -> list[str]:
    """Files whose name or content (inside ZIP files too) holds one of ``needles``."""
    lowered = [n.casefold() for n in needles]
    hits: list[str] = []
    for root in roots:
        if not root.exists():
            continue
        for path in root.rglob("*"):
            if not path.is_file():
                continue
            texts = [str(path.relative_to(root)), path.read_bytes().decode("utf-8", "replace")]
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as archive:
                    texts += [archive.read(n).decode("utf-8", "replace")
                              for n in archive.namelist()]
                    texts += archive.namelist()
            if any(n in text.casefold() for text in texts for n in lowered):
                hits.append(str(path))
    return hits


def cache_hits(email: str) -> list[str]:
    """Keys of the local cache that derive from the address (allauth hashes it)."""
    derived = [email, hashlib.sha256(email.encode()).hexdigest(),
               hashlib.sha256(f"testserver:{email}".encode()).hexdigest()]
    backend = getattr(cache, "_cache", None)
    if hasattr(backend, "get_client"):  # Redis: scan the real keys
        keys = [k.decode() for k in backend.get_client().scan_iter("*")]
    else:  # local memory
        keys = list(getattr(cache, "_cache", {}).keys())
    return [k for k in keys if any(d in k for d in derived)]


def dpd_client(dpd: User) -> Client:
    enrol_demo_totp(dpd)
    client = Client()
    client.force_login(dpd)
    return client


@pytest.mark.django_db(transaction=True)
def test_after_erasure_nothing_identifies_the_person_and_collective_work_stays(
    attachment_model: Any, settings: Any
) -> None:
    world = seed_everything(declarations())
    person, neighbour = world.person, world.neighbour
    do_request_access_copy(neighbour)
    run_worker()  # both copies built: the person's ZIP holds their name until erasure
    # The scans find the person before erasure (so finding nothing afterwards means something).
    assert {table for table, _ in database_hits(identifiers(PERSON))} >= {
        "accounts_user", "account_emailaddress", "accounts_invitation", "django_admin_log",
        "gdpr_datarequest",
    }
    assert file_hits([Path(settings.PRIVATE_ROOT)], identifiers(PERSON))
    assert file_hits([Path(settings.MEDIA_ROOT)], identifiers(PERSON))
    # The cache learns about the address: a login code asked for, a wrong password.
    Client().post("/comptes/login/code/", {"email": person.email})
    Client().post("/comptes/login/", {"login": person.email, "password": "wrong"})
    assert cache_hits(person.email)
    neighbour_counts = {d.label: count_for(d, neighbour) for d in declarations()}

    data_request = do_submit_request(
        person, kind=RequestKind.ERASURE,
        details=f"I am {PERSON['first_name']} {PERSON['last_name']}: please erase me.",
    )
    mail.outbox.clear()
    response = dpd_client(world.dpd).post(
        f"/demandes-rgpd/{data_request.pk}/decision/",
        {"decision": "accept", "reason": "The mandate allows it.",
         "archives_agreement": "The archives service keeps the composition only."},
    )
    assert response.status_code == 302

    # Nowhere: database, media and private files, cache.
    assert database_hits(identifiers(PERSON)) == []
    roots = [Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_ROOT)]
    assert file_hits(roots, identifiers(PERSON)) == []
    assert cache_hits(PERSON["email"]) == []

    # The row stays, as « Participant·e n°N », unusable.
    person.refresh_from_db()
    assert person.pseudonym_number == 1
    assert str(person) == person.pseudonym == person.public_name
    assert person.email.endswith("@invalid") and not person.is_active
    assert not person.has_usable_password() and person.erased_at is not None
    assert person.birth_date is None and person.postal_code == ""

    # Collective work and records kept under the pseudonym; personal rows gone.
    subgroup = Subgroup.objects.get(name="Transports")
    # The seat freed up, so the person left the subgroup; their membership keeps the record.
    assert not subgroup.members.filter(pk=person.pk).exists()
    membership = Membership.objects.get(user=person)
    assert membership.end_reason == EndReason.RESIGNATION
    assert ConsentRecord.objects.filter(user=person).exists()
    assert AuditEntry.objects.filter(subject=person, action="gdpr.erasure").exists()
    log = LogEntry.objects.get(pk=world.extra["dccu_log"].pk)
    assert person.pseudonym in log.object_repr
    assert not EmailAddress.objects.filter(user=person).exists()
    assert not AccessCopy.objects.filter(user=person).exists()
    assert not person.invitations.exists()
    data_request.refresh_from_db()
    assert data_request.status == "completed" and data_request.details == ""
    assert data_request.decision_reason == "The mandate allows it."
    for key in Session.objects.all():
        assert str(key.get_decoded().get("_auth_user_id")) != str(person.pk)

    # The neighbour lost nothing; their file is still there. Their access copy, built
    # before the erasure, was replaced by a new one (one more copy, one more audit entry).
    after = {d.label: count_for(d, neighbour) for d in declarations()}
    assert after.pop("gdpr.AccessCopy") == neighbour_counts.pop("gdpr.AccessCopy") + 1
    assert after.pop("gdpr.AuditEntry") == neighbour_counts.pop("gdpr.AuditEntry") + 1
    # ... built by a task queued for them.
    assert (after.pop("django_tasks_database.DBTaskResult")
            == neighbour_counts.pop("django_tasks_database.DBTaskResult") + 1)
    # A wall or board that named the person was rewritten and compacted: the updates
    # stored in it (theirs too) are merged into its snapshot, their content kept.
    assert (after.pop("workshops.YDocumentUpdate")
            <= neighbour_counts.pop("workshops.YDocumentUpdate"))
    assert after == neighbour_counts
    theirs = world.extra["attachments"][1]
    assert Path(theirs.upload.path).exists()

    # The person heard of it at their former address.
    told = [m for m in mail.outbox if m.to == [PERSON["email"]]]
    assert len(told) == 1 and "The mandate allows it." in told[0].body


def test_erasure_numbers_pseudonyms_in_order_and_is_idempotent(assembly: Any) -> None:
    first, second = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    report = erase_person(first, reason="test")
    assert report.pseudonym == first.pseudonym and first.pseudonym_number == 1
    erase_person(second, reason="test")
    assert second.pseudonym_number == 2
    again = erase_person(first, reason="test")
    assert again.already_erased and first.pseudonym_number == 1
    assert AuditEntry.objects.filter(action="gdpr.erasure", subject=first).count() == 1


def test_an_erased_facilitator_holds_no_role_any_more(assembly: Any) -> None:
    """The register says an erased account holds no role: its staff groups go with it."""
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR, Role.AGENT])
    colleague = factories.UserFactory(roles=[Role.FACILITATEUR])
    assert facilitator.groups.count() == 2

    erase_person(facilitator, reason="test")

    facilitator = User.objects.get(pk=facilitator.pk)
    assert list(facilitator.groups.all()) == []
    assert colleague.groups.count() == 1


def test_erasure_is_one_transaction(member: User, monkeypatch: Any) -> None:
    """If one declaration fails, nothing at all is erased."""
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    label = "assembly.Subgroup"
    original = registry._REGISTRY[label]

    def boom(person: Any, pseudonym: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.setitem(registry._REGISTRY, label, dataclasses.replace(original, eraser=boom))
    with pytest.raises(RuntimeError):
        erase_person(member, reason="test")
    member.refresh_from_db()
    assert member.is_active and member.erased_at is None and member.pseudonym_number is None
    assert member.email == "titulaire@example.org"
    assert EmailAddress.objects.filter(user=member).exists()


def test_accepted_erasure_of_a_sitting_member_offers_the_seat_to_the_substitute(
    assembly: Any, member: User
) -> None:
    from assembly.models import SeatOffer

    seat = Membership.objects.get(user=member).seat
    substitute = factories.make_substitute(assembly, seat, rank=1)
    dpd = factories.UserFactory(roles=[Role.DPD])
    data_request = do_submit_request(member, kind=RequestKind.ERASURE)
    do_decide_request(dpd, data_request, accept=True, reason="")
    # As for any departure (docs/assembly.md): the substitute is asked, and accepts.
    assert SeatOffer.objects.pending().get(seat=seat).user == substitute
    assert not Membership.objects.open().filter(seat=seat, kind=MembershipKind.TITULAIRE)


def test_a_sitting_members_erasure_may_be_refused_with_a_reason(
    member: User, django_capture_on_commit_callbacks: Any
) -> None:
    dccu = factories.UserFactory(roles=[Role.DCCU])
    data_request = do_submit_request(member, kind=RequestKind.ERASURE)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        do_decide_request(dccu, data_request, accept=False,
                          reason="Your mandate runs until June 2027.")
    member.refresh_from_db()
    assert member.is_active and member.erased_at is None
    assert Membership.objects.open().filter(user=member).exists()
    data_request.refresh_from_db()
    assert data_request.status == "refused" and data_request.decided_by == dccu
    assert mail.outbox[0].to == [member.email]
    assert "Your mandate runs until June 2027." in mail.outbox[0].body


# --- Sessions and live sockets end at once ----------------------------------------------------


def cookie_of(client: Client) -> bytes:
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def open_socket(client: Client) -> WebsocketCommunicator:
    socket = WebsocketCommunicator(
        application, "/ws/",
        headers=[(b"cookie", cookie_of(client)), (b"host", b"testserver"), (b"origin", b"http://testserver")],
    )
    ok, _ = await socket.connect()
    assert ok
    assert (await socket.receive_json_from())["type"] == "hello"
    return socket


@pytest.mark.django_db(transaction=True)
async def test_erasure_ends_every_session_and_closes_every_socket_of_the_person() -> None:
    person = await sync_to_async(factories.UserFactory)(email="personne@example.org")
    other = await sync_to_async(factories.UserFactory)(email="autre@example.org")
    dpd = await sync_to_async(factories.UserFactory)(roles=[Role.DPD])
    phone = await sync_to_async(browser_login)(person)
    laptop = await sync_to_async(browser_login)(person)
    other_browser = await sync_to_async(browser_login)(other)
    sockets = [await open_socket(phone), await open_socket(laptop)]
    other_socket = await open_socket(other_browser)
    data_request = await sync_to_async(do_submit_request)(person, kind=RequestKind.ERASURE)

    await sync_to_async(do_decide_request)(dpd, data_request, accept=True)

    for socket in sockets:
        assert await socket.receive_output(timeout=2) == {
            "type": "websocket.close", "code": CLOSE_ACCESS_ENDED,
        }
    # The other person is untouched.
    await other_socket.send_json_to({"type": "ping"})
    assert await other_socket.receive_json_from() == {"type": "pong"}
    # The old cookies open nothing any more: no page, no socket.
    response = await sync_to_async(phone.get)("/mes-donnees/")
    assert response.status_code == 302 and response["Location"].startswith("/comptes/login/")
    again = WebsocketCommunicator(
        application, "/ws/", headers=[(b"cookie", cookie_of(laptop)),
                                      (b"host", b"testserver"), (b"origin", b"http://testserver")],
    )
    await again.connect()
    assert (await again.receive_output(timeout=2))["type"] == "websocket.close"
    for socket in (*sockets, other_socket, again):
        await socket.disconnect()
    assert await sync_to_async(DataRequest.objects.filter(status="completed").count)() == 1


# --- Names written by others (« Merci Sylvie M. ») ---------------------------------------------


SYLVIE = {"first_name": "Sylvie", "last_name": "Martin", "display_name": "Sylvie M.",
          "email": "sylvie.martin@example.org"}
# Who must survive: names that share words with Sylvie's, in the other assembly too.
MERCIER = {"first_name": "Sylvie", "last_name": "Mercier", "display_name": "Sylvie Mercier",
           "email": "sylvie.mercier@example.org"}
MARCEL = {"first_name": "Marcel", "last_name": "Dubois", "display_name": "Marcel D.",
          "email": "marcel.dubois@example.org"}
AMANDINE = {"first_name": "Amandine", "last_name": "Roux", "display_name": "Amandine R.",
            "email": "amandine.roux@example.org"}


def sylvie_forms(text: str) -> list[str]:
    """The forms of Sylvie Martin's names found in ``text`` (case and accents folded)."""
    decomposed = unicodedata.normalize("NFD", html.unescape(text).casefold())
    folded = " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())
    return [form for form in ("sylvie martin", "martin sylvie", "sylvie m.", "sylvie m ",
                              "sylvie.martin@example.org") if form in folded + " "]


@pytest.fixture
def two_assemblies() -> dict[str, Any]:
    """The current assembly and the one before, people writing about each other in both."""
    from deliberation.proposals import do_comment, do_create_proposal, do_transition
    from documents.actions import do_propose_document, do_publish_document
    from forums.actions import do_hide_message, do_report_message

    today = timezone.localdate()
    current = factories.make_assembly()
    earlier = factories.make_assembly(name="Assemblée précédente",
                                      mandate_start=today - dt.timedelta(days=900),
                                      mandate_end=today - dt.timedelta(days=300))
    sylvie = factories.make_titulaire(current, **SYLVIE)
    marcel = factories.make_titulaire(current, **MARCEL)
    mercier = factories.make_titulaire(earlier, **MERCIER)
    amandine = factories.UserFactory(roles=[Role.FACILITATEUR], **AMANDINE)
    dccu = factories.UserFactory(roles=[Role.DCCU], email="dccu@example.org")
    subgroup = factories.make_subgroup(current, members=[sylvie, marcel],
                                       facilitators=[amandine], name="Transports")
    plenary = factories.plenary_room(subgroup.mandate)
    old_plenary = factories.plenary_room(factories.make_mandate(earlier))
    rows: dict[str, Any] = {"sylvie": sylvie, "marcel": marcel, "mercier": mercier,
                            "amandine": amandine, "dccu": dccu}
    # The plenary, no « @ »; markdown makes HTML of it.
    rows["said"] = factories.send(
        marcel, plenary, "Comme le disait Sylvie Martin, le bus du mardi ne passe plus. "
        "Merci **Sylvie M.** et merci Marcel D. pour les horaires.")
    rows["old"] = factories.send(
        mercier, old_plenary, "Merci Sylvie Mercier pour le compte rendu, et bravo Martin "
        "(le chauffeur) : Saint-Martin est desservie.")
    rows["own"] = factories.send(sylvie, factories.room_of(subgroup), "Je suis Sylvie Martin.")
    rows["hidden"] = factories.send(marcel, factories.room_of(subgroup), "Un message vif.")
    do_hide_message(amandine, rows["hidden"], reason="Propos visant MARTIN Sylvie")
    rows["report"] = do_report_message(
        amandine, rows["said"], reason="Il cite sylvie m et Marcel D. sans leur accord")
    # The library: a member's proposals, one published with a note naming her.
    shared = do_propose_document(sylvie, kind="lien", title="Horaires des bus",
                                 url="https://example.org/bus",
                                 summary="Proposé par Sylvie Martin")
    do_publish_document(amandine, shared, note="Merci Sylvie M. pour ce lien")
    for title in ("Brouillon un", "Brouillon deux"):
        do_propose_document(sylvie, kind="lien", title=title, url="https://example.org/x")
    rows["shared"] = shared
    # A proposal: comments and transition notes by others.
    proposal = do_create_proposal(amandine, subgroup, "Un minibus le mardi")
    rows["comment"] = do_comment(marcel, proposal, "Je reprends l'idée de sylvie martin.",
                                 anchor=ANCHOR, quote="le bus de Sylvie M.")
    do_transition(amandine, proposal, "relecture", note="Relu avec Sylvie M. et Marcel D.")
    rows["proposal"] = proposal
    # Marcel's own data request names her.
    rows["request"] = do_submit_request(marcel, kind=RequestKind.ACCESS,
                                        details="Sylvie M. m'a conseillé de demander.")
    return rows


ANCHOR = {"start": {"type": None, "tname": "default", "item": {"client": 1, "clock": 4},
                    "assoc": 0},
          "end": {"type": None, "tname": "default", "item": {"client": 1, "clock": 9},
                  "assoc": -1}}


def all_free_text() -> list[tuple[str, Any, str, str]]:
    """(model, pk, field, text) for every text field (no choices) of every declared model."""
    found = []
    for declaration in declarations():
        fields = [f.name for f in declaration.model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField) and not f.choices
                  and f.name not in ("first_name", "last_name", "display_name", "email")]
        if not fields:
            continue
        manager = declaration.model._base_manager
        for pk, *values in manager.values_list("pk", *fields):
            for name, value in zip(fields, values, strict=True):
                if value:
                    found.append((declaration.label, pk, name, value))
    return found


@pytest.mark.django_db
def test_names_others_wrote_are_replaced_everywhere_and_only_the_erased_persons(
    two_assemblies: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from deliberation.models import DraftComment, ProposalTransition
    from documents.models import DocumentEvent
    from forums.models import Message, Report

    w = two_assemblies
    sylvie = w["sylvie"]
    before = [(label, pk, name) for label, pk, name, text in all_free_text()
              if sylvie_forms(text)]
    # Everywhere the audit found them: plenary, HTML, hide reason, report, library note,
    # document summary, comment and quote, transition note, another person's request.
    assert {(label, name) for label, _pk, name in before} >= {
        ("forums.Message", "body"), ("forums.Message", "body_html"),
        ("forums.Message", "hidden_reason"), ("forums.Report", "reason"),
        ("documents.DocumentEvent", "note"), ("documents.Document", "summary"),
        ("deliberation.DraftComment", "body"), ("deliberation.DraftComment", "quote"),
        ("deliberation.ProposalTransition", "note"), ("gdpr.DataRequest", "details"),
    }

    with django_capture_on_commit_callbacks(execute=True):
        report = erase_person(sylvie, reason="test")
    pseudonym = sylvie.pseudonym

    leftovers = [(label, name, text) for label, _pk, name, text in all_free_text()
                 if sylvie_forms(text)]
    assert leftovers == []
    said = Message.objects.get(pk=w["said"].pk)
    assert said.body == (f"Comme le disait {pseudonym}, le bus du mardi ne passe plus. "
                         f"Merci **{pseudonym}** et merci Marcel D. pour les horaires.")
    assert f"<strong>{pseudonym}</strong>" in said.body_html and "Marcel D." in said.body_html
    # The other people's names survive, in both assemblies: a homonym's first name, a
    # « Martin » that is not her, Marcel, the town.
    old = Message.objects.get(pk=w["old"].pk)
    assert old.body == w["old"].body
    assert Message.objects.get(pk=w["own"].pk).body == f"Je suis {pseudonym}."
    assert Message.objects.get(pk=w["hidden"].pk).hidden_reason == f"Propos visant {pseudonym}"
    assert Report.objects.get(pk=w["report"].pk).reason == (
        f"Il cite {pseudonym} et Marcel D. sans leur accord")
    comment = DraftComment.objects.get(pk=w["comment"].pk)
    assert comment.body == f"Je reprends l'idée de {pseudonym}."
    assert comment.quote == f"le bus de {pseudonym}"
    assert ProposalTransition.objects.get(proposal=w["proposal"], note__contains="Relu").note == (
        f"Relu avec {pseudonym} et Marcel D.")
    assert DocumentEvent.objects.get(note__startswith="Merci").note == (
        f"Merci {pseudonym} pour ce lien")
    w["shared"].refresh_from_db()
    assert w["shared"].summary == f"Proposé par {pseudonym}"
    assert "Martin" not in w["shared"].search_text  # the search index was rebuilt
    assert w["request"].__class__.objects.get(pk=w["request"].pk).details == (
        f"{pseudonym} m'a conseillé de demander.")
    # What the audit trail says was done, counted after every eraser ran.
    entry = AuditEntry.objects.get(action="gdpr.erasure", subject=sylvie)
    assert entry.details["counts"] == report.counts
    assert report.counts["documents.Document"]["deleted"] == 2  # never published
    assert report.counts["documents.Document"]["kept"] == 1
    assert report.counts["forums.Message"]["names_replaced"] == 3
    assert report.counts["forums.Report"] == {"kept": 0, "names_replaced": 1}
    assert report.counts["documents.DocumentEvent"]["names_replaced"] == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Merci Hélène D. !", "Merci P !"),
        ("merci helene dupre", "merci P"),
        ("HÉLÈNE DUPRÉ l'a dit", "P l'a dit"),
        ("Dupré Hélène, Dupre Helene", "P, P"),
        ("<p>Merci&nbsp;Hélène&nbsp;D.</p>", "<p>Merci&nbsp;P</p>"),
        ("Merci Hélène Dupré-Lenoir", "Merci P-Lenoir"),
        # Not her: another name that starts the same, a first name alone, a word inside.
        ("Merci Hélène Duval et Hélène", "Merci Hélène Duval et Hélène"),
        ("Hélène Dupréau", "Hélène Dupréau"),
        ("helene.dupre@example.org ou Hélène D", "P ou P"),
    ],
)
def test_name_forms_are_matched_case_and_accent_insensitively_on_word_boundaries(
    db: Any, text: str, expected: str
) -> None:
    from gdpr.scrub import NameMatcher

    person = factories.UserFactory(first_name="Hélène", last_name="Dupré",
                                   display_name="Hélène D.", email="helene.dupre@example.org")
    factories.UserFactory(first_name="Hélène", last_name="Duval", display_name="Hélène Duv.")
    matcher = NameMatcher.for_person(person)
    assert matcher is not None
    assert matcher.sub(text, "P") == expected


def test_a_form_that_names_someone_else_still_here_is_left_alone(db: Any) -> None:
    """Two Marc L.: « Marc L. » in a text may be the other one; the display name is hers."""
    from gdpr.scrub import NameMatcher

    erased = factories.UserFactory(first_name="Marc", last_name="Lefèvre",
                                   display_name="Marco", email="marc.l@example.org")
    factories.UserFactory(first_name="Marc", last_name="Lemoine", display_name="Marc L.")
    matcher = NameMatcher.for_person(erased)
    assert matcher is not None
    assert matcher.sub("Marc L., Marco et Marc Lefèvre", "P") == "Marc L., P et P"
    assert matcher.sub("Marcel Lefèvre", "P") == "Marcel Lefèvre"


def copy_texts(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


@pytest.mark.django_db(transaction=True)
def test_other_peoples_copies_that_name_the_erased_person_are_replaced(
    two_assemblies: dict[str, Any],
) -> None:
    from gdpr.access_copy import stored_path
    from gdpr.models import CopyStatus

    w = two_assemblies
    marcel, mercier = w["marcel"], w["mercier"]
    do_request_access_copy(marcel)
    do_request_access_copy(mercier)
    run_worker()
    old = AccessCopy.objects.get(user=marcel)
    old_path = stored_path(old)
    assert old_path is not None and sylvie_forms(copy_texts(old_path))
    browser = browser_login(marcel)

    erase_person(w["sylvie"], reason="test")

    old.refresh_from_db()
    assert old.status == CopyStatus.EXPIRED and not old_path.exists()
    page = browser.get(f"/mes-donnees/copies/{old.pk}/")
    assert page.status_code == 200
    assert "This copy has expired" in page.content.decode() or "expiré" in page.content.decode()
    # A new copy for Marcel, built from the scrubbed data, with his own words intact.
    new = AccessCopy.objects.exclude(pk=old.pk).get(user=marcel)
    assert new.status == CopyStatus.QUEUED and new.requested_by == marcel
    run_worker()
    new.refresh_from_db()
    new_path = stored_path(new)
    assert new.status == CopyStatus.READY and new_path is not None
    text = copy_texts(new_path)
    assert sylvie_forms(text) == [] and "Marcel" in text and "horaires" in text
    assert AuditEntry.objects.filter(action="gdpr.copy.replace", subject=marcel).count() == 1
    # Every live copy is replaced, whoever it names: the Mercier copy too, intact.
    assert AccessCopy.objects.filter(user=mercier, status=CopyStatus.READY).count() == 1
    assert AccessCopy.objects.filter(user=mercier, status=CopyStatus.EXPIRED).count() == 1


@pytest.mark.django_db
def test_names_typed_in_a_draft_and_its_versions_are_replaced(
    two_assemblies: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    import pycrdt

    from deliberation import drafts
    from deliberation.models import Draft, DraftUpdate, DraftVersion
    from deliberation.proposals import do_named_version

    w = two_assemblies
    proposal = w["proposal"]
    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(
        "L'idée de Sylvie Martin, reprise par Marcel D. : un minibus le mardi.")]))
    drafts.append(proposal.draft.pk, [(doc.get_update(before), w["marcel"].pk)],
                  known_authors=set())
    version = do_named_version(w["amandine"], proposal, "Relue avec Sylvie M.")

    with django_capture_on_commit_callbacks(execute=True):
        erase_person(w["sylvie"], reason="test")

    pseudonym = User.objects.get(pk=w["sylvie"].pk).pseudonym
    text = drafts.doc_text(drafts.load(proposal.draft.pk).doc)
    assert f"L'idée de {pseudonym}, reprise par Marcel D. : un minibus le mardi." in text
    stored = [bytes(Draft.objects.get(pk=proposal.draft.pk).snapshot)] + [
        bytes(d) for d in DraftUpdate.objects.filter(draft=proposal.draft)
        .values_list("data", flat=True)]
    assert not any(b"Martin" in data for data in stored)
    version = DraftVersion.objects.get(pk=version.pk)
    assert "Sylvie" not in version.text and "Marcel D." in version.text
    assert version.name == f"Relue avec {pseudonym}"
    assert "Sylvie" not in drafts.doc_text(drafts.new_doc(bytes(version.state)))
    assert b"Martin" not in bytes(version.state)


def test_the_scrub_covers_what_people_write_and_skips_keys_hashes_and_identities() -> None:
    from gdpr.scrub import free_text_fields

    fields = {d.label: set(free_text_fields(d)) for d in declarations()}
    assert {"body", "body_html", "hidden_reason"} <= fields["forums.Message"]
    assert {"reason", "outcome"} <= fields["forums.Report"]
    assert {"note"} <= fields["documents.DocumentEvent"]
    assert {"details", "extension_reason", "decision_reason", "archives_agreement"} <= (
        fields["gdpr.DataRequest"])
    assert {"body", "quote"} <= fields["deliberation.DraftComment"]
    assert {"name", "text"} <= fields["deliberation.DraftVersion"]
    assert {"object_repr", "change_message"} <= fields["admin.LogEntry"]
    # A person's own names are theirs, not text about someone; keys and hashes hold no words.
    assert fields["accounts.User"] == set()
    assert fields["accounts.Invitation"] == set()
    assert fields["sessions.Session"] == set()
    assert "storage_name" not in fields["documents.DocumentFile"]
    assert "kind" not in fields["forums.Attachment"]  # choices


@pytest.mark.django_db(transaction=True)
def test_a_newly_declared_model_is_scrubbed_at_once(attachment_model: Any) -> None:
    """No list to update: the text of a model declared tomorrow is covered."""
    author = factories.UserFactory(**SYLVIE)
    other = factories.UserFactory(**MARCEL)
    row = attachment_model.objects.create(owner=other, title="Plan de Sylvie M.",
                                          upload="attachments/plan.pdf")
    erase_person(author, reason="test")
    author.refresh_from_db()
    row.refresh_from_db()
    assert row.title == f"Plan de {author.pseudonym}"
