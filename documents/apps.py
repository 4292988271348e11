from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Library")

    def ready(self) -> None:
        from documents import checks  # noqa: F401 - registers the deploy checks
        from documents.realtime import LibraryFeature
        from realtime.hub import register_feature

        # The library's news on every /ws/ socket (documents/realtime.py).
        register_feature(LibraryFeature)
