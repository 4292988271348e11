"""Admin site: the DCCU team (and superusers) administer; the DPD reads the privacy module.

Every object page of every ModelAdmin goes through ``admin_view``, where opening a
page that shows someone else's declared personal data is written to the audit
trail (``gdpr.admin.audited_admin_view``): generic, from the declarations.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseBase
from django.utils.translation import gettext_lazy as _

_View = TypeVar("_View", bound=Callable[..., HttpResponseBase])


class AgoraAdminSite(admin.AdminSite):
    site_header = _("Agora administration")
    site_title = _("Agora administration")
    index_title = _("Assembly administration")

    def has_permission(self, request: HttpRequest) -> bool:
        from accounts.roles import Role, has_role

        user = request.user
        return bool(
            user.is_active
            and user.is_authenticated
            and (user.is_superuser or has_role(user, Role.DCCU, Role.DPD))
        )

    def admin_view(self, view: _View, cacheable: bool = False) -> _View:
        from gdpr.admin import AUDITED_ADMIN_VIEWS, audited_admin_view

        model_admin: Any = getattr(view, "__self__", None)
        if (
            isinstance(model_admin, admin.ModelAdmin)
            and getattr(view, "__name__", "") in AUDITED_ADMIN_VIEWS
        ):
            view = cast(_View, audited_admin_view(model_admin, view))
        inner = super().admin_view(view, cacheable)

        @wraps(inner)
        def refuse_logged_in_outsiders(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            # Django sends a refused person to the admin's login page, which sends everyone
            # to allauth's (accounts.middleware), which sends a logged-in person back to
            # ``next``: a redirect loop. A logged-in person without the role gets the site's
            # French 403 instead; anonymous visitors still go to the login page.
            if request.user.is_authenticated and not self.has_permission(request):
                raise PermissionDenied
            return inner(request, *args, **kwargs)

        return cast(_View, refuse_logged_in_outsiders)


class LabelledListEditableAdmin(admin.ModelAdmin):
    """A ModelAdmin whose ``list_editable`` fields have a name: Django draws them in the
    list without a label (axe « label », RGAA 11.1), so each says what and of which row."""

    def get_changelist_form(self, request: HttpRequest, **kwargs: Any) -> Any:
        base = super().get_changelist_form(request, **kwargs)

        class Labelled(base):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **form_kwargs: Any) -> None:
                super().__init__(*args, **form_kwargs)
                for field in self.fields.values():
                    field.widget.attrs["aria-label"] = _("%(field)s of « %(object)s »") % {
                        "field": field.label, "object": self.instance}

        return Labelled
