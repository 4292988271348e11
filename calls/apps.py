"""Live audio/video calls in the conversation rooms."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Live calls")

    def ready(self) -> None:
        try:
            from realtime.hub import register_feature
        except ImportError:  # before the hub: the calls have no live frames yet
            return
        from calls.realtime import CallFeature

        register_feature(CallFeature)
