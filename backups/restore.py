"""Reading backups back: decrypt and unpack an archive, restore its database and files,
and check what was restored (the restore drill is the same code with its checks).

The drill restores into a database of its own (created, then dropped) and a folder of its
own, then checks: the last migration per app and the row count of every table against the
manifest, every file against its SHA-256, every file the restored rows refer to, and a
sample of library files, drafts and messages against the live database.
"""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, models
from django.db.utils import load_backend

from backups import archive as archives
from backups import crypto
from backups.crypto import BackupError, Damaged

DRILL_ALIAS = "backup_drill"


@dataclass
class Report:
    """What a restore or a drill found: every line is printed; a problem fails the run."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def info(self, line: str) -> None:
        self.lines.append(line)

    def problem(self, line: str) -> None:
        self.problems.append(line)
        self.lines.append("MISMATCH: " + line)


@dataclass
class Unpacked:
    root: Path
    manifest: dict[str, Any]

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.manifest["created_at"])

    @property
    def database_file(self) -> Path:
        return self.root / self.manifest["database"]["file"]


def unpack(path: Path, key: bytes, into: Path, report: Report) -> Unpacked:
    """Decrypt and unpack the archive into ``into``; then check every file against the
    manifest. A wrong key or an altered archive raises before anything is used."""
    with path.open("rb") as fh:
        reader = crypto.DecryptingReader(fh, key)
        try:
            with tarfile.open(fileobj=reader, mode="r|") as tar:  # type: ignore[call-overload]
                tar.extractall(into, filter="data")
        except tarfile.TarError as exc:
            raise Damaged(f"The archive's contents are not readable ({exc}).") from exc
    manifest_path = into / archives.MANIFEST
    if not manifest_path.is_file():
        raise Damaged("The archive has no manifest: it was not made by `manage.py backup`.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != archives.FORMAT:
        raise BackupError(f"Unknown archive format {manifest.get('format')!r}.")
    unpacked = Unpacked(into, manifest)
    database = manifest["database"]
    if archives.sha256_file(unpacked.database_file) != database.get("sha256"):
        report.problem("the database copy does not match its checksum")
    bad = [
        name for name, entry in manifest["files"].items()
        if not (into / name).is_file() or archives.sha256_file(into / name) != entry["sha256"]
    ]
    for name in bad[:20]:
        report.problem(f"file {name}: missing or different from its checksum")
    report.info(
        f"Archive {path.name}: made {manifest['created_at']}, database {database['vendor']}, "
        f"{len(manifest['tables'])} tables, {len(manifest['files'])} files "
        f"({len(manifest['files']) - len(bad)} match their checksum)."
    )
    return unpacked


# --- Databases -----------------------------------------------------------------------------


def scratch_name(live: str) -> str:
    return f"{live[:40]}_drill_{secrets.token_hex(4)}"


def create_database(alias: str, name: str) -> None:
    connection = connections[alias]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")


def drop_database(alias: str, name: str) -> None:
    connection = connections[alias]
    with connection._nodb_cursor() as cursor:
        cursor.execute(f"DROP DATABASE IF EXISTS {connection.ops.quote_name(name)} WITH (FORCE)")


def restore_postgresql(unpacked: Unpacked, db: dict[str, Any], name: str, jobs: int = 1) -> None:
    archives.run_tool(
        ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", f"--jobs={jobs}",
         f"--dbname={name}", str(unpacked.database_file)],
        archives.libpq_env(db),
    )


def table_names(alias: str) -> list[str]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


@contextmanager
def attached(base_alias: str, name: str, alias: str = DRILL_ALIAS) -> Iterator[str]:
    """The restored database as a connection of this thread under another alias, for the
    ORM's ``using()``; the settings' DATABASES are left alone. One plain connection, not
    the base's pool: PostgreSQL's pools are kept per alias for the life of the process, and
    each drill's database is a new one, dropped afterwards."""
    base = connections[base_alias].settings_dict
    options = {key: value for key, value in base.get("OPTIONS", {}).items() if key != "pool"}
    settings_dict = {**base, "NAME": name, "OPTIONS": options, "CONN_MAX_AGE": 0}
    connections[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(
        settings_dict, alias
    )
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]


# --- Files ---------------------------------------------------------------------------------


@dataclass
class FileRoots:
    media: Path
    private: Path
    janus: Path

    @classmethod
    def live(cls) -> FileRoots:
        return cls(
            Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_ROOT), Path(settings.CALLS_JANUS_DIR)
        )

    @classmethod
    def unpacked(cls, unpacked: Unpacked) -> FileRoots:
        return cls(unpacked.root / "media", unpacked.root / "private", unpacked.root / "janus")


def restore_files(unpacked: Unpacked, roots: FileRoots) -> int:
    """Copy the archive's files into the live folders (which must hold no file yet)."""
    count = 0
    for name in unpacked.manifest["files"]:
        top, _, rest = name.partition("/")
        target = getattr(roots, top) / rest
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(unpacked.root / name, target)
        count += 1
    return count


def non_empty(roots: FileRoots) -> list[Path]:
    found = []
    for root in (roots.media, roots.private):
        if root.is_dir() and any(
            p.is_file() for p in root.rglob("*") if archives.PRIVATE_EXCLUDED[0] not in p.parts
        ):
            found.append(root)
    return found


# --- Checks --------------------------------------------------------------------------------


def check_schema_and_counts(alias: str, manifest: dict[str, Any], report: Report) -> None:
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = archives.last_migrations(cursor.fetchall())
        if migrations != manifest["migrations"]:
            differ = sorted(
                app for app in set(migrations) | set(manifest["migrations"])
                if migrations.get(app) != manifest["migrations"].get(app)
            )
            report.problem(f"schema: last migrations differ for {', '.join(differ)}")
        else:
            report.info(f"Schema: the last migration of {len(migrations)} apps matches.")
        tables = sorted(connection.introspection.table_names(cursor))
        expected = manifest["tables"]
        if set(tables) != set(expected):
            report.problem(
                "tables: missing " + ", ".join(sorted(set(expected) - set(tables))) +
                "; unexpected " + ", ".join(sorted(set(tables) - set(expected)))
            )
        rows, wrong = 0, []
        for table in tables:
            if table not in expected:
                continue
            cursor.execute(f"SELECT count(*) FROM {archives._quote(table)}")  # noqa: S608
            count = cursor.fetchone()[0]
            rows += count
            if count != expected[table]:
                wrong.append(f"{table} ({count} rows, manifest {expected[table]})")
        for line in wrong:
            report.problem(f"row count: {line}")
        report.info(
            f"Row counts: {len(tables) - len(wrong)} of {len(tables)} tables match "
            f"({rows} rows)."
        )


def _file_fields() -> list[tuple[type[models.Model], str]]:
    return [
        (model, f.name)
        for model in apps.get_models()
        for f in model._meta.get_fields()
        if isinstance(f, models.FileField)
    ]


def check_file_references(alias: str, roots: FileRoots, report: Report) -> None:
    """Every file a restored row refers to is there (library files: with their SHA-256)."""
    from assembly.models import TravelReceipt
    from documents.models import DocumentFile, ScanStatus

    missing: list[str] = []
    checked = 0
    if settings.LIBRARY_STORAGE == "local":
        for pk, name, preview, sha, status in DocumentFile.objects.using(alias).values_list(
            "pk", "storage_name", "preview_name", "sha256", "scan_status"
        ):
            if status == ScanStatus.INFECTED:
                continue  # its bytes are deleted when it is found infected
            path = roots.private / name
            checked += 1
            if not path.is_file():
                missing.append(f"library file of file version {pk}: absent")
            elif archives.sha256_file(path) != sha:
                missing.append(f"library file of file version {pk}: different bytes")
            if preview and not (roots.private / preview).is_file():
                missing.append(f"preview of file version {pk}: absent")
        for pk, name in TravelReceipt.objects.using(alias).values_list("pk", "storage_name"):
            checked += 1
            if not (roots.private / name).is_file():
                missing.append(f"travel receipt {pk}: absent")
    else:
        report.info("Library files are in S3 (LIBRARY_STORAGE=s3): not in this archive.")
    for model, name in _file_fields():
        for pk, value in model._default_manager.using(alias).exclude(
            **{name: ""}
        ).values_list("pk", name):
            checked += 1
            if not (roots.media / value).is_file():
                missing.append(f"{model._meta.label}.{name} of {pk}: absent")
    for line in missing[:50]:
        report.problem(line)
    if len(missing) > 50:
        report.problem(f"… and {len(missing) - 50} more files absent")
    report.info(f"Files the rows refer to: {checked - len(missing)} of {checked} present.")


def draft_text(alias: str, draft_id: Any) -> str:
    from deliberation import drafts
    from deliberation.models import Draft, DraftUpdate

    snapshot = bytes(Draft.objects.using(alias).values_list("snapshot", flat=True).get(pk=draft_id))
    updates = DraftUpdate.objects.using(alias).filter(draft_id=draft_id).order_by("id")
    doc = drafts.new_doc(snapshot, *(bytes(u) for u in updates.values_list("data", flat=True)))
    return drafts.doc_text(doc)


def check_samples(
    alias: str, roots: FileRoots, created_at: datetime, report: Report, *, size: int = 20
) -> None:
    """A sample of library files, drafts and messages, restored against live. A row
    changed or deleted since the backup is counted apart, not as a difference."""
    from deliberation.models import Draft
    from documents.models import DocumentFile
    from forums.models import Message

    live_roots = FileRoots.live()
    same = changed = 0
    if settings.LIBRARY_STORAGE == "local":
        sample = DocumentFile.objects.using(alias).order_by("?")[:size]
        for restored in sample.values("pk", "storage_name", "sha256"):
            live_path = live_roots.private / restored["storage_name"]
            path = roots.private / restored["storage_name"]
            gone = not DocumentFile.objects.filter(pk=restored["pk"]).exists()
            if gone or not live_path.is_file():
                changed += 1
            elif not path.is_file() or archives.sha256_file(path) != archives.sha256_file(
                live_path
            ):
                report.problem(f"library file of file version {restored['pk']}: differs from live")
            else:
                same += 1
    report.info(f"Library sample: {same} files identical to live, {changed} gone since.")

    same = changed = 0
    for draft_id in Draft.objects.using(alias).order_by("?").values_list("pk", flat=True)[:size]:
        live = Draft.objects.filter(pk=draft_id).values("last_edit_at").first()
        if live is None or (live["last_edit_at"] and live["last_edit_at"] > created_at):
            changed += 1
        elif draft_text(alias, draft_id) != draft_text("default", draft_id):
            report.problem(f"draft {draft_id}: its text differs from live")
        else:
            same += 1
    report.info(f"Draft sample: {same} texts identical to live, {changed} edited since.")

    same = changed = 0
    fields = ("pk", "body", "edited_at", "deleted_at")
    restored_rows = Message.objects.using(alias).order_by("?").values(*fields)[:size]
    for restored in restored_rows:
        live = Message.objects.filter(pk=restored["pk"]).values(*fields).first()
        if live is None or any(
            live[f] and live[f] > created_at for f in ("edited_at", "deleted_at")
        ):
            changed += 1
        elif live["body"] != restored["body"]:
            report.problem(f"message {restored['pk']}: its text differs from live")
        else:
            same += 1
    report.info(f"Message sample: {same} texts identical to live, {changed} changed since.")


# --- The two entry points ------------------------------------------------------------------


def drill(
    path: Path, key: bytes, *, work: Path, alias: str = "default", sample: int = 20, jobs: int = 1
) -> Report:
    """Restore the archive into a fresh database and folder, check it, drop both."""
    report = Report()
    unpacked = unpack(path, key, work / "unpacked", report)
    base = connections[alias].settings_dict
    vendor = unpacked.manifest["database"]["vendor"]
    if vendor != connections[alias].vendor:
        raise BackupError(f"This archive holds a {vendor} database; this site runs on "
                          f"{connections[alias].vendor}.")
    created = False
    if vendor == "postgresql":
        name = scratch_name(str(base["NAME"]))
        create_database(alias, name)
        created = True
    else:
        name = str(work / "restored.sqlite3")
        shutil.copyfile(unpacked.database_file, name)
    try:
        if vendor == "postgresql":
            restore_postgresql(unpacked, base, name, jobs)
        report.info(f"Database restored into {'a fresh database' if created else 'a copy'}.")
        with attached(alias, name) as restored:
            check_schema_and_counts(restored, unpacked.manifest, report)
            roots = FileRoots.unpacked(unpacked)
            check_file_references(restored, roots, report)
            check_samples(restored, roots, unpacked.created_at, report, size=sample)
    finally:
        if created:
            drop_database(alias, name)
    return report


def restore(path: Path, key: bytes, *, work: Path, alias: str = "default", jobs: int = 1) -> Report:
    """Disaster recovery: the archive into the configured database, which must be empty
    (PostgreSQL: created, no table yet; SQLite: no file yet), and into the live folders,
    which must hold no file; then the same checks as the drill, live samples aside."""
    report = Report()
    connection = connections[alias]
    roots = FileRoots.live()
    if connection.vendor == "postgresql" and table_names(alias):
        raise BackupError(
            f"The database {connection.settings_dict['NAME']} is not empty: restore into a "
            "new one (createdb), then point DATABASE_URL at it."
        )
    sqlite_path = Path(str(connection.settings_dict["NAME"]))
    if connection.vendor == "sqlite":
        connection.close()
        if sqlite_path.exists() and sqlite_path.stat().st_size > 0 and _has_tables(sqlite_path):
            raise BackupError(f"{sqlite_path} exists already: move it away first.")
    if full := non_empty(roots):
        raise BackupError(
            "These folders hold files already: " + ", ".join(map(str, full)) +
            ". Restore into empty folders."
        )
    unpacked = unpack(path, key, work / "unpacked", report)
    vendor = unpacked.manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(f"This archive holds a {vendor} database; the settings point at "
                          f"{connection.vendor}.")
    if vendor == "postgresql":
        name = str(connection.settings_dict["NAME"])
        restore_postgresql(unpacked, connection.settings_dict, name, jobs)
    else:
        shutil.copyfile(unpacked.database_file, sqlite_path)
    report.info(f"Database restored into {connection.settings_dict['NAME']}.")
    report.info(f"Files restored: {restore_files(unpacked, roots)}.")
    check_schema_and_counts(alias, unpacked.manifest, report)
    check_file_references(alias, roots, report)
    return report


def _has_tables(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return bool(conn.execute("SELECT count(*) FROM sqlite_master WHERE type='table'")
                    .fetchone()[0])
    finally:
        conn.close()
