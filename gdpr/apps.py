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
