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
class Retention:
    """How long a row is kept, in words for the register and in days for the job.

    ``days`` counts from ``since``: a date/datetime field of the row, or
    ``"mandate_end"`` for the end of the current assembly's mandate.
    ``applies_to`` narrows which rows age out (e.g. only unused invitations).
    Without ``days`` the retention is described only (kept while the account
    exists, or handled by another declaration).
    """

    description: str | Promise
    days: int | None = None
    since: str = "created_at"
    action: RetentionAction = RetentionAction.DELETE
    applies_to: Q | None = None


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
