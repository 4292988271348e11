"""Privacy bench: a retention run over many backdated rows, and the access copy of a heavy user.

Not a test: it measures wall time and peak memory at two volumes or more, to
show that memory stays flat whatever the volume. Each measurement runs in its
own child process on a throw-away database, so one cannot inflate another's
peak:

- SQLite file in a temporary directory by default;
- PostgreSQL when ``DATABASE_URL`` is set: Django's test-database machinery
  creates ``test_<name>`` beside it and drops it afterwards (the database
  named in the URL is never written to).

    .venv/bin/python bench/privacy_bench.py                 # 100k and 1M rows; 2 copies
    .venv/bin/python bench/privacy_bench.py --quick         # a smoke run, in seconds
    .venv/bin/python bench/privacy_bench.py --rows 100000 1000000 --copies 1000:20 10000:200

Peak memory is reported twice: the Python heap (``tracemalloc``, allocations
made during the measured step only) and the process's peak resident set
during the step (Linux ``VmHWM`` after a reset through ``/proc/self/clear_refs``;
elsewhere ``ru_maxrss`` for the whole child, an upper bound).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSERT_CHUNK = 50_000


# --- Measuring -----------------------------------------------------------------------------------


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mib(reset_worked: bool) -> float:
    if reset_worked:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024


@contextmanager
def measured(result: dict[str, Any]) -> Iterator[None]:
    import gc

    gc.collect()
    reset = _reset_peak_rss()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        result["seconds"] = round(time.perf_counter() - started, 2)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        result["python_peak_mib"] = round(peak / (1024 * 1024), 1)
        result["rss_peak_mib"] = round(_peak_rss_mib(reset), 1)


# --- A throw-away Django -------------------------------------------------------------------------


def _django(tmp: Path) -> Callable[[], None]:
    """Set Django up on a fresh database under ``tmp``; return the teardown."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["AGORA_DATA_DIR"] = str(tmp)
    os.environ["MEDIA_ROOT"] = str(tmp / "media")
    os.environ["PRIVATE_ROOT"] = str(tmp / "private")
    os.environ.setdefault("AGORA_ENV", "development")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    if connection.vendor == "sqlite":
        # A file, not Django's default in-memory test database: memory must be the job's.
        connection.settings_dict["TEST"]["NAME"] = str(tmp / "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)

    def teardown() -> None:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    return teardown


# --- (a) Retention over backdated rows -----------------------------------------------------------


def _insert_old_audit_entries(rows: int) -> None:
    """Audit entries two years old (their declared retention is one year), inserted raw."""
    from datetime import timedelta

    from django.db import connection, transaction
    from django.utils import timezone

    from gdpr.models import AuditEntry

    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    at = timezone.now() - timedelta(days=730)
    value = AuditEntry._meta.get_field("at").get_db_prep_value(at, connection)
    details = json.dumps({"page": "change"})
    # The table name is the model's, quoted by the backend; every value is a parameter.
    sql = (
        f"INSERT INTO {table} (at, action, object_type, object_id, details) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s)"
    )
    done = 0
    while done < rows:
        size = min(INSERT_CHUNK, rows - done)
        params = [
            (value, "admin.view", "accounts.User", str(done + i), details) for i in range(size)
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, params)
        done += size


def bench_retention(rows: int) -> dict[str, Any]:
    from django.db import connection

    from gdpr.models import AuditEntry
    from gdpr.retention import do_run_retention

    result: dict[str, Any] = {"bench": "retention", "rows": rows, "db": connection.vendor}
    started = time.perf_counter()
    _insert_old_audit_entries(rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result["insert_seconds"] = round(time.perf_counter() - started, 1)

    with measured(result):
        run = do_run_retention(None, apply=True, trigger="bench")
    line = next(item for item in run.summary if item["model"] == "gdpr.AuditEntry")
    result["due"], result["processed"] = line["due"], line["processed"]
    assert line["processed"] == rows, line
    assert not AuditEntry.objects.filter(action="admin.view").exists()

    again: dict[str, Any] = {}
    with measured(again):
        second = do_run_retention(None, apply=True, trigger="bench")
    assert all(item["processed"] == 0 for item in second.summary)
    result["second_run_seconds"] = again["seconds"]
    return result


# --- (b) Access copy of a heavy user -------------------------------------------------------------


def _declare_bench_messages() -> Any:
    """A declared model with text and files, as the discussion and library apps will have.

    Declared here, on the throw-away database only: the access copy is built from
    the declarations, so it treats this model exactly as it will treat theirs.
    """
    from django.conf import settings
    from django.db import connection, models

    from gdpr.registry import Erasure, LegalBasis, Retention, declare

    class BenchMessage(models.Model):
        author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
        body = models.TextField("message")
        attachment = models.FileField("attachment", upload_to="bench/", blank=True)
        created_at = models.DateTimeField("created at", auto_now_add=True)

        class Meta:
            app_label = "gdpr"
            verbose_name = "bench message"
            verbose_name_plural = "bench messages"

        def __str__(self) -> str:
            return str(self.pk)

    with connection.schema_editor() as editor:
        editor.create_model(BenchMessage)
    declare(
        BenchMessage,
        subject="author",
        fields=("body", "attachment", "created_at"),
        files=("attachment",),
        purpose="bench",
        legal_basis=LegalBasis.PUBLIC_TASK,
        retention=Retention("bench"),
        erasure=Erasure.PSEUDONYMISE,
        categories_of_people="bench",
        recipients="bench",
    )
    return BenchMessage


def bench_access_copy(messages: int, files: int) -> dict[str, Any]:
    from django.core.files.base import ContentFile
    from django.db import connection

    from accounts.models import User
    from gdpr.access_copy import build_access_copy, do_request_access_copy, stored_path
    from gdpr.models import AccessCopy

    result: dict[str, Any] = {
        "bench": "access_copy",
        "messages": messages,
        "files": files,
        "db": connection.vendor,
    }
    model = _declare_bench_messages()
    person = User.objects.create_user("lourd@example.org", first_name="Camille", last_name="Lourde")
    other = User.objects.create_user("autre@example.org")
    started = time.perf_counter()
    body = "Je propose que les lignes de bus rurales passent toutes les heures. " * 4
    model.objects.bulk_create(
        (model(author=person, body=f"{i} {body}") for i in range(messages)), batch_size=2000
    )
    model.objects.bulk_create(model(author=other, body=body) for _ in range(100))
    for i in range(files):
        row = model(author=person, body=f"pièce jointe {i}")
        row.attachment.save(f"piece-{i}.bin", ContentFile(os.urandom(50 * 1024)), save=True)
    result["seed_seconds"] = round(time.perf_counter() - started, 1)

    copy = do_request_access_copy(person)
    with measured(result):
        status = build_access_copy(str(copy.pk))
    assert status == "ready", status
    copy = AccessCopy.objects.get(pk=copy.pk)
    path = stored_path(copy)
    assert path is not None and path.exists()
    result["zip_mib"] = round(path.stat().st_size / (1024 * 1024), 1)
    result["items"] = copy.total
    return result


# --- Parent: one child per measurement -----------------------------------------------------------


def child(kind: str, sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="agora-bench-") as directory:
        teardown = _django(Path(directory))
        try:
            if kind == "retention":
                result = bench_retention(sizes[0])
            else:
                result = bench_access_copy(sizes[0], sizes[1])
        finally:
            teardown()
    print(json.dumps(result))


def _run_child(kind: str, *sizes: int) -> dict[str, Any]:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        kind,
        *[str(s) for s in sizes],
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"bench child failed: {kind} {sizes}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import sqlite3

    database = (
        "PostgreSQL (DATABASE_URL)"
        if os.environ.get("DATABASE_URL")
        else (f"SQLite {sqlite3.sqlite_version} (file, WAL)")
    )
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, {database}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=int,
        nargs="+",
        default=[100_000, 1_000_000],
        help="backdated rows for the retention run (one child each)",
    )
    parser.add_argument(
        "--copies",
        nargs="+",
        default=["1000:20", "10000:200"],
        help="messages:files of the heavy user (one child each)",
    )
    parser.add_argument("--quick", action="store_true", help="small volumes, a smoke run")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], [int(s) for s in args.child[1:]])
        return
    if args.quick:
        args.rows, args.copies = [1_000, 10_000], ["100:2", "1000:20"]

    print(f"Machine: {_machine()}\n")
    print("Retention run (audit entries past their 1-year retention, batches of 1,000):\n")
    print(
        "| rows | insert (s) | retention run (s) | second run (s) | Python heap peak (MiB) "
        "| RSS peak during run (MiB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        r = _run_child("retention", rows)
        print(
            f"| {r['rows']:,} | {r['insert_seconds']} | {r['seconds']} | "
            f"{r['second_run_seconds']} | {r['python_peak_mib']} | {r['rss_peak_mib']} |",
            flush=True,
        )

    print("\nAccess copy of a heavy user (messages of ~300 characters, files of 50 KB):\n")
    print(
        "| messages | files | build (s) | ZIP (MiB) | Python heap peak (MiB) "
        "| RSS peak during build (MiB) |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for spec in args.copies:
        messages, files = (int(x) for x in spec.split(":"))
        r = _run_child("copy", messages, files)
        print(
            f"| {r['messages']:,} | {r['files']} | {r['seconds']} | {r['zip_mib']} | "
            f"{r['python_peak_mib']} | {r['rss_peak_mib']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
