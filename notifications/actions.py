"""Telling people: the one door the apps call (``notify``, ``notify_many``), and marking read.

An app calls ``notify_many(kind, recipients, actor=…, <target>=…)`` inside its own
operation; the rows are written once that operation commits (nothing is told about
something that did not happen), in one pass: the people who may not read the target, the
actor themself, inactive accounts and those who turned the kind off in the page are left
out. Direct messages of one room add up in the person's unread row of that room. Each
recipient's open pages hear ``inbox.new`` on their own user group; the devices of those who
opted in to web push (``notifications.webpush``) get a count, from a background task.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone, translation

from notifications import webpush
from notifications.events import InboxCountEvent, InboxNewEvent
from notifications.models import Kind, Notification, Preference
from notifications.render import readable, sentence, url
from realtime.bus import send_event_on_commit, user_group

TARGETS = ("room", "message", "proposal", "document")


def wants(user: Any, kind: str, channel: str) -> bool:
    """Does this person want this kind of notification on this channel (page, email, digest)?"""
    pref = Preference.objects.filter(user_id=user.pk).first()
    return (
        pref.wants(kind, channel)
        if pref is not None
        else Preference(user=user).wants(kind, channel)
    )


def _target(fields: dict[str, Any]) -> Any:
    """What decides whether a person may read the notification's subject."""
    return (fields.get("room") or fields.get("proposal") or fields.get("document")
            or fields.get("vote") or fields.get("session")
            or fields.get("session_document"))


def notify(kind: str, recipient: Any, **fields: Any) -> None:
    notify_many(kind, [recipient], **fields)


def notify_many(
    kind: str,
    recipients: Iterable[Any],
    *,
    actor: Any = None,
    verb: str = "",
    room: Any = None,
    message: Any = None,
    proposal: Any = None,
    document: Any = None,
    vote: Any = None,
    session: Any = None,
    session_document: Any = None,
) -> None:
    """Tell these people, once the caller's transaction commits (see the module)."""
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = {p.pk: p for p in recipients if p is not None}
    if actor is not None:
        people.pop(actor.pk, None)
    if not people:
        return
    fields = {
        "actor": actor,
        "verb": verb,
        "room": room,
        "message": message,
        "proposal": proposal,
        "document": document,
        "vote": vote,
        "session": session,
        "session_document": session_document,
    }
    transaction.on_commit(lambda: _deliver(kind, list(people.values()), fields))


def _deliver(kind: str, people: list[Any], fields: dict[str, Any]) -> list[Notification]:
    target = _target(fields)
    choices = dict(
        Preference.objects.filter(user_id__in=[p.pk for p in people]).values_list(
            "user_id", "choices"
        )
    )
    told = [
        p
        for p in people
        if p.is_active
        and Preference(user=p, choices=choices.get(p.pk) or {}).wants(kind, "page")
        and (target is None or readable(target, p))
    ]
    if not told:
        return []
    now = timezone.now()
    written: list[Notification] = []
    with transaction.atomic():
        if kind == Kind.DIRECT and fields["room"] is not None:
            pending = {
                n.recipient_id: n
                for n in Notification.objects.select_for_update().filter(
                    kind=kind,
                    room=fields["room"],
                    read_at__isnull=True,
                    recipient__in=[p.pk for p in told],
                )
            }
            for person in told:
                row = pending.get(person.pk)
                if row is None:
                    continue
                Notification.objects.filter(pk=row.pk).update(
                    count=F("count") + 1,
                    actor=fields["actor"],
                    message=fields["message"],
                    created_at=now,
                )
                row.refresh_from_db()
                written.append(row)
            told = [p for p in told if p.pk not in pending]
        written += Notification.objects.bulk_create(
            [Notification(recipient=p, kind=kind, created_at=now, **fields) for p in told]
        )
        counts = unread_counts([n.recipient_id for n in written])
        for n in written:
            _announce(n, counts.get(n.recipient_id, 0))
        # Their phones too, for those who want this kind there (a background task: never
        # in the request; webpush checks consent and devices).
        webpush.push_after_commit(
            n.recipient_id
            for n in written
            if Preference(user_id=n.recipient_id, choices=choices.get(n.recipient_id) or {}).wants(
                kind, "push"
            )
        )
    return written


def _announce(notification: Notification, unread: int) -> None:
    recipient = notification.recipient
    with translation.override(settings.LANGUAGE_CODE):
        text = sentence(notification, recipient)
    send_event_on_commit(
        InboxNewEvent(
            notification=str(notification.pk),
            kind=notification.kind,
            text=text,
            url=url(notification, recipient),
            unread=unread,
        ),
        [user_group(notification.recipient_id)],
    )


# --- Reading --------------------------------------------------------------------------------


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def unread_counts(user_ids: list[Any]) -> dict[Any, int]:
    from django.db.models import Count

    rows = (
        Notification.objects.filter(recipient_id__in=user_ids, read_at__isnull=True)
        .values("recipient_id")
        .annotate(n=Count("pk"))
        .values_list("recipient_id", "n")
    )
    return dict(rows)


def inbox(user: Any) -> QuerySet[Notification]:
    """The person's notifications, newest first, with what their sentences need."""
    return (
        Notification.objects.filter(recipient=user)
        .select_related(
            "actor", "room__subgroup", "proposal__subgroup", "document", "vote", "session",
            "session_document__session",
        )
        .order_by("-created_at")
    )


def digest_for(user: Any, since: Any) -> list[dict[str, str]]:
    """The person's unread notifications since ``since`` of the kinds they want in the daily
    summary (forums.notifications.send_daily_digests adds them to the email): sentence and
    path, oldest first, 50 at most."""
    pref = Preference.objects.filter(user_id=user.pk).first() or Preference(user=user)
    kinds = [kind for kind in Kind.values if pref.wants(kind, "digest")]
    rows = inbox(user).filter(read_at__isnull=True, created_at__gt=since, kind__in=kinds)
    return [{"text": sentence(n, user), "path": url(n, user)} for n in reversed(rows[:50])]


def access_notification(user: Any, notification_id: Any) -> Notification:
    """The notification if it is this person's; 404 otherwise, as for one that does not exist."""
    notification = (
        Notification.objects.select_related(
            "actor", "room", "proposal", "document", "vote", "session", "session_document"
        )
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or not notification.get_abilities(user)["read"]:
        raise Http404
    return notification


def do_mark_read(actor: Any, notification: Notification) -> Notification:
    if not notification.get_abilities(actor)["mark_read"]:
        raise Http404
    with transaction.atomic():
        changed = Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            _count_changed(actor)
    notification.refresh_from_db(fields=["read_at"])
    return notification


def do_mark_all_read(actor: Any) -> int:
    with transaction.atomic():
        changed = Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
            read_at=timezone.now()
        )
        if changed:
            _count_changed(actor)
    return changed


def mark_read_about(user: Any, *, thread: Any, up_to_message: int) -> int:
    """The person read a thread up to a message (forums.actions.do_mark_read): what the bell
    said about those messages is read too (one UPDATE on the person's unread rows)."""
    changed = Notification.objects.filter(
        recipient=user,
        read_at__isnull=True,
        room_id=thread.room_id,
        message__thread=thread,
        message_id__lte=up_to_message,
    ).update(read_at=timezone.now())
    if changed:
        _count_changed(user)
    return changed


def _count_changed(user: Any) -> None:
    send_event_on_commit(InboxCountEvent(unread=unread_count(user)), [user_group(user.pk)])
