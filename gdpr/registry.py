"""Declarations of personal data, kept by each app in its own ``privacy.py``.

A declaration says, for one model: which fields hold personal data, how the
row leads to its person, why it is processed, on which legal basis, for how
long, how to export it and how to erase it. Access copies, erasure,
retention and the register of processing (Art. 30) are generated from these
declarations, so they cannot drift from the code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.core.files.storage import Storage
from django.db import models
from django.db.models import Q
from django.utils.functional import Promise


class LegalBasis(StrEnum):
    """GDPR Art. 6(1) bases; the assembly runs on a public-interest mission."""

    PUBLIC_TASK = "public_task"  # Art. 6(1)(e)
    LEGAL_OBLIGATION = "legal_obligation"  # Art. 6(1)(c)
    CONSENT = "consent"  # Art. 6(1)(a), only where the person truly chooses
    CONTRACT = "contract"  # Art. 6(1)(b)
    LEGITIMATE_INTEREST = "legitimate_interest"  # Art. 6(1)(f), not for public tasks


class Erasure(StrEnum):
    """What erasing a person does to a row of this model."""

    DELETE = "delete"  # the row goes
    PSEUDONYMISE = "pseudonymise"  # the row stays (collective work), the person is replaced
    ANONYMISE_FIELDS = "anonymise_fields"  # personal fields are blanked, the row stays
    KEEP = "keep"  # kept under a legal obligation or archive rule, stated in `retention`


class RetentionAction(StrEnum):
    """What the retention job does to a row once it is due."""

    DELETE = "delete"  # the row goes (its files too)
    ANONYMISE_FIELDS = "anonymise_fields"  # personal fields blanked, the row stays
    ERASE_PERSON = "erase_person"  # the whole person is erased (inactive accounts)


@dataclass(frozen=True)
class Anchor:
    """A date worked out for each row by the database, when no single field of the row
    (or of a row it points to) holds it: e.g. the end of the assembly that was in office
    when a direct message was written. ``expression`` is an ORM expression evaluated on
    the declared model; a row for which it is NULL has no known date and is never due."""

    name: str  # what the run's summary shows, e.g. "end of the room's assembly"
    expression: Any

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Retention:
    """How long a row is kept, in words for the register and in days for the job.

    ``days`` counts from ``since``: a date/datetime field of the row, a path to one
    through foreign keys (``"seat__assembly__mandate_end"``: the end of *that row's*
    assembly), an ``Anchor``, or a tuple of these: the row is due once every one of
    those dates is ``days`` old (so the count starts from the latest), and never while
    one of them is unknown (NULL). ``applies_to`` narrows which rows age out (e.g.
    only unused invitations). Without ``days`` the retention is described only (kept
    while the account exists, or handled by another declaration).
    """

    description: str | Promise
    days: int | None = None
    since: str | Anchor | tuple[str | Anchor, ...] = "created_at"
    action: RetentionAction = RetentionAction.DELETE
    applies_to: Q | None = None


@dataclass(frozen=True)
class CopyFile:
    """One file of a person's row, as their access copy reads and names it."""

    row_id: str
    field: str
    name: str  # the name the person knows, with its extension
    storage: Storage
    stored_name: str


@dataclass(frozen=True)
class Declaration:
    model: type[models.Model]
    fields: tuple[str, ...]
    purpose: str | Promise
    legal_basis: LegalBasis
    retention: Retention
    erasure: Erasure
    # Path from a row to its person: "" when the model *is* the person.
    subject: str = ""
    categories_of_people: str | Promise = ""
    recipients: str | Promise = ""
    export: Callable[[Any], Iterable[dict[str, Any]]] | None = None
    notes: str | Promise = ""
    extra_subjects: tuple[str, ...] = field(default=())
    # File fields: their files go into the access copy and are removed on deletion.
    files: tuple[str, ...] = field(default=())
    # Values put in personal fields when anonymising; others get "" or None.
    anonymise: dict[str, Any] = field(default_factory=dict)
    # Per-app erasure for what the generic strategies cannot express: called as
    # eraser(person, pseudonym) inside the erasure transaction. It may return
    # ``{"deleted": n}`` for rows it deleted that the subject path does not reach
    # (rows the path reaches are counted by the engine).
    eraser: Callable[[Any, str], dict[str, int] | None] | None = None
    # Text fields that hold no prose (keys, hashes, encoded data, file names on disk):
    # the scrub of an erased person's names (``gdpr.scrub``) skips them. Every other
    # text field of a declared model is scrubbed, whoever wrote it.
    machine_text: tuple[str, ...] = field(default=())
    # Called with the rows whose text the scrub changed, after every declaration's
    # scrub, e.g. to rebuild a search index derived from that text.
    after_scrub: Callable[[Any], None] | None = None
    # Paths to a person who acted on the row as staff or moderator (``hidden_by``): the row is
    # in that person's access copy with only the fields that describe their act. Erasure and
    # retention ignore them (the act stays, signed by the pseudonym).
    actors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Fields naming a person other than the subject that the platform shows as a role, never
    # as a person (« l'équipe d'animation »): the access copy writes this label instead.
    shown_as: dict[str, str | Promise] = field(default_factory=dict)
    # The files of the person's rows for the access copy, when ``files`` cannot say it (a
    # name kept in a text field, a storage of the app's own, the name the person gave).
    copy_files: Callable[[Any], Iterable[CopyFile]] | None = None
    # Rows reached through ``subject`` that hold someone else's data about the person, which
    # they are not told of (art. 15(4)): left out of their copy and « Mes données ».
    withheld: Callable[[], Q] | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label


_REGISTRY: dict[str, Declaration] = {}


class DeclarationError(ValueError):
    pass


def declare(
    model: type[models.Model],
    *,
    fields: Iterable[str],
    purpose: str | Promise,
    legal_basis: LegalBasis,
    retention: Retention,
    erasure: Erasure,
    subject: str = "",
    categories_of_people: str | Promise = "",
    recipients: str | Promise = "",
    export: Callable[[Any], Iterable[dict[str, Any]]] | None = None,
    notes: str | Promise = "",
    extra_subjects: Iterable[str] = (),
    files: Iterable[str] = (),
    anonymise: dict[str, Any] | None = None,
    eraser: Callable[[Any, str], dict[str, int] | None] | None = None,
    machine_text: Iterable[str] = (),
    after_scrub: Callable[[Any], None] | None = None,
    actors: dict[str, Iterable[str]] | None = None,
    shown_as: dict[str, str | Promise] | None = None,
    copy_files: Callable[[Any], Iterable[CopyFile]] | None = None,
    withheld: Callable[[], Q] | None = None,
) -> Declaration:
    """Register a model's personal data. Called at import time of ``privacy.py``."""
    names = tuple(fields)
    known = {f.name for f in model._meta.get_fields()}
    machine = tuple(machine_text)
    missing = [n for n in (*names, *machine) if n not in known]
    if missing:
        raise DeclarationError(f"{model._meta.label}: unknown fields {missing}")
    for path in (subject, *extra_subjects):
        if path:
            _check_path(model, path)
    acts = {path: tuple(names) for path, names in (actors or {}).items()}
    for path, act_fields in acts.items():
        _check_path(model, path)
        unknown = [n for n in act_fields if n not in known]
        if unknown or not act_fields:
            raise DeclarationError(f"{model._meta.label}: act {path!r} has bad fields {unknown}")
    for name in shown_as or {}:
        if name not in names:
            raise DeclarationError(f"{model._meta.label}: shown_as {name!r} must be in fields")
    file_names = tuple(files)
    not_declared = [n for n in file_names if n not in names]
    if not_declared:
        raise DeclarationError(f"{model._meta.label}: files {not_declared} must be in fields")
    declaration = Declaration(
        model=model,
        fields=names,
        purpose=purpose,
        legal_basis=legal_basis,
        retention=retention,
        erasure=erasure,
        subject=subject,
        categories_of_people=categories_of_people,
        recipients=recipients,
        export=export,
        notes=notes,
        extra_subjects=tuple(extra_subjects),
        files=file_names,
        anonymise=dict(anonymise or {}),
        eraser=eraser,
        actors=acts,
        shown_as=dict(shown_as or {}),
        copy_files=copy_files,
        withheld=withheld,
        machine_text=machine,
        after_scrub=after_scrub,
    )
    _REGISTRY[model._meta.label] = declaration
    return declaration


def _check_path(model: type[models.Model], path: str) -> None:
    current: Any = model
    for part in path.split("__"):
        try:
            f = current._meta.get_field(part)
        except Exception as exc:
            raise DeclarationError(f"{model._meta.label}: bad subject path {path!r}") from exc
        current = f.related_model
        if current is None:
            raise DeclarationError(f"{model._meta.label}: {path!r} is not a relation")


def declarations() -> list[Declaration]:
    return sorted(_REGISTRY.values(), key=lambda d: d.label)


def get_declaration(model: type[models.Model]) -> Declaration | None:
    return _REGISTRY.get(model._meta.label)


# Fields are "marked personal" by name, so a new model with an email or a
# birth date cannot slip past the registry test unnoticed.
PERSONAL_FIELD_NAMES = frozenset(
    {
        "email", "first_name", "last_name", "display_name", "full_name", "name_of_person",
        "birth_date", "date_of_birth", "postal_code", "address", "phone", "phone_number",
        "ip_address", "ip", "user_agent",
    }
)


def personal(field_: models.Field[Any, Any]) -> models.Field[Any, Any]:
    """Mark a field as personal data explicitly (for names the list above misses)."""
    field_.personal = True  # type: ignore[attr-defined]
    return field_


def is_marked_personal(field_: Any) -> bool:
    return bool(getattr(field_, "personal", False)) or getattr(field_, "name", "") in (
        PERSONAL_FIELD_NAMES
    )
