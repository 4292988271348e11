"""The rooms one may read, and the access helpers views and consumers use.

Who may read, write and moderate a room is ``Room.get_abilities``; the rules
(docs/permissions.md, « Conversations »):
- subgroup room: its members and facilitators read and write; its facilitators
  and the DCCU moderate; the DCCU reads;
- plenary: every current member reads; titulaires, facilitators, agents, the
  DCCU and the follow-up committee write; substitutes read only; facilitators
  and the DCCU moderate;
- direct room: its participants only (nobody else reads it, the DCCU included;
  moderators see a direct message only when someone reports it);
- staff room: facilitators, agents and the DCCU;
- anyone may be added to a room by a django-guardian grant
  (``forums.participate_room`` / ``forums.moderate_room``);
- a muted person cannot write until the mute ends; an archived room is read-only;
- a document's comment room (kind « document »): read by whoever may read the document,
  written by whoever may comment on it, moderated by the library's moderators of it
  (``Document.get_abilities``); no grant or guest opens it, and it is not
  listed with the conversations (its thread is shown on the document's page);
- a practice room (kind « practice », learning/sandbox.py): its owner only, nobody else,
  the DCCU included; the shared training room (kind « training »): anyone logged in reads
  and writes, facilitators and the DCCU moderate. Neither is listed with the
  conversations (they are reached from the practice space), so neither is searched.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import Http404

from accounts.roles import ASSEMBLY_ROLES, STAFF_ROLES, Role, user_roles
from forums.models import PRACTICE_KINDS, Message, Room, RoomKind, Thread, VoiceDraft


def readable_rooms(user: Any) -> list[Room]:
    """Every room the user may read (for the hello frame and the room list).

    The same rules as ``Room.get_abilities``, as one query (plus the roles and the
    django-guardian grants), whatever the number of rooms; a test checks that
    both agree for every role and kind of room.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    from guardian.shortcuts import get_objects_for_user

    roles = user_roles(user)
    visible = Q(participants=user)  # direct rooms, and guests of other rooms
    visible |= Q(kind=RoomKind.SUBGROUP, subgroup__members=user)
    visible |= Q(kind=RoomKind.SUBGROUP, subgroup__facilitators=user)
    if Role.DCCU in roles:
        visible |= Q(kind=RoomKind.SUBGROUP)
    if roles & ASSEMBLY_ROLES:
        visible |= Q(kind=RoomKind.PLENARY)
    if roles & STAFF_ROLES:
        visible |= Q(kind=RoomKind.STAFF)
    granted = get_objects_for_user(
        user, ["forums.participate_room", "forums.moderate_room"], klass=Room, any_perm=True,
        accept_global_perms=False,
    ).values("pk")
    visible |= Q(pk__in=granted) & ~Q(kind=RoomKind.DIRECT)
    # Document comment rooms live on their document's page, never in the room list.
    # The practice and training rooms live in the practice space, out of the list (and of
    # search, mentions and unread counts, which read this list).
    ids = (
        Room.objects.filter(visible)
        .exclude(kind__in=(RoomKind.DOCUMENT, *PRACTICE_KINDS))
        .values("pk")
    )
    return list(
        Room.objects.filter(pk__in=ids)
        .select_related("subgroup")
        .prefetch_related("participants")  # names of direct rooms, in one more query
        .order_by("kind", "name")
    )


def access_room(user: Any, room_id: Any) -> Room:
    """The room, or 404 when it does not exist *or* the user may not read it."""
    try:
        room = Room.objects.select_related("subgroup", "document").get(pk=room_id)
    except (Room.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not room.get_abilities(user)["read"]:
        raise Http404
    return room


def access_thread(user: Any, thread_id: Any) -> Thread:
    try:
        thread = Thread.objects.select_related("room__subgroup", "room__document").get(pk=thread_id)
    except (Thread.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not thread.room.get_abilities(user)["read"]:
        raise Http404
    return thread


def access_message(user: Any, message_id: Any) -> Message:
    try:
        message = Message.objects.select_related("room__subgroup", "room__document", "thread").get(
            pk=message_id
        )
    except (Message.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    if not message.room.get_abilities(user)["read"]:
        raise Http404
    return message


def access_voice_draft(user: Any, draft_id: Any) -> VoiceDraft:
    """One's own recording not sent yet; nobody else's exists (404), whoever asks."""
    draft = VoiceDraft.objects.filter(pk=draft_id, author_id=getattr(user, "pk", None)).first()
    if draft is None:
        raise Http404
    return draft
