"""Erasure: nothing identifies the person afterwards, collective work stays under a pseudonym,
and their sessions and live sockets end at once."""

from __future__ import annotations

import dataclasses
import hashlib
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

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from config.asgi import application
from deliberation.models import EndReason, Membership, MembershipKind, Subgroup
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
    assert list(subgroup.members.all()) == [person]
    membership = Membership.objects.get(user=person)
    assert membership.end_reason == EndReason.RESIGNATION  # the seat freed up
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

    # The neighbour lost nothing; their file is still there.
    assert {d.label: count_for(d, neighbour) for d in declarations()} == neighbour_counts
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


def test_erasure_is_one_transaction(member: User, monkeypatch: Any) -> None:
    """If one declaration fails, nothing at all is erased."""
    EmailAddress.objects.create(user=member, email=member.email, primary=True, verified=True)
    label = "deliberation.Subgroup"
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


def test_accepted_erasure_of_a_sitting_member_gives_the_seat_to_the_substitute(
    assembly: Any, member: User
) -> None:
    seat = Membership.objects.get(user=member).seat
    substitute = factories.make_substitute(assembly, seat, rank=1)
    dpd = factories.UserFactory(roles=[Role.DPD])
    data_request = do_submit_request(member, kind=RequestKind.ERASURE)
    do_decide_request(dpd, data_request, accept=True, reason="")
    assert Membership.objects.open().get(seat=seat, kind=MembershipKind.TITULAIRE).user == (
        substitute
    )


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
