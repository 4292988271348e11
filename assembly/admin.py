"""Admin for the assembly's structure: every write goes through ``assembly.actions``."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.related import ManyToManyField
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from assembly import actions
from assembly.models import (
    Assembly,
    Canton,
    EndReason,
    Mandate,
    Membership,
    MembershipKind,
    Seat,
    Subgroup,
)

# --- Forms whose save is an action ------------------------------------------------------


class ActionModelForm(forms.ModelForm):
    """A model form whose write is done by an action, as the last step of validation.

    The admin offers no hook between a form's validation and its save where an
    error can still be shown, so the action runs at the end of ``full_clean``:
    its ``ValidationError`` becomes a form error instead of a 500. The admin's
    change view is atomic, and nothing is validated after the action.

    Subclasses implement ``create`` (add form: the action creates the object,
    replacing the model's own checks, which only repeat the action's rules with
    a vaguer message) and may implement ``apply`` (change form: runs after the
    usual model validation).
    """

    actor: User | None = None
    performed = False

    def create(self) -> models.Model:
        raise NotImplementedError

    def apply(self) -> None:
        """Changes that go through an action on an existing object (none by default)."""

    def _post_clean(self) -> None:
        adding = self.instance._state.adding
        if not adding:
            super()._post_clean()  # type: ignore[misc]  # not in django-stubs
        if self.errors:  # already computed by full_clean at this point
            return
        try:
            if adding:
                self.instance = self.create()
                self.performed = True
            else:
                self.apply()
        except ValidationError as exc:
            self.add_error(None, exc)


def acting_user(request: HttpRequest) -> User:
    """The admin only admits the DCCU (``config.admin``), so its user is a person."""
    return cast(User, request.user)


class ActionAdmin(admin.ModelAdmin):
    """Hands the acting person to the form, and skips the save an action already did."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": acting_user(request)})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not getattr(form, "performed", False):
            super().save_model(request, obj, form, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reference data: listed and searchable, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# --- Assembly, cantons, seats --------------------------------------------------------------


class AssemblyForm(ActionModelForm):
    class Meta:
        model = Assembly
        fields = ["name", "mandate_start", "mandate_end"]

    def create(self) -> Assembly:
        return actions.do_create_assembly(
            self.actor,
            name=self.cleaned_data["name"],
            mandate_start=self.cleaned_data["mandate_start"],
            mandate_end=self.cleaned_data["mandate_end"],
        )


@admin.register(Assembly)
class AssemblyAdmin(ActionAdmin):
    form = AssemblyForm
    list_display = ["name", "mandate_start", "mandate_end", "seat_count", "titulaire_count"]
    search_fields = ["name"]
    date_hierarchy = "mandate_start"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assembly]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                _seats=Count("seats", distinct=True),
                _titulaires=Count(
                    "seats__memberships",
                    filter=Q(
                        seats__memberships__kind=MembershipKind.TITULAIRE,
                        seats__memberships__end__isnull=True,
                    ),
                    distinct=True,
                ),
            )
        )

    @admin.display(description=_("seats"), ordering="_seats")
    def seat_count(self, obj: Any) -> int:
        return obj._seats

    @admin.display(description=_("full members"), ordering="_titulaires")
    def titulaire_count(self, obj: Any) -> int:
        return obj._titulaires


@admin.register(Canton)
class CantonAdmin(ReadOnlyAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    """Seats are created with their assembly (``do_create_assembly``)."""

    list_display = ["canton", "category", "assembly", "titulaire"]
    list_filter = ["assembly", "category", "canton"]
    search_fields = ["canton__name"]
    list_select_related = ["canton", "assembly"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Seat]:
        holder = Membership.objects.open().filter(
            seat=OuterRef("pk"), kind=MembershipKind.TITULAIRE
        )
        return (
            super()
            .get_queryset(request)
            .annotate(
                _titulaire_email=Subquery(holder.values("user__email")[:1]),
                _titulaire_name=Subquery(holder.values("user__display_name")[:1]),
            )
        )

    @admin.display(description=_("full member"))
    def titulaire(self, obj: Any) -> str:
        return obj._titulaire_name or obj._titulaire_email or "—"


# --- Memberships -----------------------------------------------------------------------------


class MembershipForm(ActionModelForm):
    class Meta:
        model = Membership
        fields = ["user", "seat", "kind", "substitute_rank", "start"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "start" in self.fields:
            self.fields["start"].initial = timezone.localdate

    def create(self) -> Membership:
        data = self.cleaned_data
        return actions.do_add_membership(
            self.actor,
            user=data["user"],
            seat=data["seat"],
            kind=data["kind"],
            substitute_rank=data.get("substitute_rank"),
            start=data["start"],
        )


class MembershipStatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("open", _("open")), ("ended", _("ended"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            return queryset.filter(end__isnull=True)
        if self.value() == "ended":
            return queryset.filter(end__isnull=False)
        return queryset


@admin.register(Membership)
class MembershipAdmin(ActionAdmin):
    """Memberships are added by ``do_add_membership`` and ended by the list actions,
    so that a freed seat always goes to its first substitute."""

    form = MembershipForm
    list_display = ["user", "seat", "kind", "substitute_rank", "start", "end", "end_reason"]
    list_filter = [
        MembershipStatusFilter,
        "kind",
        "end_reason",
        "seat__assembly",
        "seat__category",
        "seat__canton",
    ]
    search_fields = [
        "user__email",
        "user__first_name",
        "user__last_name",
        "user__display_name",
        "seat__canton__name",
    ]
    list_select_related = ["user", "seat__canton"]
    autocomplete_fields = ["user", "seat"]
    actions = ["end_by_resignation", "declare_ineligible"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return [
            "user", "seat", "kind", "substitute_rank", "start", "end", "end_reason",
            "end_note", "ended_by",
            "created_at", "updated_at",
        ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Ending keeps the history and promotes the substitute; deleting would do neither.
        return False

    def _end(self, request: HttpRequest, queryset: QuerySet[Membership], reason: str) -> None:
        ended = promoted = 0
        for membership in queryset.select_related("user"):
            try:
                # The seats page (/pilotage/sieges/) asks for the reason in words; the bulk
                # action of the admin records where it came from.
                if actions.do_end_membership(
                    acting_user(request), membership, reason=reason,
                    note=gettext("Recorded in the administration."),
                ):
                    promoted += 1
            except ValidationError as exc:
                for message in exc.messages:
                    self.message_user(request, f"{membership.user}: {message}", messages.ERROR)
            else:
                ended += 1
        if ended:
            self.message_user(
                request,
                ngettext(
                    "%(ended)d membership ended, %(promoted)d seat offered to a substitute.",
                    "%(ended)d memberships ended, %(promoted)d seats offered to substitutes.",
                    ended,
                )
                % {"ended": ended, "promoted": promoted},
                messages.SUCCESS,
            )

    @admin.action(description=_("End membership (resignation)"))
    def end_by_resignation(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        self._end(request, queryset, EndReason.RESIGNATION)

    @admin.action(description=_("Declare ineligible (démission d'office)"))
    def declare_ineligible(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        self._end(request, queryset, EndReason.INELIGIBLE)


# --- Mandates and subgroups -------------------------------------------------------------------


class MandateForm(ActionModelForm):
    class Meta:
        model = Mandate
        fields = ["assembly", "kind", "title", "question", "start", "end"]

    def create(self) -> Mandate:
        data = self.cleaned_data
        return actions.do_create_mandate(
            self.actor,
            assembly=data["assembly"],
            kind=data["kind"],
            title=data["title"],
            question=data["question"],
            start=data["start"],
            end=data["end"],
        )


@admin.register(Mandate)
class MandateAdmin(ActionAdmin):
    form = MandateForm
    list_display = ["title", "kind", "assembly", "start", "end", "current"]
    list_filter = ["kind", "assembly"]
    search_fields = ["title", "question"]
    date_hierarchy = "start"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # The kind and the period are checked by ``do_create_mandate`` only.
        return [] if obj is None else ["assembly", "kind", "start", "end"]

    @admin.display(description=_("current"), boolean=True)
    def current(self, obj: Mandate) -> bool:
        return obj.is_current()


class SubgroupForm(ActionModelForm):
    class Meta:
        model = Subgroup
        fields = ["mandate", "name", "description", "members", "facilitators", "reader_suggestions"]

    def create(self) -> Subgroup:
        data = self.cleaned_data
        subgroup = actions.do_create_subgroup(
            self.actor,
            mandate=data["mandate"],
            name=data["name"],
            description=data.get("description", ""),
            members=list(data.get("members") or []),
            facilitators=list(data.get("facilitators") or []),
        )
        return actions.do_set_reader_suggestions(
            self.actor, subgroup, bool(data.get("reader_suggestions"))
        )

    def apply(self) -> None:
        data = self.cleaned_data
        actions.do_set_subgroup_people(
            self.actor,
            self.instance,
            members=list(data.get("members") or []),
            facilitators=list(data.get("facilitators") or []),
        )
        actions.do_set_reader_suggestions(
            self.actor, self.instance, bool(data.get("reader_suggestions"))
        )


@admin.register(Subgroup)
class SubgroupAdmin(ActionAdmin):
    form = SubgroupForm
    list_display = ["name", "mandate", "member_count", "facilitator_names"]
    list_filter = ["mandate"]
    search_fields = ["name", "description"]
    filter_horizontal = ["members", "facilitators"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [] if obj is None else ["mandate"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Subgroup]:
        return (
            super()
            .get_queryset(request)
            .select_related("mandate")
            .prefetch_related("facilitators")
            .annotate(_members=Count("members", distinct=True))
        )

    def formfield_for_manytomany(
        self, db_field: ManyToManyField[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        # Offer only the people the rules accept; the action still checks them.
        if db_field.name == "members":
            kwargs["queryset"] = User.objects.filter(
                pk__in=Membership.objects.current()
                .filter(kind=MembershipKind.TITULAIRE)
                .values("user_id")
            )
        elif db_field.name == "facilitators":
            kwargs["queryset"] = User.objects.filter(
                groups__name__in=[Role.FACILITATEUR.value, Role.DCCU.value]
            ).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # Members and facilitators were set by the action during validation.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    @admin.display(description=_("members"), ordering="_members")
    def member_count(self, obj: Any) -> int:
        return obj._members

    @admin.display(description=_("facilitators"))
    def facilitator_names(self, obj: Subgroup) -> str:
        return ", ".join(str(user) for user in obj.facilitators.all())


# --- People and invitations ------------------------------------------------------------------
# The people's pages (eligibility, roles) and the invitations to sit: ``accounts`` keeps
# people and login and imports no domain app, so their admin is declared with the assembly's.
from assembly import admin_people  # noqa: E402, F401
