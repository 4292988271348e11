from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from notifications.realtime import InboxFeature
        from realtime.hub import register_feature

        # The bell's count and news on every /ws/ socket (notifications/realtime.py).
        register_feature(InboxFeature)

        from gdpr.consent import on_withdrawal
        from gdpr.models import OptionalPurpose
        from notifications.webpush import forget_devices

        # Withdrawing web push (web or paper) forgets every device of the person.
        on_withdrawal(OptionalPurpose.WEB_PUSH, forget_devices)
