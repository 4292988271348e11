"""Access copies (art. 15): all of the person's data, nobody else's, and only for them."""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
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
from accounts.models import Invitation, User
from accounts.roles import Role
from assembly.invitations import create_invitation
from assembly.models import Membership
from documents import files
from gdpr import access_copy as copies
from gdpr import audit
from gdpr.access_copy import build_access_copy, do_request_access_copy, expire_access_copies
from gdpr.models import AccessCopy, AuditEntry, CopyStatus, DataRequest, RequestKind
from gdpr.registry import declarations
from gdpr.rights import do_prepare_copy_for_request, do_submit_request
from gdpr.subjects import subject_paths
from tests import factories
from tests.forums.recordings import recording
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
    """The person's rows, found without the query the copy uses: theirs, and those where they
    acted as staff; not the audit entries of a report on their message (the reporter's)."""
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
    paths = subject_paths(declaration) + list(declaration.actors)
    assert paths, f"{declaration.label}: no way to find the person's rows"

    def reaches(row: Any, path: str) -> bool:
        if not _reaches(row, path.split("__"), person.pk):
            return False
        if model is AuditEntry and path == "subject":
            return row.action not in ("forums.message.report", "forums.report.handle")
        return True

    return {
        str(row.pk) for row in model._base_manager.all()
        if any(reaches(row, path) for path in paths)
    }


def open_copy(copy: AccessCopy) -> zipfile.ZipFile:
    copy.refresh_from_db()
    assert copy.status == CopyStatus.READY, copy.error
    path = copies.stored_path(copy)
    assert path is not None and path.exists()
    return zipfile.ZipFile(path)


def sections(archive: zipfile.ZipFile) -> dict[str, dict[str, Any]]:
    """Each JSON file of the copy, by the label of its declaration."""
    found = {}
    for name in archive.namelist():
        if name.endswith(".json"):
            data = json.loads(archive.read(name))
            data["file"] = name
            found[data["label"]] = data
    return found


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
    held = sections(archive)
    for declaration in declarations():
        if not expected[declaration.label]:
            # Nothing of this kind: no empty file, no empty section.
            assert declaration.label not in held, declaration.label
            continue
        data = held[declaration.label]
        # Named in French after what it holds, beside index.html (« messages.json »).
        assert "/" not in data["file"] and data["file"] == data["file"].lower()
        assert data["purpose"] and data["legal_basis"] and data["retention"]
        ids = {item["id"] for item in data["items"]}
        assert world.mine[declaration.label] <= ids, declaration.label
        assert not world.theirs[declaration.label] & ids, declaration.label
        assert ids == expected[declaration.label], declaration.label
        acts = {n for fields in declaration.actors.values() for n in fields}
        allowed = {"id", "your_part", "in_copy", *declaration.fields, *acts}
        for item in data["items"]:
            assert set(item) <= allowed, declaration.label
    assert held["forums.Message"]["file"] == "messages.json"
    assert held["documents.Document"]["file"] == "documents.json"
    assert not [n for n in names if n.startswith("data/") or n.startswith("files/")]

    # The person's own files, byte for byte, named as they know them; not the neighbour's.
    file_names = [n for n in names if n.startswith("fichiers/test-attachments/")]
    assert file_names == ["fichiers/test-attachments/Zéphyrine-notes.txt"]
    assert archive.read(file_names[0]) == b"my notes on buses"
    attachments = held[personal_data.ATTACHMENT_LABEL]
    assert attachments["items"][0]["upload"]["in_copy"] == file_names[0]
    # The person's voice message too (and only theirs), with its extension.
    voices = [n for n in names if n.startswith("fichiers/pieces-jointes/")]
    assert [archive.read(n) for n in voices] == [b"OggS-fake-audio"]
    assert voices[0].endswith(".ogg")
    [voice_item] = held["forums.Attachment"]["items"]
    assert voice_item["id"] in world.mine["forums.Attachment"]
    assert voice_item["file"]["in_copy"] == voices[0]
    # The file they uploaded to the library, read from the library's storage.
    library = [n for n in names if n.startswith("fichiers/versions-du-fichier/")]
    assert library == ["fichiers/versions-du-fichier/compte-rendu-0.txt"]
    assert archive.read(library[0]) == personal_data.LIBRARY_FILES[0]
    [file_item] = held["documents.DocumentFile"]["items"]
    assert file_item["in_copy"] == library

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
    # Nor the staff's ids or emails: the facilitator who wrote to the person is a name.
    for staff in (world.extra["facilitator"], world.dccu, world.dpd):
        assert str(staff.pk) not in everything
        assert staff.email not in everything

    index = archive.read("index.html").decode()
    assert PERSON["display_name"] in index
    for declaration in declarations():
        if expected[declaration.label]:
            assert escape(str(declaration.purpose)) in index
    assert "Copie de vos données" in index and 'lang="fr"' in index
    assert "(0)" not in index

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
    audit_items = sections(archive)["gdpr.AuditEntry"]["items"]
    assert len(audit_items) >= 250
    index = archive.read("index.html").decode()
    assert index.count("test.bulk") == copies.SUMMARY_ITEMS
    assert "operations-sur-vos-donnees.json" in index


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


# --- A copy shaped like real life ----------------------------------------------------------------


@dataclass
class Assemblies:
    """Two assemblies: one ended in 2024, one running; a facilitator who moderated in both."""

    sylvie: User
    paul: User
    bernard: User
    amandine: User
    dccu: User
    sylvie_message: Any
    voice_message: Any
    paul_mention: Any
    bernard_message: Any
    report: Any
    document: Any
    library_file: Any
    version_sentence: str


def _type_in_draft(user: User, proposal: Any, sentence: str) -> None:
    import pycrdt

    from deliberation import drafts

    doc = drafts.load(proposal.draft.pk).doc
    before = doc.get_state()
    fragment = doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
    fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(sentence)]))
    drafts.append(proposal.draft.pk, [(doc.get_update(before), user.pk)], known_authors=set())


def _two_assemblies(settings: Any) -> Assemblies:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from deliberation.proposals import do_create_proposal, do_named_version
    from documents import actions as library
    from forums import actions as forums
    from forums.voice import do_add_voice_message
    from tests.documents.fixtures import makers

    settings.LIBRARY_STORAGE = "local"
    settings.CLAMAV_ADDRESS = ""
    earlier = factories.make_assembly(
        name="Assemblée citoyenne 2022-2024", mandate_start=dt.date(2022, 10, 1),
        mandate_end=dt.date(2024, 6, 30),
    )
    current = factories.make_assembly(name="Assemblée citoyenne 2025-2027")
    amandine = factories.UserFactory(
        first_name="Amandine", last_name="Roux", display_name="Amandine R.",
        email="amandine.roux@prestataire.example", roles=[Role.FACILITATEUR],
    )
    dccu = factories.UserFactory(email="dialogue.citoyen@cd31.example", roles=[Role.DCCU])
    bernard = factories.make_titulaire(earlier, first_name="Bernard", last_name="Lacoste",
                                       display_name="Bernard L.",
                                       email="bernard.lacoste@example.org")
    sylvie = factories.make_titulaire(current, first_name="Sylvie", last_name="Marchand",
                                      display_name="Sylvie M.",
                                      email="sylvie.marchand@example.org")
    paul = factories.make_titulaire(current, first_name="Paul", last_name="Desvignes",
                                    display_name="Paul D.", email="paul.desvignes@example.org")
    old_group = factories.make_subgroup(earlier, members=[bernard], facilitators=[amandine],
                                        name="Santé")
    group = factories.make_subgroup(current, members=[sylvie, paul], facilitators=[amandine],
                                    name="Mobilités")

    # In the earlier assembly, Amandine hid one of Bernard's messages.
    bernard_message = factories.send(bernard, factories.room_of(old_group),
                                     "Les médecins du coin ne veulent plus de nouveaux patients.")
    forums.do_hide_message(amandine, bernard_message, reason="Hors sujet pour ce sous-groupe")

    # Now: Sylvie writes, Paul mentions her and reports her message, Amandine hides it.
    room = factories.room_of(group)
    sylvie_message = factories.send(sylvie, room, "Le car de 7 h 10 ne passe plus par Rieumes.")
    voice_message, _created = do_add_voice_message(
        sylvie, room, upload=SimpleUploadedFile("enregistrement.ogg", recording("ogg", 0.5),
                                                "audio/ogg"),
        transcript="Je propose un car le mardi matin.",
        client_id=uuid.uuid4(),
    )
    paul_mention = factories.send(paul, room, "@Sylvie M. as-tu les nouveaux horaires ?")
    assert list(paul_mention.mentions.all()) == [sylvie]
    report = forums.do_report_message(paul, sylvie_message,
                                      reason="Propos déplacés envers le chauffeur")
    forums.do_hide_message(amandine, sylvie_message,
                           reason="Attaque personnelle, contraire à la charte")
    forums.do_mute_person(amandine, room, paul, minutes=60, reason="Messages répétés")
    # An entry written the way reports were recorded before: the author as its subject.
    audit.record(paul, "forums.message.report", subject=sylvie, obj=report)
    # The DCCU invited Sylvie, and later opened her account's page in the administration.
    invitation = create_invitation(
        dccu, email=sylvie.email, first_name="Sylvie", last_name="Marchand", role="titulaire",
        seat=Membership.objects.get(user=sylvie).seat, user=sylvie,
    ).invitation
    Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
    audit.record(dccu, "admin.view", subject=sylvie, obj=sylvie, page="change")

    # Sylvie shares the minutes of a workshop as a PDF; Amandine publishes it.
    document = library.do_propose_document(
        sylvie, kind="fichier", title="Compte rendu de l'atelier mobilités",
        upload=SimpleUploadedFile("compte-rendu-atelier.pdf", makers.pdf("Atelier mobilités"),
                                  "application/pdf"),
        mandates=[group.mandate],
    )
    library.do_publish_document(amandine, document)

    # Sylvie writes in the subgroup's proposal, and a version is named.
    proposal = do_create_proposal(sylvie, group, "Un car le mardi matin")
    sentence = "Rétablir un car le mardi matin entre Rieumes et Muret."
    _type_in_draft(sylvie, proposal, sentence)
    do_named_version(sylvie, proposal, "Avant la plénière")
    return Assemblies(
        sylvie=sylvie, paul=paul, bernard=bernard, amandine=amandine, dccu=dccu,
        sylvie_message=sylvie_message, voice_message=voice_message, paul_mention=paul_mention,
        bernard_message=bernard_message, report=report, document=document,
        library_file=document.files.get(), version_sentence=sentence,
    )


def _copy_of(person: User) -> zipfile.ZipFile:
    copy = do_request_access_copy(person)
    assert build_access_copy(str(copy.pk)) == CopyStatus.READY
    return open_copy(copy)


def _everything(archive: zipfile.ZipFile) -> str:
    return "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def test_a_members_copy_holds_her_files_messages_and_drafts_and_no_one_elses_identity(
    db: Any, settings: Any
) -> None:

    world = _two_assemblies(settings)
    archive = _copy_of(world.sylvie)
    held = sections(archive)
    names = archive.namelist()

    # Her library file, byte for byte, under the name she gave it.
    stored = files.library_storage().open(world.library_file.storage_name).read()
    path = "fichiers/versions-du-fichier/compte-rendu-atelier.pdf"
    assert path in names and archive.read(path) == stored
    [file_item] = held["documents.DocumentFile"]["items"]
    assert file_item["in_copy"] == [path]
    assert file_item["original_name"] == "compte-rendu-atelier.pdf"

    # Each message says why it is hers: she wrote it, or she is mentioned in it.
    messages = {item["id"]: item for item in held["forums.Message"]["items"]}
    assert held["forums.Message"]["file"] == "messages.json"
    assert set(messages) == {str(world.sylvie_message.pk), str(world.voice_message.pk),
                             str(world.paul_mention.pk)}
    own = messages[str(world.sylvie_message.pk)]
    assert own["your_part"] == ["Auteur ou autrice : vous"]
    assert own["author"] == {"id": str(world.sylvie.pk), "name": "Sylvie M."}
    assert own["hidden_reason"] == "Attaque personnelle, contraire à la charte"
    mention = messages[str(world.paul_mention.pk)]
    assert mention["your_part"] == ["Personnes mentionnées : vous"]
    # Paul as the platform shows him to her: his name here, no id, no email.
    assert mention["author"] == {"name": "Paul D."}
    assert mention["mentions"] == [{"id": str(world.sylvie.pk), "name": "Sylvie M."}]

    # Her invitation: sent by « l'équipe DCCU », not by a named person.
    [invitation] = held["accounts.Invitation"]["items"]
    assert invitation["invited_by"] == {"name": "l'équipe DCCU"}

    # Her voice message, stored without an extension, comes with the one of its type.
    [voice] = held["forums.Attachment"]["items"]
    voice_path = voice["file"]["in_copy"]
    assert voice_path.startswith("fichiers/pieces-jointes/") and voice_path in names
    assert voice_path.endswith(" Message vocal.ogg")
    assert archive.read(voice_path) == recording("ogg", 0.5)

    # The document she shared: published by « l'équipe d'animation », not by Amandine.
    documents = {item["id"]: item for item in held["documents.Document"]["items"]}
    assert documents[str(world.document.pk)]["published_by"] == {"name": "l'équipe d'animation"}

    # What she typed in the draft, through the versions she is credited in.
    versions = held["deliberation.DraftVersion"]["items"]
    assert any(world.version_sentence in item["text"] for item in versions)

    # The report on her message is Paul's: neither it nor its audit entries are in her copy.
    everything = _everything(archive)
    assert "forums.Report" not in held
    assert "Propos déplacés" not in everything
    actions = {item["action"] for item in held["gdpr.AuditEntry"]["items"]}
    assert "forums.message.hide" in actions
    assert not actions & {"forums.message.report", "forums.report.handle"}
    assert str(world.report.pk) not in everything
    # Nobody else's id or email, and not the facilitator's name (she acted as the team).
    for other in (world.paul, world.amandine, world.bernard, world.dccu):
        assert str(other.pk) not in everything, other
        assert other.email not in everything, other
    assert "Amandine" not in everything and "Bernard" not in everything

    # Human-readable: French file names, no empty technical section, a French index.
    assert not [n for n in names if n.startswith(("data/", "files/"))]
    assert "messages.json" in names and "documents.json" in names
    index = archive.read("index.html").decode()
    assert 'lang="fr"' in index and "Copie de vos données" in index
    assert "Ce qui vous concerne" in index and "Personnes mentionnées : vous" in index
    assert "User object permissions" not in index and "(0)" not in index
    assert 'href="fichiers/versions-du-fichier/compte-rendu-atelier.pdf"' in index


def test_a_facilitators_copy_holds_her_own_acts_in_both_assemblies(
    db: Any, settings: Any
) -> None:
    world = _two_assemblies(settings)
    archive = _copy_of(world.amandine)
    held = sections(archive)

    # The messages she hid, in the ended assembly and in the current one, with her reasons;
    # not their text, which is their authors'.
    messages = {item["id"]: item for item in held["forums.Message"]["items"]}
    assert set(messages) == {str(world.sylvie_message.pk), str(world.bernard_message.pk)}
    hidden = messages[str(world.sylvie_message.pk)]
    assert hidden["your_part"] == ["Masqué par : vous"]
    assert hidden["hidden_reason"] == "Attaque personnelle, contraire à la charte"
    assert hidden["author"] == {"name": "Sylvie M."}
    assert "body" not in hidden
    assert messages[str(world.bernard_message.pk)]["hidden_reason"] == (
        "Hors sujet pour ce sous-groupe"
    )
    # The report she handled by hiding the message: her outcome, not who reported or why.
    [report] = held["forums.Report"]["items"]
    assert report["your_part"] == ["Traité par : vous"]
    assert report["outcome"] == "Attaque personnelle, contraire à la charte"
    assert "reason" not in report
    # The mute she decided, the document she published.
    [mute] = held["forums.Mute"]["items"]
    assert mute["reason"] == "Messages répétés" and mute["user"] == {"name": "Paul D."}
    [document] = held["documents.Document"]["items"]
    assert document["your_part"] == ["Publié par : vous"]
    assert document["title"] == "Compte rendu de l'atelier mobilités"
    assert "contributor" not in document

    everything = _everything(archive)
    assert "Le car de 7 h 10" not in everything and "Propos déplacés" not in everything
    for other in (world.sylvie, world.paul, world.bernard):
        assert str(other.pk) not in everything and other.email not in everything

    # « Mes données » counts the same acts.
    client = Client()
    client.force_login(world.amandine)
    held_page = {row["label"]: row["count"]
                 for row in client.get("/mes-donnees/").context["held"]}
    assert held_page["forums.Message"] == 2 and held_page["forums.Report"] == 1


def test_the_reporter_finds_the_report_in_their_own_copy(db: Any, settings: Any) -> None:
    world = _two_assemblies(settings)
    archive = _copy_of(world.paul)
    held = sections(archive)
    [report] = held["forums.Report"]["items"]
    assert report["reason"] == "Propos déplacés envers le chauffeur"
    actions = [item["action"] for item in held["gdpr.AuditEntry"]["items"]]
    assert actions.count("forums.message.report") == 2  # recorded now, and the older entry
    # A report is now recorded as the reporter's data (the older entry named the author).
    subjects = AuditEntry.objects.filter(action="forums.message.report").order_by("pk")
    assert [e.subject_id for e in subjects] == [world.paul.pk, world.sylvie.pk]
    # He reads of Sylvie only what the platform shows him.
    everything = _everything(archive)
    assert str(world.sylvie.pk) not in everything and world.sylvie.email not in everything


def test_the_dccus_copy_holds_the_invitations_they_sent_without_the_invitees_identity(
    db: Any, settings: Any
) -> None:
    world = _two_assemblies(settings)
    archive = _copy_of(world.dccu)
    held = sections(archive)
    [invitation] = held["accounts.Invitation"]["items"]
    assert invitation["your_part"] == ["Envoyée par : vous"]
    assert invitation["role"] == "titulaire" and invitation["accepted_at"]
    assert "email" not in invitation and "first_name" not in invitation
    # They opened Sylvie's page: the act is theirs, her id and email are not.
    views = [item for item in held["gdpr.AuditEntry"]["items"] if item["action"] == "admin.view"]
    assert [(v["object_type"], v["object_id"]) for v in views] == [("accounts.User", "")]
    everything = _everything(archive)
    assert str(world.sylvie.pk) not in everything and world.sylvie.email not in everything
