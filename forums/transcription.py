"""Automatic transcripts of voice messages: the backend the settings choose, run by the worker.

A voice message is sent at once, whether or not it has a transcript; when its author typed
none and a backend is set (AGORA_STT_BACKEND), the background worker transcribes the
recording and the text appears in the room live. Speech-to-text runs on the département's
own servers, whisper.cpp in the worker (forums/whisper.py) or a self-hosted server speaking
the OpenAI-compatible API (forums/openai_stt.py): the audio never leaves its
infrastructure. A failure is a state the room sees (« la transcription n'a pas pu être
faite »); the recording itself is never touched. Words the author typed always win over
the machine's: an automatic transcript never replaces them.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_tasks import task

from forums.events import TranscriptProgressEvent, room_group
from forums.models import (
    Attachment,
    AttachmentKind,
    Message,
    TranscriptFailure,
    TranscriptSource,
    TranscriptStatus,
    VoiceDraft,
)
from realtime.bus import send_event_on_commit

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 1.0  # seconds between two progress events (and writes) at most


class TranscriptionFailed(Exception):
    def __init__(self, failure: TranscriptFailure, detail: str = "") -> None:
        super().__init__(detail or failure.label)
        self.failure = failure


def backend() -> str:
    return str(getattr(settings, "AGORA_STT_BACKEND", "") or "")


def enabled() -> bool:
    return backend() in {"whispercpp", "openai"}


def transcribe_file(path: Path, content_type: str, progress: Any = None) -> str:
    """The text of the recording at ``path``, by the configured backend; TranscriptionFailed
    with the reason otherwise."""
    from forums.voice import DEMUXERS, EXTENSIONS

    kind = backend()
    if kind == "openai":
        from forums import openai_stt

        try:
            with path.open("rb") as stream:
                return openai_stt.transcribe(
                    stream, base_url=settings.AGORA_STT_URL,
                    filename=f"voice.{EXTENSIONS.get(content_type, 'webm')}",
                    content_type=content_type, model=settings.AGORA_STT_MODEL,
                    language=settings.AGORA_STT_LANGUAGE, api_key=settings.AGORA_STT_API_KEY,
                    timeout=settings.AGORA_STT_TIMEOUT,
                )
        except openai_stt.STTUnavailable as exc:
            failure = TranscriptFailure.TIMEOUT if exc.timeout else TranscriptFailure.UNAVAILABLE
            raise TranscriptionFailed(failure, str(exc)) from exc
        except openai_stt.STTRefused as exc:
            raise TranscriptionFailed(TranscriptFailure.UNREADABLE, str(exc)) from exc
    if kind == "whispercpp":
        from forums import whisper

        try:
            return whisper.transcribe(
                path, demuxer=DEMUXERS.get(content_type, "matroska"),
                model_path=settings.AGORA_STT_MODEL_PATH, language=settings.AGORA_STT_LANGUAGE,
                threads=settings.AGORA_STT_THREADS, timeout=settings.AGORA_STT_TIMEOUT,
                progress=progress,
            )
        except whisper.WhisperUnavailable as exc:
            failure = TranscriptFailure.TIMEOUT if exc.timeout else TranscriptFailure.UNAVAILABLE
            raise TranscriptionFailed(failure, str(exc)) from exc
        except whisper.WhisperUnreadable as exc:
            raise TranscriptionFailed(TranscriptFailure.UNREADABLE, str(exc)) from exc
    raise TranscriptionFailed(TranscriptFailure.NOT_CONFIGURED)


# --- The worker's job ------------------------------------------------------------------


@task()
def transcribe_voice_task(attachment_id: str) -> str:
    return run_transcription(attachment_id)


def queue_transcription(attachment: Attachment) -> None:
    """Once the voice is committed, hand it to the worker: sending never waits for it."""
    attachment_id = str(attachment.pk)
    transaction.on_commit(lambda: transcribe_voice_task.enqueue(attachment_id))


def run_transcription(attachment_id: uuid.UUID | str) -> str:
    """Transcribe one voice message (what the worker runs); returns the final status.

    Nothing is done when the voice is gone, or when its author has written a transcript
    since it was queued. Whatever happens, the recording stays as it was.
    """
    with transaction.atomic():
        item = _locked(attachment_id)
        if item is None or item.transcript_status not in (
            TranscriptStatus.PENDING, TranscriptStatus.RUNNING
        ):
            return item.transcript_status if item is not None else "gone"
        item.transcript_status, item.transcript_progress = TranscriptStatus.RUNNING, 0
        item.transcript_failure = TranscriptFailure.NONE
        item.save(update_fields=["transcript_status", "transcript_progress",
                                 "transcript_failure"])
        _publish_progress(item)
    last = [time.monotonic()]

    def progress(percent: int) -> None:
        if time.monotonic() - last[0] < PROGRESS_EVERY:
            return
        last[0] = time.monotonic()
        with transaction.atomic():
            updated = Attachment.objects.filter(
                pk=item.pk, transcript_status=TranscriptStatus.RUNNING
            ).update(transcript_progress=percent)
            if updated:
                item.transcript_progress = percent
                _publish_progress(item)

    try:
        text = _transcribe_stored(item, progress)
        if not text:
            raise TranscriptionFailed(TranscriptFailure.NOTHING_HEARD)
    except TranscriptionFailed as exc:
        logger.warning("transcription of voice %s failed: %s", item.pk, exc)
        return _finish(item.pk, failure=exc.failure)
    except Exception:
        logger.exception("transcription of voice %s failed", item.pk)
        return _finish(item.pk, failure=TranscriptFailure.ERROR)
    return _finish(item.pk, text=text)


def _locked(attachment_id: uuid.UUID | str) -> Attachment | None:
    return (
        Attachment.objects.select_for_update(of=("self",))
        .select_related("message")
        .filter(pk=attachment_id, kind=AttachmentKind.VOICE).first()
    )


def _transcribe_stored(item: Attachment | VoiceDraft, progress: Any) -> str:
    """A copy of the stored recording in a private temporary folder, transcribed: the
    storage may not be a local disk, and the original is only ever read."""
    from forums.voice import EXTENSIONS

    with tempfile.TemporaryDirectory(prefix="agora-stt-") as tmp:
        path = Path(tmp) / f"voice.{EXTENSIONS.get(item.content_type, 'webm')}"
        try:
            with item.file.open("rb") as source, path.open("wb") as out:
                shutil.copyfileobj(source, out)
        except OSError as exc:
            raise TranscriptionFailed(TranscriptFailure.UNREADABLE, str(exc)) from exc
        return transcribe_file(path, item.content_type, progress)


def _finish(attachment_id: uuid.UUID | str, *, text: str = "",
            failure: TranscriptFailure = TranscriptFailure.NONE) -> str:
    from forums.actions import _fresh, _publish_updated, render

    with transaction.atomic():
        item = _locked(attachment_id)
        if item is None:
            return "gone"  # deleted with its message meanwhile: nothing to keep
        if item.transcript_status != TranscriptStatus.RUNNING:
            return item.transcript_status  # the author wrote their own meanwhile
        message = Message.objects.select_for_update(of=("self",)).get(pk=item.message_id)
        if failure:
            item.transcript_status, item.transcript_failure = TranscriptStatus.FAILED, failure
            item.transcript_progress = 0
        else:
            item.transcript = text
            item.transcript_source = TranscriptSource.AUTOMATIC
            item.transcript_status, item.transcript_progress = TranscriptStatus.DONE, 100
            if message.deleted_at is None:
                # No mentions from a machine's hearing: nobody is notified by it.
                stored, body_html, _mentioned = render(message.room, text, message.format)
                message.body, message.body_html = stored, body_html
                message.save(update_fields=["body", "body_html"])
        item.save(update_fields=["transcript", "transcript_source", "transcript_status",
                                 "transcript_progress", "transcript_failure"])
        _publish_updated(_fresh(message))
        return str(item.transcript_status)


def _publish_progress(item: Attachment) -> None:
    send_event_on_commit(
        TranscriptProgressEvent(
            room=str(item.message.room_id), message=item.message_id, attachment=str(item.pk),
            status=str(item.transcript_status), progress=int(item.transcript_progress),
        ),
        [room_group(item.message.room_id)],
    )


# --- Drafts: the transcript proposed before sending -------------------------------------

DRAFT_FIELDS = ["transcript", "transcript_status", "transcript_progress", "transcript_failure"]


@task()
def transcribe_draft_task(draft_id: str) -> str:
    return run_draft_transcription(draft_id)


def do_add_voice_draft(actor: Any, room: Any, *, upload: Any) -> VoiceDraft:
    """Keep a recording not sent yet and ask the worker for its transcript, which the page
    proposes in the box; the person's previous draft in the room goes (one at a time)."""
    from forums.voice import EXTENSIONS, validate_voice

    if not room.get_abilities(actor)["write"]:
        raise PermissionDenied(_("You cannot write in this room."))
    if not enabled():
        raise ValidationError(_("Automatic transcription is not set up on this platform."),
                              code="off")
    content_type, duration = validate_voice(upload)
    upload.name = f"voice.{EXTENSIONS[content_type]}"
    with transaction.atomic():
        for old in VoiceDraft.objects.select_for_update().filter(author=actor, room=room):
            discard_draft(old)
        draft = VoiceDraft.objects.create(
            author=actor, room=room, file=upload, content_type=content_type,
            size=upload.size or 0, duration_seconds=duration,
        )
        draft_id = str(draft.pk)
        transaction.on_commit(lambda: transcribe_draft_task.enqueue(draft_id))
    return draft


def discard_draft(draft: VoiceDraft) -> None:
    """Delete a draft and its file (after the commit: a rollback keeps both)."""
    name, storage = draft.file.name, draft.file.storage
    draft.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def run_draft_transcription(draft_id: uuid.UUID | str) -> str:
    """The worker's job for a draft: the page reads the result by polling the draft."""
    with transaction.atomic():
        draft = VoiceDraft.objects.select_for_update().filter(pk=draft_id).first()
        if draft is None or draft.transcript_status != TranscriptStatus.PENDING:
            return draft.transcript_status if draft is not None else "gone"
        draft.transcript_status = TranscriptStatus.RUNNING
        draft.save(update_fields=["transcript_status"])

    pk = draft.pk

    def progress(percent: int) -> None:
        VoiceDraft.objects.filter(pk=pk).update(transcript_progress=percent)

    failure, text = TranscriptFailure.NONE, ""
    try:
        text = _transcribe_stored(draft, progress)
        if not text:
            raise TranscriptionFailed(TranscriptFailure.NOTHING_HEARD)
    except TranscriptionFailed as exc:
        logger.warning("transcription of voice draft %s failed: %s", pk, exc)
        failure = exc.failure
    except Exception:
        logger.exception("transcription of voice draft %s failed", pk)
        failure = TranscriptFailure.ERROR
    with transaction.atomic():
        draft = VoiceDraft.objects.select_for_update().filter(pk=draft_id).first()
        if draft is None:
            return "gone"  # sent (its message's voice took over) or replaced meanwhile
        draft.transcript = text
        draft.transcript_failure = failure
        draft.transcript_status = TranscriptStatus.FAILED if failure else TranscriptStatus.DONE
        draft.transcript_progress = 0 if failure else 100
        draft.save(update_fields=DRAFT_FIELDS)
    return str(draft.transcript_status)


def draft_state(draft: VoiceDraft) -> dict[str, Any]:
    """What the page polls: the proposed text once ready, or why there is none."""
    return {
        "id": str(draft.pk),
        "status": draft.transcript_status,
        "progress": draft.transcript_progress,
        "transcript": draft.transcript,
        "failure": str(TranscriptFailure(draft.transcript_failure).label)
        if draft.transcript_failure else "",
    }


def voice_from_draft(draft: VoiceDraft, typed: str) -> dict[str, Any]:
    """The voice attachment's fields for a draft being sent with the text in the box: the
    machine's proposal as it was, corrected, or the person's own words; still to come
    when the worker has not finished (it is then asked again for the message)."""
    proposed = draft.transcript if draft.transcript_status == TranscriptStatus.DONE else ""
    if typed and proposed:
        source = TranscriptSource.AUTOMATIC if typed == proposed else TranscriptSource.CORRECTED
    else:
        source = TranscriptSource.TYPED if typed else TranscriptSource.NONE
    # Nothing typed and no proposal yet (or it failed): the worker is asked for the message.
    waiting = not typed and draft.transcript_status != TranscriptStatus.DONE and enabled()
    return {
        "kind": AttachmentKind.VOICE, "file": draft.file.name, "content_type": draft.content_type,
        "size": draft.size, "duration_seconds": draft.duration_seconds, "transcript": typed,
        "transcript_source": source,
        "transcript_status": TranscriptStatus.PENDING if waiting else (
            TranscriptStatus.DONE if proposed and typed else TranscriptStatus.NONE
        ),
        "transcript_progress": 100 if proposed and typed else 0,
    }


# --- The author's operations -----------------------------------------------------------


def do_retry_transcription(actor: Any, attachment: Attachment) -> Attachment:
    """The author asks again for the automatic transcript that failed."""
    from forums.actions import _abilities, _fresh, _publish_updated

    _abilities(actor, attachment.message.room)
    if attachment.message.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can ask for the transcript again."))
    if not enabled():
        raise ValidationError(_("Automatic transcription is not set up on this platform."),
                              code="off")
    with transaction.atomic():
        item = _locked(attachment.pk)
        if item is None or not item.message.is_visible:
            raise ValidationError(_("This message can no longer be edited."), code="not_found")
        if item.transcript_status != TranscriptStatus.FAILED or item.transcript_source:
            return item
        item.transcript_status, item.transcript_progress = TranscriptStatus.PENDING, 0
        item.transcript_failure = TranscriptFailure.NONE
        item.save(update_fields=["transcript_status", "transcript_progress",
                                 "transcript_failure"])
        queue_transcription(item)
        _publish_updated(_fresh(item.message))
    return item


def author_wrote(message: Message, text: str) -> None:
    """The author edited a voice message's text: it becomes its transcript, marked as
    corrected when the machine wrote the first one, and any job still to come stands down.
    Called by forums.actions.do_edit_message inside its transaction."""
    for item in message.attachments.select_for_update().filter(kind=AttachmentKind.VOICE):
        item.transcript = text
        item.transcript_source = (
            TranscriptSource.CORRECTED
            if item.transcript_source in (TranscriptSource.AUTOMATIC, TranscriptSource.CORRECTED)
            else TranscriptSource.TYPED
        )
        if item.transcript_status != TranscriptStatus.DONE:
            item.transcript_status, item.transcript_progress = TranscriptStatus.NONE, 0
        item.transcript_failure = TranscriptFailure.NONE
        item.save(update_fields=["transcript", "transcript_source", "transcript_status",
                                 "transcript_progress", "transcript_failure"])
