"""How a person's name is shown to the others: their public name, and their canton when
they agreed to show it (the optional purpose « show my canton », gdpr.consent).

Every place that shows someone's name to other people goes through ``person_name`` (the
``{% person_name %}`` template tag, the JSON of messages, the writers' carets), so the
consent is honoured everywhere at once and never for someone who did not give it.
Lists label their people in bulk first (``label_people``: two or three queries however
many people); a single name is labelled on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

LABEL_ATTR = "_agora_person_name"


def shown_cantons(people: Iterable[Any]) -> dict[str, str]:
    """Person id → name of the canton of their current seat, for those who agreed to show it."""
    from assembly.models import Membership
    from gdpr.consent import consenting
    from gdpr.models import OptionalPurpose

    agreed = consenting(people, OptionalPurpose.SHOW_CANTON)
    if not agreed:
        return {}
    rows = (
        Membership.objects.current().filter(user_id__in=agreed)
        .order_by("start").values_list("user_id", "seat__canton__name")
    )
    return {str(user_id): canton for user_id, canton in rows}


def _label(person: Any, canton: str | None) -> str:
    name = person.public_name
    if not canton or person.is_erased:
        return name
    return _("%(name)s — %(canton)s") % {"name": name, "canton": canton}


def label_people(people: Iterable[Any]) -> None:
    """Work out the shown name of many people at once, kept on each instance: only for
    instances just loaded for one page or one answer."""
    persons = [p for p in people if p is not None and not hasattr(p, LABEL_ATTR)]
    if not persons:
        return
    cantons = shown_cantons(persons)
    for person in persons:
        setattr(person, LABEL_ATTR, _label(person, cantons.get(str(person.pk))))


def person_name(person: Any) -> str:
    """The name other people see: « Sylvie M. — Muret » if she agreed, else « Sylvie M. »."""
    if person is None:
        return ""
    labelled = getattr(person, LABEL_ATTR, None)
    if labelled is not None:
        return str(labelled)
    # Not kept on the instance: a long-lived one (a socket's user) must see a withdrawal.
    return _label(person, shown_cantons([person]).get(str(person.pk)))


def person_name_with_role(person: Any) -> str:
    """« Amandine R. (animation) »: the shown name with the staff badge in plain text, for
    places that show text only (draft comments, co-writers' carets, pickers). The words in
    brackets are reserved (``accounts.names``), so no member's name can carry them."""
    from accounts.names import badge_label, badge_role

    if person is None:
        return ""
    role = badge_role(person)
    name = person_name(person)
    return f"{name} ({badge_label(role)})" if role else name
