from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class GdprConfig(AppConfig):
    name = "gdpr"
    verbose_name = _("Personal data")

    def ready(self) -> None:
        # Every app declares its personal data in its own privacy.py.
        autodiscover_modules("privacy")
