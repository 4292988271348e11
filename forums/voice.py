"""Voice messages: check a recording (size, type, the whole file, its real duration) and send it.

The type is read from the file's first bytes, never from its name or the
browser's claim; then the whole file is read by ffmpeg with the container that
type names (and no other: no playlists, no other files or protocols), every
packet decoded: a truncated or damaged recording is refused, and the duration
stored and shown is the one the file holds, not the one the browser declared.
The file is stored under a random name: what is served back as audio is audio.

Only what browsers' MediaRecorder produces is accepted (static/js/voice.js):
WebM (Chromium, Firefox: Opus), Ogg (Firefox: Opus) and MP4 (Safari: AAC).
ffmpeg and ffprobe come from the `ffmpeg` Debian package (docs/deploy.md).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from forums.models import (
    AttachmentKind,
    Message,
    Room,
    Thread,
    TranscriptSource,
    TranscriptStatus,
    VoiceDraft,
)

logger = logging.getLogger(__name__)

VOICE_TYPES = ("audio/webm", "audio/ogg", "audio/mp4")
EXTENSIONS = {"audio/webm": "webm", "audio/ogg": "ogg", "audio/mp4": "m4a"}
# The one ffmpeg demuxer each type is read with, and the audio codecs it may carry.
DEMUXERS = {"audio/webm": "matroska", "audio/ogg": "ogg", "audio/mp4": "mov"}
CODECS = {
    "audio/webm": {"opus", "vorbis"},
    "audio/ogg": {"opus", "vorbis"},
    "audio/mp4": {"aac", "opus", "mp3"},
}
PROBE_TIMEOUT = 60  # seconds; a 5-minute recording decodes in well under one


class ProbeUnavailable(Exception):
    """ffmpeg is not installed or did not answer: recordings cannot be checked."""


def max_seconds() -> int:
    return int(settings.FORUMS_VOICE_MAX_SECONDS)


def max_bytes() -> int:
    return int(settings.FORUMS_VOICE_MAX_BYTES)


def sniff_audio(head: bytes) -> str | None:
    """The audio type the first bytes announce, or None when they are not audio we take."""
    if head.startswith(b"\x1a\x45\xdf\xa3"):  # EBML: WebM / Matroska
        return "audio/webm"
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "audio/mp4"
    return None


def ogg_complete(path: Path) -> bool:
    """An Ogg file is whole pages end to end, the last one marked end-of-stream: a
    recording cut short (upload interrupted, truncated file) fails this, which ffmpeg
    itself reads without complaint."""
    size = path.stat().st_size
    last_flags = 0
    with path.open("rb") as fh:
        offset = 0
        while offset < size:
            fh.seek(offset)
            header = fh.read(27)
            if len(header) < 27 or header[:4] != b"OggS" or header[4] != 0:
                return False
            last_flags = header[5]
            table = fh.read(header[26])
            if len(table) < header[26]:
                return False
            offset += 27 + len(table) + sum(table)
    return offset == size and bool(last_flags & 0x04)


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(  # noqa: S603 - fixed program, our arguments, no shell
            command, capture_output=True, text=True, timeout=PROBE_TIMEOUT, check=False,
            stdin=subprocess.DEVNULL,
        )
    except (FileNotFoundError, subprocess.TimeoutExpired) as exc:
        raise ProbeUnavailable(str(exc)) from exc


def probe_recording(path: Path, content_type: str) -> float | None:
    """The duration in seconds of the audio the whole file holds, or None when the file
    is not a complete, readable recording of its type. ProbeUnavailable without ffmpeg."""
    ffmpeg, ffprobe = shutil.which("ffmpeg"), shutil.which("ffprobe")
    if not ffmpeg or not ffprobe:
        raise ProbeUnavailable("ffmpeg/ffprobe not found")
    demuxer = DEMUXERS[content_type]
    reading = ["-protocol_whitelist", "file", "-f", demuxer]
    probe = _run([
        ffprobe, "-v", "error", *reading, "-show_entries", "stream=codec_type,codec_name",
        "-of", "json", f"file:{path}",
    ])
    if probe.returncode != 0 or probe.stderr.strip():
        return None
    try:
        streams = json.loads(probe.stdout).get("streams", [])
    except ValueError:
        return None
    kinds = [stream.get("codec_type") for stream in streams]
    if kinds.count("audio") != 1 or set(kinds) - {"audio"}:
        return None  # one sound track and nothing else (no video, no data, no subtitles)
    if streams[0].get("codec_name") not in CODECS[content_type]:
        return None
    if content_type == "audio/ogg" and not ogg_complete(path):
        return None
    decode = _run([
        ffmpeg, "-nostdin", "-v", "error", "-xerror", *reading, "-i", f"file:{path}",
        "-map", "0:a:0", "-f", "null", "-progress", "pipe:1", "-nostats", "-",
    ])
    if decode.returncode != 0 or decode.stderr.strip():
        return None
    times = [
        line.split("=", 1)[1] for line in decode.stdout.splitlines()
        if line.startswith("out_time_us=")
    ]
    try:
        microseconds = int(times[-1])
    except (IndexError, ValueError):
        return None
    return microseconds / 1_000_000 if microseconds > 0 else None


def _probe_upload(upload: UploadedFile, content_type: str) -> float | None:
    upload.seek(0)
    with tempfile.TemporaryDirectory(prefix="agora-voice-") as tmp:
        path = Path(tmp) / f"recording.{EXTENSIONS[content_type]}"
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        upload.seek(0)
        return probe_recording(path, content_type)


def validate_voice(upload: UploadedFile) -> tuple[str, float]:
    """(content type, duration read from the file) of a valid recording; ValidationError
    otherwise. A typed transcript is never required (forums/transcription.py)."""
    errors: dict[str, list[ValidationError]] = {}

    def refuse(field: str, message: str, code: str) -> None:
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    size = upload.size or 0
    content_type = None
    duration = None
    if size == 0:
        refuse("audio", _("The recording is empty."), "empty")
    elif size > max_bytes():
        refuse("audio", _("The recording is too large (%(max)d MB at most).")
               % {"max": max_bytes() // (1024 * 1024)}, "too_large")
    else:
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        content_type = sniff_audio(head)
        if content_type is None:
            refuse("audio", _("This file is not a sound recording we can play."), "bad_format")
    if content_type is not None:
        try:
            duration = _probe_upload(upload, content_type)
        except ProbeUnavailable:
            logger.error("voice: ffmpeg unavailable, recording refused", exc_info=True)
            refuse("audio", _("Voice messages cannot be checked at the moment: please try "
                              "again later, or write your message."), "unavailable")
            content_type = None
        else:
            if duration is None:
                refuse("audio", _("This recording is damaged or incomplete: please record "
                                  "it again."), "damaged")
                content_type = None
            elif duration > max_seconds() + 0.5:  # MediaRecorder stops a little late
                refuse("audio", _("A voice message lasts %(max)d minutes at most.")
                       % {"max": max_seconds() // 60}, "too_long")
    if errors or content_type is None or duration is None:
        raise ValidationError(errors)
    return content_type, round(duration, 1)


def do_add_voice_message(
    actor: Any,
    room: Room,
    *,
    upload: UploadedFile | None = None,
    draft: VoiceDraft | None = None,
    transcript: str = "",
    client_id: uuid.UUID | str,
    thread: Thread | None = None,
) -> tuple[Message, bool]:
    """Send a voice message: the recording is its attachment, the transcript its text.
    The duration stored is the one read from the file, never one the browser declares.

    Sent at once, never waiting for a transcript: without a typed one, and when
    speech-to-text is set up, the worker writes it later (forums/transcription.py).
    ``draft``: the recording was uploaded before (``do_add_voice_draft``) for a proposed
    transcript; its file becomes the message's, not sent again.
    Idempotent like any message (same author and client_id: the first one back,
    nothing stored twice).
    """
    from forums import transcription
    from forums.actions import do_send_message

    if not room.get_abilities(actor)["write"]:
        raise PermissionDenied(_("You cannot write in this room."))
    existing = Message.objects.filter(author=actor, client_id=str(client_id)).first()
    if existing is not None:
        return existing, False
    typed = transcript.strip()
    if draft is not None:
        if draft.author_id != actor.pk or draft.room_id != room.pk:
            raise ValidationError(_("This recording is no longer available: record it again."),
                                  code="not_found")
        voice = transcription.voice_from_draft(draft, typed)
    elif upload is not None:
        content_type, duration = validate_voice(upload)
        automatic = not typed and transcription.enabled()
        voice = {
            "kind": AttachmentKind.VOICE, "file": _named(upload, content_type),
            "content_type": content_type, "size": upload.size or 0,
            "duration_seconds": duration, "transcript": typed,
            "transcript_source": TranscriptSource.TYPED if typed else TranscriptSource.NONE,
            "transcript_status": TranscriptStatus.PENDING if automatic else TranscriptStatus.NONE,
        }
    else:
        raise ValidationError({"audio": [_("The recording is empty.")]})
    voice["name"] = _("Voice message")
    with transaction.atomic():
        if draft is not None and not VoiceDraft.objects.select_for_update().filter(
            pk=draft.pk
        ).exists():
            raise ValidationError(_("This recording is no longer available: record it again."),
                                  code="not_found")
        message, created = do_send_message(
            actor, room, body=typed, client_id=client_id, thread=thread, attachments=[voice]
        )
        if created and draft is not None:
            draft.delete()  # its file is now the message's: the row goes, the file stays
        if created and voice["transcript_status"] == TranscriptStatus.PENDING:
            transcription.queue_transcription(message.attachments.get(kind=AttachmentKind.VOICE))
    return message, created


def _named(upload: UploadedFile, content_type: str) -> UploadedFile:
    # attachment_path ignores it; the extension only helps whoever reads the disk.
    upload.name = f"voice.{EXTENSIONS[content_type]}"
    return upload
