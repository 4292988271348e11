"""Voice messages: check a recording (size, duration, real audio content) and send it.

The type is read from the file's first bytes, never from its name or the
browser's claim, and the file is stored under a random name: what is served
back as audio is audio.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from forums.models import Attachment, AttachmentKind, Message, Room, Thread

VOICE_TYPES = ("audio/webm", "audio/ogg", "audio/mp4", "audio/mpeg", "audio/wav")
EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a",
              "audio/mpeg": "mp3", "audio/wav": "wav"}


def max_seconds() -> int:
    return int(settings.FORUMS_VOICE_MAX_SECONDS)


def max_bytes() -> int:
    return int(settings.FORUMS_VOICE_MAX_BYTES)


def sniff_audio(head: bytes) -> str | None:
    """The audio type the first bytes announce, or None when they are not audio we play."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM / Matroska
        return "audio/webm"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    return None


def validate_voice(
    upload: UploadedFile, duration_seconds: Any, transcript: str
) -> tuple[str, float]:
    """(content type, duration) of a valid recording; ValidationError otherwise."""
    errors: dict[str, list[ValidationError]] = {}
    size = upload.size or 0
    if size == 0:
        errors.setdefault("audio", []).append(
            ValidationError(_("The recording is empty."), code="empty"))
    elif size > max_bytes():
        errors.setdefault("audio", []).append(ValidationError(
            _("The recording is too large (%(max)d MB at most).")
            % {"max": max_bytes() // (1024 * 1024)}, code="too_large"))
    content_type = None
    if size:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        content_type = sniff_audio(head)
        if content_type is None:
            errors.setdefault("audio", []).append(ValidationError(
                _("This file is not a sound recording we can play."), code="bad_format"))
    try:
        duration = float(duration_seconds)
    except (TypeError, ValueError):
        duration = -1.0
    if not 0 < duration <= max_seconds() or duration != duration:  # NaN
        errors.setdefault("duration_seconds", []).append(ValidationError(
            _("A voice message lasts %(max)d minutes at most.") % {"max": max_seconds() // 60},
            code="too_long"))
    if not transcript.strip():
        errors.setdefault("transcript", []).append(ValidationError(
            _("Write in a few words what you say: people who cannot listen will read it."),
            code="empty"))
    if errors or content_type is None:
        raise ValidationError(errors)
    return content_type, round(duration, 1)


def do_add_voice_message(
    actor: Any,
    room: Room,
    *,
    upload: UploadedFile,
    duration_seconds: Any,
    transcript: str,
    client_id: uuid.UUID | str,
    thread: Thread | None = None,
) -> tuple[Message, bool]:
    """Send a voice message: the transcript is the message text, the recording its attachment.

    Idempotent like any message (same author and client_id: the first one back,
    nothing stored twice).
    """
    from forums.access import room_abilities
    from forums.actions import do_send_message

    if not room_abilities(room, actor)["write"]:
        raise PermissionDenied(_("You cannot write in this room."))
    existing = Message.objects.filter(author=actor, client_id=str(client_id)).first()
    if existing is not None:
        return existing, False
    content_type, duration = validate_voice(upload, duration_seconds, transcript)
    with transaction.atomic():
        message, created = do_send_message(
            actor, room, body=transcript.strip(), client_id=client_id, thread=thread
        )
        if not created:
            return message, False
        Attachment.objects.create(
            message=message, kind=AttachmentKind.VOICE,
            file=_named(upload, content_type), name=_("Voice message"),
            content_type=content_type, size=upload.size or 0,
            duration_seconds=duration, transcript=transcript.strip(),
        )
        message = _publish_update(message)
    return message, True


def _named(upload: UploadedFile, content_type: str) -> UploadedFile:
    # attachment_path ignores it; the extension only helps whoever reads the disk.
    upload.name = f"voice.{EXTENSIONS[content_type]}"
    return upload


def _publish_update(message: Message) -> Message:
    """The first event (from do_send_message) predates the attachment: send the full one."""
    from forums.queries import serialize_message, with_related
    from realtime.bus import room_group, send_event_on_commit
    from realtime.events import MessageUpdatedEvent

    message = with_related(Message.objects.filter(pk=message.pk)).get()
    send_event_on_commit(
        MessageUpdatedEvent(room=str(message.room_id), message=serialize_message(message, None)),
        [room_group(message.room_id)],
    )
    return message
