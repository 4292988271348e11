from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LearningConfig(AppConfig):
    """Learning to use Agora: the help centre and its guides, the glossary, the guided first
    visits, the practice space and the training mode.

    A separate app because it sits on top of all the others (a guide shows the chat, the
    drafts and the library; the practice space holds a room, a draft and a wall of one's
    own), like ``dashboards``.
    """

    name = "learning"
    verbose_name = _("Help and training")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from learning import (
            privacy,  # noqa: F401  (declarations, gdpr.registry)
            sandbox,
        )
        from learning.models import PracticeSpace
        from realtime.yjs import registry

        # The practice draft is a Yjs document kind like the drafts (its owner only).
        registry.register(sandbox.KIND, sandbox.PracticeDraftStore(), path=sandbox.PATH)
        post_delete.connect(
            sandbox.on_space_deleted, sender=PracticeSpace, dispatch_uid="learning-space"
        )
