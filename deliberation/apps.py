from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Assembly")

    def ready(self) -> None:
        # Drafts are a Yjs document kind: the sync engine serves /ws/drafts/<id> through
        # their store (realtime/yjs/registry.py).
        from deliberation.draft_store import KIND, PATH, DraftStore
        from realtime.yjs import registry

        registry.register(KIND, DraftStore(), path=PATH)
