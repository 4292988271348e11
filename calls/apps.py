"""Live audio/video calls in the conversation rooms."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CallsConfig(AppConfig):
    name = "calls"
    verbose_name = _("Live calls")

    def ready(self) -> None:
        from calls.realtime import CallFeature
        from realtime.hub import register_feature

        # The call frames on every /ws/ socket (calls/realtime.py, docs/protocol.md « Calls »).
        register_feature(CallFeature)
