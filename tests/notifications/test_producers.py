"""Who gets which notification in the page, from each app that tells people something."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from accounts.roles import Role
from documents import actions as library
from documents.models import MandateFollow
from forums import actions as forums
from notifications.models import Kind, Notification, Preference
from notifications.render import sentence
from tests import factories
from tests.notifications.conftest import People

pytestmark = pytest.mark.django_db

Run = Callable[..., Any]


def kinds_of(person: Any) -> list[tuple[str, str]]:
    return sorted((n.kind, n.verb) for n in Notification.objects.filter(recipient=person))


def test_a_mention_tells_the_person_mentioned_and_nobody_else(
    people: People, committed: Run
) -> None:
    message = committed(
        factories.send, people.alice, people.plenary, "Qu'en pense @Bob D. ? Le code est 4242"
    )
    (notification,) = Notification.objects.filter(recipient=people.bob)
    assert notification.kind == Kind.MENTION and notification.message == message
    assert notification.actor == people.alice and notification.room == people.plenary
    text = sentence(notification, people.bob)
    assert "Alice M." in text and people.plenary.name in text and "4242" not in text
    for other in (people.alice, people.carol, people.fabien):
        assert kinds_of(other) == []


def test_nobody_is_told_about_a_room_they_cannot_read(people: People, committed: Run) -> None:
    # Carol is in « Santé »: a mention of her in « Mobilités » does not reach her.
    committed(factories.send, people.alice, people.mobility, "Et @Carol P. ?")
    assert kinds_of(people.carol) == []


def test_nobody_is_told_of_their_own_act(people: People, committed: Run) -> None:
    committed(factories.send, people.alice, people.mobility, "Note pour moi @Alice M.")
    first = committed(factories.send, people.alice, people.mobility, "Un")
    committed(factories.send, people.alice, people.mobility, "Deux", reply_to=first)
    assert kinds_of(people.alice) == []


def test_a_reply_tells_the_author_of_the_message_answered(people: People, committed: Run) -> None:
    question = committed(factories.send, people.bob, people.mobility, "Qui vient jeudi ?")
    committed(factories.send, people.alice, people.mobility, "Moi !", reply_to=question)
    assert kinds_of(people.bob) == [("reply", "")]
    assert kinds_of(people.fabien) == []
    # Mentioned and answered at once: one notification, the mention.
    committed(factories.send, people.alice, people.mobility, "Et toi @Bob D. ?", reply_to=question)
    assert kinds_of(people.bob) == [("mention", ""), ("reply", "")]


def test_direct_messages_add_up_in_one_unread_notification_without_naming_the_room(
    people: People, committed: Run
) -> None:
    room = factories.direct_room(people.alice, people.carol)
    room.name = "Alice et Carol"  # a name people give: never shown in a notification
    room.save()
    for body in ("Bonjour", "Tu es là ?", "À demain"):
        committed(factories.send, people.alice, room, body)
    (notification,) = Notification.objects.filter(recipient=people.carol)
    assert notification.kind == Kind.DIRECT and notification.count == 3
    text = sentence(notification, people.carol)
    assert text == "3 nouveaux messages de Alice M. (message direct)"
    notification.read_at = notification.created_at
    notification.save()
    committed(factories.send, people.alice, room, "Encore un")
    latest = Notification.objects.filter(recipient=people.carol).order_by("-created_at").first()
    assert latest is not None and latest.count == 1
    assert sentence(latest, people.carol) == "1 nouveau message de Alice M. (message direct)"
    assert kinds_of(people.alice) == []


def test_a_mention_in_a_direct_room_says_direct_message_not_a_persons_name(
    people: People, committed: Run
) -> None:
    room = factories.direct_room(people.alice, people.bob, people.carol)
    room.name = "Chloé B."
    room.save()
    committed(factories.send, people.alice, room, "Salut")
    (notification,) = Notification.objects.filter(recipient=people.bob)
    assert notification.kind == Kind.DIRECT  # a participant: once, as a direct message
    assert "Chloé" not in sentence(notification, people.bob)


def test_hiding_and_showing_again_tell_the_author_only(people: People, committed: Run) -> None:
    message = committed(factories.send, people.alice, people.mobility, "Un mot de trop")
    committed(forums.do_hide_message, people.fabien, message, reason="Hors charte")
    committed(forums.do_unhide_message, people.fabien, message)
    assert kinds_of(people.alice) == [("moderation", "hidden"), ("moderation", "restored")]
    hidden = Notification.objects.get(recipient=people.alice, verb="hidden")
    assert sentence(hidden, people.alice) == (
        "Votre message dans « Mobilités » a été masqué par l’équipe de modération"
    )
    assert "Hors charte" not in sentence(hidden, people.alice)
    assert kinds_of(people.bob) == [] and kinds_of(people.fabien) == []


def test_a_moderators_decision_on_a_proposed_document_tells_its_author(
    people: People, committed: Run
) -> None:
    first = library.do_propose_document(
        people.alice, kind="lien", title="Le site de la CNSA", url="https://www.cnsa.fr/"
    )
    second = library.do_propose_document(
        people.alice, kind="lien", title="Hors sujet", url="https://example.org/x"
    )
    committed(library.do_publish_document, people.fabien, first)
    committed(library.do_decline_document, people.fabien, second, reason="Hors sujet")
    assert kinds_of(people.alice) == [("moderation", "declined"), ("moderation", "published")]
    published = Notification.objects.get(recipient=people.alice, verb="published")
    assert "Le site de la CNSA" in sentence(published, people.alice)
    assert kinds_of(people.bob) == []


def test_a_proposal_stage_tells_its_subgroups_people_but_the_one_who_moved_it(
    people: People, committed: Run
) -> None:
    from deliberation.proposals import do_create_proposal, do_transition

    proposal = do_create_proposal(people.alice, people.subgroup, "Des bus le dimanche")
    committed(do_transition, people.alice, proposal, "relecture")
    assert kinds_of(people.bob) == [("proposal_stage", "relecture")]
    assert kinds_of(people.fabien) == [("proposal_stage", "relecture")]
    assert kinds_of(people.alice) == [] and kinds_of(people.carol) == []
    notification = Notification.objects.get(recipient=people.bob)
    assert sentence(notification, people.bob) == (
        "La proposition « Des bus le dimanche » est maintenant « en relecture »"
    )


def test_followers_of_a_mandate_are_told_of_documents_they_may_read_only(
    people: People, committed: Run
) -> None:
    mandate = people.subgroup.mandate
    agent = factories.UserFactory(roles=[Role.AGENT])
    for person in (people.bob, agent):
        MandateFollow.objects.create(user=person, mandate=mandate)
    committed(
        library.do_propose_document,
        people.fabien,
        kind="lien",
        title="Note d'équipe",
        url="https://example.org/e",
        audience="equipe",
        mandates=[mandate],
    )
    assert kinds_of(people.bob) == []  # a member does not read the staff's documents
    assert kinds_of(agent) == [("document", "")]
    committed(
        library.do_propose_document,
        people.fabien,
        kind="lien",
        title="Pour tous",
        url="https://example.org/t",
        mandates=[mandate],
    )
    assert kinds_of(people.bob) == [("document", "")]
    assert kinds_of(people.fabien) == []


def test_a_kind_turned_off_in_the_page_is_not_written(people: People, committed: Run) -> None:
    Preference.objects.create(user=people.bob, choices={"mention": {"page": False}})
    committed(factories.send, people.alice, people.plenary, "Bonjour @Bob D.")
    assert kinds_of(people.bob) == []


def test_per_kind_email_choice_stops_the_mention_email_and_keeps_the_others(
    people: People, committed: Run, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    people.bob.email, people.carol.email = "bob@example.org", "carol@example.org"
    people.bob.save()
    people.carol.save()
    Preference.objects.create(user=people.bob, choices={"mention": {"email": False}})
    committed(factories.send, people.alice, people.plenary, "Bonjour @Bob D. et @Carol P.")
    assert [m.to for m in mail.outbox] == [["carol@example.org"]]


def test_the_daily_summary_lists_unread_notifications_of_the_kinds_chosen(
    people: People, committed: Run
) -> None:
    from forums.notifications import send_daily_digests
    from gdpr.consent import do_give_consent
    from gdpr.models import OptionalPurpose

    people.bob.email = "bob@example.org"
    people.bob.save()
    Preference.objects.create(user=people.bob, choices={"reply": {"digest": False}})
    question = committed(factories.send, people.bob, people.mobility, "Qui vient ?")
    committed(factories.send, people.alice, people.mobility, "Moi", reply_to=question)
    room = factories.direct_room(people.alice, people.bob)
    committed(factories.send, people.alice, room, "Un secret bien gardé")
    mail.outbox.clear()
    assert send_daily_digests() == 0  # no consent, no summary
    do_give_consent(people.bob, OptionalPurpose.EMAIL_DIGEST)
    assert send_daily_digests() == 1
    body = mail.outbox[0].body
    assert "1 nouveau message de Alice M. (message direct)" in body
    assert "répondu" not in body  # replies are off in his summary
    assert "secret" not in body  # never what was said


def test_reading_the_room_marks_what_the_bell_said_about_it_read(
    people: People, committed: Run
) -> None:
    room = factories.direct_room(people.alice, people.bob)
    first = committed(factories.send, people.alice, room, "Bonjour")
    committed(factories.send, people.alice, people.plenary, "Tu viens @Bob D. ?")
    committed(forums.do_mark_read, people.bob, first.thread, up_to_id=first.pk)
    direct = Notification.objects.get(recipient=people.bob, kind="direct")
    mention = Notification.objects.get(recipient=people.bob, kind="mention")
    assert direct.read_at is not None and mention.read_at is None
