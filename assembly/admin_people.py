"""Admin for people: email login, roles as groups, eligibility that ends memberships; and
the invitations to sit (``assembly.invitations``). Imported by ``assembly.admin``: the
accounts app imports no domain app."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import GROUP_ROLES, Role, forget_roles
from assembly import actions
from assembly.admin import acting_user
from assembly.models import Membership
from realtime.bus import CLOSE_CREDENTIALS_CHANGED, close_user_sockets


class EmailMixin:
    cleaned_data: dict[str, Any]

    def clean_email(self) -> str:
        # Stored lowercased (User.save), so the uniqueness check must see it that way.
        return (self.cleaned_data.get("email") or "").strip().lower()


class UserCreationForm(EmailMixin, AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "first_name", "last_name", "display_name")


def role_label(group: Any) -> str:
    """A role group by its French name (« équipe DCCU »), not its code (« dccu »)."""
    try:
        return str(capfirst(Role(group.name).label))
    except ValueError:
        return str(group.name)


class UserEditForm(EmailMixin, UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "groups" in self.fields:
            self.fields["groups"].label_from_instance = role_label  # type: ignore[attr-defined]


class AssemblyRoleFilter(admin.SimpleListFilter):
    """Member roles are not groups: they follow from the current membership."""

    title = _("membership")
    parameter_name = "membership"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            (Role.TITULAIRE.value, capfirst(Role.TITULAIRE.label)),
            (Role.REMPLACANT.value, capfirst(Role.REMPLACANT.label)),
            ("none", capfirst(_("no current membership"))),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        current = Membership.objects.current()
        if self.value() in {Role.TITULAIRE.value, Role.REMPLACANT.value}:
            return queryset.filter(pk__in=current.filter(kind=self.value()).values("user_id"))
        if self.value() == "none":
            return queryset.exclude(pk__in=current.values("user_id"))
        return queryset


class StaffRoleFilter(admin.SimpleListFilter):
    """The roles held as groups, by their French names (the groups' codes read « dccu »)."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(role.value, capfirst(role.label)) for role in Role if role in GROUP_ROLES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            return queryset.filter(groups__name=self.value())
        return queryset


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    ordering = ("last_name", "first_name", "email")
    list_display = ("email", "display_name", "first_name", "last_name", "is_active")
    list_filter = (
        AssemblyRoleFilter,
        StaffRoleFilter,
        "is_active",
        "is_department_agent",
        "holds_elected_office",
    )
    search_fields = ("email", "first_name", "last_name", "display_name")
    filter_horizontal = ("groups",)
    readonly_fields = ("is_staff", "is_superuser", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Identity"), {"fields": ("first_name", "last_name", "display_name")}),
        (
            _("Eligibility"),
            {
                "fields": (
                    "birth_date",
                    "postal_code",
                    "is_department_agent",
                    "holds_elected_office",
                ),
                "description": _(
                    "A change that makes the person ineligible ends their membership "
                    "(démission d'office) and promotes their substitute."
                ),
            },
        ),
        (_("Roles"), {"fields": ("groups",)}),
        (
            _("Access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")},
        ),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "first_name",
                    "last_name",
                    "display_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        if request.method == "POST" and response.status_code == 302:
            # As when people change it themselves (realtime.sessions): Django's admin
            # sends no allauth signal, so the person's open sockets are closed here.
            close_user_sockets(unquote(id), code=CLOSE_CREDENTIALS_CHANGED)
        return response

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A superuser's account (its password, address, roles) is beyond the DCCU:
        # otherwise setting its password would hand the DCCU every power at once.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Nobody deletes a person here, superusers included: a deletion would cascade
        # through their data and leave their files behind. People leave through the
        # erasure engine (gdpr.erasure.erase_person: an erasure request, or the
        # retention run), which follows every app's privacy declarations.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.pk == request.user.pk and not request.user.is_superuser:
            # Nobody grants themselves a role (the DPD's, say, to read the audit trail
            # that records the DCCU's own accesses): another DCCU member does it, and
            # their change of someone else's page is audited.
            readonly.append("groups")
        return readonly

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if change and "email" in form.changed_data:
            _follow_new_email(request, obj)
        if change and set(form.changed_data) & set(actions.ELIGIBILITY_FIELDS):
            ended = actions.end_membership_if_ineligible(acting_user(request), obj)
            if ended is not None:
                self.message_user(
                    request,
                    _(
                        "%(name)s is no longer eligible: their membership has ended "
                        "(démission d'office)."
                    )
                    % {"name": obj},
                    messages.WARNING,
                )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        roles_before = {getattr(g, "pk", g) for g in form.initial.get("groups") or []}
        super().save_related(request, form, formsets, change)
        user: User = form.instance
        roles_removed = roles_before - set(user.groups.values_list("pk", flat=True))
        if change and (roles_removed or ("is_active" in form.changed_data and not user.is_active)):
            # Live sockets were opened with the old rights: they must not outlive them.
            close_user_sockets(user.pk)
        # is_staff only mirrors the DCCU role, as accounts.roles.grant_role keeps it.
        is_dccu = user.groups.filter(name=Role.DCCU.value).exists()
        if user.is_staff != (is_dccu or user.is_superuser):
            user.is_staff = is_dccu or user.is_superuser
            user.save(update_fields=["is_staff"])
        forget_roles(user)


def _follow_new_email(request: HttpRequest, user: User) -> None:
    """After the DCCU changes someone's address: only the new one logs in, and it is audited.

    allauth finds accounts by its own ``EmailAddress`` rows as well as by
    ``User.email``: a row left with the old address would still receive login
    codes for this account.
    """
    from allauth.account.models import EmailAddress

    from gdpr import audit

    EmailAddress.objects.filter(user=user).exclude(email__iexact=user.email).delete()
    audit.record(request.user, "accounts.email.change", subject=user, obj=user)


# === Invitations ==========================================================================
# Owned by the invitations feature (assembly/invitations.py). Read-only here: inviting and
# resending go through /invitations/, so the admin can neither skip the seat checks nor
# see a token (only its hash is stored, and it is not shown).
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402

from accounts.models import Invitation  # noqa: E402
from assembly.invitations import do_revoke_invitation  # noqa: E402


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "last_name", "first_name", "role", "seat", "substitute_rank",
                    "status_label", "sent_at", "expires_at")
    list_filter = ("role", "created_at")
    search_fields = ("email", "first_name", "last_name")
    list_select_related = ("seat__canton",)
    exclude = ("token_hash",)
    readonly_fields = ("email", "first_name", "last_name", "role", "seat", "substitute_rank",
                       "user", "invited_by", "created_at", "expires_at", "sent_at",
                       "accepted_at", "revoked_at")
    actions = ("revoke_invitations",)

    @admin.display(description=_("status"))
    def status_label(self, obj: Invitation) -> str:
        return str(obj.status.label)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected invitations"), permissions=["view"])
    def revoke_invitations(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        revoked = 0
        for invitation in queryset:
            try:
                do_revoke_invitation(request.user, invitation)  # type: ignore[arg-type]
            except (PermissionDenied, ValidationError):
                continue
            revoked += 1
        self.message_user(
            request, _("%(count)s invitation(s) revoked.") % {"count": revoked}, messages.SUCCESS
        )


# --- Roles --------------------------------------------------------------------------------------
# Role groups are fixed in code (accounts.roles): renaming or deleting one in the
# admin would silently strip everyone of that role, so they are granted on the
# person's page only.
from django.contrib.auth.models import Group  # noqa: E402

if admin.site.is_registered(Group):
    admin.site.unregister(Group)
