"""The audit trail: one call per action on personal data."""

from __future__ import annotations

from typing import Any

from django.db import models

from gdpr.models import AuditEntry

# Keys that must never reach the trail, whatever a caller passes.
FORBIDDEN_DETAIL_KEYS = frozenset({"password", "token", "secret", "code", "body", "message"})


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
