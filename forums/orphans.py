"""Files in the conversations' storage that no attachment refers to any more.

Deleting a message, a thread or a room removes its attachments' rows by cascade
(retention, the admin, erasure), and a caller whose transaction rolls back after a
voice message was stored leaves its bytes behind. Those files belong to nobody: they
are found here and deleted once older than a grace period (an upload in progress has
written its file before its row commits). The nightly retention task runs this sweep.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.core.files.storage import Storage
from django.utils import timezone

from config.orphans import walk
from forums.models import Attachment, VoiceDraft

GRACE = timedelta(hours=1)
PREFIX = "forums/"  # attachment_path: forums/<kind>/<random name>


def attachment_storage() -> Storage:
    return Attachment._meta.get_field("file").storage  # type: ignore[union-attr]



def find_orphans(*, now: datetime | None = None, grace: timedelta = GRACE) -> list[str]:
    """Stored names under ``forums/`` that no Attachment (nor voice draft) refers to, older
    than ``grace``."""
    storage = attachment_storage()
    now = now or timezone.now()
    orphans = []
    for name in walk(storage, PREFIX):
        # One query per file keeps memory flat; the sweep runs at night.
        if Attachment.objects.filter(file=name).exists() or VoiceDraft.objects.filter(
            file=name
        ).exists():
            continue
        try:
            modified = storage.get_modified_time(name)
        except (OSError, NotImplementedError):
            continue
        if now - modified >= grace:
            orphans.append(name)
    return sorted(orphans)


def delete_orphans(*, now: datetime | None = None, grace: timedelta = GRACE) -> list[str]:
    storage = attachment_storage()
    orphans = find_orphans(now=now, grace=grace)
    for name in orphans:
        storage.delete(name)
    return orphans
