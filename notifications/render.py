"""The sentence and the link of a notification, written when it is shown.

Nothing here is stored: the actor's name comes from their account (« Participant·e n° 4 »
once erased, « Quelqu'un » once the link is cut), the place from the target. A direct
room is always « un message direct », never named after a person. The targets are read
through the foreign keys only (duck typing on their ``get_abilities``): notifications
imports no domain app, so the apps can import it.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from notifications.models import Kind, Notification, Verb

DIRECT = "direct"  # forums.models.RoomKind.DIRECT


def readable(target: Any, user: Any) -> bool:
    """``target.get_abilities(user)["read"]``, asked once per instance and person: a
    notification's producer, its live event and its link all ask it of the same target."""
    if target is None:
        return False
    memo = target.__dict__.setdefault("_notifications_readable", {})
    if user.pk not in memo:
        memo[user.pk] = bool(target.get_abilities(user).get("read"))
    return bool(memo[user.pk])


def _actor(notification: Notification) -> str:
    actor = notification.actor
    return actor.public_name if actor is not None else _("Someone")


def _place(notification: Notification, user: Any) -> str:
    room = notification.room
    if room is None or not readable(room, user):
        return _("a conversation you can no longer read")
    if room.kind == DIRECT:
        return _("a direct message")
    return _("« %(room)s »") % {"room": room.name}


def _title(target: Any, user: Any, gone: str) -> str:
    if not readable(target, user):
        return gone
    return _("« %(title)s »") % {"title": target.title}


def _stage(notification: Notification) -> str:
    proposal = notification.proposal
    if proposal is None:
        return notification.verb
    choices = dict(type(proposal)._meta.get_field("status").flatchoices)
    return str(choices.get(notification.verb, notification.verb))


def sentence(notification: Notification, user: Any) -> str:
    """What happened, in one French sentence, for ``user`` (the recipient)."""
    n, kind = notification, notification.kind
    if kind == Kind.MENTION:
        return _("%(actor)s mentioned you in %(place)s") % {
            "actor": _actor(n),
            "place": _place(n, user),
        }
    if kind == Kind.REPLY:
        return _("%(actor)s replied to your message in %(place)s") % {
            "actor": _actor(n),
            "place": _place(n, user),
        }
    if kind == Kind.DIRECT:
        return ngettext(
            "%(count)s new message from %(actor)s (direct message)",
            "%(count)s new messages from %(actor)s (direct message)",
            n.count,
        ) % {"count": n.count, "actor": _actor(n)}
    if kind == Kind.MODERATION:
        if n.document_id is not None:
            title = _title(n.document, user, _("a document you can no longer read"))
            if n.verb == Verb.PUBLISHED:
                return _("Your document %(title)s was published in the library") % {"title": title}
            return _("Your document %(title)s was not published: its page says why") % {
                "title": title
            }
        if n.verb == Verb.RESTORED:
            return _("Your message in %(place)s was shown again by the moderators") % {
                "place": _place(n, user)
            }
        return _("Your message in %(place)s was hidden by the moderators") % {
            "place": _place(n, user)
        }
    if kind == Kind.PROPOSAL_STAGE and n.verb == "suivi_question":  # deliberation.followup
        return _("The follow-up committee asks a question about %(title)s") % {
            "title": _title(n.proposal, user, _("a proposal you can no longer read")),
        }
    if kind == Kind.PROPOSAL_STAGE and n.verb == "suivi_reponse":
        return _("A service answered your question about %(title)s") % {
            "title": _title(n.proposal, user, _("a proposal you can no longer read")),
        }
    if kind == Kind.PROPOSAL_STAGE:
        return _("The proposal %(title)s is now « %(stage)s »") % {
            "title": _title(n.proposal, user, _("a proposal you can no longer read")),
            "stage": _stage(n),
        }
    if kind == Kind.DOCUMENT:
        return _("New in the library for a mandate you follow: %(title)s") % {
            "title": _title(n.document, user, _("a document you can no longer read"))
        }
    if kind == Kind.VOTE_OPENED:
        if n.vote is None or not readable(n.vote, user):
            return _("A vote of the plenary opened")
        return _("A vote of the plenary is open: %(question)s") % {
            "question": _("« %(title)s »") % {"title": n.vote.question}
        }
    if kind == Kind.SESSION:
        if n.session is None or not readable(n.session, user):
            return _("A session you were convened to changed")
        title = _("« %(title)s »") % {"title": n.session.title}
        if n.verb == Verb.CANCELLED:
            return _("The session %(title)s is cancelled") % {"title": title}
        if n.verb == Verb.CHANGED:
            return _("The session %(title)s changed: check its date and place") % {
                "title": title
            }
        return _("You are convened to the session %(title)s: will you come?") % {"title": title}
    if kind == Kind.DEADLINE:
        document = n.session_document
        if document is None or not readable(document, user):
            return _("A session document is due")
        values = {
            "document": document.get_kind_display(),
            "session": _("« %(title)s »") % {"title": document.session.title},
        }
        if n.verb == "late":
            return _("Late, still to deliver: %(document)s of %(session)s") % values
        return _("Due in three days: %(document)s of %(session)s") % values
    if kind == Kind.SEAT_OFFER:
        return _("A seat in the assembly is offered to you: please answer on the page « My seat »")
    return _("Something new")


def url(notification: Notification, user: Any) -> str:
    """Where opening it leads: the message in its room, the proposal, the document — or the
    notification centre when the target is gone or no longer readable."""
    n = notification
    if n.room_id is not None and readable(n.room, user):
        link = reverse("forums:room", args=[n.room_id])
        return f"{link}#m{n.message_id}" if n.message_id is not None else link
    if n.proposal_id is not None and readable(n.proposal, user):
        if n.verb in ("suivi_question", "suivi_reponse"):  # deliberation.followup's pages
            return reverse("followup_proposal", args=[n.proposal_id]) + "#questions"
        return reverse("proposal", args=[n.proposal_id])
    if n.vote_id is not None and readable(n.vote, user):
        return reverse("decisions:vote", args=[n.vote_id])
    if n.session_document_id is not None and readable(n.session_document, user):
        return reverse("deadlines:document", args=[n.session_document_id])
    if n.document_id is not None and readable(n.document, user):
        return reverse("library_document", args=[n.document_id])
    if n.session_id is not None and readable(n.session, user):
        return reverse("sessions:detail", args=[n.session_id])
    if n.kind == Kind.SEAT_OFFER:
        return reverse("seats:mine")
    return reverse("notifications:list")
