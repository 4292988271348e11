"""The practice space (« bac à sable »): a room, a draft and a wall of one's own, reset on
demand, and the shared training room (docs/training.md).

Design: each person has their own space (``PracticeSpace``), created on their first
visit, that only they can open: a forums room of kind « practice », a Yjs draft (kind
``practicedraft`` at /ws/practice-drafts/<id>, stored like the workshops' documents) and
an idea wall in that room. Being per person keeps privacy simple (only me, never the
DCCU), and a reset only ever touches one person's words. To try a conversation with
others there is one shared « salle d'entraînement » (forums kind « training ») that anyone
logged in may write in and the DCCU empties. Practice rooms are out of the room list,
search, notifications, dashboards and the admin (forums/access.py, forums/actions.py).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import pycrdt
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from learning.models import PracticeSpace
from realtime.yjs.store import DocAbilities, Limits
from workshops import ydocs

KIND = "practicedraft"  # the Yjs document kind (realtime/yjs/registry.py)
PATH = "practice-drafts"  # its socket: /ws/practice-drafts/<document id>
FRAGMENT = "default"  # the editor's root, as in the drafts (deliberation/drafts.py)
ROOTS: dict[str, type] = {FRAGMENT: pycrdt.XmlFragment}


def _create_space(owner: Any) -> PracticeSpace:
    from forums.actions import default_thread
    from forums.models import Room, RoomKind
    from workshops.models import DocKind, YDocument
    from workshops.walls import create_wall

    with translation.override(settings.LANGUAGE_CODE):
        room_name = _("My practice room")
        question = _("Practice wall: what would you like to try?")
    room = Room.objects.create(kind=RoomKind.PRACTICE, name=room_name, created_by=owner)
    room.participants.add(owner)
    default_thread(room)
    draft = YDocument.objects.create(kind=DocKind.PRACTICE)
    wall = create_wall(room, question=question, by=owner)
    return PracticeSpace.objects.create(owner=owner, room=room, draft=draft, wall=wall)


def practice_space(user: Any) -> PracticeSpace:
    """The person's practice space, created on their first visit; its use is recorded
    (it is deleted 30 days after the last one, learning/privacy.py)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        raise Http404
    now = timezone.now()
    space = PracticeSpace.objects.select_related("room", "wall").filter(owner=user).first()
    if space is None:
        try:
            with transaction.atomic():
                space = _create_space(user)
        except IntegrityError:  # two tabs at once: the other one created it
            space = PracticeSpace.objects.select_related("room", "wall").get(owner=user)
    else:
        PracticeSpace.objects.filter(pk=space.pk).update(last_used_at=now)
    return space


def delete_space_content(space: PracticeSpace) -> None:
    """Delete everything the space holds: the room (messages, their files, the wall and
    its notes) and the draft. Files go once the transaction commits."""
    from forums.models import Attachment, Room
    from workshops.models import YDocument

    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    names = [
        name
        for name in Attachment.objects.filter(message__room_id=space.room_id).values_list(
            "file", flat=True
        )
        if name
    ]
    from realtime.yjs import relay
    from workshops.walls import WALL_KIND

    Room.objects.filter(pk=space.room_id).delete()  # its messages, its wall and notes
    YDocument.objects.filter(pk=space.draft_id).delete()
    # A draft or wall still open in another tab re-reads its rights, finds nothing and
    # closes (4404), rather than writing into a document that is gone.
    relay.announce_abilities_changed(KIND, space.draft_id)
    relay.announce_abilities_changed(WALL_KIND, space.wall_id)
    for name in names:
        transaction.on_commit(partial(storage.delete, name))


def do_reset_practice_space(actor: Any) -> PracticeSpace:
    """« Tout effacer et recommencer »: delete the person's practice room, draft and wall
    with everything in them (files included), and give them fresh ones. Not audited: it
    is the person's own scribbles, nobody else's data."""
    with transaction.atomic():
        space = PracticeSpace.objects.select_for_update().filter(owner=actor).first()
        if space is not None:
            if not space.get_abilities(actor)["reset"]:
                raise PermissionDenied
            space.delete()  # its room, wall and draft go with it (delete_space_content)
        return _create_space(actor)


def on_space_deleted(sender: Any, instance: PracticeSpace, **kwargs: Any) -> None:
    """However a space goes (reset, erasure of its owner, retention), its content goes."""
    delete_space_content(instance)


# --- The shared training room -----------------------------------------------------------


def training_room() -> Any:
    """The one shared « salle d'entraînement », created when first asked for."""
    from forums.actions import default_thread
    from forums.models import Room, RoomKind

    room = Room.objects.filter(kind=RoomKind.TRAINING).order_by("created_at").first()
    if room is None:
        with translation.override(settings.LANGUAGE_CODE):
            name = _("Training room")
        room = Room.objects.create(kind=RoomKind.TRAINING, name=name)
        default_thread(room)
    return room


def do_reset_training_room(actor: Any) -> Any:
    """Empty the shared training room (the DCCU, between two training sessions)."""
    from forums.models import Attachment, Room, RoomKind

    if not has_role(actor, Role.DCCU):
        raise PermissionDenied
    storage = Attachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    with transaction.atomic():
        rooms = Room.objects.filter(kind=RoomKind.TRAINING)
        names = [
            n
            for n in Attachment.objects.filter(message__room__in=rooms).values_list(
                "file", flat=True
            )
            if n
        ]
        rooms.delete()
        for name in names:
            transaction.on_commit(partial(storage.delete, name))
        room = training_room()
    from gdpr.audit import record

    record(actor, "learning.training_room.reset", obj=room)
    return room


# --- The practice draft as a Yjs document kind -----------------------------------------


def access_practice_draft(user: Any, doc_id: Any) -> PracticeSpace:
    """The space whose draft this is, or 404 for anyone but its owner (same answer as for
    a draft that does not exist)."""
    try:
        space = PracticeSpace.objects.get(draft_id=doc_id)
    except (PracticeSpace.DoesNotExist, ValueError, TypeError, Exception) as exc:
        raise Http404 from exc
    if not space.get_abilities(user)["read"]:
        raise Http404
    return space


class PracticeDraftStore(ydocs.YDocStore):
    """The engine's store for practice drafts: its owner writes, nobody else connects."""

    kind = KIND
    ROOTS = ROOTS

    def limits(self) -> Limits:
        return Limits(
            int(getattr(settings, "DRAFT_MAX_UPDATE_BYTES", 512 * 1024)),
            # A practice draft is for trying: smaller than a real one.
            int(getattr(settings, "PRACTICE_MAX_DOCUMENT_BYTES", 1024 * 1024)),
            int(getattr(settings, "DRAFT_COMPACT_EVERY", 500)),
        )

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        from deliberation.proposals import writer_identity

        try:
            space = access_practice_draft(user, doc_id)
        except Http404:
            return None
        write = space.get_abilities(user)["write"]
        return DocAbilities(
            write=write,
            identity={**writer_identity(user), "id": str(user.pk)},
            extra={
                "me": str(user.pk),
                "comment": False,
                "suggest_only": False,
                "facilitate": write,
                "frozen": False,
                "frozen_note": "",
                "status": "",
                "status_label": "",
            },
            trusted=True,
        )

    def record_version(self, doc_id: str) -> None:
        """No automatic versions: a practice draft keeps no history."""
