"""Retention: delete, anonymise or erase what has outlived its declared retention.

Everything here follows from ``gdpr.registry.declarations()``: a declaration
whose ``Retention`` has ``days`` is due for rows whose ``since`` dates are all older
than that (``applies_to`` narrows the rows). Each ``since`` is a date or datetime
field of the row, a path to one through foreign keys (``"seat__assembly__mandate_end"``:
the end of *that row's* assembly), or an ``Anchor`` the database works out per row; a
row whose date is unknown (NULL) is never due.

Deleting a row deletes what hangs on it (``on_delete=CASCADE``). A row is held back
while one of those rows is declared with a retention of its own and is not due yet
(a thread stays while one of its messages does), so retention never removes a row
before its own time; the files of every row a deletion removes go too.

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

from django.core.exceptions import FieldDoesNotExist, FieldError, PermissionDenied
from django.core.files.storage import Storage
from django.db import models, router, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.deletion import Collector
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import TaskResultStatus, task

from gdpr import audit
from gdpr.models import RetentionRun
from gdpr.registry import (
    Anchor,
    Declaration,
    Retention,
    RetentionAction,
    declarations,
    get_declaration,
)

logger = logging.getLogger(__name__)

BATCH_SIZE = 1000
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


def _sinces(retention: Retention) -> tuple[str | Anchor, ...]:
    since = retention.since
    return since if isinstance(since, tuple) else (since,)


def since_label(retention: Retention) -> str:
    """The dates a retention counts from, in a line (the run's summary)."""
    return " + ".join(str(s) for s in _sinces(retention))


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


def _date_of(model: type[models.Model], since: str | Anchor) -> models.Field[Any, Any]:
    """The date or datetime field one ``since`` stands for on ``model``."""
    if isinstance(since, Anchor):
        try:
            query = model._base_manager.alias(_retention_since=since.expression).query
            found: Any = query.annotations["_retention_since"].output_field
        except (FieldError, FieldDoesNotExist, AttributeError, TypeError) as exc:
            raise RetentionConfigError(
                f"{model._meta.label}: {since.name!r} cannot be worked out ({exc})"
            ) from exc
        if not isinstance(found, models.DateField):
            raise RetentionConfigError(f"{model._meta.label}: {since.name!r} is not a date")
        return found
    if not isinstance(since, str):
        raise RetentionConfigError(f"{model._meta.label}: {since!r} is not a field or an anchor")
    return _since_field(model, since)


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
    if not _sinces(retention):
        problems.append("no date to count from")
    for since in _sinces(retention):
        try:
            _date_of(declaration.model, since)
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


def due_queryset(
    declaration: Declaration, *, now: datetime, _chain: frozenset[str] = frozenset()
) -> QuerySet[Any]:
    """The rows of this declaration that are due at ``now``.

    ``_chain`` holds the models whose rows are being deleted above this one (see
    ``_held_back``), so that a model referring to itself is looked at once.
    """
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
    for index, since in enumerate(_sinces(retention)):
        found = _date_of(model, since)
        if isinstance(found, models.DateTimeField):
            cutoff: date | datetime = now - timedelta(days=retention.days)
        else:
            cutoff = today - timedelta(days=retention.days)
        # NULL < cutoff is not true: a row whose date is unknown is never due.
        if isinstance(since, Anchor):
            name = f"_retention_since_{index}"
            rows = rows.alias(**{name: since.expression}).filter(**{f"{name}__lt": cutoff})
        else:
            rows = rows.filter(**{f"{since}__lt": cutoff})
    if retention.applies_to is not None:
        # Through a subquery, so a condition on a many-valued relation cannot count a row twice.
        rows = rows.filter(pk__in=model._base_manager.filter(retention.applies_to).values("pk"))
    if retention.action == RetentionAction.ANONYMISE_FIELDS:
        rows = rows.filter(_not_yet_anonymised(declaration))
    if retention.action == RetentionAction.DELETE and model._meta.label not in _chain:
        held = _held_back(model, now=now, chain=_chain | {model._meta.label})
        if held is not None:
            rows = rows.exclude(held)
    return rows


def _cascades(model: type[models.Model]) -> Iterator[Any]:
    """The relations whose rows a deletion of ``model``'s rows deletes with them."""
    for rel in model._meta.get_fields(include_hidden=True):
        if (
            rel.auto_created
            and not rel.concrete
            and (rel.one_to_many or rel.one_to_one)
            and getattr(rel, "on_delete", None) is models.CASCADE
        ):
            yield rel


def _kept(model: type[models.Model], *, now: datetime, chain: frozenset[str]) -> Any:
    """The rows of ``model`` that must stay at ``now`` (a queryset), or None when every row
    may go with the row it hangs on."""
    declaration = get_declaration(model)
    rows = model._base_manager.all()
    if declaration is not None and declaration.retention.days is not None:
        if declaration.retention.action != RetentionAction.DELETE:
            return rows  # its rule keeps the row (anonymised, or its person erased)
        due = due_queryset(declaration, now=now, _chain=chain)
        return rows.filter(~Exists(due.filter(pk=OuterRef("pk"))))
    if model._meta.label in chain:
        return None
    # No rule of its own (reactions, read markers): it goes with its parent, unless
    # something hanging on it must stay.
    held = _held_back(model, now=now, chain=chain | {model._meta.label})
    return None if held is None else rows.filter(held)


def _held_back(model: type[models.Model], *, now: datetime, chain: frozenset[str]) -> Q | None:
    """Rows of ``model`` whose deletion would take with it a row that must stay (a message
    not yet due in a thread that is), or None when no relation can hold a row back."""
    condition: Q | None = None
    for rel in _cascades(model):
        kept = _kept(rel.related_model, now=now, chain=chain)
        if kept is None:
            continue
        target = rel.field.target_field.attname
        blocking = Q(Exists(kept.filter(**{rel.field.name: OuterRef(target)})))
        condition = blocking if condition is None else condition | blocking
    return condition


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


def _files_of(collector: Collector) -> list[tuple[Storage, str]]:
    """The stored files of every row the collector is about to delete, cascades included."""
    querysets: list[QuerySet[Any]] = [
        model._base_manager.filter(pk__in=[row.pk for row in instances])
        for model, instances in collector.data.items()
    ]
    querysets.extend(collector.fast_deletes)
    files: list[tuple[Storage, str]] = []
    for queryset in querysets:
        fields: list[Any] = [
            f for f in queryset.model._meta.concrete_fields if isinstance(f, models.FileField)
        ]
        if not fields:
            continue
        storages = [f.storage for f in fields]
        for row in queryset.values_list(*(f.attname for f in fields)):
            files.extend((st, name) for st, name in zip(storages, row, strict=True) if name)
    return files


def _delete_batch(rows: QuerySet[Any], pks: list[Any]) -> tuple[int, int]:
    model = rows.model
    with transaction.atomic():
        # Selected again as due, at the time of deleting: a message posted meanwhile in a
        # thread keeps it.
        batch = rows.filter(pk__in=pks)
        collector = Collector(using=router.db_for_write(model), origin=batch)
        collector.collect(batch)  # type: ignore[arg-type]  # as QuerySet.delete() does
        files = _files_of(collector)
        _total, per_model = collector.delete()
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
            processed, files = _delete_batch(rows, pks)
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
            since=since_label(retention),
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


# Stored files no row refers to any more (rows deleted by cascade outside retention,
# uploads rolled back): each app's sweep, run after the nightly retention, returns the
# names it deleted.
ORPHAN_SWEEPS = ("forums.orphans.delete_orphans", "documents.orphans.delete_orphans")


def sweep_orphan_files() -> dict[str, int]:
    """Run every orphan-file sweep; one that fails is logged and the others still run."""
    deleted: dict[str, int] = {}
    for path in ORPHAN_SWEEPS:
        try:
            deleted[path] = len(import_string(path)())
        except Exception:
            logger.exception("Orphan sweep %s failed", path)
    audit.record(None, "gdpr.retention.orphan_files", deleted=deleted)
    return deleted


@task()
def retention_task() -> int:
    """The daily retention run, then the orphan-file sweeps; it queues the next run
    whatever happens to this one."""
    try:
        run = do_run_retention(None, apply=True, trigger="schedule")
        sweep_orphan_files()
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
