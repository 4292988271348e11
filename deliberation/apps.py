from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "deliberation"
    verbose_name = _("Proposals")

    def ready(self) -> None:
        from assembly.signals import subgroup_people_changed, subgroup_reader_suggestions_changed
        from deliberation.draft_store import KIND, PATH, DraftStore
        from realtime.yjs import registry

        # Drafts are a Yjs document kind: the sync engine serves /ws/drafts/<id> through
        # their store (realtime/yjs/registry.py).
        registry.register(KIND, DraftStore(), path=PATH)

        from deliberation.people import person_name
        from realtime.hub import register_person_name

        # How a person is named to others on the sockets (presence, typing, hello).
        register_person_name(person_name)
        subgroup_people_changed.connect(_drafts_writers_changed, dispatch_uid="deliberation")
        subgroup_reader_suggestions_changed.connect(
            _drafts_writers_changed, dispatch_uid="deliberation"
        )


def _drafts_writers_changed(sender: Any, subgroup: Any, **kwargs: Any) -> None:
    """Who may write (or suggest) in the subgroup's drafts changed: open draft sockets
    re-read abilities."""
    from deliberation.draft_store import announce_draft_changed
    from deliberation.models import Draft

    for draft_id in Draft.objects.filter(proposal__subgroup=subgroup).values_list("pk", flat=True):
        announce_draft_changed(draft_id)
