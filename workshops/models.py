"""Workshops (« ateliers »): idea walls and whiteboards, live Yjs documents of a room.

Every document of this app (a wall, a person's silent-writing sheet, a board) is stored
the same way, by `workshops/ydocs.py`: a `YDocument` (compacted snapshot) plus the
`YDocumentUpdate`s accepted since, and `YDocumentVersion`s. A wall, sheet or board has
the same id as its document, which is also the id in its socket's address
(/ws/walls/<id>, /ws/wall-sheets/<id>, /ws/boards/<id>).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from deliberation.models import person_link


class DocKind(models.TextChoices):
    WALL = "wall", _("idea wall")
    SHEET = "wallsheet", _("silent-writing sheet")
    BOARD = "board", _("whiteboard")
    # A session's framing note, minutes or synthesis (assembly.SessionDocument).
    SESSION_DOC = "sessiondoc", _("session document")
    # A person's practice draft (learning/sandbox.py): theirs only, not assembly content.
    PRACTICE = "practice", _("practice draft")


class YDocument(models.Model):
    """A Yjs document of a workshop: its state is `snapshot` merged with every update
    stored for it (docs/protocol.md, « Idea walls and whiteboards »)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=DocKind.choices)
    snapshot = models.BinaryField(_("snapshot"), default=b"")
    frozen = models.BooleanField(_("frozen"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_edit_at = models.DateTimeField(_("last edit"), null=True, blank=True)
    compacted_at = models.DateTimeField(_("compacted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("workshop document")
        verbose_name_plural = _("workshop documents")

    def __str__(self) -> str:
        return f"{self.kind} {self.pk}"


class YDocumentUpdate(models.Model):
    """One Yjs update accepted by the server, stored before it is relayed to anyone."""

    id = models.BigAutoField(primary_key=True)
    document = models.ForeignKey(
        YDocument, on_delete=models.CASCADE, related_name="updates", verbose_name=_("document")
    )
    data = models.BinaryField(_("data"))
    author = person_link(_("author"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("workshop document update")
        verbose_name_plural = _("workshop document updates")
        indexes = [models.Index(fields=["document", "id"], name="ydocupdate_doc_id")]

    def __str__(self) -> str:
        return f"{self.document_id} #{self.pk}"


class YDocumentVersion(models.Model):
    """A copy of a document's full state, with the people who wrote since the last one."""

    document = models.ForeignKey(
        YDocument, on_delete=models.CASCADE, related_name="versions", verbose_name=_("document")
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10)  # deliberation.models.VersionKind
    name = models.CharField(_("name"), max_length=200, blank=True)
    state = models.BinaryField(_("state"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = person_link(_("created by"))
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("authors")
    )

    class Meta:
        verbose_name = _("workshop document version")
        verbose_name_plural = _("workshop document versions")
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="ydocversion_unique")
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"


class YDocumentContribution(models.Model):
    """Someone wrote in the document since its last version (`version` null) or in it."""

    document = models.ForeignKey(
        YDocument,
        on_delete=models.CASCADE,
        related_name="contributions",
        verbose_name=_("document"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )
    version = models.ForeignKey(
        YDocumentVersion, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("workshop contribution")
        verbose_name_plural = _("workshop contributions")
        constraints = [
            models.UniqueConstraint(
                fields=["document", "user"],
                condition=Q(version__isnull=True),
                name="ydoccontribution_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.document_id}"


class WallMode(models.TextChoices):
    OPEN = "open", _("open writing")
    SILENT = "silent", _("silent writing")
    VOTE = "vote", _("dot vote")
    READONLY = "readonly", _("read-only")


def default_columns() -> list[dict[str, str]]:
    return []


class Wall(models.Model):
    """An idea wall (« mur d'idées ») of a room: sticky notes, clusters, dot votes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(
        "forums.Room", on_delete=models.CASCADE, related_name="walls", verbose_name=_("room")
    )
    document = models.OneToOneField(
        YDocument, on_delete=models.CASCADE, related_name="wall", verbose_name=_("document")
    )
    question = models.CharField(_("question"), max_length=300)
    # [{"key": "constats", "label": "Constats"}, …]; empty: one column.
    columns = models.JSONField(_("columns"), default=default_columns, blank=True)
    mode = models.CharField(
        _("mode"), max_length=10, choices=WallMode.choices, default=WallMode.OPEN
    )
    anonymous_allowed = models.BooleanField(_("anonymous notes allowed"), default=False)
    created_by = person_link(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    mode_changed_at = models.DateTimeField(_("mode changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("idea wall")
        verbose_name_plural = _("idea walls")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.question

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """``read``, ``write`` (add and arrange notes) and ``facilitate`` (modes, votes,
        columns): the room's read, write and moderate (docs/permissions.md)."""
        room = self.room.get_abilities(user)
        return {
            "read": room["read"],
            "write": room["write"] and self.mode != WallMode.READONLY,
            "facilitate": room["moderate"],
        }


class WallSheet(models.Model):
    """A person's private sheet on a wall in silent writing: their notes until « révéler »
    moves them onto the wall. Only ever served to its owner."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    wall = models.ForeignKey(
        Wall, on_delete=models.CASCADE, related_name="sheets", verbose_name=_("wall")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("owner"),
    )
    document = models.OneToOneField(
        YDocument, on_delete=models.CASCADE, related_name="sheet", verbose_name=_("document")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("silent-writing sheet")
        verbose_name_plural = _("silent-writing sheets")
        constraints = [
            models.UniqueConstraint(fields=["wall", "owner"], name="wallsheet_one_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} on {self.wall_id}"


class NoteAuthor(models.Model):
    """Who really wrote a note (recorded by the server for every note created, anonymous or
    not): for moderation, the access copy and erasure."""

    wall = models.ForeignKey(
        Wall, on_delete=models.CASCADE, related_name="note_authors", verbose_name=_("wall")
    )
    note = models.CharField(_("note"), max_length=40)
    person = person_link(_("person"))
    anonymous = models.BooleanField(_("anonymous"), default=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("note author")
        verbose_name_plural = _("note authors")
        constraints = [
            models.UniqueConstraint(fields=["wall", "note"], name="noteauthor_one_per_note")
        ]

    def __str__(self) -> str:
        return f"{self.note} on {self.wall_id}"


class VoteRound(models.Model):
    """A dot vote on a wall: each person places up to `dots` dots on notes or clusters;
    the results stay hidden until the facilitator reveals them."""

    wall = models.ForeignKey(
        Wall, on_delete=models.CASCADE, related_name="rounds", verbose_name=_("wall")
    )
    dots = models.PositiveSmallIntegerField(_("dots per person"))
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = person_link(_("opened by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    revealed_at = models.DateTimeField(_("revealed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("vote round")
        verbose_name_plural = _("vote rounds")
        ordering = ["wall", "-opened_at"]
        constraints = [
            models.CheckConstraint(condition=Q(dots__gte=1), name="voteround_some_dots"),
        ]

    def __str__(self) -> str:
        return f"{self.wall_id} {self.opened_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class Dot(models.Model):
    """One dot a person placed; `slot` (1..dots) makes « no more than N » a constraint of the
    database, whatever frames arrive at once."""

    round = models.ForeignKey(
        VoteRound, on_delete=models.CASCADE, related_name="dot_set", verbose_name=_("round")
    )
    person = person_link(_("person"))
    slot = models.PositiveSmallIntegerField(_("slot"))
    target = models.CharField(_("target"), max_length=42)  # "n:<note id>" | "c:<cluster id>"
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("dot")
        verbose_name_plural = _("dots")
        constraints = [
            models.UniqueConstraint(fields=["round", "person", "slot"], name="dot_one_per_slot"),
            models.CheckConstraint(condition=Q(slot__gte=1), name="dot_slot_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.target} in {self.round_id}"


class Board(models.Model):
    """A whiteboard (« tableau blanc ») of a room: an Excalidraw scene in a Yjs document."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    room = models.ForeignKey(
        "forums.Room", on_delete=models.CASCADE, related_name="boards", verbose_name=_("room")
    )
    document = models.OneToOneField(
        YDocument, on_delete=models.CASCADE, related_name="board", verbose_name=_("document")
    )
    title = models.CharField(_("title"), max_length=200)
    created_by = person_link(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("whiteboard")
        verbose_name_plural = _("whiteboards")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    def get_abilities(self, user: Any) -> dict[str, bool]:
        room = self.room.get_abilities(user)
        return {
            "read": room["read"],
            "write": room["write"],
            "facilitate": room["moderate"],
        }
