"""Voice and attachment files whose rows went by cascade are found and deleted, nightly too."""

from __future__ import annotations

import os
import time
import uuid
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from forums.models import Attachment, Message, Room, Thread
from forums.orphans import GRACE, find_orphans
from forums.voice import do_add_voice_message
from gdpr.models import AuditEntry
from gdpr.retention import retention_task
from tests import factories
from tests.forums.recordings import recording

WEBM = recording("webm", seconds=2.5)


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def room(assembly: Assembly, member: User) -> Room:
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    subgroup = factories.make_subgroup(assembly, members=[member], facilitators=[facilitator])
    return factories.room_of(subgroup)


def voice(author: User, room: Room, thread: Thread | None = None) -> Attachment:
    message, _created = do_add_voice_message(
        author, room, upload=SimpleUploadedFile("v.webm", WEBM, "audio/webm"),
        transcript="Un minibus le mardi", client_id=uuid.uuid4(),
        thread=thread,
    )
    return message.attachments.get()


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.mark.django_db
def test_files_of_a_thread_deleted_by_cascade_are_swept(
    member: User, room: Room, media: Path
) -> None:
    kept = voice(member, room)
    topic = Thread.objects.create(room=room, title="Transports")
    gone = voice(member, room, thread=topic)
    gone_path, kept_path = media / gone.file.name, media / kept.file.name
    # The DCCU deletes the thread (the admin, an erasure): its messages and their
    # attachments go by cascade, and nothing removes their files.
    Thread.objects.filter(pk=topic.pk).delete()
    assert not Attachment.objects.filter(pk=gone.pk).exists()
    assert gone_path.exists()

    # Within the grace period an upload may still be committing: nothing is touched.
    assert find_orphans() == []
    later = timezone.now() + GRACE + timedelta(minutes=1)
    assert find_orphans(now=later) == [gone.file.name]

    out = StringIO()
    call_command("forums_orphans", "--delete", "--grace-minutes", "0", stdout=out)
    assert "1 orphan file(s) deleted." in out.getvalue()
    assert not gone_path.exists()
    assert kept_path.exists()
    assert Message.objects.filter(pk=kept.message_id).exists()


@pytest.mark.django_db
def test_the_nightly_retention_task_sweeps_orphan_voice_files(
    member: User, room: Room, media: Path
) -> None:
    kept = voice(member, room)
    gone = voice(member, room)
    Message.objects.filter(pk=gone.message_id).delete()
    gone_path, kept_path = media / gone.file.name, media / kept.file.name
    for path in (gone_path, kept_path):
        age(path, GRACE.total_seconds() + 60)

    retention_task.call()

    assert not gone_path.exists()
    assert kept_path.exists()
    entry = AuditEntry.objects.get(action="gdpr.retention.orphan_files")
    assert entry.details["deleted"]["forums.orphans.delete_orphans"] == 1


@pytest.mark.django_db
def test_nothing_to_sweep_without_conversations(capsys: Any) -> None:
    call_command("forums_orphans")
    assert "0 orphan file(s) found." in capsys.readouterr().out
