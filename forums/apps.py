from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumsConfig(AppConfig):
    name = "forums"
    verbose_name = _("Discussions")

    def ready(self) -> None:
        from assembly.signals import subgroup_created, subgroup_people_changed

        subgroup_created.connect(_rooms_for_new_subgroup, dispatch_uid="forums.rooms")
        subgroup_people_changed.connect(_room_people_changed, dispatch_uid="forums.people")

        from forums.realtime import ChatFeature
        from realtime.hub import register_feature

        # Conversations on every /ws/ socket: frames, presence, unread counts (forums/realtime.py).
        register_feature(ChatFeature)


def _rooms_for_new_subgroup(sender: Any, subgroup: Any, mandate: Any, **kwargs: Any) -> None:
    """Every subgroup talks in its own room from the start; its people hear of it at once
    (their people were set before the room existed)."""
    from forums.actions import ensure_rooms, subgroup_people_changed

    ensure_rooms(mandate)
    people = {*subgroup.members.values_list("pk", flat=True)}
    people |= {*subgroup.facilitators.values_list("pk", flat=True)}
    subgroup_people_changed(subgroup, people)


def _room_people_changed(sender: Any, subgroup: Any, people: set[Any], **kwargs: Any) -> None:
    """Who joined or left hears it at once on their open sockets (the room's events)."""
    from forums.actions import subgroup_people_changed

    subgroup_people_changed(subgroup, people)
