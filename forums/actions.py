"""Operations on conversations: the one place where sending, editing and moderating happen.

The socket consumer, the HTTP views, the admin, ``seed_demo`` and the tests
all call these functions. Each checks abilities (``Http404`` for a room the
actor may not read, ``PermissionDenied`` for one they may read but not act
in), validates with a ``ValidationError`` carrying a ``code`` the socket
relays ("empty", "too_long", "rate_limited", "muted", "bad_format",
"not_found"), writes in a transaction and publishes events once it commits.
Moderation also leaves an entry in the audit trail.
"""

from __future__ import annotations

import datetime as dt
import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from forums import sanitize
from forums.events import (
    MessageEvent,
    MessageUpdatedEvent,
    NotificationEvent,
    ReactionEvent,
    RoomAccessChangedEvent,
    UnreadBumpEvent,
    UnreadEvent,
    readers_group,
    room_group,
)
from forums.models import (
    MESSAGE_MAX_LENGTH,
    POST_MAX_LENGTH,
    PRACTICE_KINDS,
    Attachment,
    AttachmentKind,
    Message,
    MessageFormat,
    Mute,
    Reaction,
    ReadMarker,
    Report,
    Room,
    RoomKind,
    Thread,
)
from forums.notifications import notify_new_message
from forums.queries import (
    reaction_counts,
    serialize_message,
    unread_counts,
)
from gdpr import audit
from notifications.actions import mark_read_about, notify, notify_many
from notifications.models import Kind, Verb
from realtime.bus import send_event_on_commit, user_group
from realtime.hub import forget_person

DEFAULT_RATE_LIMIT = (20, 10)  # messages, seconds
# The short set offered under every message, with the names screen readers say.
REACTION_NAMES = {
    "👍": gettext_lazy("thumbs up"),
    "❤️": gettext_lazy("heart"),
    "😂": gettext_lazy("laughing"),
    "😮": gettext_lazy("surprised"),
    "🙏": gettext_lazy("thank you"),
    "👏": gettext_lazy("applause"),
    "🤔": gettext_lazy("thinking"),
    "✅": gettext_lazy("agreed"),
}
REACTIONS = tuple(REACTION_NAMES)
DIRECT_ROOM_MAX_PEOPLE = 8
TITLE_MAX_LENGTH = 200
REASON_MAX_LENGTH = 500
MUTE_MAX_MINUTES = 60 * 24 * 30


# --- Checks ------------------------------------------------------------------------------


def _abilities(actor: Any, room: Room) -> dict[str, bool]:
    abilities = room.get_abilities(actor)
    if not abilities["read"]:
        raise Http404
    return abilities


def _require_write(actor: Any, room: Room) -> None:
    abilities = _abilities(actor, room)
    if abilities["write"]:
        return
    if room.archived_at is None and room.is_muted(actor):
        raise ValidationError(_("You cannot write in this room for now."), code="muted")
    raise PermissionDenied(_("You cannot write in this room."))


def _require_moderate(actor: Any, room: Room) -> None:
    if not _abilities(actor, room)["moderate"]:
        raise PermissionDenied(_("Only the room's moderators can do this."))


def _clean_body(body: str, fmt: str, *, allow_empty: bool = False) -> str:
    """The text as sent, never shortened: past the limit it is refused whole, with the
    count, so the writer can cut it themselves (docs/permissions.md, « Conversations »)."""
    if fmt not in MessageFormat.values:
        raise ValidationError(_("Unknown message format."), code="bad_format")
    body = (body or "").strip()
    if not body and not allow_empty:
        raise ValidationError(_("The message is empty."), code="empty")
    limit = POST_MAX_LENGTH if fmt == MessageFormat.HTML else MESSAGE_MAX_LENGTH
    if len(body) > limit:
        raise ValidationError(too_long_text(len(body), limit), code="too_long")
    return body


def too_long_text(length: int, limit: int) -> str:
    return _(
        "The message is too long: %(length)s characters for %(limit)s at most. Shorten it "
        "or send it in several parts; nothing was cut."
    ) % {"length": _count(length), "limit": _count(limit)}


def _count(number: int) -> str:
    """« 16 000 »: thousands apart with a narrow no-break space, as French writes them."""
    return f"{number:,}".replace(",", "\u202f")


def _client_uuid(client_id: uuid.UUID | str) -> uuid.UUID:
    try:
        return client_id if isinstance(client_id, uuid.UUID) else uuid.UUID(str(client_id))
    except (ValueError, TypeError, AttributeError) as exc:
        raise ValidationError(_("Invalid message identifier."), code="bad_format") from exc


def _check_rate(actor: Any) -> None:
    """A fixed window per person, in the cache shared by every server process."""
    count, seconds = getattr(settings, "FORUMS_RATE_LIMIT", DEFAULT_RATE_LIMIT)
    key = f"forums:rate:{actor.pk}"
    cache.add(key, 0, timeout=seconds)
    try:
        sent = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=seconds)
        sent = 1
    if sent > count:
        raise ValidationError(
            _("You are sending messages too fast: wait a few seconds."), code="rate_limited"
        )


# --- Rendering ---------------------------------------------------------------------------


def _mentionable(room: Room, text: str) -> dict[str, Any]:
    """People named after an « @ » in the text who may read the room, by casefolded name."""
    names = sanitize.candidate_names(text)
    if not names:
        return {}
    user_model = get_user_model()
    wanted = Q()
    for name in names:
        wanted |= Q(display_name__iexact=name) | Q(full__iexact=name)
    people = (
        user_model.objects.filter(is_active=True, pseudonym_number__isnull=True)
        .annotate(full=Concat("first_name", Value(" "), "last_name"))
        .filter(wanted)[:50]
    )
    found: dict[str, Any] = {}
    for person in people:
        if not room.get_abilities(person)["read"]:
            continue
        for name in (person.display_name, person.full_name):
            if name and name.casefold() in {n.casefold() for n in names}:
                found.setdefault(name.casefold(), person)
    return found


def render(room: Room, body: str, fmt: str) -> tuple[str, str, list[Any]]:
    """(stored body, sanitized HTML, mentioned people) for a message about to be saved."""
    if fmt == MessageFormat.HTML:
        body_html = sanitize.render_html(body)
        text = sanitize.text_of_html(body_html)
        people = _mentionable(room, text)
        mentioned = [people[m.key] for m in sanitize.find_mentions(text, people)]
        # Only the sanitized HTML is kept: the editor reloads it, and nothing unsafe lingers.
        return body_html, body_html, list(dict.fromkeys(mentioned))
    people = _mentionable(room, body)
    mentions = sanitize.find_mentions(body, people)
    body_html = sanitize.render_text(body, mentions, lambda key: people[key].public_name)
    return body, body_html, list(dict.fromkeys(people[m.key] for m in mentions))


# --- Publishing --------------------------------------------------------------------------


def _publish_new(message: Message, mentioned: list[Any] | None = None) -> None:
    """The events of a new message (serialised here, once for every reader), its
    notifications, and its emails' task when anyone could get one."""
    room_id = str(message.room_id)
    send_event_on_commit(
        MessageEvent(room=room_id, message=serialize_message(message)),
        [room_group(message.room_id)],
    )
    # Every other reader's count of the room grows by one (docs/protocol.md, unread.bump).
    send_event_on_commit(
        UnreadBumpEvent(room=room_id, message=message.pk, author=str(message.author_id)),
        [readers_group(message.room_id)],
    )
    if message.room.kind in PRACTICE_KINDS:
        return  # practice has no consequence: nobody is notified, by page or email
    _publish_notifications(message, mentioned or [])
    _notify_in_page(message, mentioned or [])
    if _may_email(message, mentioned or []):
        transaction.on_commit(lambda: notify_new_message(message.pk))


def _may_email(message: Message, mentioned: list[Any]) -> bool:
    """Whether ``forums.notifications`` could email anyone about this message: only the
    other participants of a direct room and the people mentioned. Otherwise no task is
    queued: a plenary's ten messages a second were ten task rows a second, and the
    worker's writes beside daphne's (issue 18)."""
    if message.room.kind == RoomKind.DIRECT:
        return True
    return any(person.pk != message.author_id for person in mentioned)


def _notify_in_page(message: Message, mentioned: list[Any]) -> None:
    """The notification centre: the other participants of a direct room, the people mentioned,
    the author of the message answered — each person once, in that order."""
    room, author = message.room, message.author
    direct = list(room.participants.all()) if room.kind == RoomKind.DIRECT else []
    told = {p.pk for p in direct}
    mentions = [p for p in mentioned if p.pk not in told]
    told |= {p.pk for p in mentions}
    replied = message.reply_to.author if message.reply_to is not None else None
    notify_many(Kind.DIRECT, direct, actor=author, room=room, message=message)
    notify_many(Kind.MENTION, mentions, actor=author, room=room, message=message)
    if replied is not None and replied.pk not in told:
        notify(Kind.REPLY, replied, actor=author, room=room, message=message)


def _publish_notifications(message: Message, mentioned: list[Any]) -> None:
    """A live notification for each person mentioned and each other participant of a direct room.

    Like the emails, the text says who and where, never what was said. The consumer
    checks again that the person may read the room before relaying it.
    """
    room = message.room
    why: dict[Any, str] = {}
    if room.kind == RoomKind.DIRECT:
        for person_id in room.participants.values_list("pk", flat=True):
            why[person_id] = "direct"
    for person in mentioned:
        why.setdefault(person.pk, "mention")
    why.pop(message.author_id, None)
    if not why:
        return
    author = message.author.public_name
    with translation.override(settings.LANGUAGE_CODE):
        texts = {
            "direct": _("%(author)s sent you a message") % {"author": author},
            "mention": _("%(author)s mentioned you in « %(room)s »") % {
                "author": author, "room": room.name,
            },
        }
    for person_id, kind in why.items():
        send_event_on_commit(
            NotificationEvent(kind=kind, room=str(room.pk), message=message.pk,
                              text=texts[kind]),
            [user_group(person_id)],
        )


def _publish_updated(message: Message) -> None:
    send_event_on_commit(
        MessageUpdatedEvent(room=str(message.room_id), message=serialize_message(message)),
        [room_group(message.room_id)],
    )


def _fresh(message: Message) -> Message:
    return (
        Message.objects.select_related("author", "room__subgroup", "thread", "reply_to__author")
        .prefetch_related("attachments", "reactions__user")
        .get(pk=message.pk)
    )


# --- Sending -----------------------------------------------------------------------------


def default_thread(room: Room) -> Thread:
    thread = room.threads.filter(is_default=True).first()
    if thread is not None:
        return thread
    with translation.override(settings.LANGUAGE_CODE):
        title = _("General")
    try:
        with transaction.atomic():
            return Thread.objects.create(room=room, title=title, is_default=True)
    except IntegrityError:  # created meanwhile by another process
        return room.threads.get(is_default=True)


def do_send_message(
    actor: Any,
    room: Room,
    *,
    body: str,
    client_id: uuid.UUID | str,
    thread: Thread | None = None,
    reply_to: Message | None = None,
    format: str = MessageFormat.TEXT,  # noqa: A002 - the protocol's name
    attachments: list[dict[str, Any]] | None = None,
) -> tuple[Message, bool]:
    """Send a message; (message, created). The same ``client_id`` again returns the first one.

    ``attachments``: files already checked and stored by ``forums.attachments`` (then the
    text may be empty); they are part of the message from its first event.

    A resend after a reconnect must never duplicate, so the replay check comes
    before any other: a message that made it in is acknowledged again even if
    the room has since become read-only for its author.
    """
    client_uuid = _client_uuid(client_id)
    existing = Message.objects.filter(author=actor, client_id=client_uuid).first() if (
        getattr(actor, "is_authenticated", False)
    ) else None
    if existing is not None:
        _abilities(actor, existing.room)
        return _fresh(existing), False
    _require_write(actor, room)
    body = _clean_body(body, format, allow_empty=bool(attachments))
    if thread is None:
        thread = default_thread(room)
    elif thread.room_id != room.pk:
        raise ValidationError(_("This thread is not in this room."), code="not_found")
    if reply_to is not None and reply_to.room_id != room.pk:
        raise ValidationError(_("The message you reply to is not in this room."),
                              code="not_found")
    _check_rate(actor)
    stored, body_html, mentioned = render(room, body, format)
    now = timezone.now()
    try:
        with transaction.atomic():
            message = Message.objects.create(
                room=room, thread=thread, author=actor, client_id=client_uuid, format=format,
                body=stored, body_html=body_html, reply_to=reply_to, created_at=now,
            )
            if mentioned:
                message.mentions.set(mentioned)
            for item in attachments or []:
                Attachment.objects.create(message=message, **{"kind": AttachmentKind.FILE, **item})
            Thread.objects.filter(pk=thread.pk, last_activity_at__lt=now).update(
                last_activity_at=now
            )
            message = _fresh(message)
            _publish_new(message, mentioned)
    except IntegrityError:
        # The same client_id sent twice at once: the other request won, acknowledge it.
        existing = Message.objects.filter(author=actor, client_id=client_uuid).first()
        if existing is None:
            raise
        return _fresh(existing), False
    return message, True


def _advance_marker(user: Any, thread: Thread, up_to_id: int) -> None:
    marker, _created = ReadMarker.objects.get_or_create(user=user, thread=thread)
    ReadMarker.objects.filter(pk=marker.pk, last_read_id__lt=up_to_id).update(
        last_read_id=up_to_id, updated_at=timezone.now()
    )


def do_mark_read(actor: Any, thread: Thread, *, up_to_id: int) -> int:
    """The actor has read ``thread`` up to message ``up_to_id``; returns the room's unread count.

    Markers only move forward: a late frame from another tab cannot make read
    messages unread again.
    """
    room = thread.room
    _abilities(actor, room)
    try:
        up_to_id = int(up_to_id)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Invalid message identifier."), code="bad_format") from exc
    last = Message.objects.filter(thread=thread).order_by("-id").values_list("id", flat=True)
    up_to_id = min(up_to_id, last.first() or 0)
    with transaction.atomic():
        _advance_marker(actor, thread, up_to_id)
        mark_read_about(actor, thread=thread, up_to_message=up_to_id)
    unread = unread_counts(actor, [room])[str(room.pk)]
    send_event_on_commit(UnreadEvent(room=str(room.pk), unread=unread), [user_group(actor.pk)])
    return unread


def do_mark_unread(actor: Any, message: Message) -> int:
    """« Marquer comme non lu »: the thread is unread again from ``message`` on.

    The one move of a marker backwards, asked for by its person; returns the room's
    unread count, told to every socket of the person like after a read.
    """
    room = message.room
    _abilities(actor, room)
    with transaction.atomic():
        marker, _created = ReadMarker.objects.select_for_update().get_or_create(
            user=actor, thread_id=message.thread_id
        )
        marker.last_read_id = min(marker.last_read_id, message.pk - 1)
        marker.save(update_fields=["last_read_id", "updated_at"])
    unread = unread_counts(actor, [room])[str(room.pk)]
    send_event_on_commit(UnreadEvent(room=str(room.pk), unread=unread), [user_group(actor.pk)])
    return unread


# --- Rooms of a mandate ------------------------------------------------------------------


def ensure_rooms(mandate: Any) -> None:
    """The mandate's plenary and staff rooms and one room per subgroup, each with « Général ».

    Idempotent: called by ``seed_demo`` and whenever a subgroup is created.
    """
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        for kind, name in (
            (RoomKind.PLENARY, _("Plenary – %(mandate)s") % {"mandate": mandate.title}),
            (RoomKind.STAFF, _("Staff team – %(mandate)s") % {"mandate": mandate.title}),
        ):
            room = Room.objects.filter(kind=kind, mandate=mandate).first()
            if room is None:
                try:
                    with transaction.atomic():
                        room = Room.objects.create(kind=kind, mandate=mandate, name=name[:200])
                except IntegrityError:  # created meanwhile by another process
                    room = Room.objects.get(kind=kind, mandate=mandate)
            default_thread(room)
        for subgroup in mandate.subgroups.all():
            room = Room.objects.filter(subgroup=subgroup).first()
            if room is None:
                room = Room.objects.create(
                    kind=RoomKind.SUBGROUP, subgroup=subgroup, mandate=mandate,
                    name=subgroup.name,
                )
            default_thread(room)


# --- Editing and deleting one's words -----------------------------------------------------


def _locked(message: Message) -> Message:
    return Message.objects.select_for_update(of=("self",)).select_related("room__subgroup").get(
        pk=message.pk
    )


def do_edit_message(actor: Any, message: Message, *, body: str) -> Message:
    """The author rewrites their message, while they may still write in the room."""
    _abilities(actor, message.room)
    if message.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can edit a message."))
    _require_write(actor, message.room)
    with transaction.atomic():
        message = _locked(message)
        if not message.is_visible:
            raise ValidationError(_("This message can no longer be edited."), code="not_found")
        body = _clean_body(body, message.format)
        stored, body_html, mentioned = render(message.room, body, message.format)
        message.body, message.body_html = stored, body_html
        message.edited_at = timezone.now()
        message.save(update_fields=["body", "body_html", "edited_at"])
        message.mentions.set(mentioned)
        from forums.transcription import author_wrote

        author_wrote(message, body)
        message = _fresh(message)
        _publish_updated(message)
    return message


def do_delete_message(actor: Any, message: Message) -> Message:
    """The author, or a moderator, deletes a message: its text and files go, its place stays."""
    abilities = _abilities(actor, message.room)
    if message.author_id != actor.pk and not abilities["moderate"]:
        raise PermissionDenied(_("Only the author or a moderator can delete a message."))
    with transaction.atomic():
        message = _locked(message)
        if message.deleted_at is not None:
            return _fresh(message)
        message.deleted_at = timezone.now()
        message.body = message.body_html = ""
        message.save(update_fields=["deleted_at", "body", "body_html"])
        message.mentions.clear()
        for attachment in message.attachments.all():
            name, storage = attachment.file.name, attachment.file.storage
            attachment.delete()
            if name:
                transaction.on_commit(partial(storage.delete, name))
        if message.author_id != actor.pk:
            audit.record(actor, "forums.message.delete", subject=message.author, obj=message,
                         room=str(message.room_id))
        message = _fresh(message)
        _publish_updated(message)
    return message


# --- Reactions ---------------------------------------------------------------------------


def do_react(actor: Any, message: Message, *, emoji: str, add: bool) -> None:
    """Add or take back a reaction, from a short list (anyone who may write in the room)."""
    _require_write(actor, message.room)
    if emoji not in REACTIONS:
        raise ValidationError(_("This reaction is not available."), code="bad_format")
    if not message.is_visible:
        raise ValidationError(_("This message is no longer available."), code="not_found")
    with transaction.atomic():
        if add:
            Reaction.objects.get_or_create(message=message, user=actor, emoji=emoji)
        else:
            Reaction.objects.filter(message=message, user=actor, emoji=emoji).delete()
        message = _fresh(message)
        send_event_on_commit(
            ReactionEvent(room=str(message.room_id), message=message.pk,
                          reactions=reaction_counts(message)),
            [room_group(message.room_id)],
        )
        # The page shows who reacted (names, and the reader's own choice): its rendering
        # of the message follows, like after an edit.
        _publish_updated(message)


# --- Moderation --------------------------------------------------------------------------


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Please give a reason."), code="empty")
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(_("The reason is too long."), code="too_long")
    return reason


def do_report_message(actor: Any, message: Message, *, reason: str) -> Report:
    """Anyone who reads a message may report it to the moderators (once)."""
    _abilities(actor, message.room)
    reason = _reason(reason)
    if message.author_id == actor.pk:
        raise ValidationError(_("You cannot report your own message."), code="bad_format")
    with transaction.atomic():
        report, created = Report.objects.get_or_create(
            message=message, reporter=actor, defaults={"reason": reason}
        )
        if created:
            # A report is the reporter's data (forums/privacy.py): the author of the message
            # is not its subject, so nothing about it reaches the author's copy of their data.
            audit.record(actor, "forums.message.report", subject=actor, obj=report,
                         room=str(message.room_id), message_id=message.pk)
    return report


def _require_moderate_message(actor: Any, message: Message) -> None:
    if message.get_abilities(actor)["moderate"]:
        return
    _abilities(actor, message.room)  # 404 for a room the actor may not read
    raise PermissionDenied(_("Only the room's moderators can do this."))


def can_handle_report(user: Any, report: Report) -> bool:
    return report.message.get_abilities(user)["moderate"]


def reports_visible_to(user: Any) -> QuerySet[Report]:
    """Open reports this person may handle (a direct message shows only when reported)."""
    reports = Report.objects.filter(handled_at__isnull=True).select_related(
        "message__room__subgroup", "message__author", "reporter"
    )
    return reports.filter(pk__in=[r.pk for r in reports if can_handle_report(user, r)])


def do_handle_report(actor: Any, report: Report, *, outcome: str) -> Report:
    if not can_handle_report(actor, report):
        raise PermissionDenied(_("Only the room's moderators can do this."))
    outcome = _reason(outcome)
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        report.handled_by, report.handled_at, report.outcome = actor, timezone.now(), outcome
        report.save(update_fields=["handled_by", "handled_at", "outcome"])
        audit.record(actor, "forums.report.handle", subject=report.reporter, obj=report)
    return report


def do_hide_message(actor: Any, message: Message, *, reason: str) -> Message:
    """A moderator hides a message; the reason stays visible to moderators and in the audit."""
    _require_moderate_message(actor, message)
    reason = _reason(reason)
    with transaction.atomic():
        message = _locked(message)
        if message.hidden_at is None:
            message.hidden_at, message.hidden_by = timezone.now(), actor
            message.hidden_reason = reason
            message.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
            Report.objects.filter(message=message, handled_at__isnull=True).update(
                handled_by=actor, handled_at=message.hidden_at, outcome=reason
            )
            audit.record(actor, "forums.message.hide", subject=message.author, obj=message,
                         room=str(message.room_id))
            notify(Kind.MODERATION, message.author, actor=actor, verb=Verb.HIDDEN,
                   room=message.room, message=message)
            message = _fresh(message)
            _publish_updated(message)
    return message


def do_unhide_message(actor: Any, message: Message) -> Message:
    _require_moderate_message(actor, message)
    with transaction.atomic():
        message = _locked(message)
        if message.hidden_at is not None:
            message.hidden_at, message.hidden_by, message.hidden_reason = None, None, ""
            message.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
            audit.record(actor, "forums.message.unhide", subject=message.author, obj=message,
                         room=str(message.room_id))
            notify(Kind.MODERATION, message.author, actor=actor, verb=Verb.RESTORED,
                   room=message.room, message=message)
            message = _fresh(message)
            _publish_updated(message)
    return message


def do_mute_person(actor: Any, room: Room, person: Any, *, minutes: int, reason: str) -> Mute:
    """A moderator stops someone writing in a room for a while (never a moderator)."""
    _require_moderate(actor, room)
    if room.kind == RoomKind.DIRECT:
        raise PermissionDenied(_("Nobody is muted in a direct conversation."))
    reason = _reason(reason)
    try:
        minutes = int(minutes)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("Give a duration in minutes."), code="bad_format") from exc
    if not 1 <= minutes <= MUTE_MAX_MINUTES:
        raise ValidationError(_("A mute lasts from 1 minute to 30 days."), code="bad_format")
    if person.pk == actor.pk or room.get_abilities(person)["moderate"]:
        raise ValidationError(_("A moderator cannot be muted."), code="bad_format")
    if not room.get_abilities(person)["read"]:
        raise ValidationError(_("This person is not in the room."), code="not_found")
    with transaction.atomic():
        mute = Mute.objects.create(
            room=room, user=person, until=timezone.now() + dt.timedelta(minutes=minutes),
            reason=reason, muted_by=actor,
        )
        audit.record(actor, "forums.person.mute", subject=person, obj=mute,
                     room=str(room.pk), minutes=minutes)
        _access_changed(room, person.pk)
    return mute


# --- Threads and direct rooms --------------------------------------------------------------


def do_create_thread(
    actor: Any, room: Room, *, title: str, body: str, format: str = MessageFormat.HTML,  # noqa: A002
) -> Thread:
    """A new topic in a room; its first message is the post."""
    _require_write(actor, room)
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the topic a title."), code="empty")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(_("The title is too long."), code="too_long")
    _clean_body(body, format)
    with transaction.atomic():
        thread = Thread.objects.create(room=room, title=title, created_by=actor)
        do_send_message(actor, room, body=body, client_id=uuid.uuid4(), thread=thread,
                        format=format)
    return thread


def do_create_direct_room(actor: Any, *, participants: list[Any], name: str = "") -> Room:
    """A conversation between 2 to 8 people; two people always find their one room again."""
    from accounts.roles import user_roles

    if not user_roles(actor):
        raise PermissionDenied(_("You cannot start a conversation."))
    people = list({p.pk: p for p in [actor, *participants]}.values())
    if len(people) < 2:
        raise ValidationError(_("Choose at least one other person."), code="empty")
    if len(people) > DIRECT_ROOM_MAX_PEOPLE:
        raise ValidationError(
            _("A conversation has %(max)s people at most.") % {"max": DIRECT_ROOM_MAX_PEOPLE},
            code="too_long",
        )
    if any(not p.is_active or not user_roles(p) for p in people):
        raise ValidationError(_("One of these people cannot take part."), code="not_found")
    name = (name or "").strip()[:200]
    with transaction.atomic():
        if len(people) == 2:
            other = people[1]
            shared = Room.objects.filter(kind=RoomKind.DIRECT, participants=actor).filter(
                participants=other
            ).order_by("created_at")
            for existing in shared:
                if existing.participants.count() == 2:
                    return existing
        room = Room.objects.create(kind=RoomKind.DIRECT, name=name, created_by=actor)
        room.participants.set(people)
        default_thread(room)
        for person in people:
            _access_changed(room, person.pk)
    return room


# --- Administration ------------------------------------------------------------------------


def do_update_room(
    actor: Any, room: Room, *, name: str, charter: str, archived: bool,
    guests: list[Any] | None = None,
) -> Room:
    """The DCCU renames a room, pins its charter, archives it or adds guests (not direct rooms)."""
    from accounts.roles import Role, has_role

    if room.kind == RoomKind.DIRECT or not has_role(actor, Role.DCCU):
        raise PermissionDenied(_("Only the DCCU team can change a room."))
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("A room needs a name."), code="empty")
    with transaction.atomic():
        room = Room.objects.select_for_update().get(pk=room.pk)
        before = set(room.participants.values_list("pk", flat=True))
        room.name, room.charter = name[:200], charter.strip()
        was_archived = room.archived_at is not None
        if archived != was_archived:
            room.archived_at = timezone.now() if archived else None
        room.save(update_fields=["name", "charter", "archived_at", "updated_at"])
        changed: set[Any] = set()
        if guests is not None:
            room.participants.set(guests)
            changed = before ^ {g.pk for g in guests}
        audit.record(actor, "forums.room.update", obj=room, archived=archived,
                     guests_changed=len(changed))
        if archived != was_archived:
            send_event_on_commit(RoomAccessChangedEvent(room=str(room.pk)),
                                 [room_group(room.pk)])
        for person_id in changed:
            _access_changed(room, person_id)
    return room


def _access_changed(room: Room, person_id: Any) -> None:
    """What the person may read in ``room`` changed: their sockets re-check it at once, and
    their next connection here reads their rooms again (not the few seconds' copy)."""
    send_event_on_commit(RoomAccessChangedEvent(room=str(room.pk)), [user_group(person_id)])
    transaction.on_commit(lambda: forget_person(person_id))


def subgroup_people_changed(subgroup: Any, people: set[Any]) -> None:
    """People joined or left a subgroup: their sockets re-check the room at once."""
    room = Room.objects.filter(subgroup=subgroup).first()
    if room is None:
        return
    for person_id in people:
        _access_changed(room, person_id)
