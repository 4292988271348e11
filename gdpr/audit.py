"""The audit trail: one call per action on personal data."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q

from gdpr.models import AuditEntry

# Keys that must never reach the trail, whatever a caller passes.
FORBIDDEN_DETAIL_KEYS = frozenset({"password", "token", "secret", "code", "body", "message"})
# Actions whose entry may name a person as its subject while recording someone else's data
# that this person is not told of (art. 15(4)): a report on their message is the reporter's.
# Apps add theirs from their privacy.py; such entries stay out of the subject's access copy.
_WITHHELD_FROM_SUBJECT: set[str] = set()


def withhold_from_subject(*actions: str) -> None:
    _WITHHELD_FROM_SUBJECT.update(actions)


def withheld_from_subject() -> Q:
    return Q(action__in=sorted(_WITHHELD_FROM_SUBJECT))


def record(
    actor: Any,
    action: str,
    *,
    subject: Any = None,
    obj: models.Model | None = None,
    **details: Any,
) -> AuditEntry:
    """Log ``actor`` doing ``action`` (e.g. "gdpr.copy.download") on ``subject``'s data."""
    leaked = FORBIDDEN_DETAIL_KEYS & set(details)
    if leaked:
        raise ValueError(f"Audit details may not contain {sorted(leaked)}")
    return AuditEntry.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        subject=subject,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        details=details,
    )
