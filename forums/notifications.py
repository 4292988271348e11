"""Email notifications: direct messages and mentions for people who are away, and the daily digest.

The emails never carry what was said — only who wrote, where, and a link —
so the conversation itself does not leave the platform.

"Connected" means a websocket of the person was open recently: the consumer
calls ``mark_connected`` on connect and on every frame, which sets a cache key
that lives ``PRESENCE_SECONDS``. With Redis the key is shared by every daphne
process.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import TaskResultStatus, task

from config.logs import mail_failure
from forums.models import (
    PRACTICE_KINDS,
    Message,
    NotificationPreference,
    ReadMarker,
    RoomKind,
    Thread,
)

logger = logging.getLogger(__name__)

PRESENCE_SECONDS = 120


def presence_key(user_id: object) -> str:
    return f"forums:connected:{user_id}"


def mark_connected(user_id: object) -> None:
    """Called by the websocket consumer: this person has an open socket now."""
    cache.set(presence_key(user_id), True, PRESENCE_SECONDS)


def mark_disconnected(user_id: object) -> None:
    cache.delete(presence_key(user_id))


def is_connected(user_id: object) -> bool:
    return bool(cache.get(presence_key(user_id)))


def wants_email(user: Any, kind: str = "mention") -> bool:
    """The person's email switch for direct messages and mentions, and their per-kind choice
    (« Préférences de notification », notifications.models.Preference)."""
    from notifications.actions import wants

    pref = NotificationPreference.objects.filter(user=user).first()
    switch = pref.email_direct_and_mentions if pref is not None else True
    return switch and wants(user, kind, "email")


def _absolute(path: str) -> str:
    return getattr(settings, "AGORA_BASE_URL", "").rstrip("/") + path


def _recipients(message: Message) -> list[tuple[Any, str]]:
    """Who should hear about this message by email, and why ("direct" or "mention")."""
    room = message.room
    if room.kind in PRACTICE_KINDS:
        return []
    reasons: dict[Any, tuple[Any, str]] = {}
    if room.kind == RoomKind.DIRECT:
        for person in room.participants.all():
            reasons[person.pk] = (person, "direct")
    for person in message.mentions.all():
        reasons.setdefault(person.pk, (person, "mention"))
    reasons.pop(message.author_id, None)
    return [
        (person, why)
        for person, why in reasons.values()
        if person.is_active
        and person.email
        and room.get_abilities(person)["read"]
        and wants_email(person, why)
        and not is_connected(person.pk)
    ]


def _message_email(message: Message, person: Any, why: str) -> EmailMessage:
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "person": person,
            "author": message.author.public_name,
            "room": message.room.name,
            "why": why,
            "link": _absolute(reverse("forums:room", args=[message.room_id])),
            "preferences": _absolute(reverse("forums:preferences")),
            "site_name": settings.AGORA_SITE_NAME,
        }
        if why == "direct":
            subject = _("%(author)s sent you a message") % {"author": context["author"]}
        else:
            subject = _("%(author)s mentioned you in « %(room)s »") % {
                "author": context["author"], "room": context["room"],
            }
        body = render_to_string("forums/email/message.txt", context)
    return EmailMessage(
        subject=f"[{settings.AGORA_SITE_NAME}] {subject}", body=body,
        from_email=settings.DEFAULT_FROM_EMAIL, to=[person.email],
    )


def send_message_notifications(message_id: int) -> int:
    """Email the people a message concerns who are not connected. Returns the number sent."""
    message = (
        Message.objects.select_related("room", "author").filter(pk=message_id).first()
    )
    if message is None or not message.is_visible:
        return 0
    emails = [_message_email(message, person, why) for person, why in _recipients(message)]
    if not emails:
        return 0
    try:
        return int(get_connection().send_messages(emails) or 0)
    except OSError:
        mail_failure(logger, "could not send the notifications of message %s", message_id)
        return 0


@task()
def send_message_notifications_task(message_id: int) -> int:
    return send_message_notifications(message_id)


def notify_new_message(message_id: int) -> None:
    """Queue the emails of a new message (forums.actions calls it once the message is committed).

    Sent by the background worker: a slow mail server must not hold up a chat.
    """
    send_message_notifications_task.enqueue(message_id)


# --- Daily digest ------------------------------------------------------------------------


def digest_for(user: Any, since: dt.datetime) -> list[dict[str, Any]]:
    """The rooms with unread messages for that person since ``since``: name, count, link."""
    from forums.access import readable_rooms

    rows = []
    for room in readable_rooms(user):
        markers = dict(
            ReadMarker.objects.filter(user=user, thread__room=room).values_list(
                "thread_id", "last_read_id"
            )
        )
        count = 0
        for thread in Thread.objects.filter(room=room, last_activity_at__gt=since):
            count += (
                Message.objects.filter(
                    thread=thread, id__gt=markers.get(thread.pk, 0), created_at__gt=since,
                    deleted_at__isnull=True, hidden_at__isnull=True,
                )
                .exclude(author=user)
                .count()
            )
        if count:
            # A conversation between people has no name of its own: it is told by who
            # wrote (« 1 nouveau message de Chloé B. »), never with a name as a room's.
            direct = room.kind == RoomKind.DIRECT and not room.name
            sender = ", ".join(sorted({
                m.author.public_name for m in Message.objects.filter(
                    thread__room=room, created_at__gt=since, deleted_at__isnull=True,
                    hidden_at__isnull=True,
                ).exclude(author=user).select_related("author")
            })) if direct else ""
            rows.append({"room": room.name, "sender": sender, "count": count,
                         "link": _absolute(reverse("forums:room", args=[room.pk]))})
    return rows


def send_daily_digests(now: dt.datetime | None = None) -> int:
    """One email per person who opted in to the digest and has unread messages."""
    from accounts.models import User
    from gdpr.consent import has_consent
    from gdpr.models import OptionalPurpose
    from notifications.actions import digest_for as inbox_digest

    now = now or timezone.now()
    sent = 0
    for user in User.objects.filter(is_active=True).exclude(email=""):
        if not has_consent(user, OptionalPurpose.EMAIL_DIGEST):
            continue
        pref, _created = NotificationPreference.objects.get_or_create(user=user)
        since = pref.last_digest_at or now - dt.timedelta(days=1)
        if since > now - dt.timedelta(hours=20):
            continue  # already sent today
        rows = digest_for(user, since)
        with translation.override(settings.LANGUAGE_CODE):
            news = [{"text": n["text"], "link": _absolute(n["path"])}
                    for n in inbox_digest(user, since)]
        if rows or news:
            with translation.override(settings.LANGUAGE_CODE):
                body = render_to_string(
                    "forums/email/digest.txt",
                    {"person": user, "rows": rows, "news": news,
                     "site_name": settings.AGORA_SITE_NAME,
                     "preferences": _absolute(reverse("notifications:preferences"))},
                )
                subject = _("Your daily summary of the conversations")
            EmailMessage(
                subject=f"[{settings.AGORA_SITE_NAME}] {subject}", body=body,
                from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email],
            ).send()
            sent += 1
        pref.last_digest_at = now
        pref.save(update_fields=["last_digest_at", "updated_at"])
    return sent


DIGEST_TIME = dt.time(7, 0)  # Paris: before the day starts, after the night's messages
DIGEST_ZONE = "Europe/Paris"


def next_digest_at(now: dt.datetime | None = None) -> dt.datetime:
    """The next 07:00 in Paris strictly after ``now``."""
    zone = ZoneInfo(DIGEST_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    candidate = dt.datetime.combine(local.date(), DIGEST_TIME, tzinfo=zone)
    if candidate <= local:
        candidate = dt.datetime.combine(local.date() + dt.timedelta(days=1), DIGEST_TIME,
                                        tzinfo=zone)
    return candidate


@task()
def daily_digest_task() -> int:
    """The daily digest; it queues the next one whatever happens to this one."""
    try:
        return send_daily_digests()
    finally:
        ensure_digest_scheduled()


def ensure_digest_scheduled(now: dt.datetime | None = None) -> dt.datetime | None:
    """Make sure exactly one future digest run is queued; when it runs.

    Reads the queue of the database task backend; a backend that cannot run
    tasks later (the immediate one of tests) schedules nothing: None.
    """
    from django_tasks_db.models import DBTaskResult

    backend = daily_digest_task.get_backend()
    if not backend.supports_defer:
        return None
    with transaction.atomic():
        queued = list(
            DBTaskResult.objects.filter(
                task_path=daily_digest_task.module_path, backend_name=backend.alias,
                status=TaskResultStatus.READY,
            ).order_by("run_after", "enqueued_at")
        )
        if queued:
            DBTaskResult.objects.filter(pk__in=[q.pk for q in queued[1:]]).delete()
            return queued[0].run_after or timezone.now()
        when = next_digest_at(now)
        daily_digest_task.using(run_after=when).enqueue()
    return when
