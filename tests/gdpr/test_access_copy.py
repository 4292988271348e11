"""Access copies (art. 15): all of the person's data, nobody else's, and only for them."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.test import Client
from django.utils import timezone
from django.utils.html import escape
from django_tasks_db.models import DBTaskResult

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from gdpr import access_copy as copies
from gdpr.access_copy import build_access_copy, do_request_access_copy, expire_access_copies
from gdpr.models import AccessCopy, AuditEntry, CopyStatus, DataRequest, RequestKind
from gdpr.registry import declarations
from gdpr.rights import do_prepare_copy_for_request, do_submit_request
from gdpr.subjects import subject_paths
from tests import factories
from tests.gdpr import personal_data
from tests.gdpr.personal_data import NEIGHBOUR, PERSON, World, run_worker, seed_everything


@pytest.fixture(autouse=True)
def _private_storage(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def attachment_model(transactional_db: Any) -> Iterator[type[models.Model]]:
    yield from personal_data.attachment_model()


def _reaches(obj: Any, parts: list[str], pk: Any) -> bool:
    """Whether following ``parts`` from ``obj`` arrives at the person (plain Python)."""
    if not parts:
        return obj is not None and obj.pk == pk
    value = getattr(obj, parts[0], None)
    if value is None:
        return False
    if hasattr(value, "all"):
        return any(_reaches(v, parts[1:], pk) for v in value.all())
    return _reaches(value, parts[1:], pk)


def expected_ids(declaration: Any, person: User) -> set[str]:
    """The person's rows, found without the query the copy uses."""
    model = declaration.model
    if model is User:
        return {str(person.pk)}
    if model is Session:
        return {
            s.session_key[:6] + "…" for s in Session.objects.all()
            if str(s.get_decoded().get("_auth_user_id")) == str(person.pk)
        }
    if model is DBTaskResult:
        # Task results name the person, or one of their requests or copies, by id.
        ids = {str(person.pk)} | {
            str(pk) for m in (AccessCopy, DataRequest)
            for pk in m.objects.filter(user=person).values_list("pk", flat=True)
        }
        return {str(r.pk) for r in DBTaskResult.objects.all()
                if any(i in json.dumps(r.args_kwargs) for i in ids)}
    paths = subject_paths(declaration)
    assert paths, f"{declaration.label}: no way to find the person's rows"
    return {
        str(row.pk) for row in model._base_manager.all()
        if any(_reaches(row, path.split("__"), person.pk) for path in paths)
    }


def open_copy(copy: AccessCopy) -> zipfile.ZipFile:
    copy.refresh_from_db()
    assert copy.status == CopyStatus.READY, copy.error
    path = copies.stored_path(copy)
    assert path is not None and path.exists()
    return zipfile.ZipFile(path)


@pytest.mark.django_db(transaction=True)
def test_copy_holds_every_item_of_the_person_and_none_of_anyone_else(
    attachment_model: Any, settings: Any
) -> None:
    world = seed_everything(declarations())
    person = world.person
    copy = do_request_access_copy(person, base_url="http://testserver/")
    assert copy.status == CopyStatus.QUEUED
    expected = {d.label: expected_ids(d, person) for d in declarations()}

    run_worker()

    archive = open_copy(copy)
    names = set(archive.namelist())
    assert "index.html" in names
    for declaration in declarations():
        data = json.loads(archive.read(f"data/{declaration.label}.json"))
        assert data["purpose"] and data["legal_basis"] and data["retention"]
        ids = {item["id"] for item in data["items"]}
        assert world.mine[declaration.label] <= ids, declaration.label
        assert not world.theirs[declaration.label] & ids, declaration.label
        assert ids == expected[declaration.label], declaration.label
        for item in data["items"]:
            assert set(item) <= {"id", *declaration.fields}, declaration.label

    # The person's own files, byte for byte; not the neighbour's.
    mine, theirs = world.extra["attachments"]
    file_names = [n for n in names if n.startswith(f"files/{personal_data.ATTACHMENT_LABEL}/")]
    assert len(file_names) == 1
    # The person's voice message too (and only theirs).
    voices = [n for n in names if n.startswith("files/forums.Attachment/")]
    assert [archive.read(n) for n in voices] == [b"OggS-fake-audio"]
    assert voices[0].split("/")[2] in world.mine["forums.Attachment"]
    assert archive.read(file_names[0]) == b"my notes on buses"
    attachments = json.loads(archive.read(f"data/{personal_data.ATTACHMENT_LABEL}.json"))
    assert attachments["items"][0]["upload"]["in_copy"] == file_names[0]

    # Nothing in the whole archive names the neighbour.
    for name in names:
        text = archive.read(name).decode("utf-8", errors="replace")
        for value in (NEIGHBOUR["email"], NEIGHBOUR["last_name"]):
            assert value not in text, (name, value)
    # Secrets never leave: the two-factor secret, passwords, session keys.
    everything = "".join(archive.read(n).decode("utf-8", "replace") for n in names)
    assert "AGORADEMO" not in everything
    assert person.password not in everything
    for key in Session.objects.values_list("session_key", flat=True):
        assert key not in everything

    index = archive.read("index.html").decode()
    assert PERSON["display_name"] in index
    for declaration in declarations():
        assert escape(str(declaration.purpose)) in index

    # Stored privately, announced by email without the file.
    path = copies.stored_path(copy)
    assert path is not None
    assert Path(settings.PRIVATE_ROOT) in path.parents
    assert Path(settings.MEDIA_ROOT) not in path.parents
    assert Path(settings.STATIC_ROOT) not in path.parents
    ready = [m for m in mail.outbox if person.email in m.to and f"/mes-donnees/copies/{copy.pk}/"
             in m.body]
    assert len(ready) == 1
    assert not ready[0].attachments


@pytest.mark.django_db(transaction=True)
def test_progress_is_saved_while_the_copy_is_built_and_the_summary_is_bounded(
    monkeypatch: Any,
) -> None:
    person = factories.UserFactory()
    # 250 entries: more than the summary shows, several progress steps.
    AuditEntry.objects.bulk_create(
        AuditEntry(actor=person, subject=person, action="test.bulk") for _ in range(250)
    )
    monkeypatch.setattr(copies, "PROGRESS_EVERY", 50)
    seen: list[int] = []
    original = copies._Progress.save

    def record(self: Any) -> None:
        original(self)
        seen.append(AccessCopy.objects.get(pk=self.copy_id).done)

    monkeypatch.setattr(copies._Progress, "save", record)
    copy = do_request_access_copy(person)
    run_worker()

    assert len(seen) >= 5 and seen == sorted(seen)
    copy.refresh_from_db()
    assert copy.done == copy.total and copy.percent == 100
    archive = open_copy(copy)
    audit_items = json.loads(archive.read("data/gdpr.AuditEntry.json"))["items"]
    assert len(audit_items) >= 250
    index = archive.read("index.html").decode()
    assert index.count("test.bulk") == copies.SUMMARY_ITEMS
    assert "data/gdpr.AuditEntry.json" in index


# --- Who may download -------------------------------------------------------------------------


@pytest.fixture
def built_copy(db: Any, member: User) -> AccessCopy:
    copy = do_request_access_copy(member)
    assert build_access_copy(str(copy.pk)) == CopyStatus.READY
    copy.refresh_from_db()
    return copy


def _client(user: User) -> Client:
    if user.groups.filter(name__in=["dccu", "dpd"]).exists():
        enrol_demo_totp(user)
    client = Client()
    client.force_login(user)
    return client


def test_the_person_downloads_their_copy_as_an_attachment(
    member_client: Client, built_copy: AccessCopy, member: User
) -> None:
    response = member_client.get(f"/mes-donnees/copies/{built_copy.pk}/telecharger/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/zip"
    assert response["X-Content-Type-Options"] == "nosniff"
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert "index.html" in zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert AuditEntry.objects.filter(action="gdpr.copy.download", subject=member).count() == 1


@pytest.mark.parametrize("role", ["other_member", Role.DPD, Role.DCCU, Role.FACILITATEUR])
def test_nobody_else_can_see_or_download_a_copy(
    role: Any, built_copy: AccessCopy, assembly: Any
) -> None:
    if role == "other_member":
        other = factories.make_titulaire(assembly)
    else:
        other = factories.UserFactory(roles=[role])
    client = _client(other)
    base = f"/mes-donnees/copies/{built_copy.pk}/"
    for url in (base, base + "etat/", base + "telecharger/"):
        assert client.get(url).status_code == 404, url
    assert not AuditEntry.objects.filter(action="gdpr.copy.download").exists()


def test_anonymous_visitors_are_sent_to_log_in(client: Client, built_copy: AccessCopy) -> None:
    response = client.get(f"/mes-donnees/copies/{built_copy.pk}/telecharger/")
    assert response.status_code == 302
    assert response["Location"].startswith("/comptes/login/")


def test_an_expired_copy_is_refused_and_its_file_deleted(
    member_client: Client, built_copy: AccessCopy
) -> None:
    path = copies.stored_path(built_copy)
    assert path is not None and path.exists()
    AccessCopy.objects.filter(pk=built_copy.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = member_client.get(f"/mes-donnees/copies/{built_copy.pk}/telecharger/")
    assert response.status_code == 404
    built_copy.refresh_from_db()
    assert built_copy.status == CopyStatus.EXPIRED
    assert not path.exists()


def test_the_daily_sweep_expires_copies_nobody_looks_at(built_copy: AccessCopy) -> None:
    path = copies.stored_path(built_copy)
    assert path is not None
    assert expire_access_copies(now=timezone.now()) == 0
    assert expire_access_copies(now=built_copy.expires_at + timedelta(seconds=1)) == 1
    built_copy.refresh_from_db()
    assert built_copy.status == CopyStatus.EXPIRED and not path.exists()
    assert expire_access_copies(now=built_copy.expires_at + timedelta(days=1)) == 0


def test_copy_expires_after_the_configured_time(settings: Any, member: User) -> None:
    settings.ACCESS_COPY_VALID_HOURS = 48
    copy = do_request_access_copy(member)
    build_access_copy(str(copy.pk))
    copy.refresh_from_db()
    assert copy.finished_at is not None and copy.expires_at is not None
    assert copy.expires_at - copy.finished_at == timedelta(hours=48)


def test_status_endpoint_reports_progress_to_the_person(
    member_client: Client, member: User
) -> None:
    copy = do_request_access_copy(member)
    state = member_client.get(f"/mes-donnees/copies/{copy.pk}/etat/").json()
    assert state["status"] == "queued" and not state["finished"]
    build_access_copy(str(copy.pk))
    state = member_client.get(f"/mes-donnees/copies/{copy.pk}/etat/").json()
    assert state["ready"] and state["percent"] == 100


def test_requesting_twice_while_one_is_prepared_gives_the_same_copy(
    member_client: Client, member: User
) -> None:
    first = member_client.post("/mes-donnees/copies/")
    second = member_client.post("/mes-donnees/copies/")
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert AccessCopy.objects.filter(user=member).count() == 1
    page = member_client.get(first["Location"])
    assert page.status_code == 200
    assert b"<progress" in page.content and b'aria-live="polite"' in page.content


def test_staff_prepare_a_copy_on_behalf_and_their_download_is_audited(
    member: User, member_client: Client
) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD])
    data_request = do_submit_request(member, kind=RequestKind.ACCESS)
    copy = do_prepare_copy_for_request(dpd, data_request)
    assert copy.user == member and copy.requested_by == dpd
    build_access_copy(str(copy.pk))

    response = _client(dpd).get(f"/mes-donnees/copies/{copy.pk}/telecharger/")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="gdpr.copy.download")
    assert entry.actor == dpd and entry.subject == member and entry.details["on_behalf"]
    # Another DPD or the DCCU did not prepare it: not theirs to download.
    for role in (Role.DPD, Role.DCCU):
        colleague = factories.UserFactory(roles=[role])
        url = f"/mes-donnees/copies/{copy.pk}/telecharger/"
        assert _client(colleague).get(url).status_code == 404
    # It is still the person's data: they may download it too.
    assert member_client.get(f"/mes-donnees/copies/{copy.pk}/telecharger/").status_code == 200


def test_a_member_cannot_prepare_a_copy_of_someone_else(member: User, assembly: Any) -> None:
    from django.core.exceptions import PermissionDenied

    other = factories.make_titulaire(assembly)
    with pytest.raises(PermissionDenied):
        do_request_access_copy(member, person=other)


@pytest.mark.django_db(transaction=True)
def test_my_data_page_lists_what_is_held_with_purpose_and_retention() -> None:
    world: World = seed_everything(
        [d for d in declarations() if d.label != personal_data.ATTACHMENT_LABEL]
    )
    client = Client()
    client.force_login(world.person)
    response = client.get("/mes-donnees/")
    assert response.status_code == 200
    held = {row["label"]: row for row in response.context["held"]}
    for declaration in declarations():
        assert held[declaration.label]["count"] >= 1, declaration.label
        assert escape(str(declaration.purpose)) in response.content.decode()
    assert held["accounts.User"]["count"] == 1
