"""Erasure and access copies of conversations (forums/privacy.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile

from accounts.models import User
from assembly.models import Assembly
from forums.models import Attachment, AttachmentKind, Message, Reaction
from gdpr.access_copy import items_for
from gdpr.erasure import erase_person
from gdpr.registry import Erasure, get_declaration
from tests import factories


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def people(assembly: Assembly) -> tuple[User, User]:
    return (
        factories.make_titulaire(assembly, display_name="Ondine V.", first_name="Ondine",
                                 last_name="Vasseur-Lantier"),
        factories.make_titulaire(assembly, display_name="Gaspard T."),
    )


def test_erasure_keeps_the_words_under_a_pseudonym_and_deletes_the_voice(
    people: tuple[User, User], assembly: Assembly, django_capture_on_commit_callbacks: Any
) -> None:
    person, other = people
    room = factories.room_of(factories.make_subgroup(assembly, members=[person, other]))
    said = factories.send(person, room, "Un minibus le mardi serait utile.")
    voice = factories.send(person, room, "Transcription du vocal")
    attachment = Attachment(message=voice, kind=AttachmentKind.VOICE, name="vocal.webm",
                            content_type="audio/webm", size=4, transcript="Transcription")
    attachment.file.save("vocal.webm", ContentFile(b"webm"), save=True)
    path = Path(attachment.file.path)
    answer = factories.send(other, room, "D'accord avec @Ondine V., et Ondine Vasseur-Lantier.")
    Reaction.objects.create(message=answer, user=person, emoji="👍")
    assert list(answer.mentions.all()) == [person]

    with django_capture_on_commit_callbacks(execute=True):
        erase_person(person, reason="test")

    person.refresh_from_db()
    said.refresh_from_db()
    answer.refresh_from_db()
    assert said.body == "Un minibus le mardi serait utile." and said.author == person
    assert said.author.public_name == person.pseudonym
    assert "Ondine" not in answer.body + answer.body_html
    assert person.pseudonym in answer.body_html
    assert not Attachment.objects.filter(pk=attachment.pk).exists()
    assert not Reaction.objects.filter(user=person).exists()
    assert Message.objects.filter(pk=voice.pk).exists()
    assert not path.exists()  # the recording's file went once the erasure committed


def test_voices_are_deleted_on_erasure_and_kept_less_long_than_messages() -> None:
    voices = get_declaration(Attachment)
    messages = get_declaration(Message)
    assert voices is not None and messages is not None
    assert voices.erasure == Erasure.DELETE and voices.files == ("file",)
    assert messages.erasure == Erasure.PSEUDONYMISE
    assert voices.retention.days is not None and messages.retention.days is not None
    assert voices.retention.days < messages.retention.days


def test_the_access_copy_shows_transcripts_and_messages_mentioning_the_person(
    people: tuple[User, User], assembly: Assembly
) -> None:
    person, other = people
    room = factories.room_of(factories.make_subgroup(assembly, members=[person, other]))
    voice = factories.send(person, room, "Vocal")
    Attachment.objects.create(message=voice, kind=AttachmentKind.VOICE, name="v.webm",
                              content_type="audio/webm", size=1, transcript="Bonjour à tous",
                              file="forums/voice/x")
    mention = factories.send(other, room, "Merci @Ondine V.")
    declaration = get_declaration(Attachment)
    assert declaration is not None
    [item] = list(items_for(declaration, person))
    assert item["transcript"] == "Bonjour à tous"
    message_declaration = get_declaration(Message)
    assert message_declaration is not None
    ids = {item["id"] for item in items_for(message_declaration, person)}
    assert ids == {str(voice.pk), str(mention.pk)}
