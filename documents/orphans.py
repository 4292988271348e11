"""Files in the library's storage that no file version refers to any more.

`store_upload` deletes what it wrote when it fails, but a caller whose own transaction
rolls back after it returned leaves the bytes behind (the row is gone, the file is not).
Those files belong to nobody: they are found here and deleted, once they are older than
a grace period (an upload in progress has written its file before its row commits).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from config.orphans import walk
from documents.files import PREFIX, PREVIEW_PREFIX, library_storage
from documents.models import DocumentFile

GRACE = timedelta(hours=1)



def find_orphans(*, now: Any = None, grace: timedelta = GRACE) -> list[str]:
    """Stored names no DocumentFile refers to (as file or preview), older than `grace`."""
    storage = library_storage()
    now = now or timezone.now()
    known = set(DocumentFile.objects.values_list("storage_name", flat=True))
    known |= set(
        DocumentFile.objects.exclude(preview_name="").values_list("preview_name", flat=True)
    )
    orphans = []
    for name in walk(storage, PREFIX):
        if name in known or not (name.startswith(PREFIX) or name.startswith(PREVIEW_PREFIX)):
            continue
        try:
            modified = storage.get_modified_time(name)
        except (OSError, NotImplementedError):
            continue
        if now - modified >= grace:
            orphans.append(name)
    return sorted(orphans)


def delete_orphans(*, now: Any = None, grace: timedelta = GRACE) -> list[str]:
    storage = library_storage()
    orphans = find_orphans(now=now, grace=grace)
    for name in orphans:
        storage.delete(name)
    return orphans
