from typing import Any

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

        from deliberation.export import register_report_annex
        from workshops.export import report_annex

        # The mandate's report ends with its idea walls (no names: ideas, not people).
        register_report_annex(report_annex)

        from django.db.models.signals import post_delete

        from workshops import privacy  # noqa: F401  (declarations, gdpr.registry)
        from workshops.models import Board, Wall, WallSheet

        # A wall, sheet or board deleted (its room deleted, retention) takes its document,
        # with everything written in it, along.
        for model in (Wall, Board, WallSheet):
            post_delete.connect(_delete_document, sender=model, dispatch_uid=f"ws-{model}")


def _delete_document(sender: Any, instance: Any, **kwargs: Any) -> None:
    from workshops.models import YDocument

    YDocument.objects.filter(pk=instance.document_id).delete()
