"""Admin site: the DCCU team (and superusers) administer; the DPD reads the privacy module.

Every object page of every ModelAdmin goes through ``admin_view``, where opening a
page that shows someone else's declared personal data is written to the audit
trail (``gdpr.admin.audited_admin_view``): generic, from the declarations.
"""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.contrib import admin
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
        return super().admin_view(view, cacheable)
