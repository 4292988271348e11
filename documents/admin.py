"""The library in the administration: themes, reading paths (ordered steps), documents."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from config.admin import LabelledListEditableAdmin
from documents.models import (
    Document,
    DocumentEvent,
    DocumentFile,
    ReadingPath,
    ReadingPathItem,
    Theme,
)
from documents.search import reindex


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ("name",)


class ReadingPathItemInline(admin.TabularInline):
    model = ReadingPathItem
    extra = 1
    autocomplete_fields = ("document",)
    ordering = ("position",)


@admin.register(ReadingPath)
class ReadingPathAdmin(LabelledListEditableAdmin):
    list_display = ("title", "mandate", "position")
    list_editable = ("position",)
    prepopulated_fields = {"slug": ("title",)}
    inlines = [ReadingPathItemInline]
    exclude = ("created_by",)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change and obj.created_by_id is None:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class DocumentFileInline(admin.TabularInline):
    model = DocumentFile
    extra = 0
    can_delete = False
    fields = (
        "version",
        "original_name",
        "mime_type",
        "size",
        "scan_status",
        "note",
        "uploaded_by",
        "created_at",
    )
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # files come in through documents.files.store_upload only


class DocumentEventInline(admin.TabularInline):
    model = DocumentEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "action", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Read and tidy the catalogue; publishing and declining go through the library's pages
    (documents.actions), which log, reindex and notify."""

    list_display = ("title", "kind", "status", "audience", "contributor_type", "published_at")
    list_filter = ("status", "kind", "audience", "contributor_type", "themes", "mandates")
    search_fields = ("title", "summary")
    filter_horizontal = ("themes", "mandates")
    readonly_fields = (
        "status",
        "contributor",
        "contributor_type",
        "published_at",
        "published_by",
        "decline_reason",
        "created_at",
        "updated_at",
        "kind",
    )
    fields = (
        "title",
        "summary",
        "kind",
        "url",
        "mandates",
        "themes",
        "audience",
        "status",
        "contributor",
        "contributor_type",
        "decline_reason",
        "published_at",
        "published_by",
        "created_at",
        "updated_at",
    )
    inlines = [DocumentFileInline, DocumentEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # documents are shared from the library's own form

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        from documents import actions

        DocumentEvent.objects.create(
            document=obj, action=actions.Action.EDITED, actor_id=request.user.pk, note="admin"
        )
        reindex(obj)
