"""The erasure engine: what erasing a person does, declaration by declaration.

Run when the DPD or the DCCU accepts an erasure request (``gdpr.rights``) and by
the retention job for accounts whose time is over. Everything follows from
``gdpr.registry.declarations()``, in one transaction:

- ``DELETE``: the person's rows go, and their declared files once committed;
- ``PSEUDONYMISE``: the rows stay (collective work) and keep pointing to the
  person's row, which becomes « Participant·e n°N »; the fields named in the
  declaration's ``anonymise`` get those values;
- ``ANONYMISE_FIELDS``: the rows stay; the fields named in ``anonymise`` get
  those values, or, when ``anonymise`` is empty, every declared field that
  can be blanked gets "" or NULL;
- ``KEEP``: nothing changes (the declaration states the rule that keeps it);

then the declaration's ``eraser``, if any, for what the generic strategies
cannot express. An ``anonymise`` value may be a callable, called with the row
(e.g. a unique placeholder email address). Then ``gdpr.scrub`` replaces the
person's names by the pseudonym in the free text of every declared model,
whoever wrote it (« Merci Sylvie M. » in someone else's message).

The audit entry counts what was done, once everything ran: per declaration,
the person's rows deleted (by the strategy, an eraser or a cascade) and kept,
the rows changed, and the rows whose text had the person's names replaced.

The person's own row is the user model's declaration, done last so that every
eraser still sees the names it may have to scrub. The engine then makes the
account unusable, numbers the pseudonym, closes the person's open websockets
and writes the audit entry; once committed, other people's access copies built
before are replaced (they may name the person). The user model provides ``pseudonym_number`` and
``erased_at`` for this.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils import timezone

from gdpr import audit
from gdpr.registry import Declaration, DeclarationError, Erasure, declarations
from gdpr.scrub import scrub_names
from gdpr.subjects import is_findable, is_person_model, rows_for, subject_paths
from realtime.bus import close_user_sockets

logger = logging.getLogger(__name__)

PSEUDONYM_ATTEMPTS = 5


@dataclass
class ErasureReport:
    """What an erasure did, per declaration: ``{label: {"deleted"|"changed"|"kept": n}}``."""

    person_id: str
    pseudonym: str
    already_erased: bool = False
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def erasure_targets(declaration: Declaration) -> dict[str, Any]:
    """Field → value (or callable(row) → value) that erasure writes for this declaration."""
    if declaration.anonymise or declaration.erasure == Erasure.PSEUDONYMISE:
        return dict(declaration.anonymise)
    if declaration.erasure != Erasure.ANONYMISE_FIELDS:
        return {}
    targets: dict[str, Any] = {}
    person_links = {path.split("__")[0] for path in subject_paths(declaration)}
    for name in declaration.fields:
        f: Any = declaration.model._meta.get_field(name)
        if name in person_links or not f.concrete or f.primary_key:
            continue
        if f.null:
            targets[name] = None
        elif isinstance(f, models.CharField | models.TextField):
            targets[name] = ""
    return targets


def check_declaration(declaration: Declaration) -> list[str]:
    """Why the engine could not erase a person as this declaration says (empty if it can)."""
    problems: list[str] = []
    no_way_in = not is_findable(declaration) and declaration.eraser is None
    if no_way_in and declaration.erasure != Erasure.KEEP:
        problems.append("no path to the person and no eraser")
    if declaration.erasure == Erasure.DELETE:
        for path in subject_paths(declaration):
            first: Any = declaration.model._meta.get_field(path.split("__")[0])
            if first.many_to_many:
                problems.append(f"DELETE through the many-to-many {path!r} would delete "
                                "a shared row: use PSEUDONYMISE or an eraser")
    for name in erasure_targets(declaration):
        try:
            declaration.model._meta.get_field(name)
        except Exception:
            problems.append(f"anonymise names an unknown field {name!r}")
    if declaration.erasure == Erasure.ANONYMISE_FIELDS and not erasure_targets(declaration):
        problems.append("ANONYMISE_FIELDS with nothing that can be blanked")
    return problems


def _ordered(items: list[Declaration]) -> list[Declaration]:
    # The person's row last: erasers of other declarations still see the names.
    return sorted(items, key=lambda d: (is_person_model(d), d.label))


def _assign_pseudonym_number(person: Any) -> int:
    """The next free number, stable once given (retried if a concurrent erasure took it)."""
    user_model = type(person)
    for _attempt in range(PSEUDONYM_ATTEMPTS):
        top = user_model._base_manager.aggregate(top=Max("pseudonym_number"))["top"] or 0
        try:
            with transaction.atomic():
                user_model._base_manager.filter(pk=person.pk).update(pseudonym_number=top + 1)
        except IntegrityError:
            continue
        return int(top + 1)
    raise RuntimeError("Could not number the pseudonym: too many concurrent erasures.")


def _delete(declaration: Declaration, rows: models.QuerySet[Any]) -> int:
    files: list[tuple[Any, str]] = []
    if declaration.files:
        storages = [
            declaration.model._meta.get_field(name).storage  # type: ignore[union-attr]
            for name in declaration.files
        ]
        for values in rows.values_list(*declaration.files).iterator(chunk_size=1000):
            files.extend((s, n) for s, n in zip(storages, values, strict=True) if n)
    # The plain QuerySet method: append-only histories allow this one deletion.
    _total, per_model = models.QuerySet.delete(rows)
    if files:
        transaction.on_commit(lambda: _delete_files(files))
    return per_model.get(declaration.label, 0)


def _delete_files(files: list[tuple[Any, str]]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Erasure could not delete a file of a deleted row")


def _blank(declaration: Declaration, rows: models.QuerySet[Any]) -> int:
    targets = erasure_targets(declaration)
    if not targets:
        return 0
    fixed = {k: v for k, v in targets.items() if not callable(v)}
    per_row: dict[str, Callable[[Any], Any]] = {k: v for k, v in targets.items() if callable(v)}
    if not per_row:
        return models.QuerySet.update(rows, **fixed)
    changed = 0
    for row in rows.iterator(chunk_size=500):
        values = {**fixed, **{k: fn(row) for k, fn in per_row.items()}}
        changed += models.QuerySet.update(rows.model._base_manager.filter(pk=row.pk), **values)
    return changed


def _erase_declaration(declaration: Declaration, person: Any, pseudonym: str) -> dict[str, int]:
    """Apply the declaration's strategy, then its eraser; return what the eraser reports
    beyond the rows the engine counts itself (``_tally``)."""
    rows = rows_for(declaration, person)
    counts: dict[str, int] = {}
    if rows is not None:
        if declaration.erasure == Erasure.DELETE:
            _delete(declaration, rows)
        elif declaration.erasure in (Erasure.PSEUDONYMISE, Erasure.ANONYMISE_FIELDS):
            counts["changed"] = _blank(declaration, rows)
    if declaration.eraser is not None:
        for key, n in (declaration.eraser(person, pseudonym) or {}).items():
            counts[key] = counts.get(key, 0) + n
    return counts


def _tally(
    declaration: Declaration, person: Any, before: int | None, counts: dict[str, int],
    names_replaced: int,
) -> dict[str, int]:
    """What was done, counted once everything ran: the person's rows that are gone (by
    the strategy, an eraser or a cascade) and those kept, plus the eraser's own counts."""
    rows = rows_for(declaration, person)
    tally = dict(counts)
    if rows is not None and before is not None:
        kept = rows.count()
        if before > kept:
            tally["deleted"] = tally.get("deleted", 0) + before - kept
        tally["kept"] = kept
    if names_replaced:
        tally["names_replaced"] = names_replaced
    return tally


# --- Other people's access copies -------------------------------------------------------------


def replace_stale_copies(erased_pk: Any) -> int:
    """Replace the other people's copies built (or being built) before an erasure.

    A copy of someone who shared a room with the erased person holds their names (the
    room's participants, messages that named them). Once the erasure has committed,
    each such copy is withdrawn — its file deleted, the copy shown as expired — and a
    new one queued for the same person and requester, built from the scrubbed data.
    A copy still being built is withdrawn too: it may have read the data before the
    erasure committed, and its builder discards a copy that is no longer running.
    """
    from gdpr.access_copy import person_dir
    from gdpr.models import AccessCopy, CopyStatus
    from gdpr.tasks import build_access_copy_task

    live = (CopyStatus.READY, CopyStatus.RUNNING)
    stale = list(
        AccessCopy.objects.filter(status__in=live).exclude(user_id=erased_pk)
        .select_related("user", "requested_by")
    )
    files: list[Any] = []
    replaced = 0
    with transaction.atomic():
        now = timezone.now()
        for old in stale:
            withdrawn = AccessCopy.objects.filter(pk=old.pk, status__in=live).update(
                status=CopyStatus.EXPIRED, file_name="", expires_at=now
            )
            if not withdrawn:
                continue
            files.append(person_dir(old.user_id) / f"{old.pk}.zip")
            requester = old.requested_by
            if not old.user.is_active or (requester is not None and not requester.is_active):
                continue
            new = AccessCopy.objects.create(user=old.user, requested_by=requester)
            build_access_copy_task.enqueue(str(new.pk), settings.AGORA_BASE_URL)
            audit.record(None, "gdpr.copy.replace", subject=old.user, obj=new,
                         replaces=str(old.pk), reason="erasure")
            replaced += 1
    transaction.on_commit(lambda: [path.unlink(missing_ok=True) for path in files])
    return replaced


def erase_person(person: Any, *, actor: Any = None, reason: str = "") -> ErasureReport:
    """Erase ``person`` as every declaration says, at once; idempotent.

    ``actor`` is who decided (``None`` for the retention job); the caller
    checked that they may. ``reason`` is a short code or rule for the audit
    trail, never free text about the person.
    """
    user_model = get_user_model()
    problems = {d.label: check_declaration(d) for d in declarations()}
    problems = {label: p for label, p in problems.items() if p}
    if problems:
        raise DeclarationError(f"Erasure cannot run: {problems}")
    with transaction.atomic():
        locked = user_model._base_manager.select_for_update().get(pk=person.pk)
        if locked.erased_at is not None:
            return ErasureReport(str(locked.pk), locked.pseudonym, already_erased=True)
        # Erasers get the person as they were: names intact, to find and scrub them.
        snapshot = copy.copy(locked)
        locked.pseudonym_number = _assign_pseudonym_number(locked)
        pseudonym = locked.pseudonym
        report = ErasureReport(str(locked.pk), pseudonym)
        items = _ordered(declarations())
        before: dict[str, int | None] = {}
        for declaration in items:
            rows = rows_for(declaration, snapshot)
            before[declaration.label] = None if rows is None else rows.count()
        done = {d.label: _erase_declaration(d, snapshot, pseudonym) for d in items}
        # Last, with the names still known: what others wrote about the person.
        replaced = scrub_names(snapshot, pseudonym, items)
        for declaration in items:
            label = declaration.label
            report.counts[label] = _tally(
                declaration, snapshot, before[label], done[label], replaced.get(label, 0)
            )
        locked.refresh_from_db()
        locked.set_unusable_password()
        locked.is_active = False
        locked.erased_at = timezone.now()
        locked.save(update_fields=["password", "is_active", "erased_at"])
        close_user_sockets(locked.pk)
        erased_pk = locked.pk
        transaction.on_commit(lambda: replace_stale_copies(erased_pk))
        audit.record(
            actor,
            "gdpr.erasure",
            subject=locked,
            reason=reason,
            counts=report.counts,
        )
    # The caller's instance must not keep the old names around either.
    person.refresh_from_db()
    return report
