"""Model permissions derived from roles, so the admin follows the role matrix."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend

from accounts.roles import Role, has_role

# The DCCU administers the assembly: every model of these apps, in the admin.
DCCU_APP_LABELS = frozenset(
    {"accounts", "assembly", "deliberation", "forums", "documents", "gdpr", "auth", "account"}
)
# The DPD reads (never changes) the privacy module's records: audit trail, retention
# runs, requests, consents.
DPD_APP_LABELS = frozenset({"gdpr"})
# allauth's email addresses are login credentials: adding one to someone's account lets
# whoever reads that mailbox log in as them (by a code), with no trace on their page.
# The DCCU only reads them; a person's address is changed on their own admin page,
# where ``assembly.admin_people.UserAdmin`` keeps allauth's rows in step and audits it.
DCCU_READ_ONLY_APP_LABELS = frozenset({"account"})


class RoleBackend(BaseBackend):
    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        if obj is not None or not user_obj.is_active:
            return False
        app_label, _dot, codename = perm.partition(".")
        if app_label in DCCU_APP_LABELS and has_role(user_obj, Role.DCCU):
            return app_label not in DCCU_READ_ONLY_APP_LABELS or codename.startswith("view_")
        return (
            app_label in DPD_APP_LABELS
            and codename.startswith("view_")
            and has_role(user_obj, Role.DPD)
        )

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        if not user_obj.is_active:
            return False
        return (app_label in DCCU_APP_LABELS and has_role(user_obj, Role.DCCU)) or (
            app_label in DPD_APP_LABELS and has_role(user_obj, Role.DPD)
        )
