"""The shared library: documents, their files and versions, reading paths, and who read what."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import (
    ASSEMBLY_ROLES,
    CONTRIBUTOR_ROLES,
    MODERATOR_ROLES,
    STAFF_ROLES,
    Role,
    user_roles,
)
from deliberation.models import person_link


class DocumentKind(models.TextChoices):
    FILE = "fichier", _("file")
    LINK = "lien", _("link")
    VIDEO = "video", _("video")
    AUDIO = "audio", _("audio")
    SHEET = "fiche", _("pedagogical sheet")
    BIBLIOGRAPHY = "bibliographie", _("bibliography entry")


class Audience(models.TextChoices):
    ASSEMBLY = "assemblee", _("the assembly and the staff")
    STAFF = "equipe", _("the staff only")
    PUBLIC = "public", _("everyone, even without an account")


def audiences_for(roles: frozenset[Role]) -> list[str]:
    """The audiences whose documents someone holding ``roles`` reads once published."""
    audiences: list[str] = [Audience.PUBLIC]
    if roles & ASSEMBLY_ROLES:
        audiences.append(Audience.ASSEMBLY)
    if roles & STAFF_ROLES:
        audiences.append(Audience.STAFF)
    return audiences


class ContributorType(models.TextChoices):
    PROVIDER = "prestataire", _("the provider (facilitation)")
    SERVICE = "service", _("a service of the Département")
    MEMBER = "membre", _("a member of the assembly")


class DocumentStatus(models.TextChoices):
    PROPOSED = "propose", _("proposed")
    PUBLISHED = "publie", _("published")
    ARCHIVED = "archive", _("archived")
    DECLINED = "refuse", _("declined")
    WITHDRAWN = "retire", _("withdrawn by its author")


class ScanStatus(models.TextChoices):
    NOT_SCANNED = "non_analyse", _("not scanned (no antivirus configured)")
    PENDING = "en_attente", _("quarantined until the antivirus has scanned it")
    CLEAN = "sain", _("clean")
    INFECTED = "infecte", _("infected (never served)")


class Theme(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("code"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """One entry of the library: a file (with versions), a link, a sheet, a reference."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=DocumentKind.choices)
    url = models.URLField(_("address (link)"), max_length=1000, blank=True)
    # A pedagogical sheet's text: HTML from CKEditor 5, sanitised (nh3) before it is stored.
    body = models.TextField(_("text of the sheet"), blank=True)
    mandates = models.ManyToManyField(
        "assembly.Mandate", related_name="documents", blank=True, verbose_name=_("mandates")
    )
    themes = models.ManyToManyField(
        Theme, related_name="documents", blank=True, verbose_name=_("themes")
    )
    audience = models.CharField(
        _("audience"), max_length=20, choices=Audience.choices, default=Audience.ASSEMBLY
    )
    contributor = person_link(_("contributor"), related_name="contributed_documents")
    contributor_type = models.CharField(
        _("contributor type"), max_length=20, choices=ContributorType.choices
    )
    status = models.CharField(
        _("status"), max_length=20, choices=DocumentStatus.choices, default=DocumentStatus.PROPOSED
    )
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = person_link(_("published by"))
    # Everything searchable, as plain text (title, summary, sheet, text extracted from the
    # current file): documents/search.py keeps it and indexes it.
    search_text = models.TextField(_("searchable text"), blank=True, editable=False)
    # On PostgreSQL: the title (weight A) and search_text (weight D) through the
    # agora_french configuration, kept by documents/search.py, GIN-indexed (migration
    # 0003). Stored, so matching and ranking never re-parse the texts. Null on SQLite.
    search_vector = SearchVectorField(_("search index"), null=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-published_at", "-created_at"]
        indexes = [models.Index(fields=["status", "audience"], name="document_status_audience")]

    def __str__(self) -> str:
        return self.title

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """docs/permissions.md, « Bibliothèque »; ``documents.access.visible_documents`` lists
        the documents whose ``read`` is true."""
        roles = user_roles(user)
        audiences = audiences_for(roles)
        is_author = bool(
            getattr(user, "is_authenticated", False) and self.contributor_id == user.pk
        )
        moderator = bool(roles & MODERATOR_ROLES) and self.audience in audiences
        listed = self.status in (DocumentStatus.PUBLISHED, DocumentStatus.ARCHIVED)
        read = is_author or moderator or (listed and self.audience in audiences)
        return {
            "read": read,
            "download": read,
            "comment": read and listed and bool(roles & CONTRIBUTOR_ROLES),
            "edit": read and (is_author or moderator) and self.status != DocumentStatus.WITHDRAWN,
            "withdraw": is_author
            and self.status in (DocumentStatus.PROPOSED, DocumentStatus.PUBLISHED),
            "moderate": moderator,
            "publish": moderator and self.status == DocumentStatus.PROPOSED,
            "decline": moderator and self.status == DocumentStatus.PROPOSED,
            "archive": moderator and self.status == DocumentStatus.PUBLISHED,
        }

    @property
    def current_file(self) -> DocumentFile | None:
        files = getattr(self, "_prefetched_objects_cache", {}).get("files")
        if files is not None:
            return max(files, key=lambda f: f.version, default=None)
        return self.files.order_by("-version").first()


class DocumentFile(models.Model):
    """One version of a document's file. Stored under a random name outside the static
    root (documents/files.py), served only through a view that checks abilities."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="files", verbose_name=_("document")
    )
    version = models.PositiveIntegerField(_("version"))
    storage_name = models.CharField(_("stored as"), max_length=200, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    mime_type = models.CharField(_("type"), max_length=150)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    text = models.TextField(_("extracted text"), blank=True, editable=False)
    preview_name = models.CharField(_("preview stored as"), max_length=200, blank=True)
    scan_status = models.CharField(
        _("antivirus"), max_length=20, choices=ScanStatus.choices, default=ScanStatus.NOT_SCANNED
    )
    # A PDF with JavaScript, launch or other actions, or a PDF/HTML polyglot
    # (documents.files.pdf_active_content): always served as an attachment.
    active_content = models.BooleanField(_("active content"), default=False, editable=False)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    uploaded_by = person_link(_("uploaded by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("file version")
        verbose_name_plural = _("file versions")
        ordering = ["document", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["document", "version"], name="documentfile_version")
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.version})"


class DocumentEvent(models.Model):
    """The library's log: proposed, published, declined, edited, withdrawn, archived, new file."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="events", verbose_name=_("document")
    )
    action = models.CharField(_("action"), max_length=30)
    actor = person_link(_("by"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("library event")
        verbose_name_plural = _("library events")
        ordering = ["document", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.document_id}: {self.action}"


class ReadingPath(models.Model):
    """An ordered selection of documents, e.g. « Bienvenue dans l'Assemblée »."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("code"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    mandate = models.ForeignKey(
        "assembly.Mandate",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reading_paths",
        verbose_name=_("mandate"),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    documents: models.ManyToManyField[Document, Any] = models.ManyToManyField(
        Document, through="ReadingPathItem", related_name="paths", verbose_name=_("documents")
    )
    created_by = person_link(_("created by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reading path")
        verbose_name_plural = _("reading paths")
        ordering = ["position", "title"]

    def __str__(self) -> str:
        return self.title


class ReadingPathItem(models.Model):
    path = models.ForeignKey(
        ReadingPath, on_delete=models.CASCADE, related_name="items", verbose_name=_("path")
    )
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="path_items", verbose_name=_("document")
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("step of a reading path")
        verbose_name_plural = _("steps of a reading path")
        ordering = ["path", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["path", "document"], name="readingpathitem_once")
        ]

    def __str__(self) -> str:
        return f"{self.path} #{self.position}"


class ReadingProgress(models.Model):
    """Someone marked a document as read (« lu »): their progress in every path holding it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reading_progress",
        verbose_name=_("person"),
    )
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="readers", verbose_name=_("document")
    )
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("document read")
        verbose_name_plural = _("documents read")
        constraints = [
            models.UniqueConstraint(fields=["user", "document"], name="readingprogress_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.document_id}"


class MandateFollow(models.Model):
    """Someone wants to hear of every document published for a mandate."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="followed_mandates",
        verbose_name=_("person"),
    )
    mandate = models.ForeignKey(
        "assembly.Mandate",
        on_delete=models.CASCADE,
        related_name="followers",
        verbose_name=_("mandate"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("followed mandate")
        verbose_name_plural = _("followed mandates")
        constraints = [
            models.UniqueConstraint(fields=["user", "mandate"], name="mandatefollow_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.mandate_id}"


# Statuses a document can be seen in by someone other than its author and the moderators.
VISIBLE_STATUSES = (DocumentStatus.PUBLISHED, DocumentStatus.ARCHIVED)
VISIBLE = Q(status__in=VISIBLE_STATUSES)
