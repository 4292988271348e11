"""Admin for conversations: read-mostly, for the DCCU; every change goes through ``forums.actions``.

Direct conversations never show here, except a message someone reported: the
DCCU moderates what is reported, and reads nothing else of a private exchange.
The DPD has no access to conversations.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.models import User
from accounts.roles import Role, has_role
from forums import actions
from forums.models import Message, Mute, Report, Room, RoomKind


def _is_dccu(request: HttpRequest) -> bool:
    return has_role(request.user, Role.DCCU)


class DccuAdmin(admin.ModelAdmin):
    """Seen by the DCCU only; nothing is added or deleted from here."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_dccu(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_dccu(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RoomForm(forms.ModelForm):
    archived = forms.BooleanField(label=_("archived (read only)"), required=False)
    actor: User | None = None

    class Meta:
        model = Room
        fields = ["name", "charter", "participants"]
        labels = {"participants": _("guests")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["archived"].initial = self.instance.archived_at is not None

    def _post_clean(self) -> None:
        # The action is the save: its refusal becomes a form error, not a 500.
        if self.errors:
            return
        try:
            self.instance = actions.do_update_room(
                self.actor, self.instance, name=self.cleaned_data["name"],
                charter=self.cleaned_data["charter"], archived=self.cleaned_data["archived"],
                guests=list(self.cleaned_data["participants"]),
            )
        except (ValidationError, PermissionDenied) as exc:
            self.add_error(None, str(exc) if isinstance(exc, PermissionDenied) else exc)


@admin.register(Room)
class RoomAdmin(DccuAdmin):
    form = RoomForm
    list_display = ["name", "kind", "mandate", "archived_at", "created_at"]
    list_filter = ["kind", "mandate"]
    search_fields = ["name"]
    raw_id_fields = ["participants"]
    fields = ["name", "charter", "archived", "participants"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Room]:
        # Nobody but its people reads a direct room or a practice room, the DCCU included.
        return (
            super().get_queryset(request)
            .exclude(kind__in=(RoomKind.DIRECT, RoomKind.PRACTICE))
            .select_related("mandate")
        )

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_dccu(request) and (
            obj is None or obj.kind not in (RoomKind.DIRECT, RoomKind.PRACTICE)
        )

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": cast(User, request.user)})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        """Saved by the action in the form."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The guests were set by the action too."""


def _visible_messages(queryset: QuerySet[Message]) -> QuerySet[Message]:
    reported = Report.objects.filter(message=OuterRef("pk"))
    return queryset.exclude(room__kind=RoomKind.PRACTICE).filter(
        ~Q(room__kind=RoomKind.DIRECT) | Exists(reported)
    )


@admin.register(Message)
class MessageAdmin(DccuAdmin):
    list_display = ["id", "excerpt", "author", "room", "created_at", "hidden_at", "deleted_at"]
    list_filter = ["room__kind", ("hidden_at", admin.EmptyFieldListFilter)]
    search_fields = ["body"]
    list_select_related = ["author", "room"]
    readonly_fields = ("room", "thread", "author", "body_html", "created_at", "edited_at",
                       "deleted_at", "hidden_at", "hidden_by", "hidden_reason")
    fields = readonly_fields
    actions = ["hide", "unhide"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Message]:
        return _visible_messages(super().get_queryset(request))

    @admin.display(description=_("text"))
    def excerpt(self, obj: Message) -> str:
        return Truncator(obj.body).chars(80)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_dccu(request)  # for the actions; every field is read only

    @admin.action(description=_("Hide the selected messages"))
    def hide(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        done = 0
        for message in queryset.select_related("room__subgroup"):
            reason = (message.reports.values_list("reason", flat=True).first()
                      or str(_("Hidden by the DCCU team.")))
            try:
                actions.do_hide_message(request.user, message, reason=reason)
            except (ValidationError, PermissionDenied):
                continue
            done += 1
        self.message_user(
            request,
            ngettext("%(count)d message hidden.", "%(count)d messages hidden.", done)
            % {"count": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Show the selected messages again"))
    def unhide(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        for message in queryset.filter(hidden_at__isnull=False).select_related("room__subgroup"):
            try:
                actions.do_unhide_message(request.user, message)
            except (ValidationError, PermissionDenied):
                continue


@admin.register(Report)
class ReportAdmin(DccuAdmin):
    list_display = ["created_at", "message", "reason", "reporter", "handled_at", "outcome"]
    list_filter = [("handled_at", admin.EmptyFieldListFilter)]
    list_select_related = ["message__room", "reporter"]
    readonly_fields = ("message", "reporter", "reason", "created_at", "handled_by",
                       "handled_at", "outcome")
    fields = readonly_fields
    actions = ["hide_messages"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_dccu(request)

    @admin.action(description=_("Hide the reported messages"))
    def hide_messages(self, request: HttpRequest, queryset: QuerySet[Report]) -> None:
        for report in queryset.select_related("message__room__subgroup"):
            try:
                actions.do_hide_message(request.user, report.message, reason=report.reason)
            except (ValidationError, PermissionDenied):
                continue


@admin.register(Mute)
class MuteAdmin(DccuAdmin):
    list_display = ["user", "room", "until", "reason", "muted_by"]
    list_select_related = ["user", "room", "muted_by"]
    readonly_fields = ("room", "user", "until", "reason", "muted_by", "created_at")
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mute]:
        return super().get_queryset(request).exclude(
            room__kind__in=(RoomKind.DIRECT, RoomKind.PRACTICE)
        )
