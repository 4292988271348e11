"""Files left in the library's storage by a rolled-back transaction are found and deleted."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from accounts.roles import Role
from documents import files
from documents.models import ContributorType, Document, DocumentFile, DocumentKind
from documents.orphans import GRACE, find_orphans
from tests import factories
from tests.documents.fixtures import makers
from tests.documents.fixtures.makers import stored, upload

pytestmark = pytest.mark.django_db(transaction=True)


class RolledBack(Exception):
    pass


def test_a_rolled_back_upload_leaves_an_orphan_that_the_command_deletes(
    private_root: Path,
) -> None:
    agent = factories.UserFactory(roles=[Role.AGENT])
    kept = Document.objects.create(
        title="Gardé", kind=DocumentKind.FILE, contributor=agent,
        contributor_type=ContributorType.SERVICE,
    )
    files.store_upload(upload("garde.pdf", makers.pdf("gardé")), document=kept, user=agent)
    kept_names = set(DocumentFile.objects.values_list("storage_name", flat=True))
    before = stored(private_root)

    with pytest.raises(RolledBack), transaction.atomic():
        lost = Document.objects.create(
            title="Perdu", kind=DocumentKind.FILE, contributor=agent,
            contributor_type=ContributorType.SERVICE,
        )
        files.store_upload(upload("perdu.pdf", makers.pdf("perdu")), document=lost, user=agent)
        raise RolledBack
    left_behind = set(stored(private_root)) - set(before)
    assert left_behind, "the rolled-back upload left its bytes (and preview) behind"
    assert not DocumentFile.objects.filter(document__title="Perdu").exists()

    # Within the grace period an upload may still be committing: nothing is touched.
    assert find_orphans() == []
    later = timezone.now() + GRACE + timedelta(minutes=1)
    orphans = find_orphans(now=later)
    assert len(orphans) == len(left_behind)
    assert not set(orphans) & kept_names

    out = StringIO()
    call_command("library_orphans", "--delete", "--grace-minutes", "0", stdout=out)
    assert f"{len(left_behind)} orphan file(s) deleted." in out.getvalue()
    assert set(stored(private_root)) == set(before)
    # The kept document's file is still served.
    assert files.servable(DocumentFile.objects.get(document=kept))


def test_nothing_to_do_on_an_empty_library(private_root: Path, capsys: Any) -> None:
    call_command("library_orphans")
    assert "0 orphan file(s) found." in capsys.readouterr().out


def test_the_nightly_retention_task_sweeps_the_librarys_orphans(
    private_root: Path,  # noqa: F811
) -> None:
    """Left behind by a rolled-back upload, found at night without anyone running a command."""
    import os
    import time

    from gdpr.models import AuditEntry
    from gdpr.retention import retention_task

    agent = factories.UserFactory(roles=[Role.AGENT])
    kept = Document.objects.create(
        title="Gardé", kind=DocumentKind.FILE, contributor=agent,
        contributor_type=ContributorType.SERVICE,
    )
    files.store_upload(upload("garde.pdf", makers.pdf("gardé")), document=kept, user=agent)
    before = set(stored(private_root))
    with pytest.raises(RolledBack), transaction.atomic():
        lost = Document.objects.create(
            title="Perdu", kind=DocumentKind.FILE, contributor=agent,
            contributor_type=ContributorType.SERVICE,
        )
        files.store_upload(upload("perdu.pdf", makers.pdf("perdu")), document=lost, user=agent)
        raise RolledBack
    left_behind = set(stored(private_root)) - before
    assert left_behind
    then = time.time() - GRACE.total_seconds() - 60
    for name in stored(private_root):
        os.utime(name, (then, then))

    retention_task.call()

    assert set(stored(private_root)) == before
    assert files.servable(DocumentFile.objects.get(document=kept))
    entry = AuditEntry.objects.get(action="gdpr.retention.orphan_files")
    assert entry.details["deleted"]["documents.orphans.delete_orphans"] == len(left_behind)
