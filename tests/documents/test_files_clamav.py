"""The antivirus: a fake clamd speaking the real INSTREAM protocol over a real socket.

A real clamd needs its signatures (freshclam), which this machine cannot download; the
fake daemon answers FOUND when the stream holds the EICAR test string, as clamd does.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import RequestFactory

from accounts.roles import Role
from documents import clamav, files
from documents.models import (
    ContributorType,
    Document,
    DocumentEvent,
    DocumentFile,
    DocumentKind,
    ScanStatus,
)
from tests import factories
from tests.documents.fixtures import makers


class FakeClamd(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\0"):
            command += self.request.recv(1)
        self.server.commands.append(command)  # type: ignore[attr-defined]
        if command != b"zINSTREAM\0":
            self.request.sendall(b"UNKNOWN COMMAND\0")
            return
        data = b""
        while True:
            size = struct.unpack("!L", self.recv_exactly(4))[0]
            if size == 0:
                break
            data += self.recv_exactly(size)
        self.server.chunks.append(len(data))  # type: ignore[attr-defined]
        if b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE" in data:
            self.request.sendall(b"stream: Win.Test.EICAR_HDB-1 FOUND\0")
        else:
            self.request.sendall(b"stream: OK\0")

    def recv_exactly(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            part = self.request.recv(size - len(data))
            if not part:
                raise ConnectionError("closed")
            data += part
        return data


def serve(server: Any) -> Any:
    server.commands, server.chunks = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def clamd() -> Iterator[str]:
    server = serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeClamd))
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"127.0.0.1:{port}"


@pytest.fixture(autouse=True)
def private_root(settings: Any, tmp_path: Path) -> Path:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.LIBRARY_STORAGE = "local"
    settings.LIBRARY_X_ACCEL_REDIRECT = ""
    settings.CLAMAV_TIMEOUT = 5
    return tmp_path / "private"


@pytest.fixture
def document(db: Any) -> Document:
    user = factories.UserFactory(roles=[Role.AGENT])
    return Document.objects.create(title="Guide", kind=DocumentKind.FILE, contributor=user,
                                   contributor_type=ContributorType.SERVICE)


def store(document: Document, name: str, content: bytes) -> DocumentFile:
    return files.store_upload(SimpleUploadedFile(name, content), document=document,
                              user=document.contributor)


def stored(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_protocol_sends_chunks_and_reads_the_verdict(clamd: str) -> None:
    import io

    big = io.BytesIO(b"a" * (clamav.CHUNK * 3 + 5))
    assert clamav.scan_stream(big, clamd) == clamav.ScanResult(clean=True)
    found = clamav.scan_stream(io.BytesIO(b"x" + makers.EICAR + b"y"), clamd)
    assert found == clamav.ScanResult(clean=False, signature="Win.Test.EICAR_HDB-1")


def test_a_unix_socket_address(tmp_path: Path) -> None:
    import io

    path = str(tmp_path / "clamd.sock")
    server = serve(socketserver.ThreadingUnixStreamServer(path, FakeClamd))
    try:
        assert clamav.scan_stream(io.BytesIO(b"hello"), path).clean
        assert clamav.scan_stream(io.BytesIO(b"hello"), f"unix://{path}").clean
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreachable_daemon_raises() -> None:
    import io

    with pytest.raises(clamav.ClamAVUnavailable):
        clamav.scan_stream(io.BytesIO(b"x"), closed_port(), timeout=2)
    with pytest.raises(clamav.ClamAVUnavailable):
        clamav.scan_stream(io.BytesIO(b"x"), "no-port-here", timeout=2)


@pytest.mark.django_db
def test_a_clean_file_is_marked_clean_and_served(settings: Any, clamd: str,
                                                 document: Document) -> None:
    settings.CLAMAV_ADDRESS = clamd
    item = store(document, "Guide.pdf", makers.pdf())
    assert item.scan_status == ScanStatus.CLEAN
    response = files.serve_file(RequestFactory().get("/"), item)
    assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.django_db
def test_eicar_is_infected_never_served_and_its_bytes_deleted(
    settings: Any, clamd: str, document: Document, private_root: Path
) -> None:
    settings.CLAMAV_ADDRESS = clamd
    item = store(document, "virus.txt", b"Note:\n" + makers.EICAR + b"\n")
    assert item.scan_status == ScanStatus.INFECTED
    assert item.text == "" and item.preview_name == ""
    assert stored(private_root) == []
    for kwargs in ({}, {"download": False}, {"preview": True}):
        with pytest.raises(Http404):
            files.serve_file(RequestFactory().get("/"), item, **kwargs)
    event = DocumentEvent.objects.get(document=document, action="file_infected")
    assert "Win.Test.EICAR_HDB-1" in event.note


@pytest.mark.django_db(transaction=True)
def test_daemon_down_quarantines_then_the_retry_clears_it(
    settings: Any, document: Document, private_root: Path
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.CLAMAV_ADDRESS = closed_port()
    item = store(document, "Guide.pdf", makers.pdf())
    assert item.scan_status == ScanStatus.PENDING
    assert len(stored(private_root)) == 2  # kept, quarantined (file and preview)
    with pytest.raises(Http404):
        files.serve_file(RequestFactory().get("/"), item)
    # A retry is queued for later.
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "documents.files.rescan_pending_task"
    assert queued.run_after is not None
    # Still down: still pending.
    assert files.rescan_pending() == {"clean": 0, "infected": 0, "pending": 1}
    server = serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeClamd))
    try:
        settings.CLAMAV_ADDRESS = f"127.0.0.1:{server.server_address[1]}"
        bad = store(document, "virus.txt", makers.EICAR)
        DocumentFile.objects.filter(pk=bad.pk).update(scan_status=ScanStatus.PENDING)
        # bytes of a pending file are kept: put the EICAR file back as if quarantined
        (private_root / bad.storage_name).parent.mkdir(parents=True, exist_ok=True)
        (private_root / bad.storage_name).write_bytes(makers.EICAR)
        assert files.rescan_pending() == {"clean": 1, "infected": 1, "pending": 0}
    finally:
        server.shutdown()
        server.server_close()
    item.refresh_from_db()
    bad.refresh_from_db()
    assert item.scan_status == ScanStatus.CLEAN and bad.scan_status == ScanStatus.INFECTED
    assert not (private_root / bad.storage_name).exists()
    response = files.serve_file(RequestFactory().get("/"), item)
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_task_queues_itself_again_while_files_remain_pending(
    settings: Any, document: Document
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.CLAMAV_ADDRESS = closed_port()
    store(document, "Guide.pdf", makers.pdf())
    DBTaskResult.objects.all().delete()
    counts = files.rescan_pending_task.call()
    assert counts["pending"] == 1
    assert DBTaskResult.objects.filter(task_path="documents.files.rescan_pending_task").exists()


# --- Member-proposed files are published only once scanned --------------------------------


@pytest.mark.django_db
def test_a_members_file_stays_unpublished_until_the_antivirus_passed_it(
    settings: Any, assembly: Any
) -> None:
    from django.core.exceptions import ValidationError

    from documents import actions
    from documents.models import DocumentStatus

    member = factories.make_titulaire(assembly)
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    settings.CLAMAV_ADDRESS = closed_port()  # clamd is down when the member sends the file
    document = actions.do_propose_document(
        member, kind=DocumentKind.FILE, title="Compte rendu de l'atelier mobilités",
        upload=SimpleUploadedFile("compte-rendu.pdf", makers.pdf()),
    )
    assert document.current_file is not None
    assert document.current_file.scan_status == ScanStatus.PENDING
    with pytest.raises(ValidationError) as refused:
        actions.do_publish_document(facilitator, document)
    assert refused.value.code == "not_scanned"
    # The facilitator's « Publier » button says why, in French.
    from tests.documents.people import client_for

    page = client_for(facilitator).post(f"/bibliotheque/{document.pk}/publier/", follow=True)
    assert "L'antivirus n'a pas encore analysé le fichier de ce document" in (
        page.content.decode().replace("&#x27;", "'")
    )
    document.refresh_from_db()
    assert document.status == DocumentStatus.PROPOSED and document.published_at is None

    server = serve(socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeClamd))
    try:
        settings.CLAMAV_ADDRESS = f"127.0.0.1:{server.server_address[1]}"
        assert files.rescan_pending() == {"clean": 1, "infected": 0, "pending": 0}
        actions.do_publish_document(facilitator, document)
        document.refresh_from_db()
        assert document.status == DocumentStatus.PUBLISHED

        # An infected file is never published.
        infected = actions.do_propose_document(
            member, kind=DocumentKind.FILE, title="Notes",
            upload=SimpleUploadedFile("notes.txt", makers.EICAR),
        )
        with pytest.raises(ValidationError) as refused:
            actions.do_publish_document(facilitator, infected)
        assert refused.value.code == "infected"
        infected.refresh_from_db()
        assert infected.status == DocumentStatus.PROPOSED
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("clamav,acknowledged,level", [
    ("", False, "WARNING"), ("", True, "INFO"), ("127.0.0.1:3310", False, None),
])
def test_the_deploy_check_warns_without_an_antivirus(
    settings: Any, clamav: str, acknowledged: bool, level: str | None
) -> None:
    from django.core.checks import INFO, WARNING, run_checks
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    settings.CLAMAV_ADDRESS = clamav
    settings.LIBRARY_WITHOUT_ANTIVIRUS = acknowledged
    found = [m for m in run_checks(include_deployment_checks=True) if m.id and
             m.id.startswith("documents.")]
    if level is None:
        assert found == []
    else:
        [message] = found
        assert message.level == {"WARNING": WARNING, "INFO": INFO}[level]
        assert ("CLAMAV_ADDRESS" in (message.hint or "")) is (level == "WARNING")
    if level == "WARNING":  # what .ci/run and docs/deploy.md run
        with pytest.raises(SystemCheckError, match="documents.W001"):
            call_command("check", "--deploy", "--fail-level", "WARNING", "--tag", "security")
