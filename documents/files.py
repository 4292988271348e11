"""The library's files: checked on the way in, stored privately, served only through here.

- `store_upload` decides the type from the content (libmagic, and for ZIP-based office
  formats the archive's own listing) against an allow-list, checks that the name's
  extension agrees, refuses executables, HTML, SVG, empty and oversized files, zip
  bombs and PDFs that cannot be opened, and stores the file under a random name in the
  library's private storage (`library_storage()`): never under STATIC_ROOT/MEDIA_ROOT.
  A refused file leaves nothing behind.
- `serve_file` is the only way bytes leave: attachment unless the type is safe inline,
  `nosniff`, a sandboxing CSP, private caching, Range for audio/video, and
  X-Accel-Redirect when nginx serves the body (docs/deploy.md, « Library files »).
- `clean_link` accepts http(s) addresses only.
- With `CLAMAV_ADDRESS` set, every file is scanned; until clamd says it is clean it stays
  quarantined (« en_attente ») and is never served; an infected file is never served and
  its bytes are deleted.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import unicodedata
import uuid
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Max
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks import task

from documents import clamav, extract
from documents.models import Document, DocumentEvent, DocumentFile, ScanStatus
from documents.search import reindex

logger = logging.getLogger(__name__)

PREFIX = "library/"
PREVIEW_PREFIX = "library/previews/"
HEAD_BYTES = 8192
COPY_CHUNK = 64 * 1024
# ZIP-based formats (OOXML, ODF): limits against zip bombs.
ZIP_MAX_UNCOMPRESSED = 200 * 1024 * 1024
ZIP_MAX_RATIO = 100
ZIP_RATIO_FROM = 2 * 1024 * 1024  # small archives compress well; judge the ratio above this
ZIP_MAX_ENTRIES = 5000
MAX_NAME_LENGTH = 150
RESCAN_DELAY = timedelta(minutes=5)


@dataclass(frozen=True)
class Kind:
    """One accepted type: its label (for messages), the extensions a name may have
    (the first is the one we give), and whether a browser may show it in the page."""

    label: Any
    extensions: tuple[str, ...]
    inline: bool = False


ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
ODP = "application/vnd.oasis.opendocument.presentation"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PPTX = "application/vnd.openxmlformats-officedocument.presentationml.presentation"

ALLOWED: dict[str, Kind] = {
    "application/pdf": Kind(gettext_lazy("PDF document"), ("pdf",), inline=True),
    ODT: Kind(gettext_lazy("text document (LibreOffice)"), ("odt",)),
    ODS: Kind(gettext_lazy("spreadsheet (LibreOffice)"), ("ods",)),
    ODP: Kind(gettext_lazy("presentation (LibreOffice)"), ("odp",)),
    DOCX: Kind(gettext_lazy("Word document"), ("docx",)),
    XLSX: Kind(gettext_lazy("Excel spreadsheet"), ("xlsx",)),
    PPTX: Kind(gettext_lazy("PowerPoint presentation"), ("pptx",)),
    "image/png": Kind(gettext_lazy("PNG image"), ("png",), inline=True),
    "image/jpeg": Kind(gettext_lazy("JPEG image"), ("jpg", "jpeg"), inline=True),
    "image/gif": Kind(gettext_lazy("GIF image"), ("gif",), inline=True),
    "image/webp": Kind(gettext_lazy("WebP image"), ("webp",), inline=True),
    "audio/mpeg": Kind(gettext_lazy("MP3 sound"), ("mp3",), inline=True),
    "audio/ogg": Kind(gettext_lazy("Ogg sound"), ("ogg", "oga", "opus"), inline=True),
    "audio/wav": Kind(gettext_lazy("WAV sound"), ("wav",), inline=True),
    "audio/mp4": Kind(gettext_lazy("M4A sound"), ("m4a", "mp4"), inline=True),
    "video/mp4": Kind(gettext_lazy("MP4 video"), ("mp4", "m4v"), inline=True),
    "video/webm": Kind(gettext_lazy("WebM video"), ("webm",), inline=True),
    "video/ogg": Kind(gettext_lazy("Ogg video"), ("ogv", "ogg"), inline=True),
    "text/plain": Kind(gettext_lazy("text file"), ("txt", "md", "csv")),
    "text/markdown": Kind(gettext_lazy("text file"), ("md", "txt")),
    "text/csv": Kind(gettext_lazy("CSV table"), ("csv", "txt")),
}
# What libmagic may call an accepted type.
ALIASES = {
    "audio/x-wav": "audio/wav",
    "audio/wave": "audio/wav",
    "audio/vnd.wave": "audio/wav",
    "audio/x-m4a": "audio/mp4",
    "audio/mp3": "audio/mpeg",
    "audio/x-mp3": "audio/mpeg",
    "audio/x-opus+ogg": "audio/ogg",
    "audio/opus": "audio/ogg",
    "application/ogg": "audio/ogg",
    "image/pjpeg": "image/jpeg",
    "image/x-png": "image/png",
    "video/x-m4v": "video/mp4",
    "audio/webm": "video/webm",
    "text/x-markdown": "text/markdown",
    "application/csv": "text/csv",
}
NAMED = {  # for the mismatch message, types we refuse but can name
    "application/zip": gettext_lazy("ZIP archive"),
    "application/x-rar": gettext_lazy("RAR archive"),
    "application/msword": gettext_lazy("old Word document (.doc)"),
    "application/vnd.ms-excel": gettext_lazy("old Excel spreadsheet (.xls)"),
    "application/vnd.ms-powerpoint": gettext_lazy("old PowerPoint presentation (.ppt)"),
}
EXECUTABLE_MAGIC = (
    b"\x7fELF",  # Linux
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",  # Mach-O
    b"\xca\xfe\xba\xbe",  # Mach-O universal, Java class
    b"#!",  # scripts
)
# Checked only when libmagic does not call the file text ("MZ…" may start a sentence).
WEAK_EXECUTABLE_MAGIC = (b"MZ",)
EXECUTABLE_MIME = re.compile(
    r"x-(dosexec|executable|sharedlib|mach-binary|elf|msdownload|shellscript|perl|python|"
    r"ruby|php|java-applet|bat|msi)|vnd\.microsoft\.portable-executable|javascript|"
    r"x-ms-installer"
)
MARKUP = re.compile(
    rb"<\s*(!doctype\s+html|html|head|body|script|iframe|object|embed|svg|\?xml|meta|"
    rb"a\s+href|img\s|form|style|link\s)",
    re.IGNORECASE,
)
RESERVED_CHARS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.IGNORECASE)
SAFE_EXTENSION = re.compile(r"^[a-z0-9]{1,8}$")


# --- Storage ------------------------------------------------------------------------------


def library_storage() -> Storage:
    """The library's private storage (local under PRIVATE_ROOT, or S3), never Django's
    default storage: nothing in it has a public URL."""
    if settings.LIBRARY_STORAGE == "s3":
        from storages.backends.s3 import S3Storage

        options = {key: value for key, value in settings.LIBRARY_S3.items() if value}
        return S3Storage(
            default_acl="private", querystring_auth=True, file_overwrite=False, **options
        )
    root = Path(settings.PRIVATE_ROOT).resolve()
    for public in (settings.STATIC_ROOT, settings.MEDIA_ROOT):
        if public and root.is_relative_to(Path(public).resolve()):
            raise ImproperlyConfigured("PRIVATE_ROOT must be outside STATIC_ROOT and MEDIA_ROOT.")
    return FileSystemStorage(
        location=root, base_url=None, file_permissions_mode=0o640, directory_permissions_mode=0o750
    )


def max_upload_bytes() -> int:
    return int(settings.LIBRARY_MAX_UPLOAD_BYTES)


# --- Names --------------------------------------------------------------------------------


def sanitize_name(name: str) -> str:
    """A safe display name: the last path component, no control or reserved characters,
    no leading dots, at most MAX_NAME_LENGTH characters. Never used as a storage path."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = RESERVED_CHARS.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if WINDOWS_RESERVED.match(name):
        name = "_" + name
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    ext = ext.lower() if SAFE_EXTENSION.match(ext.lower()) else ""
    if dot and not ext:
        stem = name.replace(".", "_")
    stem = stem.strip(" .") or "fichier"
    stem = stem[: MAX_NAME_LENGTH - len(ext) - 1].rstrip(" .") or "fichier"
    return f"{stem}.{ext}" if ext else stem


def extension_of(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


# --- Type by content ----------------------------------------------------------------------


def refuse(message: str, code: str, **params: Any) -> ValidationError:
    return ValidationError(message % params if params else message, code=code)


def detect_type(path: Path, head: bytes) -> str:
    """The accepted MIME type of the file at `path`, or ValidationError."""
    import magic

    if head.startswith(EXECUTABLE_MAGIC):
        raise refuse(
            _("This file is a program: programs are never accepted in the library."), "executable"
        )
    found = magic.from_buffer(head, mime=True)
    found = ALIASES.get(found, found)
    if EXECUTABLE_MIME.search(found) or (
        head.startswith(WEAK_EXECUTABLE_MAGIC) and not found.startswith("text/")
    ):
        raise refuse(
            _("This file is a program: programs are never accepted in the library."), "executable"
        )
    if head.startswith(b"PK\x03\x04"):
        return zip_type(path)
    markup = found in ("text/html", "application/xhtml+xml") or found.endswith("xml")
    if found == "image/svg+xml" or (
        (markup or found.startswith("text/")) and b"<svg" in head.lower()
    ):
        raise refuse(
            _(
                "SVG images are never accepted (they can hold scripts): export the "
                "image as PNG or PDF."
            ),
            "svg",
        )
    if markup:
        raise refuse(
            _(
                "This file contains a web page or XML (HTML): such files are never "
                "accepted in the library, whatever their name."
            ),
            "html",
        )
    if found.startswith("text/"):
        return check_text(path)
    if found == "application/pdf":
        check_pdf(path)
    elif found.startswith("image/") and found in ALLOWED:
        check_image(path)
    elif found == "application/octet-stream" and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        found = "audio/wav"
    if found not in ALLOWED:
        raise refuse(
            _(
                "This kind of file is not accepted in the library (%(found)s). "
                "Accepted: PDF, LibreOffice and Word, Excel or PowerPoint documents, "
                "images, sound, video, text and CSV."
            ),
            "type",
            found=NAMED.get(found, found),
        )
    return found


def check_text(path: Path) -> str:
    """Plain text only: no markup a browser would run, no binary content."""
    with path.open("rb") as fh:
        sample = fh.read(256 * 1024)
    if sample.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"#!"):
        raise refuse(
            _("This file is a program: programs are never accepted in the library."), "executable"
        )
    if MARKUP.search(sample):
        raise refuse(
            _(
                "This file contains a web page or XML (HTML): such files are never "
                "accepted in the library, whatever their name."
            ),
            "html",
        )
    if b"\x00" in sample:
        raise refuse(
            _(
                "This kind of file is not accepted in the library (%(found)s). "
                "Accepted: PDF, LibreOffice and Word, Excel or PowerPoint documents, "
                "images, sound, video, text and CSV."
            ),
            "type",
            found=_("binary data"),
        )
    return "text/plain"


def check_pdf(path: Path) -> None:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise refuse(
            _(
                "This PDF cannot be opened: it is damaged or protected by a password. "
                "Save it again without a password and send it again."
            ),
            "bad_pdf",
        ) from exc
    pdf.close()


# Keys and action types that make a PDF run something when opened or used: scripts,
# programs, form submission, embedded media players, XFA forms (which carry scripts).
ACTIVE_PDF_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/Launch", "/XFA", "/RichMedia"})
ACTIVE_PDF_ACTIONS = frozenset(
    {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/RichMediaExecute", "/Rendition",
     "/GoToE", "/GoToR"}
)
PDF_WALK_DEPTH = 32
# HTML a browser would recognise (the WHATWG sniffing patterns and active tags), but not
# `<?xml`: PDFs often keep their XMP metadata as plain XML.
HTML_IN_PDF = re.compile(
    rb"<\s*(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|script|iframe|svg[\s>]|title>|"
    rb"style[\s>]|table[\s>]|div[\s>]|font[\s>]|h1[\s>]|br[\s/>]|a\s+href|img\s|form[\s>]|"
    rb"meta\s|object[\s>]|embed[\s>])",
    re.IGNORECASE,
)


def pdf_active_content(path: Path) -> bool:
    """True when a browser should not open this PDF itself: it carries JavaScript, a
    launch or other active action (the catalog's /OpenAction, /AA, the names tree's
    JavaScript, link or form actions…), anything before its `%PDF-` header, or HTML
    markup in its bytes (a PDF/HTML polyglot). Such files are served as attachments.

    pikepdf walks every object, those packed in compressed object streams too, so
    hex-escaped names (/J#61vaScript) and hidden objects are read as the reader will.
    """
    import pikepdf

    with path.open("rb") as fh:
        head = fh.read(1024)
        start = head.find(b"%PDF-")
        if start < 0 or head[:start].strip():
            return True
        fh.seek(0)
        tail = b""
        while chunk := fh.read(COPY_CHUNK):
            if HTML_IN_PDF.search(tail + chunk):
                return True
            tail = chunk[-64:]
    try:
        with pikepdf.open(path) as pdf:
            return any(_active(obj, 0) for obj in pdf.objects)
    except Exception:  # noqa: BLE001 - what pikepdf cannot read, a browser should not run
        return True


def _active(obj: Any, depth: int) -> bool:
    import pikepdf

    if depth > PDF_WALK_DEPTH:
        return True
    if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream)):
        keys = set(obj.keys())
        if keys & ACTIVE_PDF_KEYS or str(obj.get("/S", "")) in ACTIVE_PDF_ACTIONS:
            return True
        values = [obj.get(key) for key in keys]
    elif isinstance(obj, pikepdf.Array):
        values = list(obj)
    else:
        return False
    # Indirect objects are visited on their own by the caller's walk of pdf.objects.
    return any(
        _active(value, depth + 1)
        for value in values
        if isinstance(value, (pikepdf.Dictionary, pikepdf.Array)) and not value.is_indirect
    )


def check_image(path: Path) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
                if width * height > (Image.MAX_IMAGE_PIXELS or 89_478_485):
                    raise Image.DecompressionBombError("too many pixels")
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise refuse(
            _("This image is too large to be opened safely (%(pixels)s million pixels at most)."),
            "image_too_large",
            pixels=(Image.MAX_IMAGE_PIXELS or 89_478_485) // 1_000_000,
        ) from exc
    except Exception as exc:  # noqa: BLE001 - Pillow raises many kinds on broken images
        raise refuse(_("This image cannot be read: it is damaged."), "bad_image") from exc


def zip_type(path: Path) -> str:
    """OOXML (by [Content_Types].xml and its part folders) or ODF (by its `mimetype`
    entry), within the limits against zip bombs; any other ZIP is refused."""
    bomb = _("This file unpacks to far more than its size (a « zip bomb »): it is refused.")
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
            if len(entries) > ZIP_MAX_ENTRIES:
                raise refuse(bomb, "zip_bomb")
            check_zip_sizes(entries, path.stat().st_size, bomb)
            names = {entry.filename for entry in entries}
            for entry in entries:
                if entry.flag_bits & 0x1:
                    raise refuse(
                        _("This document is protected by a password: save it again without one."),
                        "encrypted",
                    )
                lowered = entry.filename.lower()
                if lowered.endswith((".zip", ".jar", ".rar", ".7z", ".gz")):
                    raise refuse(bomb, "nested_zip")
                if entry.file_size >= 4 and not entry.is_dir():
                    with archive.open(entry) as member:
                        if member.read(4) == b"PK\x03\x04" and not is_embedded_office(lowered):
                            raise refuse(bomb, "nested_zip")
            if "mimetype" in names:
                declared = archive.read("mimetype")[:100].decode("ascii", "replace").strip()
                if declared in (ODT, ODS, ODP):
                    return declared
            elif "[Content_Types].xml" in names:
                content_types = archive.read("[Content_Types].xml")[: 1024 * 1024]
                if b"macroEnabled" in content_types or any(
                    name.lower().endswith("vbaproject.bin") for name in names
                ):
                    raise refuse(
                        _(
                            "Documents with macros are not accepted: save it without "
                            "macros (.docx, .xlsx or .pptx)."
                        ),
                        "macros",
                    )
                for folder, mime in (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX)):
                    if any(name.startswith(folder) for name in names):
                        return mime
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as exc:
        raise refuse(_("This document cannot be opened: it is damaged."), "bad_zip") from exc
    raise refuse(_("ZIP archives are not accepted: add the files one by one."), "zip")


def is_embedded_office(name: str) -> bool:
    """Office documents may embed others (a chart's spreadsheet): those are allowed."""
    return "/embeddings/" in f"/{name}" and name.endswith((".xlsx", ".docx", ".pptx"))


def check_zip_sizes(entries: list[zipfile.ZipInfo], size: int, message: str) -> None:
    total = sum(entry.file_size for entry in entries)
    compressed = sum(entry.compress_size for entry in entries)
    if total > ZIP_MAX_UNCOMPRESSED or (
        total > ZIP_RATIO_FROM and total > ZIP_MAX_RATIO * max(compressed, size // 2, 1)
    ):
        raise refuse(message, "zip_bomb")


def agree_extension(name: str, mime_type: str) -> str:
    """The display name, with the detected type's extension when it had none."""
    kind = ALLOWED[mime_type]
    ext = extension_of(name)
    if not ext:
        return f"{name[: MAX_NAME_LENGTH - 6]}.{kind.extensions[0]}"
    if ext in ("svg", "svgz"):
        raise refuse(
            _(
                "SVG images are never accepted (they can hold scripts): export the "
                "image as PNG or PDF."
            ),
            "svg",
        )
    if ext in ("html", "htm", "xhtml", "shtml", "xml", "mht", "mhtml"):
        raise refuse(
            _(
                "This file contains a web page or XML (HTML): such files are never "
                "accepted in the library, whatever their name."
            ),
            "html",
        )
    if ext not in kind.extensions:
        raise refuse(
            _("This file's content is a %(found)s, not what its name (%(ext)s) says."),
            "mismatch",
            found=kind.label,
            ext=f".{ext}",
        )
    return name


def final_type(mime_type: str, name: str) -> str:
    """Text files take their precise type from the (agreeing) extension."""
    if mime_type == "text/plain":
        return {"md": "text/markdown", "csv": "text/csv"}.get(extension_of(name), "text/plain")
    return mime_type


# --- Upload ------------------------------------------------------------------------------


def copy_to_temp(
    uploaded_file: Any, directory: Path, *, limit: int | None = None
) -> tuple[Path, int, str]:
    """Copy the upload to a local temporary file: (path, size, sha256), counting bytes."""
    limit = max_upload_bytes() if limit is None else limit
    digest = hashlib.sha256()
    size = 0
    target = directory / "upload"
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    chunks = (
        uploaded_file.chunks(COPY_CHUNK)
        if hasattr(uploaded_file, "chunks")
        else iter(lambda: uploaded_file.read(COPY_CHUNK), b"")
    )
    with target.open("wb") as out:
        for chunk in chunks:
            size += len(chunk)
            if size > limit:
                raise too_large(limit)
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        raise refuse(_("The file is empty."), "empty")
    return target, size, digest.hexdigest()


def too_large(limit: int | None = None) -> ValidationError:
    limit = max_upload_bytes() if limit is None else limit
    return refuse(
        _("The file is too large: %(max)s MB at most. Share large videos as a link."),
        "too_large",
        max=limit // (1024 * 1024) or 1,
    )


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, still in its temporary directory."""

    path: Path
    name: str
    mime_type: str
    size: int
    sha256: str


def check_upload(uploaded_file: Any, directory: Path, *, limit: int | None = None) -> CheckedFile:
    """Copy an upload into ``directory`` and check it (size, type by content, name):
    the checks of the library, for every part of the site that takes files (the
    conversations' attachments too). ValidationError with a French message otherwise."""
    limit = max_upload_bytes() if limit is None else limit
    declared = getattr(uploaded_file, "size", None)
    if declared == 0:
        raise refuse(_("The file is empty."), "empty")
    if declared is not None and declared > limit:
        raise too_large(limit)
    name = sanitize_name(getattr(uploaded_file, "name", "") or "")
    path, size, sha256 = copy_to_temp(uploaded_file, directory, limit=limit)
    with path.open("rb") as fh:
        head = fh.read(HEAD_BYTES)
    mime_type = detect_type(path, head)
    name = agree_extension(name, mime_type)
    return CheckedFile(path, name, final_type(mime_type, name), size, sha256)


def store_upload(
    uploaded_file: Any, *, document: Document, user: Any, note: str = ""
) -> DocumentFile:
    """Check, store and record a new version of `document`'s file; ValidationError (a
    French message) and nothing stored when the file is refused."""
    storage = library_storage()
    written: list[str] = []
    with tempfile.TemporaryDirectory(prefix="agora-upload-") as tmp:
        checked = check_upload(uploaded_file, Path(tmp))
        path, name, mime_type = checked.path, checked.name, checked.mime_type
        size, sha256 = checked.size, checked.sha256
        try:
            ext = extension_of(name)
            with path.open("rb") as fh:
                storage_name = storage.save(f"{PREFIX}{uuid.uuid4().hex}.{ext}", File(fh))
            written.append(storage_name)
            text, preview_name = "", ""
            try:
                text = extract.extract_text(path, mime_type)
            except Exception:  # noqa: BLE001 - a file without text is still a file
                logger.warning(
                    "library: no text from %s (%s)", storage_name, mime_type, exc_info=True
                )
            try:
                preview = extract.make_preview(path, mime_type)
            except Exception:  # noqa: BLE001 - a file without preview is still a file
                preview = None
                logger.warning(
                    "library: no preview for %s (%s)", storage_name, mime_type, exc_info=True
                )
            if preview:
                preview_name = storage.save(
                    f"{PREVIEW_PREFIX}{uuid.uuid4().hex}.png", File(_bytes_file(preview))
                )
                written.append(preview_name)
            active_content = mime_type == "application/pdf" and pdf_active_content(path)
            scan_status, signature = scan_local(path)
            if scan_status == ScanStatus.INFECTED:
                for stored in written[1:]:
                    storage.delete(stored)
                storage.delete(storage_name)
                written.clear()
                text, preview_name = "", ""
            with transaction.atomic():
                locked = Document.objects.select_for_update().get(pk=document.pk)
                last = locked.files.aggregate(last=Max("version"))["last"] or 0
                document_file = DocumentFile.objects.create(
                    document=locked,
                    version=last + 1,
                    storage_name=storage_name,
                    original_name=name,
                    size=size,
                    mime_type=mime_type,
                    sha256=sha256,
                    text=text,
                    preview_name=preview_name,
                    scan_status=scan_status,
                    active_content=active_content,
                    note=note[:300],
                    uploaded_by=user if getattr(user, "pk", None) else None,
                )
                if scan_status == ScanStatus.INFECTED:
                    record_infected(document_file, signature)
                elif scan_status == ScanStatus.PENDING:
                    transaction.on_commit(schedule_rescan)
                reindex(locked)
        except BaseException:
            for stored in written:
                try:
                    storage.delete(stored)
                except Exception:  # noqa: BLE001 - keep the first error
                    logger.exception("library: could not delete %s", stored)
            raise
    return document_file


def _bytes_file(data: bytes) -> BinaryIO:
    import io

    return io.BytesIO(data)


# --- Antivirus ----------------------------------------------------------------------------


def scan_local(path: Path) -> tuple[str, str]:
    """(scan status, signature) of a local file, per CLAMAV_ADDRESS."""
    address = settings.CLAMAV_ADDRESS
    if not address:
        return ScanStatus.NOT_SCANNED, ""
    with path.open("rb") as fh:
        return scan_open_file(fh, address)


def scan_open_file(fh: Any, address: str) -> tuple[str, str]:
    try:
        result = clamav.scan_stream(fh, address, timeout=settings.CLAMAV_TIMEOUT)
    except clamav.ClamAVUnavailable:
        logger.warning("library: antivirus unreachable, file quarantined", exc_info=True)
        return ScanStatus.PENDING, ""
    if result.clean:
        return ScanStatus.CLEAN, ""
    return ScanStatus.INFECTED, result.signature


def record_infected(document_file: DocumentFile, signature: str) -> None:
    """Log it in the document's history (moderators read it there); the bytes are gone."""
    logger.warning(
        "library: infected file %s (%s) on document %s",
        document_file.pk,
        signature,
        document_file.document_id,
    )
    DocumentEvent.objects.create(
        document_id=document_file.document_id,
        action="file_infected",
        actor=document_file.uploaded_by,
        note=f"v{document_file.version}: {signature}"[:1000],
    )


def rescan_pending() -> dict[str, int]:
    """Scan again every quarantined file; stops at the first unreachable daemon."""
    counts = {"clean": 0, "infected": 0, "pending": 0}
    address = settings.CLAMAV_ADDRESS
    pending = list(DocumentFile.objects.filter(scan_status=ScanStatus.PENDING))
    if not address:
        counts["pending"] = len(pending)
        return counts
    storage = library_storage()
    for index, document_file in enumerate(pending):
        with storage.open(document_file.storage_name, "rb") as fh:
            status, signature = scan_open_file(fh, address)
        if status == ScanStatus.PENDING:
            counts["pending"] = len(pending) - index
            break
        with transaction.atomic():
            updated = DocumentFile.objects.filter(
                pk=document_file.pk, scan_status=ScanStatus.PENDING
            ).update(
                scan_status=status,
                **({"text": "", "preview_name": ""} if status == ScanStatus.INFECTED else {}),
            )
            if updated and status == ScanStatus.INFECTED:
                record_infected(document_file, signature)
                names = [document_file.storage_name, document_file.preview_name]
                transaction.on_commit(partial(delete_quietly, storage, names))
        counts["clean" if status == ScanStatus.CLEAN else "infected"] += 1
    return counts


def delete_quietly(storage: Storage, names: list[str]) -> None:
    for name in names:
        if name:
            try:
                storage.delete(name)
            except Exception:  # noqa: BLE001
                logger.exception("library: could not delete %s", name)


@task()
def rescan_pending_task() -> dict[str, int]:
    """Retry the antivirus on quarantined files; comes back later while some remain."""
    counts = rescan_pending()
    if counts["pending"]:
        schedule_rescan()
    return counts


def schedule_rescan() -> None:
    try:
        rescan_pending_task.using(run_after=timezone.now() + RESCAN_DELAY).enqueue()
    except Exception:  # noqa: BLE001 - the file stays quarantined; an admin can rescan
        logger.exception("library: could not queue the antivirus retry")


# --- Serving ----------------------------------------------------------------------------


def servable(document_file: DocumentFile) -> bool:
    return document_file.scan_status in (ScanStatus.NOT_SCANNED, ScanStatus.CLEAN)


def inline_allowed(mime_type: str, active_content: bool = False) -> bool:
    """A browser may show it in the page: an inline type, and no PDF that runs things."""
    kind = ALLOWED.get(mime_type)
    return bool(kind and kind.inline) and not active_content


def serve_file(
    request: HttpRequest,
    document_file: DocumentFile,
    *,
    preview: bool = False,
    download: bool = True,
) -> HttpResponseBase:
    """The file's bytes (or its PNG preview), for someone whose abilities the caller has
    checked. Quarantined and infected files answer 404."""
    if not servable(document_file):
        raise Http404
    if preview:
        if not document_file.preview_name:
            raise Http404
        name, mime_type, size = document_file.preview_name, "image/png", None
        inline, filename = True, f"{Path(document_file.original_name).stem}-apercu.png"
    else:
        name, mime_type, size = (
            document_file.storage_name,
            document_file.mime_type,
            document_file.size,
        )
        inline = not download and inline_allowed(mime_type, document_file.active_content)
        filename = document_file.original_name
    storage = library_storage()
    prefix = settings.LIBRARY_X_ACCEL_REDIRECT
    if prefix:
        response: HttpResponseBase = HttpResponse(content_type=mime_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
        set_disposition(response, inline, filename)
    else:
        try:
            fh = storage.open(name, "rb")
        except (FileNotFoundError, OSError) as exc:
            logger.error("library: %s missing from storage", name)
            raise Http404 from exc
        byte_range = parse_range(request.headers.get("Range", ""), size or 0)
        if byte_range and mime_type.startswith(("audio/", "video/")) and size:
            response = ranged_response(fh, byte_range, size, mime_type)
            set_disposition(response, inline, filename)
        else:
            response = FileResponse(
                fh, content_type=mime_type, as_attachment=not inline, filename=filename
            )
            if size is not None:
                response["Content-Length"] = str(size)
        if mime_type.startswith(("audio/", "video/")):
            response["Accept-Ranges"] = "bytes"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


def set_disposition(response: HttpResponseBase, inline: bool, filename: str) -> None:
    """The same header FileResponse writes (RFC 6266 with an ASCII fallback)."""
    from django.utils.http import content_disposition_header

    response["Content-Disposition"] = content_disposition_header(not inline, filename) or ""


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(first, last) byte of a single `bytes=` range, or None (then: the whole file)."""
    match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", header or "")
    if not match or size <= 0:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last N bytes
        start, end = max(size - int(last), 0), size - 1
    else:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    if start > end or start >= size:
        return None
    return start, end


def ranged_response(
    fh: Any, byte_range: tuple[int, int], size: int, mime_type: str
) -> StreamingHttpResponse:
    start, end = byte_range

    def body() -> Iterator[bytes]:
        try:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                chunk = fh.read(min(COPY_CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                yield chunk
        finally:
            fh.close()

    response = StreamingHttpResponse(body(), status=206, content_type=mime_type)
    response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(end - start + 1)
    return response


# --- Links --------------------------------------------------------------------------------


def clean_link(url: str) -> str:
    """An http(s) address, stripped; ValidationError for anything else (javascript:,
    data:, file:, relative addresses…)."""
    value = "".join(ch for ch in str(url or "") if unicodedata.category(ch)[0] != "C").strip()
    scheme = urlsplit(value).scheme.lower() if ":" in value else ""
    if scheme not in ("http", "https"):
        raise refuse(
            _("Only web addresses starting with http:// or https:// are accepted."), "link_scheme"
        )
    try:
        URLValidator(schemes=["http", "https"])(value)
    except ValidationError as exc:
        raise refuse(_("This web address is not valid."), "link_invalid") from exc
    if len(value) > 1000:
        raise refuse(_("This web address is too long (1000 characters at most)."), "link_long")
    return value


__all__ = [
    "clean_link",
    "library_storage",
    "rescan_pending",
    "sanitize_name",
    "serve_file",
    "store_upload",
]
