"""Admin of the privacy module, and the audit of staff access to personal data in the admin.

Sections are owned by the parts of the privacy work; append yours rather than
rewriting the file.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.db import models
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from gdpr import audit
from gdpr.models import AuditEntry, RetentionRun
from gdpr.registry import Declaration, get_declaration

# === Staff access to personal data in the admin (audit trail) =================================
# ``config.admin.AgoraAdminSite.admin_view`` hands every change, history and delete
# page of every ModelAdmin to ``audited_admin_view``. Whether the page shows personal
# data, and whose, comes from the model's declaration: nothing here names a model.

# ``user_change_password``: the DCCU setting someone's password can then log in as them.
AUDITED_ADMIN_VIEWS = frozenset(
    {"change_view", "history_view", "delete_view", "user_change_password"}
)
CHANGING_VIEWS = frozenset({"change_view", "user_change_password"})
PAGE_NAMES = {"user_change_password": "password"}
MAX_PEOPLE_PER_ENTRY = 50


def people_of(declaration: Declaration, obj: models.Model) -> list[Any]:
    """The people a row is about, following its declared subject paths from the row."""
    user_model = get_user_model()
    if declaration.model is user_model or isinstance(obj, user_model):
        return [obj]
    people: dict[Any, Any] = {}
    for path in (declaration.subject, *declaration.extra_subjects):
        if not path:
            continue
        current: list[Any] = [obj]
        for part in path.split("__"):
            following: list[Any] = []
            for item in current:
                value = getattr(item, part, None)
                if value is None:
                    continue
                if isinstance(value, models.Manager):
                    following.extend(value.all())
                else:
                    following.append(value)
            current = following
        for person in current:
            if isinstance(person, user_model):
                people.setdefault(person.pk, person)
    return list(people.values())


def _admin_action(request: HttpRequest, view_name: str, response: HttpResponseBase) -> str:
    done = request.method == "POST" and response.status_code in (301, 302, 303)
    if done and view_name == "delete_view":
        return "admin.delete"
    if done and view_name in CHANGING_VIEWS:
        return "admin.change"
    return "admin.view"


def audited_admin_view(
    model_admin: admin.ModelAdmin[Any], view: Callable[..., HttpResponseBase]
) -> Callable[..., HttpResponseBase]:
    """Wrap an object page of the admin so that opening it is logged, when it shows
    someone else's declared personal data: who, what, whose, when."""
    declaration = get_declaration(model_admin.model)
    if declaration is None:
        return view

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # The object's id comes as ``object_id`` (Django's object pages) or ``id``
        # (the user admin's password page), or positionally.
        object_id = kwargs.get("object_id", kwargs.get("id", args[0] if args else None))
        obj = model_admin.get_object(request, unquote(str(object_id)))
        people = people_of(declaration, obj) if obj is not None else []
        response = view(request, *args, **kwargs)
        if obj is None or response.status_code >= 400:
            return response
        action = _admin_action(request, view.__name__, response)
        if action == "admin.delete":
            # A deleted person can no longer be referred to; the object id stays.
            user_model = get_user_model()
            kept = set(user_model._base_manager.filter(
                pk__in=[p.pk for p in people]).values_list("pk", flat=True))
            people = [p for p in people if p.pk in kept]
        others = [p for p in people if p.pk != request.user.pk][:MAX_PEOPLE_PER_ENTRY]
        if people and not others:
            return response  # one's own data
        page = PAGE_NAMES.get(view.__name__, view.__name__.removesuffix("_view"))
        for person in others or [None]:
            audit.record(request.user, action, subject=person, obj=obj, page=page)
        return response

    return wrapper


# === The audit trail and the retention runs: read only, for the DPO ============================


def _is_dpo(request: HttpRequest) -> bool:
    from accounts.roles import Role, has_role

    return has_role(request.user, Role.DPD)


class DpoReadOnlyAdmin(admin.ModelAdmin[Any]):
    """Only the DPO reads these, and nobody changes them (the DCCU is what they watch)."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_dpo(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(DpoReadOnlyAdmin):
    list_display = ("at", "actor", "action", "subject", "object_type", "object_id")
    list_filter = ("action",)
    date_hierarchy = "at"
    search_fields = ("action", "actor__email", "subject__email", "object_id")
    list_select_related = ("actor", "subject")
    readonly_fields = ("at", "actor", "action", "subject", "object_type", "object_id", "details")
    fields = readonly_fields

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit.record(request.user, "gdpr.audit.view", via="admin")
        return response


@admin.register(RetentionRun)
class RetentionRunAdmin(DpoReadOnlyAdmin):
    list_display = ("started_at", "applied", "trigger", "actor", "finished_at", "error")
    list_filter = ("applied", "trigger")
    date_hierarchy = "started_at"
    readonly_fields = ("started_at", "finished_at", "applied", "trigger", "actor", "summary",
                       "error")
    fields = readonly_fields


# === Information and consent: the texts, and the consent records as proof ======================
# The same operations as the staff pages (``gdpr.consent``): a published text is read
# only, a draft is written, published or discarded by the DCCU or the DPD. Consent
# records are never added, changed or deleted here.

from django import forms  # noqa: E402
from django.contrib import messages  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.db.models import QuerySet  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402
from django.utils.translation import ngettext  # noqa: E402

from gdpr import consent  # noqa: E402
from gdpr.models import ConsentRecord, PolicyText  # noqa: E402


class PolicyTextAdminForm(forms.ModelForm):
    class Meta:
        model = PolicyText
        fields = ["kind", "purpose", "title", "body", "asks_again"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance._state.adding and not self.errors:
            kind, purpose = data.get("kind", ""), data.get("purpose", "")
            if (kind == "purpose") != bool(purpose):
                raise ValidationError(_("Only optional purposes have a purpose."))
            if consent.draft_of(kind, purpose) is not None:
                raise ValidationError(_("A draft of this text already exists: edit it instead."))
        return data


@admin.register(PolicyText)
class PolicyTextAdmin(admin.ModelAdmin[PolicyText]):
    form = PolicyTextAdminForm
    list_display = ("title", "kind", "purpose", "version", "published_at", "asks_again")
    list_filter = ("kind", "purpose", ("published_at", admin.EmptyFieldListFilter))
    ordering = ("kind", "purpose", "-version")
    actions = ["publish"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return consent.can_manage_texts(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return consent.can_manage_texts(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return consent.can_manage_texts(request.user) and (obj is None or not obj.is_published)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return consent.can_manage_texts(request.user) and obj is not None and (
            not obj.is_published
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        if obj.is_published:
            return ["kind", "purpose", "version", "title", "body", "asks_again",
                    "published_at"]
        return ["kind", "purpose", "version"]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # drafts are discarded one by one
        return actions

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            consent.do_update_policy_draft(request.user, obj, title=data["title"],
                                           body=data["body"], asks_again=data["asks_again"])
            return
        text = consent.do_create_policy_draft(
            request.user, kind=data["kind"], purpose=data["purpose"], title=data["title"],
            body=data["body"], asks_again=data["asks_again"],
        )
        # The admin goes on with ``obj`` (its log entry, the redirect): make it the draft.
        obj.pk, obj.version, obj.created_at = text.pk, text.version, text.created_at
        obj._state.adding, obj._state.db = False, text._state.db

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        consent.do_discard_policy_draft(request.user, obj)

    @admin.action(description=_("Publish the selected drafts"))
    def publish(self, request: HttpRequest, queryset: QuerySet[PolicyText]) -> None:
        published = 0
        for text in queryset.filter(published_at__isnull=True):
            consent.do_publish_policy_text(request.user, text, asks_again=text.asks_again)
            published += 1
        self.message_user(
            request,
            ngettext("%(count)s text published.", "%(count)s texts published.", published)
            % {"count": published},
            messages.SUCCESS,
        )


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin[ConsentRecord]):
    """Proof of consent, for the DCCU and the DPD: read only (the history is append-only)."""

    list_display = ("recorded_at", "user", "text", "decision", "method", "recorded_by")
    list_filter = ("decision", "method", "text__kind", "text__purpose")
    date_hierarchy = "recorded_at"
    search_fields = ("user__email", "user__display_name")
    list_select_related = ("user", "text", "recorded_by")
    readonly_fields = ("recorded_at", "user", "text", "decision", "method", "recorded_by")
    fields = readonly_fields

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return consent.can_view_consents_of_others(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
