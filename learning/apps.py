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
