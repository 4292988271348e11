"""Access copies (art. 15): a ZIP of everything Agora holds about a person.

The copy is built by the background worker (``gdpr.tasks``) from the
declarations alone: one JSON file per kind of data held about the person, named
in French (``messages.json``), with their rows (declared fields only; related
objects as id and name; other people only as the platform shows them; dates in
ISO 8601), the rows where they acted as staff (only the fields of their act), a
readable ``index.html`` in French, and the person's own files (``fichiers/``). Rows are read
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
import re
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
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from accounts.roles import DATA_HANDLER_ROLES, has_role
from gdpr import audit
from gdpr.models import AccessCopy, CopyStatus
from gdpr.registry import CopyFile, Declaration, LegalBasis, declarations
from gdpr.subjects import count_for, link_condition, rows_for, subject_paths

logger = logging.getLogger(__name__)

COPIES_DIR = "access-copies"
CHUNK_SIZE = 500
PROGRESS_EVERY = 200  # rows between two progress updates
SUMMARY_ITEMS = 200  # rows per declaration shown in index.html; the JSON has them all
IN_PROGRESS = (CopyStatus.QUEUED, CopyStatus.RUNNING)


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

# Headings (and file names) where a model's own name is technical or not translated.
SECTION_NAMES: dict[str, Any] = {
    "accounts.User": gettext_lazy("Your account"),
    "account.EmailAddress": gettext_lazy("Email addresses"),
    "mfa.Authenticator": gettext_lazy("Two-step login"),
    "sessions.Session": gettext_lazy("Open sessions"),
    "admin.LogEntry": gettext_lazy("Changes made in the administration"),
    "guardian.UserObjectPermission": gettext_lazy("Rights on one room, draft or document"),
    "gdpr.AuditEntry": gettext_lazy("Operations on your data"),
}
FILES_DIR = "fichiers"
SUMMARY_TEXT = 300  # characters of a long text shown in index.html; the JSON has it whole
YOUR_PART = "your_part"  # item key: how the row is linked to the person
IN_COPY = "in_copy"  # item key: the row's files in the copy (when no declared field holds them)
_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]+')


def section_name(declaration: Declaration) -> str:
    name = SECTION_NAMES.get(declaration.label) or declaration.model._meta.verbose_name_plural
    return capfirst(str(name))


@dataclass
class _Link:
    """One way a row leads to the person: their own data, or their act as staff."""

    path: str
    label: str
    act_fields: tuple[str, ...] | None = None  # None: the person's own row, every field


def _links(declaration: Declaration) -> list[_Link]:
    links = [_Link(path, _path_label(declaration, path)) for path in subject_paths(declaration)]
    links += [
        _Link(path, _path_label(declaration, path), fields)
        for path, fields in declaration.actors.items()
    ]
    return links


def _path_label(declaration: Declaration, path: str) -> str:
    model: Any = declaration.model
    f: Any = None
    for part in path.split("__"):
        f = model._meta.get_field(part)
        model = f.related_model
    verbose = getattr(f, "verbose_name", None) or path
    return _("%(field)s: you") % {"field": capfirst(str(verbose))}


def _person_value(declaration: Declaration, name: str, obj: Any, person: Any) -> Any:
    """Someone named by a row: the person themself in full; anyone else only as the platform
    shows them (a role, or the name shown to others), never their id or email."""
    if obj is None:
        return None
    if obj.pk == person.pk:
        return {"id": str(obj.pk), "name": obj.public_name}
    if name in declaration.shown_as:
        return {"name": str(declaration.shown_as[name])}
    return {"name": obj.public_name}


def _ref(obj: Any) -> dict[str, str] | None:
    return None if obj is None else {"id": str(obj.pk), "name": str(obj)}


@dataclass
class _Plan:
    """How to read one declaration's rows without one query per row."""

    declaration: Declaration
    select: list[str] = field(default_factory=list)
    prefetch: list[Any] = field(default_factory=list)


def _plan(declaration: Declaration, person: Any, names: list[str]) -> _Plan:
    plan = _Plan(declaration)
    user_model = get_user_model()
    for name in names:
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


def _value(
    declaration: Declaration, row: Any, name: str, person: Any, files: dict[Any, str]
) -> Any:
    f: Any = declaration.model._meta.get_field(name)
    user_model = get_user_model()
    if f.many_to_many or f.one_to_many:
        accessor = name if not f.auto_created else f.get_accessor_name()
        related = getattr(row, accessor).all()
        if f.related_model is user_model:
            return [_person_value(declaration, name, obj, person) for obj in related]
        return [_ref(obj) for obj in related]
    if f.is_relation:
        obj = getattr(row, name, None)
        if f.related_model is user_model:
            return _person_value(declaration, name, obj, person)
        return _ref(obj)
    if isinstance(f, models.FileField):
        stored = getattr(row, name)
        if not stored:
            return None
        return {"name": PurePosixPath(stored.name).name,
                "in_copy": files.get((str(row.pk), name))}
    return f.value_from_object(row)


def _row_fields(declaration: Declaration, links: list[_Link], matched: list[_Link]) -> list[str]:
    """The fields exported for a row: all of them when it is the person's own, else only
    those that describe the person's act(s) on it."""
    own = not links or any(link.act_fields is None for link in matched)
    names = list(declaration.fields) if own else []
    for link in matched:
        for name in link.act_fields or ():
            if name not in names:
                names.append(name)
    return names


def items_for(
    declaration: Declaration, person: Any, files: dict[Any, str] | None = None
) -> Iterator[dict[str, Any]]:
    """The person's items of this declaration, one dict at a time.

    ``files`` maps (row id, field) to where the row's files are in the copy.
    """
    files = files or {}
    if declaration.export is not None:
        for exported in declaration.export(person):
            yield dict(exported)
        return
    rows = rows_for(declaration, person, with_acts=True)
    if rows is None:
        return
    links = _links(declaration)
    if len(links) > 1:
        # Which ways lead to the person, per row: « Author: you », « Hidden by: you ».
        manager = declaration.model._base_manager
        rows = rows.annotate(**{
            f"agora_link_{i}": Exists(manager.filter(
                link_condition(declaration, link.path, person, with_acts=True), pk=OuterRef("pk")
            ))
            for i, link in enumerate(links)
        })
    names = list(declaration.fields)
    for fields_ in declaration.actors.values():
        names += [n for n in fields_ if n not in names]
    plan = _plan(declaration, person, names)
    if plan.select:
        rows = rows.select_related(*plan.select)
    if plan.prefetch:
        rows = rows.prefetch_related(*plan.prefetch)
    # Files kept outside any exported field (a name in a text field): listed with their row.
    extra_files: dict[str, list[str]] = {}
    for (row_id, name), arcname in files.items():
        if name not in names:
            extra_files.setdefault(row_id, []).append(arcname)
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        matched = (
            [link for i, link in enumerate(links) if getattr(row, f"agora_link_{i}")]
            if len(links) > 1 else links
        )
        item: dict[str, Any] = {"id": str(row.pk)}
        if len(links) > 1:
            item[YOUR_PART] = [link.label for link in matched]
        for name in _row_fields(declaration, links, matched):
            item[name] = _value(declaration, row, name, person, files)
        if str(row.pk) in extra_files:
            item[IN_COPY] = extra_files[str(row.pk)]
        _hide_other_person_reference(item, person)
        yield item


def _hide_other_person_reference(item: dict[str, Any], person: Any) -> None:
    """A generic reference (the audit trail's object type and id) to someone else's account
    keeps its type, not their id: a DCCU member's copy says they opened an account's page."""
    if item.get("object_type") == get_user_model()._meta.label and (
        item.get("object_id") not in ("", None, str(person.pk))
    ):
        item["object_id"] = ""


def _declared_files(declaration: Declaration, rows: Any) -> Iterator[CopyFile]:
    """The files held in the declaration's file fields, named as stored."""
    fields: list[Any] = [declaration.model._meta.get_field(n) for n in declaration.files]
    for pk, *names in rows.values_list("pk", *declaration.files).iterator(chunk_size=CHUNK_SIZE):
        for f, name in zip(fields, names, strict=True):
            if name:
                yield CopyFile(str(pk), f.name, PurePosixPath(name).name, f.storage, name)


def copy_files_for(declaration: Declaration, person: Any) -> Iterator[CopyFile]:
    """The person's own files of this declaration (never those of rows they only acted on)."""
    if not declaration.files and declaration.copy_files is None:
        return
    rows = rows_for(declaration, person)
    if rows is None:
        return
    if declaration.copy_files is not None:
        yield from declaration.copy_files(rows)
    else:
        yield from _declared_files(declaration, rows)


def _safe_name(name: str) -> str:
    name = _UNSAFE_NAME.sub("_", PurePosixPath(name.replace("\\", "/")).name).strip(" .")
    return name[:150] or "fichier"


def _arcname(folder: str, name: str, used: set[str]) -> str:
    stem, dot, extension = _safe_name(name).rpartition(".")
    if not dot:
        stem, extension = extension, ""
    candidate, number = f"{FILES_DIR}/{folder}/{stem}{dot}{extension}", 1
    while candidate in used:
        number += 1
        candidate = f"{FILES_DIR}/{folder}/{stem} ({number}){dot}{extension}"
    used.add(candidate)
    return candidate


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
        "name": section_name(declaration),
        "purpose": str(declaration.purpose),
        "legal_basis": str(basis_labels.get(declaration.legal_basis, declaration.legal_basis)),
        "retention": str(declaration.retention.description),
        "recipients": str(declaration.recipients),
    }


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict):
        return str(value.get("name") or value.get("id") or "")
    if isinstance(value, list):
        return ", ".join(_display(v) for v in value) or "—"
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    if len(text) > SUMMARY_TEXT:
        return text[:SUMMARY_TEXT] + "…"
    return text


def _column_label(declaration: Declaration, name: str) -> str:
    if name == YOUR_PART:
        return _("What links it to you")
    if name == IN_COPY:
        return _("File in this copy")
    if name == "id":
        return _("Number")
    try:
        f: Any = declaration.model._meta.get_field(name)
    except Exception:
        return name
    return capfirst(str(getattr(f, "verbose_name", name)))


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


@dataclass
class _Section:
    """One kind of data in the copy: its JSON file, its files, its summary in index.html."""

    declaration: Declaration
    slug: str
    count: int
    files: list[tuple[CopyFile, str]]

    @property
    def path(self) -> str:
        return f"{self.slug}.json"


def _write_declaration(
    zf: zipfile.ZipFile, section: _Section, person: Any, progress: _Progress
) -> dict[str, Any]:
    """Stream one declaration's items into ``<name>.json``; return its summary."""
    declaration = section.declaration
    about = describe(declaration)
    head = {**about, "fields": list(declaration.fields)}
    summary: dict[str, Any] = {**about, "path": section.path, "slug": section.slug,
                               "count": 0, "rows": [], "columns": []}
    files = {(f.row_id, f.field): arcname for f, arcname in section.files}
    columns: list[str] = []
    with zf.open(section.path, "w", force_zip64=True) as raw:
        out = io.TextIOWrapper(raw, encoding="utf-8")
        out.write(json.dumps(head, cls=DjangoJSONEncoder, ensure_ascii=False)[:-1])
        out.write(', "items": [\n')
        for item in items_for(declaration, person, files):
            if summary["count"]:
                out.write(",\n")
            out.write(json.dumps(item, cls=DjangoJSONEncoder, ensure_ascii=False, indent=None))
            if summary["count"] < SUMMARY_ITEMS:
                columns += [key for key in item if key not in columns]
                summary["rows"].append(item)
            summary["count"] += 1
            progress.step()
        out.write("\n]}\n")
        out.flush()
        out.detach()
    summary["columns"] = [_column_label(declaration, c) for c in columns]
    summary["rows"] = [[_display(item.get(c)) for c in columns] for item in summary["rows"]]
    summary["truncated"] = summary["count"] > SUMMARY_ITEMS
    return summary


def _write_files(zf: zipfile.ZipFile, section: _Section, progress: _Progress) -> list[str]:
    written = []
    for copy_file, arcname in section.files:
        try:
            with copy_file.storage.open(copy_file.stored_name, "rb") as source, zf.open(
                arcname, "w", force_zip64=True
            ) as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
            written.append(arcname)
        except FileNotFoundError:
            logger.warning("Access copy: a declared file is missing (%s)",
                           section.declaration.label)
        progress.step()
    return written


def _sections(person: Any) -> list[_Section]:
    """The kinds of data held about the person (none that are empty), each with a French
    file name and its files' places in the copy."""
    sections: list[_Section] = []
    slugs: set[str] = set()
    used: set[str] = set()
    for declaration in declarations():
        count = count_for(declaration, person, with_acts=True)
        slug = base = slugify(section_name(declaration)) or "donnees"
        number = 1
        while slug in slugs:
            number += 1
            slug = f"{base}-{number}"
        files = [(f, _arcname(slug, f.name, used)) for f in copy_files_for(declaration, person)]
        if not count and not files:
            continue
        slugs.add(slug)
        sections.append(_Section(declaration, slug, count, files))
    return sections


def write_zip(target: Path, person: Any, copy_id: Any) -> int:
    """Write the whole copy to ``target``; return the number of items."""
    sections = _sections(person)
    total = sum(s.count + len(s.files) for s in sections)
    AccessCopy.objects.filter(pk=copy_id).update(total=total, done=0)
    progress = _Progress(copy_id, total)
    summaries: list[dict[str, Any]] = []
    files: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for section in sections:
            summaries.append(_write_declaration(zf, section, person, progress))
        for section in sections:
            written = _write_files(zf, section, progress)
            if written:
                files.append({"name": section_name(section.declaration), "paths": written})
        index = render_to_string(
            "gdpr/rights/copy_index.html",
            {
                "person": person,
                "generated_at": timezone.now(),
                "sections": summaries,
                "files": files,
                "file_count": sum(len(f["paths"]) for f in files),
                "files_dir": FILES_DIR,
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
        from config.logs import mail_failure  # the refusal would quote the address

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
    if on_behalf and not has_role(actor, *DATA_HANDLER_ROLES):
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
    return copy.requested_by_id == user.pk and has_role(user, *DATA_HANDLER_ROLES)


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
