"""Files and images sent in a conversation: checked by the library's door, then attached.

Every byte goes through ``documents.files.check_upload`` (type read from the content,
executables, HTML and SVG refused, images decoded, zip bombs caught), with a smaller
limit than the library's (``FORUMS_FILE_MAX_BYTES``) and a few files per message. Then
ClamAV scans them when it is configured: an infected file, or one that cannot be
scanned now, is refused (a chat file is shared at once, it cannot wait in quarantine).
The checked files are stored under random names in the conversations' storage, and the
message and its attachments are created together, so the live event shows them at once.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from documents import files
from forums.models import Attachment, AttachmentKind, Message, Room, Thread

MAX_FILES = 5
# Images the page shows as thumbnails (raster only: an SVG never reaches here).
IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


def max_bytes() -> int:
    return int(settings.FORUMS_FILE_MAX_BYTES)


def _scan(path: Path) -> None:
    from documents.models import ScanStatus

    status, _signature = files.scan_local(path)
    if status == ScanStatus.INFECTED:
        raise ValidationError(
            _("The antivirus found a threat in this file: it was not sent."), code="infected"
        )
    if status == ScanStatus.PENDING:
        raise ValidationError(
            _("Files cannot be checked by the antivirus at the moment: try again later."),
            code="unavailable",
        )


def check_count(uploads: list[Any]) -> None:
    if len(uploads) > MAX_FILES:
        raise ValidationError(
            ngettext(
                "You can send %(max)d file at a time.",
                "You can send %(max)d files at a time.",
                MAX_FILES,
            )
            % {"max": MAX_FILES},
            code="too_many",
        )


def do_send_with_files(
    actor: Any,
    room: Room,
    *,
    body: str,
    uploads: list[Any],
    client_id: uuid.UUID | str,
    thread: Thread | None = None,
    reply_to: Message | None = None,
) -> tuple[Message, bool]:
    """Send a message with files (the text may then be empty). Nothing is stored when one
    file is refused: the ValidationError names the file and says why, in French."""
    from forums.actions import _abilities, _require_write, do_send_message

    existing = Message.objects.filter(author=actor, client_id=str(client_id)).first()
    if existing is not None:
        _abilities(actor, existing.room)
        return do_send_message(actor, room, body=body, client_id=client_id, thread=thread)
    _require_write(actor, room)
    check_count(uploads)
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    stored: list[dict[str, Any]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="agora-chat-upload-") as tmp:
            for index, upload in enumerate(uploads):
                shown = files.sanitize_name(getattr(upload, "name", "") or "")
                directory = Path(tmp) / str(index)
                directory.mkdir()
                try:
                    checked = files.check_upload(upload, directory, limit=max_bytes())
                    _scan(checked.path)
                except ValidationError as error:
                    raise ValidationError(
                        _("« %(name)s »: %(reason)s")
                        % {"name": shown, "reason": " ".join(error.messages)},
                        code=error.code,
                    ) from error
                with checked.path.open("rb") as fh:
                    name = storage.save(
                        f"forums/{AttachmentKind.FILE}/{uuid.uuid4().hex}", File(fh)
                    )
                stored.append(
                    {
                        "file": name,
                        "name": checked.name,
                        "content_type": checked.mime_type,
                        "size": checked.size,
                    }
                )
        message, created = do_send_message(
            actor,
            room,
            body=body,
            client_id=client_id,
            thread=thread,
            reply_to=reply_to,
            attachments=stored,
        )
    except BaseException:
        for item in stored:
            storage.delete(item["file"])
        raise
    if not created:  # a replay raced us: the first message won, these bytes are not needed
        for item in stored:
            storage.delete(item["file"])
    return message, created
