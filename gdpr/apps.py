from typing import Any

from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class GdprConfig(AppConfig):
    name = "gdpr"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        # The accounts app imports no domain app: its declarations are made here, first.
        from gdpr import privacy_accounts  # noqa: F401

        # Every other app declares its personal data in its own privacy.py.
        autodiscover_modules("privacy")

        from realtime.guards import CLOSE_WELCOME_REQUIRED, register_gate

        # Sockets follow the pages' rule (gdpr.middleware): nothing live before the notice
        # is read and the charter accepted (a page never opens one before; a script must not).
        register_gate(CLOSE_WELCOME_REQUIRED, _behind_welcome_gate)


def _behind_welcome_gate(user: Any) -> bool:
    from gdpr.consent import gate_for

    return not gate_for(user).is_open
