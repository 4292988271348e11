"""Text and thumbnails from the library's files, for search and for the document page.

Each function reads a local file that documents/files.py has already checked (type by
content, size, zip limits). Nothing here is trusted to succeed: the caller logs a
failure and keeps the upload, without text or without a preview.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

MAX_TEXT_CHARS = 2 * 1024 * 1024
MAX_PDF_PAGES = 2000
PREVIEW_WIDTH = 400

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODF_TYPES = (
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
)
TEXT_TYPES = ("text/plain", "text/markdown", "text/csv")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")


def extract_text(path: Path, mime_type: str) -> str:
    """The file's plain text (at most MAX_TEXT_CHARS), or "" for types without text."""
    if mime_type == PDF:
        text = pdf_text(path)
    elif mime_type == DOCX:
        text = docx_text(path)
    elif mime_type in ODF_TYPES:
        text = odf_text(path)
    elif mime_type in TEXT_TYPES:
        text = decode_text(path.read_bytes()[: MAX_TEXT_CHARS * 4])
    else:
        return ""
    return text[:MAX_TEXT_CHARS].replace("\x00", "")


def decode_text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    parts: list[str] = []
    total = 0
    pdf = pdfium.PdfDocument(str(path))
    try:
        for index in range(min(len(pdf), MAX_PDF_PAGES)):
            page = pdf[index]
            textpage = page.get_textpage()
            chunk = textpage.get_text_range()
            textpage.close()
            page.close()
            parts.append(chunk)
            total += len(chunk)
            if total >= MAX_TEXT_CHARS:
                break
    finally:
        pdf.close()
    return "\n".join(parts)


def docx_text(path: Path) -> str:
    import docx

    document = docx.Document(str(path))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return "\n".join(part for part in parts if part)


def odf_text(path: Path) -> str:
    from odf import teletype
    from odf.namespaces import TEXTNS
    from odf.opendocument import load

    document = load(str(path))
    parts: list[str] = []

    def walk(node: object) -> None:
        for child in getattr(node, "childNodes", []):
            if getattr(child, "qname", None) in ((TEXTNS, "p"), (TEXTNS, "h")):
                parts.append(teletype.extractText(child))
            else:
                walk(child)

    walk(document.body)
    return "\n".join(part for part in parts if part)


def make_preview(path: Path, mime_type: str) -> bytes | None:
    """A PNG thumbnail PREVIEW_WIDTH pixels wide (PDF first page, images), or None."""
    if mime_type == PDF:
        return pdf_preview(path)
    if mime_type in IMAGE_TYPES:
        return image_preview(path)
    return None


def pdf_preview(path: Path) -> bytes | None:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        if len(pdf) == 0:
            return None
        page = pdf[0]
        width, height = page.get_size()
        scale = min(PREVIEW_WIDTH / max(width, 1), 4.0)
        if height * scale > PREVIEW_WIDTH * 4:  # a very long page: cap the height
            scale = PREVIEW_WIDTH * 4 / max(height, 1)
        image = page.render(scale=scale).to_pil()
        page.close()
    finally:
        pdf.close()
    return png_bytes(image)


def image_preview(path: Path) -> bytes:
    from PIL import Image, ImageOps

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(path) as original:
            original.seek(0)
            image = ImageOps.exif_transpose(original.copy())
    image.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH * 2))
    return png_bytes(image)


def png_bytes(image: object) -> bytes:
    """PNG without any metadata (EXIF, text chunks): only the pixels are kept."""
    from PIL import Image

    assert isinstance(image, Image.Image)  # noqa: S101 - narrows the type
    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()
