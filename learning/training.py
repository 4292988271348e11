"""Training mode (docs/training.md): wipe a training instance and seed the demo again,
every night.

A training instance runs with ``AGORA_TRAINING_MODE`` on (config/settings.py refuses it
with production settings, and without ``AGORA_DEMO``): the demo accounts are the trainees'
accounts, a banner says on every page that the data is wiped every night, and
``training_reset`` (scheduled at 03:30, Paris) empties every table but the reference data
the migrations wrote, then runs ``seed_demo``.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks import TaskResultStatus, task

RESET_TIME = dt.time(3, 30)  # Paris: after the retention run (03:00)

# Rows the migrations write (roles, cantons, policy texts, content types, permissions) and
# the task queue (the nightly run itself): kept by the wipe. A data migration that adds
# reference rows to another model must add it here (tests/learning/test_sandbox.py fails
# otherwise).
KEEP = frozenset({
    "contenttypes.contenttype",
    "auth.permission",
    "auth.group",
    "assembly.canton",
    "gdpr.policytext",
    "django_tasks_db.dbtaskresult",
})

REFUSED = (
    "Refusé : le mode formation n'est pas activé (AGORA_TRAINING_MODE). "
    "Cette commande efface toutes les données. / "
    "Refused: training mode is off (AGORA_TRAINING_MODE). This command wipes every piece "
    "of data."
)


class TrainingModeOff(RuntimeError):
    """training_reset asked for on an instance that is not a training one."""


def require_training_mode() -> None:
    if not getattr(settings, "AGORA_TRAINING_MODE", False) or getattr(
        settings, "PRODUCTION", False
    ):
        raise TrainingModeOff(REFUSED)


def wiped_tables() -> list[str]:
    """Every table of a model, but the reference data and the task queue."""
    tables = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in KEEP or not model._meta.managed:
            continue
        if model._meta.proxy:
            continue
        tables.append(model._meta.db_table)
    existing = set(connection.introspection.table_names())
    return sorted({t for t in tables if t in existing})


def wipe() -> None:
    """Empty every table but KEEP's, as `manage.py flush` does (no model's delete runs)."""
    from django.core.management.color import no_style

    require_training_mode()
    sql = connection.ops.sql_flush(
        no_style(), wiped_tables(), reset_sequences=True, allow_cascade=True
    )
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # PostgreSQL refuses to TRUNCATE a table with deferred foreign-key checks still
            # pending in the transaction (rows written earlier in it): run them first.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        connection.ops.execute_sql_flush(sql)


def do_training_reset(*, password: str = "", seed: bool = True) -> str:
    """Wipe the training instance, seed the demo again, delete the files no row names any
    more; return seed_demo's summary."""
    require_training_mode()
    wipe()
    out = io.StringIO()
    if seed:
        options: dict[str, Any] = {"stdout": out}
        if password:
            options["password"] = password
        call_command("seed_demo", **options)
    from documents.orphans import delete_orphans as delete_library_orphans
    from forums.orphans import delete_orphans as delete_attachment_orphans

    delete_attachment_orphans(grace=dt.timedelta(0))
    delete_library_orphans(grace=dt.timedelta(0))
    return out.getvalue()


def next_reset_at(now: dt.datetime | None = None) -> dt.datetime:
    """The next 03:30 in Paris strictly after ``now``."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    candidate = dt.datetime.combine(local.date(), RESET_TIME, tzinfo=zone)
    if candidate <= local:
        candidate = dt.datetime.combine(
            local.date() + dt.timedelta(days=1), RESET_TIME, tzinfo=zone
        )
    return candidate


@task()
def training_reset_task() -> str:
    """The nightly reset; it queues the next run whatever happens to this one (and does
    nothing once training mode is off)."""
    try:
        require_training_mode()
    except TrainingModeOff:
        return "training mode off: nothing done"
    try:
        return do_training_reset(password=getattr(settings, "AGORA_TRAINING_PASSWORD", ""))
    finally:
        ensure_reset_scheduled()


def ensure_reset_scheduled(now: dt.datetime | None = None) -> dt.datetime | None:
    """Make sure exactly one future nightly reset is queued; when it runs (None when the
    task backend cannot run tasks later)."""
    from django_tasks_db.models import DBTaskResult

    require_training_mode()
    backend = training_reset_task.get_backend()
    if not backend.supports_defer:
        return None
    with transaction.atomic():
        queued = list(
            DBTaskResult.objects.filter(
                task_path=training_reset_task.module_path, backend_name=backend.alias,
                status=TaskResultStatus.READY,
            ).order_by("run_after", "enqueued_at")
        )
        if queued:
            DBTaskResult.objects.filter(pk__in=[q.pk for q in queued[1:]]).delete()
            return queued[0].run_after or timezone.now()
        when = next_reset_at(now)
        training_reset_task.using(run_after=when).enqueue()
    return when
