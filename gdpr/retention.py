"""Retention: delete, anonymise or erase what has outlived its declared retention.

Everything here follows from ``gdpr.registry.declarations()``: a declaration
whose ``Retention`` has ``days`` is due for rows whose ``since`` date is older
than that (``applies_to`` narrows the rows). ``since`` is a date or datetime
field of the row, a path to one through foreign keys (``"seat__assembly__mandate_end"``),
or ``"mandate_end"``: the end of the assembly whose mandate ended most recently.

The work is done in batches selected by primary key (keyset pagination), so
memory stays flat whatever the volume, and a pass is idempotent: what was
done is no longer due, so a second pass finds nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django_tasks import TaskResultStatus, task

from gdpr import audit
from gdpr.models import RetentionRun
from gdpr.registry import Declaration, RetentionAction, declarations

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
MANDATE_END = "mandate_end"
# The daily run: at 03:00, Paris time, when nobody is deliberating.
SCHEDULE_TIME = time(3, 0)
SCHEDULE_ZONE = "Europe/Paris"

# Deletions first, erasures of whole persons last, so each row is counted under
# its own declaration rather than as a side effect of an erasure.
_ACTION_ORDER = {
    RetentionAction.DELETE: 0,
    RetentionAction.ANONYMISE_FIELDS: 1,
    RetentionAction.ERASE_PERSON: 2,
}

Progress = Callable[[str, int, int], None]
"""Called as progress(model_label, done, due) after each batch."""


class RetentionConfigError(ValueError):
    """A declaration whose retention the job cannot carry out as written."""


@dataclass
class Outcome:
    """What one declaration had due in a run, and what was done (one line of the summary)."""

    model: str
    action: str
    days: int
    since: str
    rule: str
    due: int = 0
    processed: int = 0
    files: int = 0  # files of deleted rows, removed from storage once the rows are gone
    error: str = ""


# --- What is due ------------------------------------------------------------------------


def last_mandate_end(today: date) -> date | None:
    """The end of the assembly whose mandate ended most recently, if any has ended.

    This is the one place where the privacy module reads another app's model:
    "end of the mandate" is a date every declaration may count from, and it
    lives on ``deliberation.Assembly``. Imported lazily so that ``gdpr`` keeps
    no import-time dependency on the assembly's app.
    """
    from deliberation.models import Assembly

    ended = Assembly.objects.filter(mandate_end__lt=today).aggregate(
        last=models.Max("mandate_end")
    )
    return ended["last"]


def _since_field(model: type[models.Model], since: str) -> models.Field[Any, Any]:
    """The date field ``since`` names on ``model``, following forward foreign keys."""
    current: Any = model
    found: Any = None
    for part in since.split("__"):
        if current is None:
            raise RetentionConfigError(f"{model._meta.label}: {since!r} crosses a non-relation")
        try:
            found = current._meta.get_field(part)
        except FieldDoesNotExist as exc:
            raise RetentionConfigError(f"{model._meta.label}: no field {since!r}") from exc
        if found.is_relation and not (found.many_to_one or found.one_to_one) or (
            found.auto_created and not found.concrete
        ):
            # A many-valued path would give a row several dates.
            raise RetentionConfigError(f"{model._meta.label}: {since!r} is many-valued")
        current = found.related_model
    if not isinstance(found, models.DateField):  # DateTimeField is a DateField
        raise RetentionConfigError(f"{model._meta.label}: {since!r} is not a date")
    return found


def _m2m_exists(f: Any) -> Exists:
    through = f.remote_field.through
    return Exists(through._default_manager.filter(**{f.m2m_field_name(): OuterRef("pk")}))


def _anonymise_targets(declaration: Declaration) -> list[models.Field[Any, Any]]:
    """The fields an anonymisation blanks: declared fields that can be blanked, and the
    link to the person when it can be cut (a nullable foreign key or a many-to-many)."""
    model = declaration.model
    names = list(declaration.fields)
    for path in (declaration.subject, *declaration.extra_subjects):
        first = path.split("__")[0] if path else ""
        if first and first not in names:
            names.append(first)
    targets: list[models.Field[Any, Any]] = []
    for name in names:
        f: Any = model._meta.get_field(name)
        if not f.concrete and not f.many_to_many:
            continue  # reverse relations belong to the other model's declaration
        if (
            f.many_to_many
            or name in declaration.anonymise
            or f.null
            or isinstance(f, models.CharField | models.TextField)
        ):
            targets.append(f)
    return targets


def _blank_value(declaration: Declaration, f: models.Field[Any, Any]) -> Any:
    if f.name in declaration.anonymise:
        return declaration.anonymise[f.name]
    return None if f.null else ""


def _not_yet_anonymised(declaration: Declaration) -> Q:
    """Rows where at least one target field still holds something: the rest is done."""
    condition = Q(pk__in=[])
    for f in _anonymise_targets(declaration):
        if f.many_to_many:
            condition |= Q(_m2m_exists(f))
        else:
            value = _blank_value(declaration, f)
            condition |= Q(**{f"{f.name}__isnull": False}) if value is None else ~Q(
                **{f.name: value}
            )
    return condition


def check_declaration(declaration: Declaration) -> list[str]:
    """Why the job could not carry out this declaration's retention (empty when it can)."""
    retention = declaration.retention
    if retention.days is None:
        return []
    problems: list[str] = []
    if retention.days < 0:
        problems.append("days must not be negative")
    if retention.since != MANDATE_END:
        try:
            _since_field(declaration.model, retention.since)
        except RetentionConfigError as exc:
            problems.append(str(exc))
    if retention.action == RetentionAction.ANONYMISE_FIELDS:
        targets = {f.name for f in _anonymise_targets(declaration)}
        if not targets:
            problems.append("nothing to anonymise: no declared field can be blanked")
        for path in (declaration.subject, *declaration.extra_subjects):
            first = path.split("__")[0] if path else ""
            if first and first not in targets:
                # A row still pointing at its person is not anonymous.
                problems.append(f"the link to the person ({first!r}) cannot be cut")
    return problems


def due_queryset(declaration: Declaration, *, now: datetime) -> QuerySet[Any]:
    """The rows of this declaration that are due at ``now``."""
    retention = declaration.retention
    model = declaration.model
    # The base manager: no custom filtering, and append-only histories (audit trail,
    # consent proofs) may lose rows whose declared retention is over.
    rows: QuerySet[Any] = model._base_manager.all()
    if retention.days is None:
        return rows.none()
    problems = check_declaration(declaration)
    if problems:
        raise RetentionConfigError(f"{declaration.label}: {'; '.join(problems)}")
    today = timezone.localdate(now)
    if retention.since == MANDATE_END:
        end = last_mandate_end(today)
        if end is None or today <= end + timedelta(days=retention.days):
            return rows.none()
    else:
        since_field = _since_field(model, retention.since)
        if isinstance(since_field, models.DateTimeField):
            cutoff: date | datetime = now - timedelta(days=retention.days)
        else:
            cutoff = today - timedelta(days=retention.days)
        rows = rows.filter(**{f"{retention.since}__lt": cutoff})
    if retention.applies_to is not None:
        # Through a subquery, so a condition on a many-valued relation cannot count a row twice.
        rows = rows.filter(pk__in=model._base_manager.filter(retention.applies_to).values("pk"))
    if retention.action == RetentionAction.ANONYMISE_FIELDS:
        rows = rows.filter(_not_yet_anonymised(declaration))
    return rows


def scheduled_declarations() -> list[Declaration]:
    """Declarations the job acts on, in the order it acts."""
    return sorted(
        (d for d in declarations() if d.retention.days is not None),
        key=lambda d: (_ACTION_ORDER[d.retention.action], d.label),
    )


# --- Acting on one batch -------------------------------------------------------------------


def _delete_files(files: list[tuple[Storage, str]]) -> int:
    deleted = 0
    for storage, name in files:
        try:
            if storage.exists(name):
                storage.delete(name)
                deleted += 1
        except OSError:
            # The row is gone either way; a file left behind is reported in the log.
            logger.exception("Retention could not delete a file of a deleted row")
    return deleted


def _delete_batch(declaration: Declaration, pks: list[Any]) -> tuple[int, int]:
    model = declaration.model
    batch = model._base_manager.filter(pk__in=pks)
    files: list[tuple[Storage, str]] = []
    if declaration.files:
        fields: list[Any] = [model._meta.get_field(name) for name in declaration.files]
        storages = [f.storage for f in fields]
        for row in batch.values_list(*declaration.files):
            files.extend((st, name) for st, name in zip(storages, row, strict=True) if name)
    with transaction.atomic():
        _total, per_model = batch.delete()
        # Files go only once the rows are gone for good (at once outside a transaction).
        transaction.on_commit(partial(_delete_files, files))
    return per_model.get(model._meta.label, 0), len(files)


def _anonymise_batch(declaration: Declaration, pks: list[Any]) -> int:
    model = declaration.model
    targets = _anonymise_targets(declaration)
    values = {f.name: _blank_value(declaration, f) for f in targets if not f.many_to_many}
    with transaction.atomic():
        batch = model._base_manager.filter(pk__in=pks)
        changed = batch.update(**values) if values else len(pks)
        for f in targets:
            if f.many_to_many:
                m2m: Any = f
                through = m2m.remote_field.through
                through._default_manager.filter(**{f"{m2m.m2m_field_name()}__in": pks}).delete()
    return changed


def _erase_people(declaration: Declaration, pks: list[Any], actor: Any) -> int:
    """Erase the people these rows lead to, one erasure (one transaction) each.

    The erasure engine is idempotent; the declaration's ``applies_to`` should
    leave out people already erased, so that they are not counted as due again.
    """
    from django.contrib.auth import get_user_model

    from gdpr.erasure import erase_person

    user_model = get_user_model()
    if declaration.subject:
        person_ids = set(
            declaration.model._base_manager.filter(pk__in=pks)
            .exclude(**{f"{declaration.subject}__isnull": True})
            .values_list(declaration.subject, flat=True)
        )
    else:
        person_ids = set(pks)
    erased = 0
    for person in user_model._base_manager.filter(pk__in=person_ids).order_by("pk"):
        report = erase_person(person, actor=actor, reason=f"retention:{declaration.label}")
        erased += 0 if getattr(report, "already_erased", False) else 1
    return erased


def _batches(rows: QuerySet[Any], size: int) -> Iterator[list[Any]]:
    """Primary keys of ``rows``, ``size`` at a time, walking the primary key index.

    Keyset pagination (``pk > last``) rather than offsets: each query starts where
    the previous one stopped, so a batch the action could not change is never
    picked again and the pass always ends.
    """
    last: Any = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        pks = list(page.order_by("pk").values_list("pk", flat=True)[:size])
        if not pks:
            return
        yield pks
        last = pks[-1]


def _apply(
    declaration: Declaration,
    outcome: Outcome,
    rows: QuerySet[Any],
    *,
    actor: Any,
    batch_size: int,
    progress: Progress | None,
) -> None:
    action = declaration.retention.action
    for pks in _batches(rows, batch_size):
        if action == RetentionAction.DELETE:
            processed, files = _delete_batch(declaration, pks)
            outcome.files += files
        elif action == RetentionAction.ANONYMISE_FIELDS:
            processed = _anonymise_batch(declaration, pks)
        else:
            processed = _erase_people(declaration, pks, actor)
        outcome.processed += processed
        if progress is not None:
            progress(declaration.label, outcome.processed, outcome.due)


# --- The run ---------------------------------------------------------------------------------


def _may_run(actor: Any, apply: bool) -> bool:
    """The system (no actor) runs the job; the DPD may ask for a dry run."""
    if actor is None:
        return True
    from accounts.roles import Role, has_role

    return not apply and has_role(actor, Role.DPD)


def do_run_retention(
    actor: Any,
    *,
    apply: bool,
    trigger: str = "command",
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> RetentionRun:
    """Report (dry run) or carry out (``apply``) every declared retention, and log the run.

    A declaration that fails is reported in the run and the others still run:
    the daily job must not stop deleting sessions because one model has a problem.
    """
    if not _may_run(actor, apply):
        raise PermissionDenied
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or timezone.now()
    run = RetentionRun.objects.create(
        started_at=now, applied=apply, trigger=trigger, actor=actor
    )
    outcomes: list[Outcome] = []
    for declaration in scheduled_declarations():
        retention = declaration.retention
        outcome = Outcome(
            model=declaration.label,
            action=str(retention.action),
            days=retention.days or 0,
            since=retention.since,
            rule=str(retention.description),
        )
        outcomes.append(outcome)
        try:
            rows = due_queryset(declaration, now=now)
            outcome.due = rows.count()
            if progress is not None:
                progress(declaration.label, 0, outcome.due)
            if apply and outcome.due:
                _apply(
                    declaration, outcome, rows,
                    actor=actor, batch_size=batch_size, progress=progress,
                )
        except Exception as exc:
            # The class only: a database message may quote a row's values.
            logger.exception("Retention failed for %s", declaration.label)
            outcome.error = type(exc).__name__
    run.summary = [asdict(o) for o in outcomes]
    run.finished_at = timezone.now()
    failed = [o.model for o in outcomes if o.error]
    run.error = ", ".join(failed)
    run.save(update_fields=["summary", "finished_at", "error"])
    audit.record(
        actor,
        "gdpr.retention.apply" if apply else "gdpr.retention.dry_run",
        obj=run,
        trigger=trigger,
        due=sum(o.due for o in outcomes),
        processed=sum(o.processed for o in outcomes),
        failed=failed,
    )
    return run


# --- The daily schedule ------------------------------------------------------------------------


def next_run_at(now: datetime | None = None) -> datetime:
    """The next 03:00 in Paris strictly after ``now`` (DST-safe: 03:00 exists every day)."""
    zone = ZoneInfo(SCHEDULE_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    candidate = datetime.combine(local.date(), SCHEDULE_TIME, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), SCHEDULE_TIME, tzinfo=zone)
    return candidate


@task()
def retention_task() -> int:
    """The daily retention run; it queues the next one whatever happens to this one."""
    try:
        run = do_run_retention(None, apply=True, trigger="schedule")
    finally:
        ensure_scheduled()
    return run.pk


@dataclass
class Schedule:
    run_after: datetime
    created: bool
    removed_duplicates: int = 0


def ensure_scheduled(now: datetime | None = None) -> Schedule:
    """Make sure exactly one future retention run is queued, and say when it runs.

    Reads the queue of the database task backend (``django_tasks_db``), the
    backend configured in settings: other backends keep no queue to look at.
    """
    from django_tasks_db.models import DBTaskResult

    backend = retention_task.get_backend()
    if not backend.supports_defer:
        raise RetentionConfigError("The task backend cannot run tasks later (supports_defer).")
    with transaction.atomic():
        queued = list(
            DBTaskResult.objects.filter(
                task_path=retention_task.module_path,
                backend_name=backend.alias,
                status=TaskResultStatus.READY,
            ).order_by("run_after", "enqueued_at")
        )
        if queued:
            keep, extras = queued[0], queued[1:]
            if extras:
                DBTaskResult.objects.filter(pk__in=[e.pk for e in extras]).delete()
            return Schedule(keep.run_after, created=False, removed_duplicates=len(extras))
        when = next_run_at(now)
        retention_task.using(run_after=when).enqueue()
    audit.record(None, "gdpr.retention.schedule", run_after=when.isoformat())
    return Schedule(when, created=True)
