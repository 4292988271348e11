"""Automatic transcripts of voice messages, end to end: the page sends the recording, the
background worker (`db_worker`, as in production) transcribes it with a speech-to-text
server speaking the real OpenAI-compatible protocol over HTTP (tests/forums/stt_server.py),
and the room sees the text live. Failures leave a clear state and the recording intact."""

from __future__ import annotations

import html
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from forums import actions, transcription
from forums.models import Attachment, Message, Room
from tests.forums.recordings import recording
from tests.forums.stt_server import FakeSTT, fake_stt

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def stt(settings: Any) -> Iterator[FakeSTT]:
    with fake_stt() as server:
        settings.TASKS = DB_TASKS
        settings.AGORA_STT_BACKEND = "openai"
        settings.AGORA_STT_URL = server.url
        settings.AGORA_STT_MODEL = "Systran/faster-whisper-small"
        settings.AGORA_STT_LANGUAGE = "fr"
        settings.AGORA_STT_API_KEY = "jeton-local"
        settings.AGORA_STT_TIMEOUT = 5
        yield server


@pytest.fixture
def sent_events(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """Every (group, event) the bus hands to the channel layer, checked against its type."""
    from realtime import bus
    from realtime.events import check_event

    seen: list[tuple[str, dict[str, Any]]] = []
    original = bus._send

    def record(group: str, message: dict[str, Any]) -> None:
        check_event(message["event"])
        seen.append((group, message["event"]))
        original(group, message)

    monkeypatch.setattr(bus, "_send", record)
    return seen


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    def run(operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return operation(*args, **kwargs)

    return run


def send_voice(client: Client, room: Room, committed: Callable[..., Any], *,
               transcript: str = "", content: bytes | None = None) -> dict[str, Any]:
    response = committed(
        client.post, reverse("forums:voice", args=[room.pk]),
        {"audio": SimpleUploadedFile("voice.webm", content or recording(), "audio/webm"),
         "transcript": transcript, "client_id": str(uuid.uuid4())},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.content
    return response.json()["message"]


@pytest.fixture
def run_worker(
    committed: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> Callable[[], None]:
    """What `manage.py db_worker` does in production, until the queue is empty (in this
    process: the test database is a transaction no other process sees)."""
    from django_tasks_db.management.commands import db_worker

    # Between tasks the worker drops stale connections; here it is the test's own one.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)
    return lambda: committed(call_command, "db_worker", batch=True, startup_delay=False,
                             reload=False, interval=0, verbosity=0)


def voice_of(message: dict[str, Any]) -> Attachment:
    return Attachment.objects.get(pk=message["attachments"][0]["id"])


def logged_in(person: User) -> Client:
    client = Client()
    client.force_login(person)
    return client


def page_of(client: Client, room: Room) -> str:
    """The room's page as read (entities decoded)."""
    return html.unescape(client.get(reverse("forums:room", args=[room.pk])).content.decode())


def test_a_voice_without_transcript_is_sent_at_once_and_transcribed_by_the_worker(
    member_client: Client, member: User, other: User, room: Room, stt: FakeSTT,
    committed: Callable[..., Any], run_worker: Callable[[], None],
    sent_events: list[tuple[str, dict[str, Any]]],
) -> None:
    from django_tasks_db.models import DBTaskResult

    message = send_voice(member_client, room, committed)
    # Sent without waiting: in the room already, the transcript still to come.
    assert message["attachments"][0]["transcript_status"] == "pending"
    assert stt.received == []
    assert DBTaskResult.objects.filter(
        task_path=transcription.transcribe_voice_task.module_path
    ).count() == 1
    assert "Transcription automatique en cours" in page_of(member_client, room)

    run_worker()

    [asked] = stt.received
    assert asked.fields == {"model": "Systran/faster-whisper-small", "language": "fr",
                            "response_format": "json"}
    assert asked.authorization == "Bearer jeton-local"
    assert asked.filename == "voice.webm" and asked.content_type == "audio/webm"
    assert asked.audio == recording()  # the recording itself, whole
    voice = voice_of(message)
    assert (voice.transcript_status, voice.transcript_source) == ("done", "auto")
    assert voice.transcript == "Je propose un minibus le mardi matin."
    assert Message.objects.get().body == "Je propose un minibus le mardi matin."
    # The open pages hear of it: started, then the message with its text.
    kinds = [event["type"] for group, event in sent_events if group == f"room.{room.pk}"]
    assert kinds[-2:] == ["transcript.progress", "message.updated"]
    updated = sent_events[-1][1]["message"]
    assert updated["attachments"][0]["transcript"] == "Je propose un minibus le mardi matin."
    assert "minibus le mardi matin" in updated["html"]["fr"]
    page = page_of(logged_in(other), room)
    assert "Transcription automatique (elle peut contenir des erreurs)" in page
    assert "minibus le mardi matin" in page


def test_words_the_author_typed_are_kept_and_nothing_is_asked_of_the_server(
    member_client: Client, room: Room, stt: FakeSTT, committed: Callable[..., Any],
    run_worker: Callable[[], None],
) -> None:
    message = send_voice(member_client, room, committed, transcript="Mon avis sur le bus")
    run_worker()
    assert stt.received == []
    voice = voice_of(message)
    assert (voice.transcript, voice.transcript_source, voice.transcript_status) == (
        "Mon avis sur le bus", "typed", "none"
    )


def test_the_author_corrects_the_automatic_transcript_afterwards(
    member_client: Client, member: User, other: User, room: Room, stt: FakeSTT,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    message = send_voice(member_client, room, committed)
    run_worker()
    edit = reverse("forums:edit", args=[message["id"]])
    # Only the author: someone else in the room is refused.
    assert logged_in(other).post(edit, {"body": "Non"}).status_code == 403
    response = committed(member_client.post, edit, {"body": "Je propose un minibus le mardi."},
                         headers={"Accept": "application/json"})
    assert response.json() == {"ok": True}
    voice = voice_of(message)
    assert (voice.transcript, voice.transcript_source) == (
        "Je propose un minibus le mardi.", "corrected"
    )
    assert "corrigée par la personne qui l'a enregistré" in page_of(member_client, room)


def test_words_typed_while_the_job_waits_win_over_the_machine(
    member: User, member_client: Client, room: Room, stt: FakeSTT, committed: Callable[..., Any],
    run_worker: Callable[[], None],
) -> None:
    message = send_voice(member_client, room, committed)
    committed(actions.do_edit_message, member, Message.objects.get(), body="Écrit par moi")
    run_worker()
    assert stt.received == []
    voice = voice_of(message)
    assert (voice.transcript, voice.transcript_source) == ("Écrit par moi", "typed")
    assert Message.objects.get().body == "Écrit par moi"


def assert_failed_and_recording_kept(
    client: Client, room: Room, message: dict[str, Any], failure: str, french: str
) -> None:
    voice = voice_of(message)
    assert (voice.transcript_status, voice.transcript_failure, voice.transcript) == (
        "failed", failure, ""
    )
    assert Message.objects.get().is_visible
    listened = client.get(message["attachments"][0]["url"])
    assert listened.status_code == 200 and listened["Content-Type"] == "audio/webm"
    assert b"".join(listened.streaming_content) == recording()
    page = page_of(client, room)
    assert "La transcription automatique n'a pas pu être faite" in page
    assert french in page and "L'enregistrement peut toujours être écouté" in page


def test_server_down_fails_clearly_and_keeps_the_recording(
    member_client: Client, room: Room, stt: FakeSTT, settings: Any,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    settings.AGORA_STT_URL = "http://127.0.0.1:9"  # nothing listens there
    message = send_voice(member_client, room, committed)
    run_worker()
    assert_failed_and_recording_kept(member_client, room, message, "unavailable",
                                     "le service de transcription n'a pas pu être joint")


def test_a_server_error_fails_clearly_and_the_author_can_try_again(
    member: User, member_client: Client, other: User, room: Room, stt: FakeSTT,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    stt.mode = "error"
    message = send_voice(member_client, room, committed)
    run_worker()
    assert_failed_and_recording_kept(member_client, room, message, "unavailable",
                                     "le service de transcription n'a pas pu être joint")
    retry = reverse("forums:transcript_retry", args=[message["id"]])
    assert logged_in(other).post(retry).status_code == 403
    stt.mode = "ok"
    assert committed(member_client.post, retry,
                     headers={"Accept": "application/json"}).json() == {"ok": True}
    assert voice_of(message).transcript_status == "pending"
    run_worker()
    assert voice_of(message).transcript == "Je propose un minibus le mardi matin."


def test_a_server_too_slow_times_out_clearly(
    member_client: Client, room: Room, stt: FakeSTT, settings: Any,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    stt.mode, stt.delay = "slow", 3
    settings.AGORA_STT_TIMEOUT = 1
    message = send_voice(member_client, room, committed)
    run_worker()
    assert_failed_and_recording_kept(member_client, room, message, "timeout",
                                     "la transcription a pris trop de temps")


def test_an_answer_that_is_not_a_transcript_fails_clearly(
    member_client: Client, room: Room, stt: FakeSTT, committed: Callable[..., Any],
    run_worker: Callable[[], None],
) -> None:
    stt.mode = "garbage"
    message = send_voice(member_client, room, committed)
    run_worker()
    assert_failed_and_recording_kept(member_client, room, message, "unreadable",
                                     "l'enregistrement n'a pas pu être lu")


def test_a_recording_the_server_cannot_decode_fails_clearly(
    member_client: Client, room: Room, stt: FakeSTT, media: Path,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    """Garbage audio never passes the upload (forums/voice.py decodes it whole); a stored
    file damaged afterwards is refused by the server, and said so."""
    message = send_voice(member_client, room, committed)
    stored = media / voice_of(message).file.name
    kept = stored.read_bytes()
    stored.write_bytes(b"\x00garbage" + kept[8:])
    run_worker()
    voice = voice_of(message)
    assert (voice.transcript_status, voice.transcript_failure) == ("failed", "unreadable")
    assert stored.exists() and stored.read_bytes()[8:] == kept[8:]


def test_silence_fails_as_nothing_heard(
    member_client: Client, room: Room, stt: FakeSTT, committed: Callable[..., Any],
    run_worker: Callable[[], None],
) -> None:
    stt.text = "  "
    message = send_voice(member_client, room, committed)
    run_worker()
    assert voice_of(message).transcript_failure == "empty"
    assert "aucune parole n'a été reconnue" in page_of(member_client, room)


def test_a_voice_deleted_before_the_worker_runs_is_simply_skipped(
    member: User, member_client: Client, room: Room, stt: FakeSTT,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    send_voice(member_client, room, committed)
    committed(actions.do_delete_message, member, Message.objects.get())
    run_worker()
    assert stt.received == [] and not Attachment.objects.exists()


def test_without_speech_to_text_the_transcript_is_optional_and_the_page_says_so(
    member_client: Client, room: Room, settings: Any, committed: Callable[..., Any]
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    settings.AGORA_STT_BACKEND = ""
    page = page_of(member_client, room)
    assert "La transcription automatique n'est pas activée sur cette plateforme" in page
    message = send_voice(member_client, room, committed)
    voice = voice_of(message)
    assert (voice.transcript_status, voice.transcript_source, voice.transcript) == (
        "none", "", ""
    )
    assert not DBTaskResult.objects.filter(
        task_path=transcription.transcribe_voice_task.module_path
    ).exists()
    assert "Aucune transcription." in page_of(member_client, room)


def test_whispercpp_without_its_package_or_model_fails_clearly(
    member_client: Client, room: Room, settings: Any, tmp_path: Path,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    """The real whisper.cpp path needs pywhispercpp and a ggml model file, which this
    machine cannot download: a missing one is a clear failure, never a download."""
    settings.TASKS = DB_TASKS
    settings.AGORA_STT_BACKEND = "whispercpp"
    settings.AGORA_STT_MODEL_PATH = str(tmp_path / "ggml-small.bin")  # absent
    message = send_voice(member_client, room, committed)
    run_worker()
    voice = voice_of(message)
    assert (voice.transcript_status, voice.transcript_failure) == ("failed", "unavailable")
    assert Path(tmp_path / voice.file.name).exists()


def test_a_file_that_is_not_a_whisper_model_is_refused_before_whisper_cpp_reads_it(
    tmp_path: Path,
) -> None:
    """whisper.cpp hands back an empty context for such a file and crashes on first use."""
    from forums import whisper

    fake = tmp_path / "ggml-small.bin"
    fake.write_bytes(b"<html>not found</html>")
    with pytest.raises(whisper.WhisperUnavailable, match="not a whisper.cpp"):
        whisper.check_model(str(fake))


def test_whispercpp_decodes_the_recording_into_16_khz_samples(tmp_path: Path) -> None:
    """What whisper.cpp is given: the whole recording, mono at 16 kHz (4.2 s here)."""
    import array

    from forums import whisper

    path = tmp_path / "voice.webm"
    path.write_bytes(recording())
    samples = array.array("f", whisper.decode(path, "matroska"))
    assert abs(len(samples) / whisper.SAMPLE_RATE - 4.2) < 0.1
    assert 0.1 < max(abs(x) for x in samples) <= 1.01
    path.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 200)
    with pytest.raises(whisper.WhisperUnreadable):
        whisper.decode(path, "matroska")


@pytest.mark.skipif(not os.environ.get("AGORA_TEST_WHISPER_MODEL"),
                    reason="needs pywhispercpp and a ggml model file (docs/deploy.md)")
def test_whispercpp_transcribes_french_speech_with_a_real_model(tmp_path: Path) -> None:
    """The real whisper.cpp path, where a model exists (no model can be downloaded here):
    AGORA_TEST_WHISPER_MODEL=/srv/whisper/ggml-base.bin pytest -k real_model."""
    import subprocess

    from forums import whisper

    wav = tmp_path / "voice.webm"
    subprocess.run(  # noqa: S603 - fixed programs, our arguments
        ["sh", "-c", f"espeak-ng -v fr -w {tmp_path}/s.wav 'Bonjour, je propose un minibus' "  # noqa: S607
         f"&& ffmpeg -v error -i {tmp_path}/s.wav -c:a libopus -f webm {wav}"],
        check=True, timeout=60,
    )
    seen: list[int] = []
    text = whisper.transcribe(wav, demuxer="matroska", language="fr", threads=2,
                              model_path=os.environ["AGORA_TEST_WHISPER_MODEL"],
                              progress=seen.append)
    assert "minibus" in text.lower()


# --- Proposed before sending ------------------------------------------------------------


def upload_draft(client: Client, room: Room, committed: Callable[..., Any],
                 content: bytes | None = None) -> Any:
    return committed(
        client.post, reverse("forums:voice_draft", args=[room.pk]),
        {"audio": SimpleUploadedFile("voice.webm", content or recording(), "audio/webm")},
        headers={"Accept": "application/json"},
    )


def send_draft(client: Client, room: Room, committed: Callable[..., Any], draft: str,
               transcript: str) -> Any:
    return committed(
        client.post, reverse("forums:voice", args=[room.pk]),
        {"draft": draft, "transcript": transcript, "client_id": str(uuid.uuid4())},
        headers={"Accept": "application/json"},
    )


def test_the_transcript_is_proposed_before_sending_and_the_correction_is_sent(
    member_client: Client, member: User, other: User, room: Room, stt: FakeSTT,
    media: Path, committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    from forums.models import VoiceDraft

    answer = upload_draft(member_client, room, committed).json()
    assert answer["status"] == "pending" and not Message.objects.exists()
    # Only its author may follow it.
    assert logged_in(other).get(answer["url"]).status_code == 404
    run_worker()
    state = member_client.get(answer["url"]).json()
    assert (state["status"], state["transcript"]) == (
        "done", "Je propose un minibus le mardi matin."
    )
    stored = VoiceDraft.objects.get().file.name
    response = send_draft(member_client, room, committed, answer["id"],
                          "Je propose un minibus le mardi matin, à 7 h.")
    assert response.status_code == 200, response.content
    [voice] = response.json()["message"]["attachments"]
    assert (voice["transcript_source"], voice["transcript_status"]) == ("corrected", "done")
    # The recording went up once: the draft's file is the message's, the draft is gone.
    assert Attachment.objects.get().file.name == stored and not VoiceDraft.objects.exists()
    assert len([p for p in media.rglob("*") if p.is_file()]) == 1
    assert len(stt.received) == 1
    listened = member_client.get(voice["url"])
    assert b"".join(listened.streaming_content) == recording()


def test_a_draft_sent_before_its_proposal_is_transcribed_for_the_message(
    member_client: Client, room: Room, stt: FakeSTT, committed: Callable[..., Any],
    run_worker: Callable[[], None],
) -> None:
    answer = upload_draft(member_client, room, committed).json()
    message = send_draft(member_client, room, committed, answer["id"], "").json()["message"]
    assert message["attachments"][0]["transcript_status"] == "pending"
    run_worker()
    voice = voice_of(message)
    assert (voice.transcript_status, voice.transcript_source) == ("done", "auto")
    assert voice.transcript == "Je propose un minibus le mardi matin."


def test_someone_else_cannot_send_or_read_a_draft(
    member_client: Client, other: User, room: Room, stt: FakeSTT,
    committed: Callable[..., Any],
) -> None:
    answer = upload_draft(member_client, room, committed).json()
    response = send_draft(logged_in(other), room, committed, answer["id"], "Volé")
    assert response.status_code == 400 and "plus disponible" in response.json()["error"]
    assert not Message.objects.exists()


def test_without_speech_to_text_no_draft_is_kept(
    member_client: Client, room: Room, settings: Any, committed: Callable[..., Any]
) -> None:
    from forums.models import VoiceDraft

    settings.AGORA_STT_BACKEND = ""
    response = upload_draft(member_client, room, committed)
    assert response.status_code == 400 and "pas activée" in response.json()["error"]
    assert not VoiceDraft.objects.exists()


def test_a_page_can_ask_for_a_transcript_the_socket_did_not_bring(
    member_client: Client, other: User, outsider: User, room: Room, stt: FakeSTT,
    committed: Callable[..., Any], run_worker: Callable[[], None],
) -> None:
    """With one process and the in-memory channel layer, the worker's event reaches no page:
    chat.js then asks for the message itself while its transcript is on its way."""
    message = send_voice(member_client, room, committed)
    run_worker()
    url = reverse("forums:message", args=[message["id"]])
    answer = logged_in(other).get(url, headers={"Accept": "application/json"}).json()
    [voice] = answer["message"]["attachments"]
    assert (voice["transcript_status"], voice["transcript"]) == (
        "done", "Je propose un minibus le mardi matin."
    )
    assert "minibus le mardi matin" in answer["message"]["html"]["fr"]
    assert logged_in(outsider).get(url, headers={"Accept": "application/json"}).status_code == 404


def test_whisper_cpp_crashing_on_a_damaged_model_ends_one_transcript_not_the_worker(
    tmp_path: Path,
) -> None:
    """A file with a model's first bytes but nothing after: whisper.cpp dies on it (a
    segmentation fault with pywhispercpp, or no package at all here): the child process
    does, and the worker gets a clear error."""
    from forums import whisper

    damaged = tmp_path / "ggml-small.bin"
    damaged.write_bytes(whisper.GGML_MAGIC + b"\x00" * 64)
    voice = tmp_path / "voice.webm"
    voice.write_bytes(recording())
    with pytest.raises(whisper.WhisperUnavailable, match="whisper.cpp stopped"):
        whisper.transcribe(voice, demuxer="matroska", model_path=str(damaged), language="fr")
