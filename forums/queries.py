"""Reading conversations: history pages, resync, unread counts, search, and the JSON shapes.

Every function checks that the viewer may read the room (``Http404`` when
not) and runs a bounded number of queries, whatever the number of messages
or rooms: the socket calls them on every history frame and reconnect.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.names import badge_role
from deliberation.people import label_people, person_name
from forums.access import readable_rooms
from forums.models import Attachment, Message, ReadMarker, Room, RoomKind, Thread

MESSAGE_TEMPLATE = "forums/_message.html"
RENDERED_ATTR = "_agora_rendered_html"
HISTORY_MAX = 200
RESYNC_MAX = 500
SEARCH_MAX = 100


def author_dict(user: Any) -> dict[str, str]:
    return {"id": str(user.pk), "name": person_name(user), "role": badge_role(user)}


def _labelled(messages: list[Message]) -> list[Message]:
    """The shown names (with their canton when they agreed) of the authors, of the people
    they answer and of who reacted, in one go for the page."""
    people = [m.author for m in messages]
    people += [m.reply_to.author for m in messages if m.reply_to is not None]
    people += [r.user for m in messages for r in m.reactions.all()]
    label_people(people)
    return messages


def attachment_url(attachment: Attachment) -> str:
    # The download view checks access again; a missing route is not fatal here.
    try:
        return reverse("forums:attachment", args=[attachment.pk])
    except NoReverseMatch:
        return ""


def reaction_counts(message: Message) -> dict[str, int]:
    counts: dict[str, int] = {}
    for reaction in message.reactions.all():  # prefetched
        counts[reaction.emoji] = counts.get(reaction.emoji, 0) + 1
    return counts


def message_html(message: Message, *, moderate: bool = False) -> dict[str, str]:
    """The message's ``<li>`` from the pages' own partial, in each language of the site.

    Rendered once per message and shared by every reader (the plenary fan-out), so it
    holds nothing that depends on who reads it: chat.js marks one's own messages from
    ``data-author`` and shows the moderation link from the page's ``data-moderate``.
    ``moderate`` only decides whether a hidden message's text is in it.
    """
    # The sender's acknowledgement serialises the instance the broadcast just did: reuse
    # that rendering while nothing it shows has changed.
    key = (moderate, message.body_html, message.edited_at, message.hidden_at,
           message.deleted_at, tuple(sorted(reaction_counts(message).items())),
           len(message.attachments.all()))
    memo = getattr(message, RENDERED_ATTR, None)
    if memo is not None and memo[0] == key:
        return dict(memo[1])
    # One query for the cantons, however many renderings.
    label_people([message.author, *([message.reply_to.author] if message.reply_to else []),
                  *(r.user for r in message.reactions.all())])
    context = {"m": message, "abilities": {"moderate": moderate}, "user": None}
    html = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            html[code] = render_to_string(MESSAGE_TEMPLATE, context).strip()
    setattr(message, RENDERED_ATTR, (key, html))
    return dict(html)


def serialize_message(
    message: Message, viewer: Any = None, *, moderate: bool | None = None
) -> dict[str, Any]:
    """The JSON shape of a message (docs/protocol.md). ``viewer`` None: what everyone may see.

    A hidden message keeps its text for moderators only; a deleted one shows nothing.
    ``html`` is what the browser shows (``message_html``); the other fields are for
    clients that render messages themselves.
    """
    label_people([message.author])  # a fresh instance: its shown name worked out once
    hidden = message.hidden_at is not None
    deleted = message.deleted_at is not None
    if hidden and moderate is None:
        moderate = viewer is not None and message.room.get_abilities(viewer)["moderate"]
    show = not deleted and (not hidden or bool(moderate))
    return {
        "id": message.pk,
        "room": str(message.room_id),
        "thread": str(message.thread_id),
        "author": author_dict(message.author),
        "body_html": message.body_html if show else "",
        "created_at": message.created_at.isoformat(),
        "edited_at": message.edited_at.isoformat() if message.edited_at else None,
        "client_id": str(message.client_id),
        "reply_to": message.reply_to_id,
        "deleted": deleted,
        "hidden": hidden,
        "attachments": [
            {
                "id": str(a.pk),
                "kind": a.kind,
                "name": a.name,
                "url": attachment_url(a),
                "content_type": a.content_type,
                "size": a.size,
                "duration_seconds": a.duration_seconds,
                "transcript": a.transcript,
                "transcript_source": a.transcript_source,
                "transcript_status": a.transcript_status,
                "transcript_progress": a.transcript_progress,
                "transcript_failure": a.transcript_failure,
            }
            for a in message.attachments.all()
        ] if show else [],
        "reactions": reaction_counts(message) if not deleted else {},
        "html": message_html(message, moderate=show and hidden),
    }


def serialize_messages(messages: list[Message], viewer: Any) -> list[dict[str, Any]]:
    """A page of messages, with the viewer's abilities looked up once per room, not per message."""
    moderate: dict[Any, bool] = {}
    out = []
    for message in messages:
        if message.hidden_at is not None and message.room_id not in moderate:
            moderate[message.room_id] = (
                viewer is not None and message.room.get_abilities(viewer)["moderate"]
            )
        out.append(serialize_message(message, viewer, moderate=moderate.get(message.room_id)))
    return out


def with_related(messages: QuerySet[Message]) -> QuerySet[Message]:
    """Everything ``serialize_message`` reads, in three queries however many messages."""
    return messages.select_related("author", "reply_to__author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("created_at")),
        "reactions__user",
    )


def _check_read(viewer: Any, room: Room) -> None:
    if not room.get_abilities(viewer)["read"]:
        raise Http404


def _clamp(limit: int, top: int) -> int:
    return max(1, min(int(limit), top))


def history(
    viewer: Any, room: Room, *, thread: Thread | None = None, before: int | None = None,
    limit: int = 50,
) -> list[Message]:
    """The ``limit`` messages before ``before`` (the latest when None), oldest first."""
    _check_read(viewer, room)
    messages = Message.objects.filter(room=room)
    if thread is not None:
        if thread.room_id != room.pk:
            raise Http404
        messages = messages.filter(thread=thread)
    if before is not None:
        messages = messages.filter(id__lt=before)
    page = list(with_related(messages.order_by("-id"))[: _clamp(limit, HISTORY_MAX)])
    page.reverse()
    return _labelled(page)


def messages_after(viewer: Any, room: Room, *, after: int, limit: int = 200) -> list[Message]:
    """What was said in the room after message ``after``, oldest first (resync on reconnect)."""
    _check_read(viewer, room)
    messages = Message.objects.filter(room=room, id__gt=after).order_by("id")
    return _labelled(list(with_related(messages)[: _clamp(limit, RESYNC_MAX)]))


def _unread_messages(viewer: Any) -> QuerySet[Message]:
    """Messages the viewer has not read: after their marker in the thread, not their own."""
    marker = ReadMarker.objects.filter(user=viewer, thread=OuterRef("thread")).values(
        "last_read_id"
    )[:1]
    return (
        Message.objects.filter(deleted_at__isnull=True, hidden_at__isnull=True)
        .exclude(author=viewer)
        .annotate(marker=Subquery(marker))
        .filter(Q(marker__isnull=True) | Q(id__gt=F("marker")))
    )


def unread_counts(viewer: Any, rooms: list[Room]) -> dict[str, int]:
    """Unread messages per room, in one query whatever the number of rooms."""
    counts = {str(room.pk): 0 for room in rooms}
    if not rooms or not getattr(viewer, "is_authenticated", False):
        return counts
    rows = (
        _unread_messages(viewer)
        .filter(room__in=[room.pk for room in rooms])
        .order_by()
        .values("room")
        .annotate(n=Count("id"))
    )
    for row in rows:
        counts[str(row["room"])] = row["n"]
    return counts


def thread_unread_counts(viewer: Any, room: Room) -> dict[str, int]:
    """Unread messages per thread of one room (the forum's thread list), in one query."""
    _check_read(viewer, room)
    rows = (
        _unread_messages(viewer).filter(room=room).order_by().values("thread")
        .annotate(n=Count("id"))
    )
    return {str(row["thread"]): row["n"] for row in rows}


def last_read_id(viewer: Any, thread: Thread) -> int:
    """Where the « nouveaux messages » line goes in this thread."""
    marker = ReadMarker.objects.filter(user=viewer, thread=thread).values_list(
        "last_read_id", flat=True
    ).first()
    return marker or 0


def threads(viewer: Any, room: Room) -> list[Thread]:
    """The room's threads, latest activity first, each with its number of messages."""
    _check_read(viewer, room)
    listed: list[Thread] = list(
        room.threads.select_related("created_by").annotate(
            message_count=Count("messages", filter=Q(messages__deleted_at__isnull=True))
        ).order_by("-is_default", "-last_activity_at")
    )
    label_people(t.created_by for t in listed)
    return listed


def direct_room_name(room: Room, viewer: Any) -> str:
    """A direct room without a name is called after the other people in it."""
    if room.name or room.kind != RoomKind.DIRECT:
        return room.name
    others = [p.public_name for p in room.participants.all() if p.pk != viewer.pk]
    return ", ".join(sorted(others)) or gettext("Just me")


def room_summary(room: Room, viewer: Any, unread: int) -> dict[str, Any]:
    """A room as the hello frame and the room list show it."""
    return {"id": str(room.pk), "kind": room.kind, "name": direct_room_name(room, viewer),
            "unread": unread}


def room_summaries(viewer: Any) -> list[dict[str, Any]]:
    rooms = readable_rooms(viewer)
    counts = unread_counts(viewer, rooms)
    return [room_summary(room, viewer, counts[str(room.pk)]) for room in rooms]


def search_messages(viewer: Any, text: str, *, limit: int = 50) -> list[Message]:
    """Visible messages containing ``text``, newest first, in rooms the viewer may read.

    PostgreSQL searches with its French configuration (« vieillir » finds
    « vieillissement »); SQLite, the development database, by substring.
    """
    text = (text or "").strip()[:200]
    if not text:
        return []
    rooms = [room.pk for room in readable_rooms(viewer)]
    if not rooms:
        return []
    messages = Message.objects.filter(
        room__in=rooms, deleted_at__isnull=True, hidden_at__isnull=True
    )
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchVector

        messages = messages.annotate(
            search=SearchVector("body", config="french")
        ).filter(search=SearchQuery(text, config="french", search_type="websearch"))
    else:
        messages = messages.filter(body__icontains=text)
    return _labelled(list(
        with_related(messages.select_related("room", "thread")).order_by("-id")[
            : _clamp(limit, SEARCH_MAX)
        ]
    ))
