"""« Show my canton next to my name » (an optional purpose): honoured wherever a name is
shown to the others, for the people who agreed and never for anyone else."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from accounts.models import User
from assembly import actions as assembly_actions
from assembly.models import Assembly, Membership
from deliberation.people import person_name
from forums import queries
from forums.actions import ensure_rooms
from forums.models import Room
from gdpr import consent
from gdpr.models import OptionalPurpose, PolicyText, TextKind
from tests import factories

SHOW = OptionalPurpose.SHOW_CANTON


def _seated(assembly: Assembly, canton: str, display_name: str, email: str) -> User:
    person = cast(User, factories.UserFactory(display_name=display_name, email=email))
    seat = factories.seat(assembly, canton)
    assembly_actions.do_add_membership(
        None, user=person, seat=seat, kind="titulaire", start=assembly.mandate_start
    )
    return person


def _people(assembly: Assembly) -> tuple[User, User, User, Room]:
    """Sylvie (Muret) agrees to show her canton; Marc (Blagnac) does not; Inès reads."""
    sylvie = _seated(assembly, "Muret", "Sylvie M.", "sylvie@example.org")
    marc = _seated(assembly, "Blagnac", "Marc D.", "marc@example.org")
    ines = _seated(assembly, "Auterive", "Inès L.", "ines@example.org")
    mandate = factories.make_mandate(assembly)
    subgroup = assembly_actions.do_create_subgroup(
        None, mandate=mandate, name="Mobilités", members=[sylvie, marc, ines]
    )
    ensure_rooms(mandate)
    consent.do_give_consent(sylvie, SHOW)
    return sylvie, marc, ines, Room.objects.get(subgroup=subgroup)


@pytest.mark.django_db
def test_the_chat_page_shows_the_canton_only_of_who_agreed(assembly: Assembly) -> None:
    sylvie, marc, ines, room = _people(assembly)
    consent.do_give_consent(ines, SHOW)  # Inès agreed, but she only reads
    factories.send(sylvie, room, "Le bus de 7 h 10 ne passe plus.")
    factories.send(marc, room, "Chez nous non plus.")
    client = Client()
    client.force_login(ines)

    page = client.get(f"/discussions/salle/{room.pk}/").content.decode()

    assert "Sylvie M. — Muret" in page
    assert "Marc D." in page
    assert "Blagnac" not in page and "Marc D. (" not in page

    # She withdraws: from the next page on, her canton is gone.
    consent.do_withdraw_consent(sylvie, SHOW)
    page = client.get(f"/discussions/salle/{room.pk}/").content.decode()
    assert "Sylvie M." in page and "Muret" not in page


@pytest.mark.django_db
def test_topics_and_search_show_the_canton_only_of_who_agreed(assembly: Assembly) -> None:
    from forums.actions import do_create_thread

    sylvie, marc, ines, room = _people(assembly)
    do_create_thread(sylvie, room, title="Transport à la demande", body="<p>Le minibus</p>")
    do_create_thread(marc, room, title="Horaires du marché", body="<p>Le minibus aussi</p>")
    client = Client()
    client.force_login(ines)

    topics = client.get(f"/discussions/salle/{room.pk}/sujets/").content.decode()
    found = client.get("/discussions/recherche/", {"q": "minibus"}).content.decode()

    for page in (topics, found):
        assert "Sylvie M. — Muret" in page
        assert "Marc D." in page and "Blagnac" not in page


@pytest.mark.django_db
def test_the_json_of_messages_and_the_writers_names_follow_the_same_rule(
    assembly: Assembly,
) -> None:
    from deliberation.proposals import writer_identity

    sylvie, marc, ines, room = _people(assembly)
    factories.send(sylvie, room, "Un minibus le mardi ?")
    factories.send(marc, room, "Oui !")

    page = queries.serialize_messages(queries.history(ines, room), ines)

    assert [m["author"]["name"] for m in page] == ["Sylvie M. — Muret", "Marc D."]
    assert writer_identity(sylvie)["name"] == "Sylvie M. — Muret"
    assert writer_identity(marc)["name"] == "Marc D."


@pytest.mark.django_db
def test_no_canton_without_a_current_seat_or_after_a_text_that_asks_again(
    assembly: Assembly, dccu: User,
) -> None:
    sylvie, marc, _ines, _room = _people(assembly)
    staff = factories.UserFactory(display_name="Amandine R.")
    consent.do_give_consent(staff, SHOW)
    assert person_name(staff) == "Amandine R."  # agreed, but sits for no canton

    # A new version of the text asks everyone again: Sylvie's earlier consent lapses.
    current = PolicyText.current(TextKind.PURPOSE, SHOW)
    assert current is not None
    draft = consent.do_create_policy_draft(
        dccu, kind=TextKind.PURPOSE, purpose=SHOW, title=current.title,
        body=current.body + "\nLe canton est celui de votre siège.",
    )
    consent.do_publish_policy_text(dccu, draft, asks_again=True)
    assert person_name(sylvie) == "Sylvie M."
    consent.do_give_consent(sylvie, SHOW)
    assert person_name(sylvie) == "Sylvie M. — Muret"

    # Her membership ends: no canton any more.
    membership = Membership.objects.get(user=sylvie)
    assembly_actions.do_end_membership(None, membership, reason="demission")
    assert person_name(sylvie) == "Sylvie M."
    # Amandine's consent lapsed with the new text too; Sylvie gave hers again.
    assert consent.consenting([sylvie, marc, staff], SHOW) == {str(sylvie.pk)}


# --- The live chat ---------------------------------------------------------------------------


@pytest.fixture
async def opened() -> AsyncIterator[list[Any]]:
    sockets: list[Any] = []
    yield sockets
    for socket in sockets:
        await socket.close()


@pytest.mark.django_db(transaction=True)
async def test_live_messages_carry_the_canton_only_of_who_agreed(opened: list[Any]) -> None:
    from tests.realtime.chat import Socket, session_cookie

    def setup() -> tuple[User, User, User, Room]:
        return _people(factories.make_assembly())

    sylvie, marc, ines, room = await sync_to_async(setup)()

    async def socket_of(user: User) -> Any:
        socket = await Socket(await sync_to_async(session_cookie)(user)).open()
        opened.append(socket)
        await socket.subscribe(room)
        return socket

    reader = await socket_of(ines)
    speaker = await socket_of(sylvie)
    other = await socket_of(marc)

    async def say(socket: Any, body: str) -> str:
        client_id = str(uuid.uuid4())
        await socket.send({"type": "message.send", "room": str(room.pk), "thread": None,
                           "body": body, "client_id": client_id})
        return client_id

    async def name_heard(socket: Any, client_id: str) -> str:
        """The author's name in the frame about that message, other frames skipped."""
        while True:
            frame = await socket.next_of("message")
            if frame["message"]["client_id"] == client_id:
                return str(frame["message"]["author"]["name"])

    hello = await say(speaker, "Bonjour !")
    for socket in (speaker, reader, other):
        assert await name_heard(socket, hello) == "Sylvie M. — Muret"
    answer = await say(other, "Bonjour Sylvie.")
    for socket in (other, reader, speaker):
        assert await name_heard(socket, answer) == "Marc D."

    # Withdrawn while her socket stays open: her next message no longer shows it.
    await sync_to_async(consent.do_withdraw_consent)(sylvie, SHOW)
    after = await say(speaker, "Je retire mon canton.")
    assert await name_heard(reader, after) == "Sylvie M."
