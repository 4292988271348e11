"""A message has one rendering: the page's partial, sent as ``html`` in live frames too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly
from forums import queries
from forums.actions import do_hide_message
from forums.models import Room
from tests import factories


@pytest.fixture
def author(assembly: Assembly) -> User:
    return factories.make_titulaire(assembly, display_name="Zoé M.")


@pytest.fixture
def facilitator(db: Any) -> User:
    return factories.UserFactory(roles=[Role.FACILITATEUR], display_name="Amandine R.")


@pytest.fixture
def room(assembly: Assembly, member: User, author: User, facilitator: User) -> Room:
    subgroup = factories.make_subgroup(
        assembly, members=[member, author], facilitators=[facilitator]
    )
    return factories.room_of(subgroup)


def _normalised(html: str) -> str:
    return re.sub(r"\s+", " ", html).replace("> <", "><").strip()


def _item_on_page(viewer: User, room: Room, message_id: int) -> str:
    client = Client()
    client.force_login(viewer)
    page = client.get(reverse("forums:room", args=[room.pk])).content.decode()
    found = re.search(rf'<li class="msg[^"]*" id="m{message_id}".*?</li>', page, re.S)
    assert found, page
    return found.group(0)


def test_the_live_fragment_is_the_markup_of_the_page(
    room: Room, member: User, author: User
) -> None:
    message = factories.send(author, room, "Le bus de 7 h 12 ne passe plus à **Muret**")
    live = queries.serialize_message(message)["html"]
    assert set(live) == {code for code, _name in settings.LANGUAGES}
    assert _normalised(live["fr"]) == _normalised(_item_on_page(member, room, message.pk))
    assert "Répondre" in live["fr"] and "Reply" in live["en"]


def test_the_fragment_is_the_same_for_every_reader_and_leaves_them_to_the_page(
    room: Room, member: User, author: User, facilitator: User
) -> None:
    message = factories.send(author, room, "Bonjour")
    html = queries.serialize_message(message)["html"]["fr"]
    # Nobody's own message and no moderation link in it: chat.js sets both per reader.
    assert "msg--mine" not in html and f'data-author="{author.pk}"' in html
    assert re.search(r'<span class="msg__moderate" hidden>', html)
    # The author's and a facilitator's pages differ exactly there.
    assert "msg--mine" in _item_on_page(author, room, message.pk)
    assert re.search(r'<span class="msg__moderate">', _item_on_page(facilitator, room, message.pk))


def test_a_hidden_messages_text_is_only_in_a_moderators_fragment(
    room: Room, member: User, author: User, facilitator: User
) -> None:
    message = factories.send(author, room, "Un texte à masquer")
    do_hide_message(facilitator, message, reason="hors sujet")
    message.refresh_from_db()
    shared = queries.serialize_message(message)["html"]["fr"]
    assert "Un texte à masquer" not in shared and "masqué par la modération" in shared
    moderators = queries.serialize_message(message, facilitator)["html"]["fr"]
    assert "Un texte à masquer" in moderators and "hors sujet" in moderators


def test_a_sent_message_is_rendered_once_per_language_not_per_reader(
    room: Room, author: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    renders: list[str] = []
    real = queries.render_to_string

    def counting(*args: Any, **kwargs: Any) -> str:
        renders.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(queries, "render_to_string", counting)
    message = factories.send(author, room, "Une fois pour tout le monde")
    assert renders == [queries.MESSAGE_TEMPLATE] * len(settings.LANGUAGES)
    # The sender's acknowledgement (forums.realtime._do_send) reuses it.
    queries.serialize_message(message, author)
    assert len(renders) == len(settings.LANGUAGES)
