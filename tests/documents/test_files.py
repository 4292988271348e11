"""The library's uploads: type by content, hostile files refused with nothing stored,
good files stored under random names with their text, preview and version."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from accounts.roles import Role
from documents import files
from documents.models import (
    ContributorType,
    Document,
    DocumentFile,
    DocumentKind,
    ScanStatus,
)
from tests import factories
from tests.documents.fixtures import makers
from tests.documents.fixtures.makers import stored, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def user() -> Any:
    return factories.UserFactory(roles=[Role.AGENT])


@pytest.fixture
def document(user: Any) -> Document:
    return Document.objects.create(title="Guide", kind=DocumentKind.FILE, contributor=user,
                                   contributor_type=ContributorType.SERVICE)


def refused(document: Document, user: Any, name: str, content: bytes, root: Path,
            tmp_path: Path) -> ValidationError:
    """Upload, expect a refusal, and check that nothing was stored anywhere."""
    before = stored(tmp_path)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        files.store_upload(upload(name, content), document=document, user=user)
    assert stored(tmp_path) == before
    assert stored(root) == []
    assert not DocumentFile.objects.exists()
    return caught.value


def french(document: Document, user: Any, name: str, content: bytes) -> str:
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        files.store_upload(upload(name, content), document=document, user=user)
    return caught.value.messages[0]


# --- The hostile inputs --------------------------------------------------------

HOSTILE = {
    "elf_named_pdf": ("rapport.pdf", lambda: Path("/bin/true").read_bytes(), "executable",
                      "This file is a program: programs are never accepted in the library."),
    "pe_named_pdf": ("rapport.pdf", lambda: makers.PE, "executable",
                     "This file is a program: programs are never accepted in the library."),
    "script_named_txt": ("notes.txt", lambda: b"#!/bin/sh\nrm -rf ~\n", "executable",
                         "This file is a program: programs are never accepted in the library."),
    "html_named_pdf": ("rapport.pdf", lambda: makers.HTML, "html",
                       "This file contains a web page or XML (HTML): such files are never "
                       "accepted in the library, whatever their name."),
    "html_named_txt": ("notes.txt", lambda: b"Bonjour\n<script>alert(1)</script>\n", "html",
                       "This file contains a web page or XML (HTML): such files are never "
                       "accepted in the library, whatever their name."),
    "svg_with_script": ("logo.svg", lambda: makers.SVG, "svg",
                        "SVG images are never accepted (they can hold scripts): export the "
                        "image as PNG or PDF."),
    "svg_named_png": ("logo.png", lambda: makers.SVG, "svg",
                      "SVG images are never accepted (they can hold scripts): export the "
                      "image as PNG or PDF."),
    "png_named_svg": ("logo.svg", lambda: makers.png(), "svg",
                      "SVG images are never accepted (they can hold scripts): export the "
                      "image as PNG or PDF."),
    "zero_bytes": ("vide.pdf", lambda: b"", "empty", "The file is empty."),
    "zip_bomb_docx": ("compte-rendu.docx", lambda: makers.zip_bomb_docx(20), "zip_bomb",
                      "This file unpacks to far more than its size (a « zip bomb »): it is "
                      "refused."),
    "nested_zip_docx": ("compte-rendu.docx",
                        lambda: makers.docx_with_extra({"word/inner.zip": makers.zip_with(
                            {"a.txt": b"a"})}), "nested_zip",
                        "This file unpacks to far more than its size (a « zip bomb »): it is "
                        "refused."),
    "encrypted_pdf": ("secret.pdf", lambda: makers.pdf(encrypt=True), "bad_pdf",
                      "This PDF cannot be opened: it is damaged or protected by a password. "
                      "Save it again without a password and send it again."),
    "broken_pdf": ("casse.pdf", lambda: b"%PDF-1.4\n" + b"\x00garbage" * 50, "bad_pdf",
                   "This PDF cannot be opened: it is damaged or protected by a password. "
                   "Save it again without a password and send it again."),
    "plain_zip": ("archive.docx", lambda: makers.zip_with({"a.txt": b"hello"}), "zip",
                  "ZIP archives are not accepted: add the files one by one."),
    "macro_docm": ("macro.docx", lambda: makers.docx_with_extra(
        {"word/vbaProject.bin": b"\xd0\xcf\x11\xe0" + b"\0" * 100}), "macros",
        "Documents with macros are not accepted: save it without macros (.docx, .xlsx or "
        ".pptx)."),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_are_refused_with_a_clear_message_and_nothing_stored(
    case: str, document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    name, content, code, message = HOSTILE[case]
    error = refused(document, user, name, content(), private_root, tmp_path)
    assert error.code == code
    assert error.messages == [message]


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_files_get_a_french_message(case: str, document: Document, user: Any) -> None:
    # Passes once the lead has translated the msgids (locale/fr): the French text must
    # differ from the English msgid, whatever its wording.
    name, content, _code, message = HOSTILE[case]
    assert french(document, user, name, content()) != message


def test_a_file_over_the_limit_is_refused_before_and_while_reading(
    settings: Any, document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    settings.LIBRARY_MAX_UPLOAD_BYTES = 1024 * 1024
    error = refused(document, user, "gros.txt", b"a" * (1024 * 1024 + 1), private_root,
                    tmp_path)
    assert error.code == "too_large"
    assert error.messages == ["The file is too large: 1 MB at most. Share large videos as "
                              "a link."]

    class Lying(SimpleUploadedFile):
        """Claims a small size, sends more: the bytes are counted while copying."""

    lying = Lying("gros.txt", b"a" * (1024 * 1024 + 10), "text/plain")
    lying.size = 10
    with pytest.raises(ValidationError) as caught:
        files.store_upload(lying, document=document, user=user)
    assert caught.value.code == "too_large"
    assert stored(tmp_path) == []


def test_a_zip_bomb_by_declared_size_is_refused(
    monkeypatch: Any, document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    # Same check as the 200 MB cap, with a lower cap so the test builds a small bomb.
    monkeypatch.setattr(files, "ZIP_MAX_UNCOMPRESSED", 5 * 1024 * 1024)
    error = refused(document, user, "bombe.docx", makers.zip_bomb_docx(6), private_root,
                    tmp_path)
    assert error.code == "zip_bomb"


def test_too_many_entries_is_a_zip_bomb(
    monkeypatch: Any, document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    monkeypatch.setattr(files, "ZIP_MAX_ENTRIES", 50)
    content = makers.docx_with_extra({f"word/media/{i}.bin": b"x" for i in range(60)})
    assert refused(document, user, "a.docx", content, private_root, tmp_path).code == "zip_bomb"


def test_the_extension_must_agree_with_the_content(
    document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    error = refused(document, user, "photo.pdf", makers.png(), private_root, tmp_path)
    assert error.code == "mismatch"
    assert error.messages == ["This file's content is a PNG image, not what its name (.pdf) "
                              "says."]
    assert refused(document, user, "texte.docx", makers.odt(), private_root,
                   tmp_path).code == "mismatch"
    assert refused(document, user, "page.html", b"just words", private_root,
                   tmp_path).code == "html"


def test_an_image_with_too_many_pixels_is_refused(
    monkeypatch: Any, document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100 * 100)
    error = refused(document, user, "grande.png", makers.png(300, 300), private_root, tmp_path)
    assert error.code == "image_too_large"


def test_a_path_traversal_name_is_sanitised_and_stored_inside_the_root(
    document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    content = b"root:x:0:0:root:/root:/bin/bash\n"
    item = files.store_upload(upload("../../etc/passwd", content), document=document,
                              user=user)
    assert item.original_name == "passwd.txt"
    assert item.mime_type == "text/plain"
    [path] = stored(tmp_path)
    assert path.is_relative_to(private_root / "library")
    assert path.read_bytes() == content
    assert "passwd" not in path.name and "passwd" not in item.storage_name
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("name,expected", [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\windows\\system32\\evil.pdf", "evil.pdf"),
    ("rapport\x00.pdf", "rapport.pdf"),
    ("  .htaccess", "htaccess"),
    ("con.txt", "_con.txt"),
    ('a<b>c:"d|e?f*.PDF', "a_b_c__d_e_f_.pdf"),
    ("compte rendu\u202e.fdp.exe", "compte rendu.fdp.exe"),
    ("x" * 300 + ".pdf", "x" * 146 + ".pdf"),
    ("", "fichier"),
    ("archive.tar.gz", "archive.tar.gz"),
    ("bizarre.p$f", "bizarre_p$f"),
])
def test_sanitize_name(name: str, expected: str) -> None:
    assert files.sanitize_name(name) == expected


# --- Good files --------------------------------------------------------------------------

GOOD = {
    "pdf": ("Guide.pdf", makers.pdf, "application/pdf", "démocratie participative", True),
    "docx": ("Note.docx", makers.docx, files.DOCX, "covoiturage", False),
    "odt": ("Note.odt", makers.odt, files.ODT, "assemblée citoyenne", False),
    "ods": ("Budget.ods", makers.ods, files.ODS, "budget participatif", False),
    "png": ("Carte.png", makers.png, "image/png", "", True),
    "jpeg": ("Photo.JPG", lambda: makers.png(fmt="JPEG"), "image/jpeg", "", True),
    "webp": ("Photo.webp", lambda: makers.png(fmt="WEBP"), "image/webp", "", True),
    "gif": ("Anim.gif", lambda: makers.png(fmt="GIF"), "image/gif", "", True),
    "wav": ("Son.wav", makers.wav, "audio/wav", "", False),
    "txt": ("Lisez-moi.txt", lambda: "Réunion à Toulouse".encode(), "text/plain",
            "Réunion à Toulouse", False),
    "txt_cp1252": ("ancien.txt", lambda: "Réunion".encode("cp1252"), "text/plain", "Réunion",
                   False),
    "md": ("notes.md", lambda: b"# Titre\n\n- un point\n", "text/markdown", "un point", False),
    "csv": ("tableau.csv", lambda: b"canton,sieges\nToulouse,12\n", "text/csv", "Toulouse",
            False),
}


@pytest.mark.parametrize("case", sorted(GOOD))
def test_good_files_are_stored_with_their_type_text_and_preview(
    case: str, document: Document, user: Any, private_root: Path, tmp_path: Path
) -> None:
    name, content_of, mime_type, text, has_preview = GOOD[case]
    content = content_of()
    item = files.store_upload(upload(name, content), document=document, user=user,
                              note="première version")
    item.refresh_from_db()
    assert item.mime_type == mime_type
    assert item.original_name == name.rpartition(".")[0] + "." + name.rpartition(".")[2].lower()
    assert item.size == len(content)
    import hashlib

    assert item.sha256 == hashlib.sha256(content).hexdigest()
    assert item.version == 1 and item.note == "première version" and item.uploaded_by == user
    assert item.scan_status == ScanStatus.NOT_SCANNED
    assert text in item.text
    assert item.storage_name.startswith("library/")
    stem = Path(item.storage_name).stem
    assert len(stem) == 32 and int(stem, 16) >= 0  # uuid4 hex, never the original name
    assert (private_root / item.storage_name).read_bytes() == content
    assert bool(item.preview_name) == has_preview
    if has_preview:
        from PIL import Image

        with Image.open(private_root / item.preview_name) as preview:
            assert preview.format == "PNG" and preview.width <= 400
    # Stored files: the file, and its preview when there is one; nothing in public roots.
    assert len(stored(private_root)) == 1 + has_preview
    assert stored(tmp_path / "media") == [] and stored(tmp_path / "static") == []


def test_docx_text_includes_tables_and_odt_headings(document: Document, user: Any) -> None:
    item = files.store_upload(upload("n.docx", makers.docx("Premier paragraphe", "Cellule")),
                              document=document, user=user)
    assert "Premier paragraphe" in item.text and "Cellule" in item.text
    item = files.store_upload(upload("n.odt", makers.odt()), document=document, user=user)
    assert item.text.splitlines() == ["Titre du chapitre", "Une assemblée citoyenne délibère"]


def test_a_pdf_preview_renders_the_first_page(document: Document, user: Any,
                                              private_root: Path) -> None:
    from PIL import Image

    item = files.store_upload(upload("g.pdf", makers.pdf()), document=document, user=user)
    with Image.open(private_root / item.preview_name) as preview:
        assert preview.width == 400 and preview.height in (517, 518)  # US Letter
        colours = preview.convert("L").getextrema()
    assert colours[0] < 128 < colours[1]  # text drawn on a white page


def test_image_previews_lose_their_exif(document: Document, user: Any,
                                        private_root: Path) -> None:
    from PIL import Image

    content = makers.png(1200, 900, fmt="JPEG", exif=True)
    with Image.open(__import__("io").BytesIO(content)) as original:
        assert original.getexif()  # the upload has EXIF (camera, GPS)
    item = files.store_upload(upload("p.jpg", content), document=document, user=user)
    with Image.open(private_root / item.preview_name) as preview:
        assert preview.size == (400, 300)
        assert not preview.getexif() and "exif" not in preview.info
    assert b"SecretCamera" not in (private_root / item.preview_name).read_bytes()


def test_extraction_failure_keeps_the_upload(
    monkeypatch: Any, document: Document, user: Any, caplog: Any
) -> None:
    def broken(*args: Any) -> str:
        raise RuntimeError("extractor crashed")

    monkeypatch.setattr(files.extract, "extract_text", broken)
    monkeypatch.setattr(files.extract, "make_preview", broken)
    item = files.store_upload(upload("g.pdf", makers.pdf()), document=document, user=user)
    assert item.text == "" and item.preview_name == ""
    assert "no text" in caplog.text and "no preview" in caplog.text


def test_a_name_without_extension_gets_the_detected_one(document: Document, user: Any) -> None:
    item = files.store_upload(upload("scan", makers.pdf()), document=document, user=user)
    assert item.original_name == "scan.pdf"


def test_versions_increment_and_current_file_follows(
    document: Document, user: Any, private_root: Path
) -> None:
    first = files.store_upload(upload("v.pdf", makers.pdf("un")), document=document, user=user)
    second = files.store_upload(upload("v.odt", makers.odt("deux")), document=document,
                                user=user, note="corrections")
    other = Document.objects.create(title="Autre", kind=DocumentKind.FILE,
                                    contributor_type=ContributorType.SERVICE)
    third = files.store_upload(upload("w.pdf", makers.pdf()), document=other, user=user)
    assert (first.version, second.version, third.version) == (1, 2, 1)
    assert document.current_file == second
    assert first.storage_name != second.storage_name
    assert len([p for p in stored(private_root) if "previews" not in p.parts]) == 3


def test_a_database_failure_after_writing_deletes_what_was_written(
    monkeypatch: Any, document: Document, user: Any, tmp_path: Path
) -> None:
    def fail(document: Document) -> None:
        raise RuntimeError("index down")

    monkeypatch.setattr(files, "reindex", fail)
    with pytest.raises(RuntimeError):
        files.store_upload(upload("g.pdf", makers.pdf()), document=document, user=user)
    assert stored(tmp_path) == []
    assert not DocumentFile.objects.exists()


def test_private_root_inside_media_root_is_refused(settings: Any, tmp_path: Path) -> None:
    from django.core.exceptions import ImproperlyConfigured

    settings.MEDIA_ROOT = tmp_path
    settings.PRIVATE_ROOT = tmp_path / "private"
    with pytest.raises(ImproperlyConfigured):
        files.library_storage()


def test_the_zip_check_reads_declared_sizes_only() -> None:
    entries = [zipfile.ZipInfo("a")]
    entries[0].file_size, entries[0].compress_size = 300 * 1024 * 1024, 300 * 1024 * 1024
    with pytest.raises(ValidationError):
        files.check_zip_sizes(entries, 300 * 1024 * 1024, "bomb")


# --- Links -------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " \tjava\nscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.org/a",
    "//evil.example/x",
    "/bibliotheque/",
    "example.org",
])
def test_links_other_than_http_are_refused(url: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        files.clean_link(url)
    assert caught.value.code == "link_scheme"
    assert caught.value.messages == [
        "Only web addresses starting with http:// or https:// are accepted."]


def test_a_javascript_link_gets_a_french_message() -> None:
    # Passes once the lead has translated the msgid.
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        files.clean_link("javascript:alert(1)")
    assert caught.value.messages[0] != (
        "Only web addresses starting with http:// or https:// are accepted.")


def test_good_links_are_kept() -> None:
    assert files.clean_link("  https://www.haute-garonne.fr/agenda?x=1#a ") == (
        "https://www.haute-garonne.fr/agenda?x=1#a")
    assert files.clean_link("http://exemple.fr") == "http://exemple.fr"
    with pytest.raises(ValidationError) as caught:
        files.clean_link("https://exa mple.org")
    assert caught.value.code == "link_invalid"
