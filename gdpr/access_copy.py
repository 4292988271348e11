"""Access copies (art. 15): a ZIP of everything Agora holds about a person.

The copy is built by the background worker (``gdpr.tasks``) from the
declarations alone: one JSON file per declaration with the person's rows
(declared fields only; related objects as id and name; dates in ISO 8601),
a readable ``index.html``, and the person's own uploaded files. Rows are read
in chunks and streamed into the ZIP entry, so memory stays flat whatever the
volume. The file lives under ``PRIVATE_ROOT`` (never under MEDIA or STATIC),
is downloadable only by the person (or the staff member who prepared it on
their behalf), and is deleted when it expires. It is never emailed.
"""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import Role, has_role
from gdpr import audit
from gdpr.models import AccessCopy, CopyStatus
from gdpr.registry import Declaration, LegalBasis, declarations
from gdpr.subjects import count_for, rows_for

logger = logging.getLogger(__name__)

COPIES_DIR = "access-copies"
CHUNK_SIZE = 500
PROGRESS_EVERY = 200  # rows between two progress updates
SUMMARY_ITEMS = 200  # rows per declaration shown in index.html; the JSON has them all
IN_PROGRESS = (CopyStatus.QUEUED, CopyStatus.RUNNING)
STAFF_ROLES = (Role.DPD, Role.DCCU)


# --- Where copies live ------------------------------------------------------------------------


def copies_root() -> Path:
    return Path(settings.PRIVATE_ROOT) / COPIES_DIR


def person_dir(user_id: Any) -> Path:
    return copies_root() / str(user_id)


def stored_path(copy: AccessCopy) -> Path | None:
    """The copy's file, if it has one, and only if it is inside the copies folder."""
    if not copy.file_name:
        return None
    root = copies_root().resolve()
    path = (root / copy.file_name).resolve()
    if root not in path.parents:
        return None
    return path


def remove_person_copies(person: Any, pseudonym: str) -> None:
    """Eraser of the AccessCopy declaration: the person's files go once the erasure commits."""
    folder = person_dir(person.pk)
    transaction.on_commit(lambda: shutil.rmtree(folder, ignore_errors=True))


# --- Turning rows into JSON -------------------------------------------------------------------


def _ref(obj: Any) -> dict[str, str] | None:
    return None if obj is None else {"id": str(obj.pk), "str": str(obj)}


def file_arcname(declaration: Declaration, pk: Any, field_name: str, name: str) -> str:
    return f"files/{declaration.label}/{pk}/{field_name}-{PurePosixPath(name).name}"


@dataclass
class _Plan:
    """How to read one declaration's rows without one query per row."""

    declaration: Declaration
    select: list[str] = field(default_factory=list)
    prefetch: list[Any] = field(default_factory=list)


def _plan(declaration: Declaration, person: Any) -> _Plan:
    plan = _Plan(declaration)
    user_model = get_user_model()
    for name in declaration.fields:
        f: Any = declaration.model._meta.get_field(name)
        if f.many_to_many and not f.auto_created:
            if f.related_model is user_model:
                # Only the person: the other members of a subgroup are not their data.
                plan.prefetch.append(
                    models.Prefetch(name, queryset=user_model._base_manager.filter(pk=person.pk))
                )
            else:
                plan.prefetch.append(name)
        elif f.concrete and f.is_relation and (f.many_to_one or f.one_to_one):
            plan.select.append(name)
    return plan


def _value(declaration: Declaration, row: Any, name: str, person: Any) -> Any:
    f: Any = declaration.model._meta.get_field(name)
    if f.many_to_many or f.one_to_many:
        accessor = name if not f.auto_created else f.get_accessor_name()
        return [_ref(obj) for obj in getattr(row, accessor).all()]
    if f.is_relation:
        return _ref(getattr(row, name, None))
    if isinstance(f, models.FileField):
        stored = getattr(row, name)
        if not stored:
            return None
        return {
            "name": PurePosixPath(stored.name).name,
            "in_copy": file_arcname(declaration, row.pk, name, stored.name),
        }
    return f.value_from_object(row)


def serialise_row(declaration: Declaration, row: Any, person: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"id": str(row.pk)}
    for name in declaration.fields:
        item[name] = _value(declaration, row, name, person)
    return item


def items_for(declaration: Declaration, person: Any) -> Iterator[dict[str, Any]]:
    """The person's items of this declaration, one dict at a time."""
    if declaration.export is not None:
        for item in declaration.export(person):
            yield dict(item)
        return
    rows = rows_for(declaration, person)
    if rows is None:
        return
    plan = _plan(declaration, person)
    if plan.select:
        rows = rows.select_related(*plan.select)
    if plan.prefetch:
        rows = rows.prefetch_related(*plan.prefetch)
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield serialise_row(declaration, row, person)


def _file_refs(declaration: Declaration, person: Any) -> Iterator[tuple[str, Any, str]]:
    """(arcname, storage, stored name) of the person's files for this declaration."""
    rows = rows_for(declaration, person)
    if rows is None or not declaration.files:
        return
    fields: list[Any] = [declaration.model._meta.get_field(n) for n in declaration.files]
    for pk, *names in rows.values_list("pk", *declaration.files).iterator(chunk_size=CHUNK_SIZE):
        for f, name in zip(fields, names, strict=True):
            if name:
                yield file_arcname(declaration, pk, f.name, name), f.storage, name


def _count_files(declaration: Declaration, person: Any) -> int:
    rows = rows_for(declaration, person)
    if rows is None:
        return 0
    total = 0
    for name in declaration.files:
        total += rows.exclude(**{name: ""}).exclude(**{f"{name}__isnull": True}).count()
    return total


# --- Building the ZIP -------------------------------------------------------------------------


def describe(declaration: Declaration) -> dict[str, str]:
    """What a person reads about a declaration: what it is, why, on which basis, how long."""
    basis_labels = {
        LegalBasis.PUBLIC_TASK: _("public-interest mission (art. 6(1)(e))"),
        LegalBasis.LEGAL_OBLIGATION: _("legal obligation (art. 6(1)(c))"),
        LegalBasis.CONSENT: _("your consent (art. 6(1)(a))"),
        LegalBasis.CONTRACT: _("contract (art. 6(1)(b))"),
        LegalBasis.LEGITIMATE_INTEREST: _("legitimate interest (art. 6(1)(f))"),
    }
    return {
        "label": declaration.label,
        "name": str(declaration.model._meta.verbose_name_plural).capitalize(),
        "purpose": str(declaration.purpose),
        "legal_basis": str(basis_labels.get(declaration.legal_basis, declaration.legal_basis)),
        "retention": str(declaration.retention.description),
        "recipients": str(declaration.recipients),
    }


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, dict):
        return str(value.get("str") or value.get("name") or value.get("id") or "")
    if isinstance(value, list):
        return ", ".join(_display(v) for v in value) or "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


class _Progress:
    def __init__(self, copy_id: Any, total: int) -> None:
        self.copy_id = copy_id
        self.total = total
        self.done = 0
        self._since_saved = 0

    def step(self, n: int = 1) -> None:
        self.done += n
        self._since_saved += n
        if self._since_saved >= PROGRESS_EVERY:
            self.save()

    def save(self) -> None:
        self._since_saved = 0
        AccessCopy.objects.filter(pk=self.copy_id).update(done=min(self.done, self.total))


def _write_declaration(
    zf: zipfile.ZipFile, declaration: Declaration, person: Any, progress: _Progress
) -> dict[str, Any]:
    """Stream one declaration's items into ``data/<label>.json``; return its summary."""
    about = describe(declaration)
    path = f"data/{declaration.label}.json"
    head = {**about, "fields": list(declaration.fields)}
    summary: dict[str, Any] = {**about, "path": path, "count": 0, "rows": [],
                               "columns": ["id", *declaration.fields]}
    with zf.open(path, "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8")
        out.write(json.dumps(head, cls=DjangoJSONEncoder, ensure_ascii=False)[:-1])
        out.write(', "items": [\n')
        for item in items_for(declaration, person):
            if summary["count"]:
                out.write(",\n")
            out.write(json.dumps(item, cls=DjangoJSONEncoder, ensure_ascii=False))
            if summary["count"] < SUMMARY_ITEMS:
                summary["rows"].append(
                    [_display(item.get(c)) for c in summary["columns"]]
                )
            summary["count"] += 1
            progress.step()
        out.write("\n]}\n")
        out.flush()
        out.detach()
    summary["truncated"] = summary["count"] > SUMMARY_ITEMS
    return summary


def _write_files(
    zf: zipfile.ZipFile, declaration: Declaration, person: Any, progress: _Progress
) -> int:
    written = 0
    for arcname, storage, name in _file_refs(declaration, person):
        try:
            with storage.open(name, "rb") as source, zf.open(
                arcname, "w", force_zip64=True
            ) as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
            written += 1
        except FileNotFoundError:
            logger.warning("Access copy: a declared file is missing (%s)", declaration.label)
        progress.step()
    return written


def write_zip(target: Path, person: Any, copy_id: Any) -> int:
    """Write the whole copy to ``target``; return the number of items."""
    decls = declarations()
    total = sum(count_for(d, person) + _count_files(d, person) for d in decls)
    AccessCopy.objects.filter(pk=copy_id).update(total=total, done=0)
    progress = _Progress(copy_id, total)
    sections: list[dict[str, Any]] = []
    files = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for declaration in decls:
            sections.append(_write_declaration(zf, declaration, person, progress))
        for declaration in decls:
            if declaration.files:
                files += _write_files(zf, declaration, person, progress)
        index = render_to_string(
            "gdpr/rights/copy_index.html",
            {
                "person": person,
                "generated_at": timezone.now(),
                "sections": sections,
                "files": files,
                "summary_items": SUMMARY_ITEMS,
                "site_name": settings.AGORA_SITE_NAME,
                "assembly_name": settings.AGORA_ASSEMBLY_NAME,
                "organisation": settings.AGORA_ORGANISATION,
                "dpo_email": settings.DPO_EMAIL,
                "dpo_phone": settings.DPO_PHONE,
            },
        )
        zf.writestr("index.html", index)
    progress.save()
    return total


def build_access_copy(copy_id: str, base_url: str = "") -> str:
    """Build a queued copy (the worker calls this); return its final status.

    A copy that is no longer queued (already built, or deleted by an erasure)
    is left alone; if the person is erased while it is being built, the file
    is removed at the end instead of being offered.
    """
    claimed = AccessCopy.objects.filter(pk=copy_id, status=CopyStatus.QUEUED).update(
        status=CopyStatus.RUNNING
    )
    if not claimed:
        return "skipped"
    copy = AccessCopy.objects.select_related("user", "requested_by").get(pk=copy_id)
    person = copy.user
    folder = person_dir(person.pk)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    final = folder / f"{copy.pk}.zip"
    partial = folder / f"{copy.pk}.zip.part"
    try:
        with translation.override(settings.LANGUAGE_CODE):
            write_zip(partial, person, copy.pk)
        os.chmod(partial, 0o600)
        os.replace(partial, final)
        now = timezone.now()
        ready = AccessCopy.objects.filter(pk=copy.pk, status=CopyStatus.RUNNING).update(
            status=CopyStatus.READY,
            done=models.F("total"),
            file_name=str(final.relative_to(copies_root())),
            size=final.stat().st_size,
            finished_at=now,
            expires_at=now + timedelta(hours=settings.ACCESS_COPY_VALID_HOURS),
        )
    except Exception as exc:
        # The class only: a database message may quote a row's values.
        logger.exception("Access copy %s failed", copy_id)
        partial.unlink(missing_ok=True)
        AccessCopy.objects.filter(pk=copy.pk).update(
            status=CopyStatus.FAILED, error=type(exc).__name__, finished_at=timezone.now()
        )
        return CopyStatus.FAILED
    if not ready:
        final.unlink(missing_ok=True)
        return "skipped"
    copy.refresh_from_db()
    audit.record(None, "gdpr.copy.ready", subject=person, obj=copy, size=copy.size)
    if base_url:
        _send_ready_email(copy, base_url)
    return CopyStatus.READY


def _send_ready_email(copy: AccessCopy, base_url: str) -> None:
    """Tell whoever asked that the copy is ready: a link to the page, never the file."""
    recipient = copy.requested_by if copy.requested_by_id else copy.user
    if recipient is None or not recipient.email or not recipient.is_active:
        return
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "link": base_url.rstrip("/") + reverse("rights:copy", args=[copy.pk]),
            "expires_at": copy.expires_at,
            "on_behalf": copy.requested_by_id not in (None, copy.user_id),
            "site_name": settings.AGORA_SITE_NAME,
            "organisation": settings.AGORA_ORGANISATION,
        }
        subject = _("Your copy of your data is ready")
        body = render_to_string("email/gdpr_copy_ready.txt", context)
    try:
        EmailMessage(
            subject=f"[{settings.AGORA_SITE_NAME}] {subject}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[recipient.email],
        ).send()
    except Exception:
        from gdpr.logs import mail_failure  # the refusal would quote the address

        mail_failure(logger, "Could not send the access copy email for %s", copy.pk)


# --- Operations -------------------------------------------------------------------------------


def do_request_access_copy(
    actor: Any, *, person: Any = None, base_url: str = "", data_request: Any = None
) -> AccessCopy:
    """Queue a copy of ``person``'s data (the actor's own by default).

    The DPD and the DCCU may prepare a copy on someone's behalf (a request
    received by post, say): they then download it themselves, and that is
    audited. One copy at a time is prepared per requester and person.
    """
    from gdpr.tasks import build_access_copy_task

    person = person or actor
    on_behalf = person.pk != actor.pk
    if on_behalf and not has_role(actor, *STAFF_ROLES):
        raise PermissionDenied
    if not person.is_active:
        raise PermissionDenied
    with transaction.atomic():
        pending = AccessCopy.objects.filter(
            user=person, requested_by=actor, status__in=IN_PROGRESS
        ).first()
        if pending is not None:
            return pending
        if not on_behalf:
            # Art. 12(5): requests repeated to excess may be refused. A copy is heavy to
            # build; a few a day is far more than anyone needs.
            since = timezone.now() - timedelta(days=1)
            limit = settings.GDPR_COPIES_PER_DAY
            if AccessCopy.objects.filter(
                user=person, requested_by=actor, created_at__gte=since
            ).count() >= limit:
                raise ValidationError(
                    ngettext(
                        "You have already asked for %(count)d copy of your data today. "
                        "Please download it, or ask again tomorrow.",
                        "You have already asked for %(count)d copies of your data today. "
                        "Please download the last one, or ask again tomorrow.",
                        limit,
                    )
                    % {"count": limit},
                    code="too_many_copies",
                )
        copy = AccessCopy.objects.create(user=person, requested_by=actor)
        # The database backend writes the task in this transaction: no copy without its task.
        build_access_copy_task.enqueue(str(copy.pk), base_url)
        audit.record(
            actor, "gdpr.copy.request", subject=person, obj=copy, on_behalf=on_behalf,
            data_request=str(data_request.pk) if data_request is not None else "",
        )
    return copy


def may_download(user: Any, copy: AccessCopy) -> bool:
    """The person, or the staff member who prepared this copy on their behalf."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if copy.user_id == user.pk:
        return True
    return copy.requested_by_id == user.pk and has_role(user, *STAFF_ROLES)


def access_copy(user: Any, copy_id: Any) -> AccessCopy:
    """The copy if ``user`` may see it, else 404 (whether it exists is nobody else's business)."""
    copy = AccessCopy.objects.select_related("user").filter(pk=copy_id).first()
    if copy is None or not may_download(user, copy):
        raise Http404
    expire_if_due(copy)
    return copy


def do_download_access_copy(actor: Any, copy: AccessCopy) -> Path:
    """The file to send; refuses expired or unfinished copies (404) and audits the download."""
    if not may_download(actor, copy):
        raise Http404
    expire_if_due(copy)
    path = stored_path(copy)
    if copy.status != CopyStatus.READY or path is None or not path.exists():
        raise Http404
    now = timezone.now()
    AccessCopy.objects.filter(pk=copy.pk).update(downloaded_at=now)
    copy.downloaded_at = now
    audit.record(actor, "gdpr.copy.download", subject=copy.user, obj=copy,
                 on_behalf=copy.user_id != actor.pk)
    return path


def expire_if_due(copy: AccessCopy, now: datetime | None = None) -> bool:
    """Delete the file of a copy past its time; return True when it expired now."""
    now = now or timezone.now()
    if copy.status != CopyStatus.READY or copy.expires_at is None or copy.expires_at > now:
        return False
    path = stored_path(copy)
    changed = AccessCopy.objects.filter(pk=copy.pk, status=CopyStatus.READY).update(
        status=CopyStatus.EXPIRED, file_name=""
    )
    if path is not None:
        path.unlink(missing_ok=True)
    copy.status = CopyStatus.EXPIRED
    copy.file_name = ""
    if changed:
        audit.record(None, "gdpr.copy.expire", subject=copy.user, obj=copy)
    return bool(changed)


def expire_access_copies(now: datetime | None = None) -> int:
    """Expire every copy past its time (the daily housekeeping)."""
    now = now or timezone.now()
    expired = 0
    due = AccessCopy.objects.filter(status=CopyStatus.READY, expires_at__lte=now)
    for copy in due.select_related("user").iterator(chunk_size=CHUNK_SIZE):
        expired += expire_if_due(copy, now)
    return expired
