"""Model permissions derived from roles, so the admin follows the role matrix."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from accounts.roles import Role, has_role

# The DCCU administers the assembly: every model of these apps, in the admin.
DCCU_APP_LABELS = frozenset(
    {"accounts", "deliberation", "forums", "documents", "gdpr", "auth", "account"}
)


class RoleBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is not None or not user_obj.is_active:
            return False
        app_label = perm.split(".", 1)[0]
        return app_label in DCCU_APP_LABELS and has_role(user_obj, Role.DCCU)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        return user_obj.is_active and app_label in DCCU_APP_LABELS and has_role(
            user_obj, Role.DCCU
        )
