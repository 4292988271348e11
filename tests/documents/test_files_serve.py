"""Serving the library's files: headers, inline only where safe, Range, X-Accel-Redirect,
and nothing from quarantine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory

from accounts.roles import Role
from documents import files
from documents.models import ContributorType, Document, DocumentFile, DocumentKind, ScanStatus
from tests import factories
from tests.documents.fixtures import makers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_root(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.LIBRARY_STORAGE = "local"
    settings.LIBRARY_X_ACCEL_REDIRECT = ""
    settings.CLAMAV_ADDRESS = ""
    return tmp_path / "private"


@pytest.fixture
def document() -> Document:
    user = factories.UserFactory(roles=[Role.AGENT])
    return Document.objects.create(title="Guide", kind=DocumentKind.FILE, contributor=user,
                                   contributor_type=ContributorType.SERVICE)


def store(document: Document, name: str, content: bytes) -> DocumentFile:
    return files.store_upload(SimpleUploadedFile(name, content), document=document,
                              user=document.contributor)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_safe_headers(response: Any) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("name,content_of,mime_type,inline", [
    ("Guide.pdf", makers.pdf, "application/pdf", True),
    ("Carte.png", makers.png, "image/png", True),
    ("Son.wav", makers.wav, "audio/wav", True),
    ("Note.docx", makers.docx, files.DOCX, False),
    ("notes.txt", lambda: b"du texte", "text/plain", False),
    ("tableau.csv", lambda: b"a,b\n1,2\n", "text/csv", False),
])
def test_files_are_served_with_safe_headers_and_inline_only_where_allowed(
    document: Document, name: str, content_of: Any, mime_type: str, inline: bool
) -> None:
    content = content_of()
    item = store(document, name, content)
    request = RequestFactory().get("/")
    response = files.serve_file(request, item)  # download: always an attachment
    assert_safe_headers(response)
    assert response["Content-Type"] == mime_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert response["Content-Length"] == str(len(content))
    assert body(response) == content
    shown = files.serve_file(request, item, download=False)
    assert_safe_headers(shown)
    expected = "inline" if inline else "attachment"
    assert shown["Content-Disposition"] == f'{expected}; filename="{name}"'
    assert body(shown) == content


def test_a_non_ascii_name_is_encoded(document: Document) -> None:
    item = store(document, "Délibération n°3.pdf", makers.pdf())
    response = files.serve_file(RequestFactory().get("/"), item)
    assert "filename*=utf-8''D%C3%A9lib%C3%A9ration%20n%C2%B03.pdf" in (
        response["Content-Disposition"])


def test_the_preview_is_a_png_shown_inline(document: Document) -> None:
    item = store(document, "Guide.pdf", makers.pdf())
    response = files.serve_file(RequestFactory().get("/"), item, preview=True)
    assert_safe_headers(response)
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert body(response).startswith(b"\x89PNG")
    docx = store(document, "Note.docx", makers.docx())
    with pytest.raises(Http404):
        files.serve_file(RequestFactory().get("/"), docx, preview=True)


def test_range_requests_for_audio(document: Document) -> None:
    content = makers.wav(2.0)
    item = store(document, "Son.wav", content)
    request = RequestFactory().get("/", HTTP_RANGE="bytes=100-199")
    response = files.serve_file(request, item, download=False)
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100-199/{len(content)}"
    assert response["Content-Length"] == "100" and response["Accept-Ranges"] == "bytes"
    assert body(response) == content[100:200]
    assert_safe_headers(response)
    tail = files.serve_file(RequestFactory().get("/", HTTP_RANGE="bytes=-10"), item)
    assert body(tail) == content[-10:]
    whole = files.serve_file(RequestFactory().get("/", HTTP_RANGE="bytes=99999999-"), item)
    assert whole.status_code == 200 and body(whole) == content


@pytest.mark.parametrize("header,size,expected", [
    ("bytes=0-0", 10, (0, 0)), ("bytes=5-", 10, (5, 9)), ("bytes=-3", 10, (7, 9)),
    ("bytes=8-100", 10, (8, 9)), ("bytes=10-", 10, None), ("bytes=5-2", 10, None),
    ("bytes=0-1,3-4", 10, None), ("items=0-1", 10, None), ("", 10, None), ("bytes=-", 10, None),
])
def test_parse_range(header: str, size: int, expected: Any) -> None:
    assert files.parse_range(header, size) == expected


def test_x_accel_redirect_hands_the_body_to_nginx(settings: Any, document: Document) -> None:
    item = store(document, "Guide.pdf", makers.pdf())
    settings.LIBRARY_X_ACCEL_REDIRECT = "/_library/"
    response = files.serve_file(RequestFactory().get("/"), item, download=False)
    assert response.content == b""
    assert response["X-Accel-Redirect"] == f"/_library/{item.storage_name}"
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="Guide.pdf"'
    assert_safe_headers(response)
    preview = files.serve_file(RequestFactory().get("/"), item, preview=True)
    assert preview["X-Accel-Redirect"] == f"/_library/{item.preview_name}"


@pytest.mark.parametrize("status", [ScanStatus.PENDING, ScanStatus.INFECTED])
def test_quarantined_and_infected_files_are_never_served(
    document: Document, status: str
) -> None:
    item = store(document, "Guide.pdf", makers.pdf())
    DocumentFile.objects.filter(pk=item.pk).update(scan_status=status)
    item.refresh_from_db()
    for kwargs in ({}, {"download": False}, {"preview": True}):
        with pytest.raises(Http404):
            files.serve_file(RequestFactory().get("/"), item, **kwargs)


def test_a_file_missing_from_storage_is_404(document: Document, private_root: Path) -> None:
    item = store(document, "Guide.pdf", makers.pdf())
    (private_root / item.storage_name).unlink()
    with pytest.raises(Http404):
        files.serve_file(RequestFactory().get("/"), item)


def test_ooxml_spreadsheets_and_presentations_are_recognised(document: Document) -> None:
    types = b'<?xml version="1.0"?><Types xmlns="x"></Types>'
    xlsx = makers.zip_with({"[Content_Types].xml": types, "xl/workbook.xml": b"<w/>"})
    pptx = makers.zip_with({"[Content_Types].xml": types, "ppt/presentation.xml": b"<p/>"})
    assert store(document, "t.xlsx", xlsx).mime_type == files.XLSX
    assert store(document, "p.pptx", pptx).mime_type == files.PPTX


# --- PDFs that run things: attachment only ---------------------------------------------


def _with(add: Any, *, object_streams: bool = False) -> bytes:
    """makers.pdf() changed by `add(pdf)` (pikepdf), saved (optionally packing objects
    into compressed object streams, where a byte search cannot see them)."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(makers.pdf())) as pdf:
        add(pdf)
        out = io.BytesIO()
        modes = pikepdf.ObjectStreamMode
        mode = modes.generate if object_streams else modes.disable
        pdf.save(out, object_stream_mode=mode, compress_streams=True)
        return out.getvalue()


def _js(code: str) -> Any:
    import pikepdf

    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))


def open_action_js(pdf: Any) -> None:
    pdf.Root.OpenAction = pdf.make_indirect(_js("app.alert('ouvert')"))


def open_action_direct(pdf: Any) -> None:
    pdf.Root.OpenAction = _js("app.alert('direct')")  # a direct object inside the catalog


def launch(pdf: Any) -> None:
    import pikepdf

    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.Launch, F=pikepdf.String("C:\\Windows\\System32\\calc.exe")
    )


def page_additional_action(pdf: Any) -> None:
    import pikepdf

    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=pdf.make_indirect(_js("this.print()")))


def names_javascript(pdf: Any) -> None:
    import pikepdf

    script = pdf.make_indirect(_js("1"))
    tree = pikepdf.Dictionary(Names=pikepdf.Array([pikepdf.String("go"), script]))
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pdf.make_indirect(tree))


def link_launch(pdf: Any) -> None:
    import pikepdf

    link = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=pikepdf.Array([0, 0, 100, 100]),
        A=pikepdf.Dictionary(S=pikepdf.Name.Launch, F=pikepdf.String("payload.exe")),
    )
    pdf.pages[0].obj.Annots = pikepdf.Array([pdf.make_indirect(link)])


def hex_escaped_name() -> bytes:
    """/OpenAction with /S /J#61vaScript: the name a reader decodes as /JavaScript."""
    original = makers.pdf()
    changed = original.replace(
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Catalog /Pages 2 0 R "
        b"/OpenAction << /S /J#61vaScript /J#53 (app.alert(1)) >> >>",
    )
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(changed)) as pdf:  # rewrites the cross-reference table
        out = io.BytesIO()
        pdf.save(out, object_stream_mode=pikepdf.ObjectStreamMode.disable)
    assert b"J#61vaScript" in out.getvalue() or b"/JavaScript" in out.getvalue()
    return out.getvalue()


def html_polyglot() -> bytes:
    """A PDF that is also a web page: the markup sits in a comment after the header, so
    libmagic and pdfium both call it a PDF."""
    original = makers.pdf()
    head = b"%PDF-1.4\n"
    payload = b"%<html><body><script>fetch('/compte/')</script></body></html>\n"
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(head + payload + original[len(head):])) as pdf:
        assert len(pdf.pages) == 1
    return head + payload + original[len(head):]


@pytest.mark.parametrize("content_of", [
    lambda: _with(open_action_js),
    lambda: _with(open_action_direct),
    lambda: _with(open_action_js, object_streams=True),
    lambda: _with(launch),
    lambda: _with(page_additional_action),
    lambda: _with(names_javascript, object_streams=True),
    lambda: _with(link_launch),
    hex_escaped_name,
    html_polyglot,
], ids=["openaction-js", "openaction-direct", "openaction-in-objstm", "launch", "page-aa",
        "names-javascript", "link-launch", "hex-escaped-name", "html-polyglot"])
def test_a_pdf_with_scripts_or_actions_is_only_served_as_an_attachment(
    document: Document, content_of: Any
) -> None:
    content = content_of()
    item = store(document, "Programme.pdf", content)
    assert item.mime_type == "application/pdf"
    assert item.active_content
    shown = files.serve_file(RequestFactory().get("/"), item, download=False)
    assert_safe_headers(shown)
    assert shown["Content-Disposition"] == 'attachment; filename="Programme.pdf"'
    assert body(shown) == content


def test_a_plain_pdf_with_a_goto_open_action_is_still_shown_inline(document: Document) -> None:
    import pikepdf

    def goto(pdf: Any) -> None:  # "open at page 1, fit width": no script
        pdf.Root.OpenAction = pikepdf.Array([pdf.pages[0].obj, pikepdf.Name.FitH, 792])

    item = store(document, "Plan.pdf", _with(goto, object_streams=True))
    assert not item.active_content
    shown = files.serve_file(RequestFactory().get("/"), item, download=False)
    assert shown["Content-Disposition"] == 'inline; filename="Plan.pdf"'


def test_a_pdf_with_plain_xmp_metadata_is_still_shown_inline(document: Document) -> None:
    """Producers keep XMP metadata as uncompressed XML (`<?xml …>`): not HTML."""
    import pikepdf

    def xmp(pdf: Any) -> None:
        packet = (
            b'<?xml version="1.0" encoding="UTF-8"?>\n<x:xmpmeta xmlns:x="adobe:ns:meta/">'
            b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            b"<rdf:Description><dc:title>Plan</dc:title></rdf:Description></rdf:RDF></x:xmpmeta>"
        )
        stream = pikepdf.Stream(pdf, packet)
        stream.Type, stream.Subtype = pikepdf.Name.Metadata, pikepdf.Name.XML
        pdf.Root.Metadata = pdf.make_indirect(stream)

    import io

    with pikepdf.open(io.BytesIO(makers.pdf())) as pdf:
        xmp(pdf)
        out = io.BytesIO()
        pdf.save(out, compress_streams=False, fix_metadata_version=False)
    assert b"<?xml" in out.getvalue()
    item = store(document, "Plan.pdf", out.getvalue())
    assert not item.active_content
