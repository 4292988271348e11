from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = _("Real time")

    def ready(self) -> None:
        from accounts.roles import on_roles_changed
        from realtime import sessions  # noqa: F401  (its receivers)
        from realtime.bus import recheck_user_sockets
        from realtime.hub import forget_person

        # A person's roles changed: their open sockets re-check their access, and their
        # next connection to this process reads it again.
        on_roles_changed(recheck_user_sockets)
        on_roles_changed(forget_person)

        from realtime.threads import install

        install()  # the sockets' database threads keep their connection

        from config.metrics import connect_signals

        connect_signals()  # messages posted, tasks finished (config/metrics.py)
