"""Making backups: one encrypted archive holding the database, the private files and a
manifest; and the retention of archives (so many daily, so many weekly).

An archive (``agora-<UTC time>.agora-backup``, backups/crypto.py) is a tar stream of
``database.dump`` (``pg_dump`` custom format) or ``database.sqlite3`` (SQLite's online
backup), the files under ``media/`` (MEDIA_ROOT), ``private/`` (PRIVATE_ROOT without the
access copies, which live 7 days and are made again on request) and ``janus/``
(the generated media-server secrets), then ``manifest.json``: the last migration per app,
the row count of every table, the SHA-256 of every file, and when it was made. On
PostgreSQL the counts and the dump come from one exported snapshot, so they agree even
while people write.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import sqlite3
import subprocess  # noqa: S404 - pg_dump, with a fixed argument list
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connections, transaction

from backups import crypto
from backups.crypto import BackupError

FORMAT = 1
SUFFIX = ".agora-backup"
NAME_TIME = "%Y%m%dT%H%M%SZ"
ARCHIVE_NAME = re.compile(r"^agora-(\d{8}T\d{6}Z)" + re.escape(SUFFIX) + "$")
MANIFEST = "manifest.json"
PG_DUMP_FILE = "database.dump"
SQLITE_FILE = "database.sqlite3"
# Made again on request and gone after ACCESS_COPY_VALID_HOURS: never worth restoring.
PRIVATE_EXCLUDED = ("access-copies",)
READ_CHUNK = 1024 * 1024


def key_file_default() -> Path:
    return Path(settings.DATA_DIR) / "backup.key"


def backup_key(*, create: bool = False) -> bytes:
    """The backup key: BACKUP_KEY, else the file BACKUP_KEY_FILE; in development only,
    var/backup.key, made on first use (production refuses to back up without a key)."""
    if settings.BACKUP_KEY:
        return crypto.parse_key(settings.BACKUP_KEY)
    if settings.BACKUP_KEY_FILE:
        return crypto.read_key_file(Path(settings.BACKUP_KEY_FILE))
    if settings.PRODUCTION:
        raise BackupError(
            "AGORA_ENV=production needs a backup key: set BACKUP_KEY or BACKUP_KEY_FILE "
            "(python manage.py backup --generate-key), and keep a copy away from the server."
        )
    path = key_file_default()
    if not path.exists():
        if not create:
            raise BackupError(
                f"No backup key: set BACKUP_KEY or BACKUP_KEY_FILE ({path} is absent)."
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(crypto.generate_key() + "\n")
    return crypto.read_key_file(path)


# --- Database ----------------------------------------------------------------------------


def libpq_env(db: dict[str, Any]) -> dict[str, str]:
    """The environment for pg_dump and pg_restore: the password never on a command line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    for name, key in (("PGHOST", "HOST"), ("PGPORT", "PORT"), ("PGUSER", "USER"),
                      ("PGPASSWORD", "PASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    if db.get("OPTIONS", {}).get("sslmode"):
        env["PGSSLMODE"] = str(db["OPTIONS"]["sslmode"])
    return env


def run_tool(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        # The tool's own message: names of tables and objects, never row contents.
        raise BackupError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")


def last_migrations(rows: list[tuple[str, str]]) -> dict[str, str]:
    """The last applied migration per app, from django_migrations rows in id order."""
    last: dict[str, str] = {}
    for app, name in rows:
        last[app] = name
    return dict(sorted(last.items()))


@dataclass
class DatabaseCopy:
    vendor: str
    file: str
    tables: dict[str, int]
    migrations: dict[str, str]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def dump_postgresql(alias: str, into: Path) -> DatabaseCopy:
    """pg_dump of the database, from the snapshot the counts are read in."""
    connection = connections[alias]
    db = connection.settings_dict
    target = into / PG_DUMP_FILE
    if not connection.get_autocommit():
        raise BackupError("Run the backup outside a transaction (its snapshot opens one).")
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        tables = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT count(*) FROM {_quote(table)}")  # noqa: S608 - a table name
            tables[table] = cursor.fetchone()[0]
        cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
        migrations = last_migrations(cursor.fetchall())
        run_tool(
            ["pg_dump", "--format=custom", "--no-owner", "--no-privileges",
             f"--snapshot={snapshot}", f"--file={target}", str(db["NAME"])],
            libpq_env(db),
        )
    return DatabaseCopy("postgresql", PG_DUMP_FILE, tables, migrations)


def sqlite_tables(conn: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name"
    )]
    return {
        name: conn.execute(f"SELECT count(*) FROM {_quote(name)}").fetchone()[0]  # noqa: S608
        for name in names
    }


def dump_sqlite(alias: str, into: Path) -> DatabaseCopy:
    """SQLite's online backup API: a consistent copy while the server keeps writing."""
    connection = connections[alias]
    connection.ensure_connection()
    target = into / SQLITE_FILE
    copy = sqlite3.connect(target)
    try:
        connection.connection.backup(copy)
        tables = sqlite_tables(copy)
        migrations = last_migrations(
            copy.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
        )
    finally:
        copy.close()
    return DatabaseCopy("sqlite", SQLITE_FILE, tables, migrations)


def dump_database(alias: str, into: Path) -> DatabaseCopy:
    vendor = connections[alias].vendor
    if vendor == "postgresql":
        return dump_postgresql(alias, into)
    if vendor == "sqlite":
        return dump_sqlite(alias, into)
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {vendor}.")


# --- Files -------------------------------------------------------------------------------


def file_roots() -> list[tuple[str, Path, tuple[str, ...]]]:
    """(name in the archive, folder on disk, top-level entries left out)."""
    return [
        ("media", Path(settings.MEDIA_ROOT), ()),
        ("private", Path(settings.PRIVATE_ROOT), PRIVATE_EXCLUDED),
        ("janus", Path(settings.CALLS_JANUS_DIR), ()),
    ]


def _skipped(path: Path) -> bool:
    """Never the archives themselves nor the key, wherever an operator put them."""
    resolved = path.resolve()
    backup_dir = Path(settings.BACKUP_DIR).resolve()
    keys = [key_file_default().resolve()]
    if settings.BACKUP_KEY_FILE:
        keys.append(Path(settings.BACKUP_KEY_FILE).resolve())
    return resolved.is_relative_to(backup_dir) or resolved in keys


def janus_files(root: Path) -> Iterator[Path]:
    # The generated configuration is made again by `janus_config`; the secrets are not.
    secrets = root / "secrets.json"
    if secrets.is_file():
        yield secrets


def walk_files() -> Iterator[tuple[str, Path]]:
    for name, root, excluded in file_roots():
        if not root.is_dir():
            continue
        if name == "janus":
            for path in janus_files(root):
                yield f"{name}/{path.relative_to(root).as_posix()}", path
            continue
        for folder, dirs, files in os.walk(root):
            here = Path(folder)
            if here == root:
                dirs[:] = [d for d in dirs if d not in excluded]
            dirs[:] = [d for d in sorted(dirs) if not _skipped(here / d)]
            for file_name in sorted(files):
                path = here / file_name
                if path.is_symlink() or not path.is_file() or _skipped(path):
                    continue
                yield f"{name}/{path.relative_to(root).as_posix()}", path


class _Hashing:
    """Reads a file for tarfile while hashing what it read."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.sha = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.sha.update(data)
        return data


def sha256_file(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(READ_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _add_file(tar: tarfile.TarFile, arcname: str, path: Path) -> dict[str, Any] | None:
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return None  # deleted while the backup ran (retention, an erasure)
    with fh:
        info = tarfile.TarInfo(arcname)
        info.size = os.fstat(fh.fileno()).st_size
        info.mtime = int(os.fstat(fh.fileno()).st_mtime)
        info.mode = 0o640
        hashing = _Hashing(fh)
        tar.addfile(info, hashing)  # type: ignore[arg-type]
    return {"sha256": hashing.sha.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, arcname: str, data: bytes) -> None:
    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o640
    tar.addfile(info, io.BytesIO(data))


# --- The archive -------------------------------------------------------------------------


@dataclass
class BackupResult:
    path: Path
    manifest: dict[str, Any]
    seconds: float
    size: int


def archive_name(when: datetime) -> str:
    return f"agora-{when.astimezone(UTC).strftime(NAME_TIME)}{SUFFIX}"


def make_backup(
    *, directory: Path | None = None, key: bytes | None = None, now: datetime | None = None,
    alias: str = "default",
) -> BackupResult:
    started = time.monotonic()
    key = key if key is not None else backup_key(create=True)
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = now or datetime.now(UTC)
    final = directory / archive_name(now)
    if final.exists():
        raise BackupError(f"{final.name} exists already: one backup per second at most.")
    partial = directory / f".{final.name}.partial"
    with tempfile.TemporaryDirectory(dir=directory, prefix=".work-") as work:
        database = dump_database(alias, Path(work))
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                writer = crypto.EncryptingWriter(out, key)
                files: dict[str, Any] = {}
                with tarfile.open(fileobj=writer, mode="w|") as tar:  # type: ignore[call-overload]
                    db_entry = _add_file(tar, database.file, Path(work) / database.file)
                    for arcname, path in walk_files():
                        entry = _add_file(tar, arcname, path)
                        if entry is not None:
                            files[arcname] = entry
                    manifest = {
                        "format": FORMAT,
                        "created_at": now.astimezone(UTC).isoformat(),
                        "database": {
                            "vendor": database.vendor, "file": database.file, **(db_entry or {}),
                        },
                        "migrations": database.migrations,
                        "tables": database.tables,
                        "files": files,
                        "library_storage": settings.LIBRARY_STORAGE,
                    }
                    _add_bytes(tar, MANIFEST, json.dumps(manifest, indent=1).encode())
                writer.close()
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return BackupResult(final, manifest, time.monotonic() - started, final.stat().st_size)


# --- Retention of archives -----------------------------------------------------------------


def archives(directory: Path | None = None) -> list[tuple[datetime, Path]]:
    """The archives in the folder, oldest first, with when each was made (from its name)."""
    directory = Path(directory or settings.BACKUP_DIR)
    found = []
    if directory.is_dir():
        for path in directory.iterdir():
            match = ARCHIVE_NAME.match(path.name)
            if match and path.is_file():
                when = datetime.strptime(match.group(1), NAME_TIME).replace(tzinfo=UTC)
                found.append((when, path))
    return sorted(found)


def newest_archive(directory: Path | None = None) -> Path:
    found = archives(directory)
    if not found:
        raise BackupError(f"No backup archive in {directory or settings.BACKUP_DIR}.")
    return found[-1][1]


def kept_times(
    times: list[datetime], now: datetime, keep_daily: int, keep_weekly: int
) -> set[datetime]:
    """The newest archive of each of the last ``keep_daily`` days (today included) and of
    each of the last ``keep_weekly`` ISO weeks (this one included), in UTC; and the newest
    of all, whatever its age, so that a stopped schedule never leaves no backup."""
    today = now.astimezone(UTC).date()
    monday = today - timedelta(days=today.weekday())
    days = {today - timedelta(days=i) for i in range(keep_daily)}
    weeks = {monday - timedelta(weeks=i) for i in range(keep_weekly)}
    newest_of_day: dict[date, datetime] = {}
    newest_of_week: dict[date, datetime] = {}
    for when in times:
        day = when.astimezone(UTC).date()
        week = day - timedelta(days=day.weekday())
        if day in days and when > newest_of_day.get(day, datetime.min.replace(tzinfo=UTC)):
            newest_of_day[day] = when
        if week in weeks and when > newest_of_week.get(week, datetime.min.replace(tzinfo=UTC)):
            newest_of_week[week] = when
    kept = set(newest_of_day.values()) | set(newest_of_week.values())
    if times:
        kept.add(max(times))
    return kept


def longest_kept_days(keep_daily: int | None = None, keep_weekly: int | None = None) -> int:
    """How old, in days, the oldest archive the rule keeps can be (the register says it)."""
    daily = settings.BACKUP_KEEP_DAILY if keep_daily is None else keep_daily
    weekly = settings.BACKUP_KEEP_WEEKLY if keep_weekly is None else keep_weekly
    return max(daily, 7 * weekly if weekly else 0, 1)


def prune(
    directory: Path | None = None, *, now: datetime | None = None,
    keep_daily: int | None = None, keep_weekly: int | None = None,
) -> tuple[list[Path], list[Path]]:
    """Delete the archives the retention does not keep; returns (kept, deleted)."""
    directory = Path(directory or settings.BACKUP_DIR)
    now = now or datetime.now(UTC)
    daily = settings.BACKUP_KEEP_DAILY if keep_daily is None else keep_daily
    weekly = settings.BACKUP_KEEP_WEEKLY if keep_weekly is None else keep_weekly
    found = archives(directory)
    keep = kept_times([when for when, _ in found], now, daily, weekly)
    kept, deleted = [], []
    for when, path in found:
        if when in keep:
            kept.append(path)
        else:
            path.unlink(missing_ok=True)
            deleted.append(path)
    # Left by a backup that was killed: never a usable archive.
    for stale in directory.glob(f".agora-*{SUFFIX}.partial"):
        if stale.stat().st_mtime < time.time() - 86400:
            stale.unlink(missing_ok=True)
    return kept, deleted
