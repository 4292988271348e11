"""Backups that restore: the encrypted archive, the restore drill, the real restore and the
retention of archives (backups/, docs/deploy.md « Backups and restore »).

These run on both stacks: on PostgreSQL the archive holds a pg_dump and the drill restores
it into a database it creates and drops; on SQLite, an online-backup copy."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pycrdt
import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from backups import archive, crypto, restore
from backups.crypto import Damaged, WrongKey
from deliberation import drafts
from deliberation.models import Draft, Proposal
from documents.files import library_storage
from documents.models import DocumentFile
from forums.models import Message
from tests import factories

DRAFT_TEXT = "Ouvrir une ligne de bus le dimanche entre Revel et Toulouse"
MESSAGE_TEXT = "Rendez-vous samedi à la médiathèque de Muret pour préparer la plénière"
FILE_BYTES = b"Bibliographie de la saisine : mobilites rurales\n" * 200


@pytest.fixture
def site(tmp_path: Path, settings: Any) -> Path:
    """A site whose files live in a folder of this test, with a backup key in settings."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.CALLS_JANUS_DIR = tmp_path / "janus"
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.BACKUP_KEY = crypto.generate_key()
    settings.BACKUP_KEY_FILE = ""
    settings.LIBRARY_STORAGE = "local"
    return tmp_path


def write_in_draft(draft: Draft, text: str) -> None:
    doc = drafts.new_doc(bytes(draft.snapshot))
    before = doc.get_state()
    doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment).children.append(
        pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText(text)])
    )
    drafts.append(draft.pk, [(doc.get_update(before), None)], known_authors=set())


def library_file(body: bytes = FILE_BYTES) -> DocumentFile:
    document = factories.DocumentFactory(kind="fichier", url="")
    name = library_storage().save(f"library/{uuid.uuid4().hex}.txt", ContentFile(body))
    return DocumentFile.objects.create(
        document=document, version=1, storage_name=name, original_name="biblio.txt",
        size=len(body), mime_type="text/plain", sha256=hashlib.sha256(body).hexdigest(),
    )


@pytest.fixture
def content(site: Path) -> dict[str, Any]:
    """A subgroup with messages, a written draft and a library file."""
    assembly = factories.make_assembly()
    member = factories.make_titulaire(assembly, email="membre@example.org")
    subgroup = factories.make_subgroup(assembly, members=[member])
    room = factories.room_of(subgroup)
    messages = [factories.send(member, room, f"{MESSAGE_TEXT} ({i})") for i in range(3)]
    proposal = Proposal.objects.create(
        mandate=subgroup.mandate, subgroup=subgroup, title="Transports"
    )
    draft = Draft.objects.create(proposal=proposal, snapshot=drafts.template_update())
    write_in_draft(draft, DRAFT_TEXT)
    (site / "janus").mkdir()
    (site / "janus" / "secrets.json").write_text('{"admin_secret": "x"}')
    return {"messages": messages, "draft": draft, "file": library_file()}


def drill(path: Path | None = None, **kwargs: Any) -> restore.Report:
    path = path or archive.newest_archive()
    with_key = kwargs.pop("key", None) or archive.backup_key()
    work = Path(archive.newest_archive().parent) / f".drill-{uuid.uuid4().hex}"
    work.mkdir()
    return restore.drill(path, with_key, work=work, **kwargs)


@pytest.mark.django_db(transaction=True)
def test_backup_then_drill_restores_rows_files_drafts_and_messages(
    content: dict[str, Any], site: Path
) -> None:
    result = archive.make_backup()
    manifest = result.manifest
    assert manifest["tables"][Message._meta.db_table] == 3
    assert manifest["migrations"]["forums"]
    assert set(manifest["files"]) == {
        f"private/{content['file'].storage_name}", "janus/secrets.json"
    }
    assert manifest["database"]["vendor"] == connection.vendor
    # Encrypted: neither the messages, the draft nor the file can be read in the archive.
    raw = result.path.read_bytes()
    for clear in (MESSAGE_TEXT.encode(), DRAFT_TEXT.encode(), FILE_BYTES[:40], b"manifest"):
        assert clear not in raw

    report = drill(sample=50)

    assert report.ok, report.lines
    text = "\n".join(report.lines)
    assert f"{len(manifest['tables'])} of {len(manifest['tables'])} tables match" in text
    assert "Library sample: 1 files identical to live" in text
    assert "Draft sample: 1 texts identical to live" in text
    assert "Message sample: 3 texts identical to live" in text
    if connection.vendor == "postgresql":  # the drill's own database is gone
        with connection.cursor() as cursor:
            cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                           [f"{connection.settings_dict['NAME'][:40]}_drill_%"])
            assert cursor.fetchall() == []


@pytest.mark.django_db(transaction=True)
def test_drill_counts_live_changes_after_the_backup_apart_and_finds_real_differences(
    content: dict[str, Any], site: Path
) -> None:
    archive.make_backup()
    edited, silently_changed = content["messages"][0], content["messages"][1]
    Message.objects.filter(pk=edited.pk).update(body="Corrigé", edited_at=timezone.now())
    # A change the live site did not record as an edit: the backup and live now disagree.
    Message.objects.filter(pk=silently_changed.pk).update(body="Autre chose")

    report = drill(sample=50)

    assert "Message sample: 1 texts identical to live, 1 changed since." in report.lines
    assert report.problems == [f"message {silently_changed.pk}: its text differs from live"]


@pytest.mark.django_db(transaction=True)
def test_drill_command_fails_when_a_file_the_database_refers_to_is_missing(
    content: dict[str, Any], site: Path
) -> None:
    library_storage().delete(content["file"].storage_name)  # lost before the backup ran
    call_command("backup", stdout=io.StringIO())
    out = io.StringIO()

    with pytest.raises(CommandError, match="Restore drill FAILED: 1 mismatch"):
        call_command("restore_drill", stdout=out)

    assert f"MISMATCH: library file of file version {content['file'].pk}: absent" in (
        out.getvalue()
    )


@pytest.mark.django_db(transaction=True)
def test_tampered_or_truncated_archive_is_refused_before_anything_is_restored(
    content: dict[str, Any], site: Path
) -> None:
    path = archive.make_backup().path
    data = bytearray(path.read_bytes())
    tampered = site / "tampered.agora-backup"
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    truncated = site / "truncated.agora-backup"
    truncated.write_bytes(path.read_bytes()[: -200])

    with pytest.raises(Damaged, match="authentication tag"):
        drill(tampered)
    with pytest.raises(Damaged, match="truncated"):
        drill(truncated)
    out = io.StringIO()
    with pytest.raises(CommandError, match="altered"):
        call_command("restore_drill", str(tampered), stdout=out)
    assert "Row counts" not in out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_wrong_key_is_refused_with_a_clear_message(
    content: dict[str, Any], site: Path, settings: Any
) -> None:
    call_command("backup", stdout=io.StringIO())
    settings.BACKUP_KEY = crypto.generate_key()

    with pytest.raises(CommandError, match="Wrong backup key: this archive was encrypted"):
        call_command("restore_drill", stdout=io.StringIO())
    with pytest.raises(WrongKey):
        drill(key=crypto.parse_key(crypto.generate_key()))


@pytest.mark.django_db(transaction=True)
def test_restore_into_an_empty_database_and_folders_brings_everything_back(
    content: dict[str, Any], site: Path, settings: Any
) -> None:
    """The disaster-recovery path: a new empty database and empty folders."""
    path = archive.make_backup().path
    if connection.vendor == "postgresql":
        name = restore.scratch_name(str(connection.settings_dict["NAME"]))
        restore.create_database("default", name)
    else:
        name = str(site / "restored.sqlite3")
    settings.MEDIA_ROOT, settings.PRIVATE_ROOT = site / "new-media", site / "new-private"
    settings.CALLS_JANUS_DIR = site / "new-janus"
    try:
        attached = restore.attached("default", name, "restore_target")
        alias = attached.__enter__()
        work = site / "work"
        work.mkdir()
        report = restore.restore(path, archive.backup_key(), work=work, alias=alias)
        assert report.ok, report.lines
        stored = Path(settings.PRIVATE_ROOT) / content["file"].storage_name
        assert stored.read_bytes() == FILE_BYTES
        assert (Path(settings.CALLS_JANUS_DIR) / "secrets.json").is_file()
        assert restore.draft_text(alias, content["draft"].pk) == restore.draft_text(
            "default", content["draft"].pk
        )
        assert DRAFT_TEXT in restore.draft_text(alias, content["draft"].pk)
        assert sorted(Message.objects.using(alias).values_list("body", flat=True)) == sorted(
            m.body for m in content["messages"]
        )
        # A second restore onto what is now a full database is refused.
        with pytest.raises(restore.BackupError, match="not empty|exists already"):
            restore.restore(path, archive.backup_key(), work=site / "work2", alias=alias)
    finally:
        attached.__exit__(None, None, None)
        if connection.vendor == "postgresql":
            restore.drop_database("default", name)


@pytest.mark.django_db(transaction=True)
def test_the_key_and_the_access_copies_are_never_in_the_archive(
    content: dict[str, Any], site: Path, settings: Any
) -> None:
    key_file = site / "private" / "backup.key"
    key_file.write_text(crypto.generate_key())
    settings.BACKUP_KEY, settings.BACKUP_KEY_FILE = "", str(key_file)
    (site / "private" / "access-copies").mkdir()
    (site / "private" / "access-copies" / "copie.zip").write_bytes(b"PK")

    files = archive.make_backup().manifest["files"]

    assert f"private/{content['file'].storage_name}" in files
    assert not [name for name in files if "backup.key" in name or "access-copies" in name]


def test_retention_keeps_the_newest_of_each_recent_day_and_week(tmp_path: Path) -> None:
    now = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # a Wednesday
    made = [
        now - timedelta(hours=1),  # today, newest
        now - timedelta(hours=2),  # today, older: goes
        now - timedelta(days=1),  # Tuesday
        now - timedelta(days=2, hours=3),  # Monday
        now - timedelta(days=3),  # Sunday of the last week: its newest
        now - timedelta(days=4),  # Saturday: day kept (within 7 days)
        now - timedelta(days=8),  # Tuesday a week before: not the newest of its week, > 7 days
        now - timedelta(days=10),  # Sunday two weeks ago: newest of that week
        now - timedelta(days=30),  # newest of its week, 5 weeks back: beyond 3 weeks
    ]
    for when in made:
        (tmp_path / archive.archive_name(when)).write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("not an archive")

    kept, deleted = archive.prune(tmp_path, now=now, keep_daily=7, keep_weekly=3)

    assert sorted(p.name for p in deleted) == sorted(
        archive.archive_name(w) for w in (made[1], made[6], made[8])
    )
    assert len(kept) == 6
    assert (tmp_path / "notes.txt").exists()
    # A stopped schedule never loses its last backup, however old.
    assert archive.prune(tmp_path, now=now + timedelta(days=400), keep_daily=7, keep_weekly=3)[
        0
    ] == [tmp_path / archive.archive_name(made[0])]


def test_production_refuses_to_back_up_without_a_key(settings: Any) -> None:
    settings.PRODUCTION = True
    settings.BACKUP_KEY = settings.BACKUP_KEY_FILE = ""

    with pytest.raises(CommandError, match="production needs a backup key"):
        call_command("backup", stdout=io.StringIO())


@pytest.mark.parametrize("fmt", ["md", "csv", "html"])
def test_the_register_states_how_long_backups_are_kept(settings: Any, fmt: str) -> None:
    from django.utils import translation

    from gdpr.register import build_register, export

    settings.BACKUP_KEEP_DAILY, settings.BACKUP_KEEP_WEEKLY = 10, 3
    with translation.override("fr"):
        text = export(build_register(), fmt)[0].decode("utf-8-sig").replace("&#x27;", "'")

    assert "Sauvegardes de la base de données et des fichiers privés, chiffrées" in text
    assert "gardée 10 jours et la dernière de chaque semaine 3 semaines" in text
    assert "au plus tard 21 jours après" in text
