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
from assembly.models import Assembly
from forums.models import Attachment, Message, Room
from forums.voice import sniff_audio
from tests import factories
from tests.forums.recordings import recording

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
    response = post_voice(member_client, room, recording())
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
    response = post_voice(member_client, room, recording() + b"\x00" * (1024 * 1024))
    assert response.status_code == 400
    assert "trop lourd" in response.json()["error"]
    assert not Message.objects.exists() and not stored_files(media)


@pytest.mark.parametrize("declared", ["1", "301", "0", "-3", "nan", "abc", ""])
def test_the_duration_is_read_from_the_file_not_the_browser(
    member_client: Client, room: Room, media: Path, declared: str
) -> None:
    response = post_voice(member_client, room, recording(), duration=declared)
    assert response.status_code == 200
    [attachment] = response.json()["message"]["attachments"]
    assert attachment["duration_seconds"] == 4.2
    assert Attachment.objects.get().duration_seconds == 4.2


def test_a_recording_longer_than_allowed_is_refused_whatever_it_declares(
    member_client: Client, room: Room, media: Path, settings: Any
) -> None:
    settings.FORUMS_VOICE_MAX_SECONDS = 60
    response = post_voice(member_client, room, recording("webm", 75), duration="4.2")
    assert response.status_code == 400
    assert "Un message vocal dure 1 minutes au maximum." in response.json()["error"]
    assert not Message.objects.exists() and not stored_files(media)


@pytest.mark.parametrize("kind,content_type", [
    ("webm", "audio/webm"), ("webm-seekable", "audio/webm"), ("ogg", "audio/ogg"),
    ("m4a", "audio/mp4"),
])
def test_what_browsers_record_is_accepted_with_its_real_duration(
    member_client: Client, room: Room, media: Path, kind: str, content_type: str
) -> None:
    response = post_voice(member_client, room, recording(kind, 3.0), name=f"v.{kind}")
    assert response.status_code == 200, response.json()
    [attachment] = response.json()["message"]["attachments"]
    assert attachment["content_type"] == content_type
    assert attachment["duration_seconds"] == 3.0


@pytest.mark.parametrize("kind", ["webm", "webm-seekable", "ogg", "m4a"])
@pytest.mark.parametrize("damage", ["truncated", "garbage-after-header", "garbage-inside"])
def test_a_truncated_or_damaged_recording_is_refused_in_french(
    member_client: Client, room: Room, media: Path, kind: str, damage: str
) -> None:
    whole = recording(kind, 3.0)
    if damage == "truncated":
        content = whole[: len(whole) // 2]
    elif damage == "garbage-after-header":
        content = whole[:16] + bytes(range(256)) * 40
    else:  # the container's start intact, then noise where the sound should be
        content = whole[: len(whole) // 3] + bytes((i * 37) % 256 for i in range(len(whole)))
    response = post_voice(member_client, room, content, name=f"v.{kind}")
    assert response.status_code == 400
    assert response.json()["error"] in (
        "Cet enregistrement est abîmé ou incomplet : enregistrez-le à nouveau.",
    )
    assert not Message.objects.exists() and not stored_files(media)


def test_a_video_is_not_a_voice_message(member_client: Client, room: Room, media: Path) -> None:
    response = post_voice(member_client, room, recording("webm-seekable", 2.0, video=True))
    assert response.status_code == 400
    assert "abîmé ou incomplet" in response.json()["error"]
    assert not Message.objects.exists() and not stored_files(media)


@pytest.mark.parametrize("name,content", [
    ("son.mp3", b"ID3\x04" + b"\x00" * 400),
    ("son.wav", b"RIFF\x00\x00\x00\x00WAVE" + b"\x00" * 400),
])
def test_formats_no_browser_records_are_refused(
    member_client: Client, room: Room, media: Path, name: str, content: bytes
) -> None:
    response = post_voice(member_client, room, content, name=name)
    assert response.status_code == 400
    assert "enregistrement sonore" in response.json()["error"]


def test_without_ffmpeg_recordings_are_refused_not_trusted(
    member_client: Client, room: Room, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    audio = recording()
    monkeypatch.setenv("PATH", str(media))  # a server where ffmpeg was not installed
    response = post_voice(member_client, room, audio)
    assert response.status_code == 400
    assert "ne peuvent pas être vérifiés" in response.json()["error"]
    assert not Message.objects.exists() and not stored_files(media)


def test_a_typed_transcript_is_never_required(
    member_client: Client, room: Room, media: Path
) -> None:
    response = post_voice(member_client, room, recording(), transcript="   ")
    assert response.status_code == 200
    [attachment] = response.json()["message"]["attachments"]
    assert attachment["transcript"] == "" and attachment["transcript_source"] == ""
    assert Message.objects.get().body == "" and len(stored_files(media)) == 1


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
    assert post_voice(client, room, recording()).status_code == 404
    assert not stored_files(media)


def test_resending_the_same_client_id_stores_one_recording(
    member_client: Client, room: Room, media: Path
) -> None:
    data = {"duration_seconds": "2", "transcript": "Bonjour", "client_id": str(uuid.uuid4())}
    url = reverse("forums:voice", args=[room.pk])
    for _ in range(2):
        member_client.post(url, {**data, "audio": SimpleUploadedFile("v.webm", recording())},
                           headers={"Accept": "application/json"})
    assert Message.objects.count() == 1 and len(stored_files(media)) == 1


@pytest.mark.parametrize("head,kind", [
    (b"\x1a\x45\xdf\xa3", "audio/webm"), (b"OggS\x00\x02", "audio/ogg"),
    (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"), (b"ID3\x04", None),
    (b"RIFF\x00\x00\x00\x00WAVE", None), (b"\x89PNG\r\n\x1a\n", None),
    (b"<html>", None), (b"%PDF-1.7", None),
])
def test_sniffing_reads_the_first_bytes(head: bytes, kind: str | None) -> None:
    assert sniff_audio(head) == kind
