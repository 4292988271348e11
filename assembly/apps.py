from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssemblyConfig(AppConfig):
    name = "assembly"
    verbose_name = _("Assembly")

    def ready(self) -> None:
        from accounts.roles import register_member_roles
        from assembly.roles import member_roles

        # What role a person holds as a member follows from their membership, here.
        register_member_roles(member_roles)
