"""Admin site: only the DCCU team (and superusers) may enter, in French."""

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


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
            and (user.is_superuser or has_role(user, Role.DCCU))
        )
