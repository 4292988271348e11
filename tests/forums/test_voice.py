"""Voice messages: limits on size, duration and type, checked on the content itself."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from deliberation.models import Assembly
from forums.models import Attachment, Message, Room
from forums.voice import sniff_audio
from tests import factories

WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 500
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 500
HTML = b"<!DOCTYPE html><script>alert(1)</script>"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def room(assembly: Assembly, member: User) -> Room:
    facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
    subgroup = factories.make_subgroup(assembly, members=[member], facilitators=[facilitator])
    return factories.room_of(subgroup)


def post_voice(client: Client, room: Room, content: bytes, *, name: str = "voice.webm",
               duration: str = "4.2", transcript: str = "Je propose un minibus le mardi",
               json: bool = True) -> Any:
    headers = {"Accept": "application/json"} if json else {}
    return client.post(
        reverse("forums:voice", args=[room.pk]),
        {"audio": SimpleUploadedFile(name, content, "audio/webm"), "duration_seconds": duration,
         "transcript": transcript, "client_id": str(uuid.uuid4())},
        headers=headers,
    )


def stored_files(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()]


def test_a_recording_becomes_a_message_with_its_transcript(
    member_client: Client, room: Room, media: Path
) -> None:
    response = post_voice(member_client, room, WEBM)
    assert response.status_code == 200
    data = response.json()["message"]
    [attachment] = data["attachments"]
    assert attachment["kind"] == "voice" and attachment["content_type"] == "audio/webm"
    assert attachment["duration_seconds"] == 4.2
    assert attachment["transcript"] == "Je propose un minibus le mardi"
    stored = Attachment.objects.get()
    # A random name on disk, never the one sent.
    assert "voice" not in Path(stored.file.name).name and len(Path(stored.file.name).name) == 32
    page = member_client.get(reverse("forums:room", args=[room.pk])).content.decode()
    assert f'<audio controls preload="metadata" src="{attachment["url"]}"' in page
    assert "Transcription" in page and "minibus le mardi" in page and "4 s" in page


@pytest.mark.parametrize("content,name", [(PNG, "photo.webm"), (HTML, "page.webm"),
                                          (b"", "empty.webm")])
def test_what_is_not_audio_is_refused_and_nothing_stored(
    member_client: Client, room: Room, media: Path, content: bytes, name: str
) -> None:
    response = post_voice(member_client, room, content, name=name)
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Message.objects.exists() and not stored_files(media)


def test_an_oversized_recording_is_refused(
    member_client: Client, room: Room, media: Path, settings: Any
) -> None:
    settings.FORUMS_VOICE_MAX_BYTES = 1024 * 1024
    response = post_voice(member_client, room, WEBM + b"\x00" * (1024 * 1024))
    assert response.status_code == 400
    assert "trop lourd" in response.json()["error"]
    assert not Message.objects.exists() and not stored_files(media)


@pytest.mark.parametrize("duration", ["301", "0", "-3", "nan", "abc"])
def test_a_too_long_or_absurd_duration_is_refused(
    member_client: Client, room: Room, media: Path, duration: str
) -> None:
    response = post_voice(member_client, room, WEBM, duration=duration)
    assert response.status_code == 400
    assert not Message.objects.exists() and not stored_files(media)


def test_the_transcript_is_required(member_client: Client, room: Room, media: Path) -> None:
    response = post_voice(member_client, room, WEBM, transcript="   ")
    assert response.status_code == 400
    assert not Message.objects.exists() and not stored_files(media)


def test_without_javascript_the_refusal_is_a_french_message(
    member_client: Client, room: Room, media: Path
) -> None:
    response = post_voice(member_client, room, PNG, json=False)
    assert response.status_code == 302
    page = member_client.get(response["Location"]).content.decode()
    assert "enregistrement sonore" in page


def test_someone_who_cannot_read_the_room_gets_404(
    assembly: Assembly, room: Room, media: Path
) -> None:
    outsider = factories.make_titulaire(assembly)
    client = Client()
    client.force_login(outsider)
    assert post_voice(client, room, WEBM).status_code == 404
    assert not stored_files(media)


def test_resending_the_same_client_id_stores_one_recording(
    member_client: Client, room: Room, media: Path
) -> None:
    data = {"duration_seconds": "2", "transcript": "Bonjour", "client_id": str(uuid.uuid4())}
    url = reverse("forums:voice", args=[room.pk])
    for _ in range(2):
        member_client.post(url, {**data, "audio": SimpleUploadedFile("v.webm", WEBM)},
                           headers={"Accept": "application/json"})
    assert Message.objects.count() == 1 and len(stored_files(media)) == 1


@pytest.mark.parametrize("head,kind", [
    (b"\x1a\x45\xdf\xa3", "audio/webm"), (b"OggS\x00\x02", "audio/ogg"),
    (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"), (b"ID3\x04", "audio/mpeg"),
    (b"RIFF\x00\x00\x00\x00WAVE", "audio/wav"), (b"\x89PNG\r\n\x1a\n", None),
    (b"<html>", None), (b"%PDF-1.7", None),
])
def test_sniffing_reads_the_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff_audio(head) == kind
