from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkshopsConfig(AppConfig):
    name = "workshops"
    verbose_name = _("Workshops")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from realtime.yjs import registry
        from workshops import walls
        from workshops.stores import BoardStore, SheetStore, WallStore

        # Idea walls, their silent-writing sheets and whiteboards are Yjs document kinds
        # (realtime/yjs/registry.py; docs/protocol.md, « Idea walls and whiteboards »).
        registry.register(walls.WALL_KIND, WallStore(), path=walls.WALL_PATH)
        registry.register(walls.SHEET_KIND, SheetStore(), path=walls.SHEET_PATH)
        registry.register(walls.BOARD_KIND, BoardStore(), path=walls.BOARD_PATH)

        from workshops import privacy  # noqa: F401  (declarations, gdpr.registry)
