"""The names people show each other: no one may pass for someone else or for the staff.

A display name is free text, so a member could call themself « Amandine R. » (the
facilitator's name) or « Équipe DCCU (officiel) ». Two defences: the forms refuse a
name another active person already shows, or one with words that belong to the
organisers; and staff names carry a role badge (``person_badge``) wherever names
are shown, server-rendered or pushed live, so a badge-less « Amandine R. » stands out.
"""

from __future__ import annotations

import re
import time
import unicodedata
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role

# Word stems that only the organisers' own names would use (matched at the start of a
# word, accents and case ignored): « équipe », « officiel·le », « animation/animateur »,
# « modérateur/modération », « administrateur/administration », « Département », and
# every badge label, so that « Karim B. (agent) » cannot be typed as a name.
RESERVED_STEMS = (
    "equipe", "dccu", "officiel", "animat", "moderat", "administrat", "admin",
    "departement", "dpd", "dpo", "facilitat", "agora", "participant", "agent",
)
_RESERVED = re.compile(r"\b(?:" + "|".join(RESERVED_STEMS) + r")")

# The badge a staff member's name carries, most senior role first.
BADGE_ROLES: tuple[Role, ...] = (Role.DCCU, Role.DPD, Role.AGENT, Role.FACILITATEUR)
BADGE_LABELS: dict[Role, Promise] = {
    Role.DCCU: _("DCCU"),
    Role.DPD: _("DPO"),
    Role.AGENT: _("agent"),
    Role.FACILITATEUR: _("facilitation"),
}
BADGE_TITLES: dict[Role, Promise] = {
    Role.DCCU: _("DCCU team (Dialogue citoyen), organiser of the assembly"),
    Role.DPD: _("data protection officer of the département"),
    Role.AGENT: _("agent of the département"),
    Role.FACILITATEUR: _("facilitation team"),
}
_BADGES_CACHE_KEY = "accounts:staff-badges"
_BADGES_TIMEOUT = 300  # seconds; every change of role or account clears it anyway
# A history of 200 messages asks for 200 authors' badges: keep the map in the process
# for a few seconds rather than asking Redis each time.
_LOCAL_SECONDS = 5.0
_local: dict[str, Any] = {"at": 0.0, "badges": None}


def name_key(name: str) -> str:
    """What a name looks like to a reader: no accents, case, punctuation or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"\w+", bare))


def shown_name(display_name: str, first_name: str, last_name: str) -> str:
    """``User.public_name`` from the columns (for an active, non-erased person)."""
    return display_name or f"{first_name} {last_name}".strip()


def validate_display_name(name: str, *, person: Any = None) -> None:
    """Refuse a name that reads as another active person's, or as the organisers'.

    ``person`` is the one choosing the name (None while they have no account yet).
    """
    from accounts.models import User

    key = name_key(name)
    if not key:
        raise ValidationError(_("Write a name with at least one letter."), code="empty")
    if _RESERVED.search(key):
        raise ValidationError(
            _("This name uses a word reserved to the organisers (for example « équipe », "
              "« officiel », « animation », « DCCU »). Choose your own first name."),
            code="reserved",
        )
    others = User.objects.filter(is_active=True, pseudonym_number__isnull=True)
    if person is not None and person.pk is not None:
        others = others.exclude(pk=person.pk)
    for display_name, first_name, last_name in others.values_list(
        "display_name", "first_name", "last_name"
    ).iterator():
        if name_key(shown_name(display_name, first_name, last_name)) == key:
            raise ValidationError(
                _("Another person already uses this name. Add the initial of your last "
                  "name, for example « Camille D. »."),
                code="taken",
            )


def staff_badges() -> dict[str, str]:
    """``{user id: role}`` of every active person whose name carries a badge.

    One query for the whole platform (a few dozen staff), cached, so that a list of
    messages does not ask for each author's roles.
    """
    now = time.monotonic()
    if _local["badges"] is not None and now - _local["at"] < _LOCAL_SECONDS:
        return _local["badges"]
    badges = cache.get(_BADGES_CACHE_KEY)
    if badges is not None:
        _local.update(at=now, badges=badges)
        return badges
    from accounts.models import User

    held: dict[str, set[str]] = {}
    rows = User.objects.filter(
        is_active=True, groups__name__in=[role.value for role in BADGE_ROLES]
    ).values_list("pk", "groups__name")
    for pk, group in rows:
        held.setdefault(str(pk), set()).add(group)
    badges = {
        pk: next(role.value for role in BADGE_ROLES if role.value in groups)
        for pk, groups in held.items()
    }
    cache.set(_BADGES_CACHE_KEY, badges, _BADGES_TIMEOUT)
    _local.update(at=now, badges=badges)
    return badges


def forget_staff_badges() -> None:
    _local.update(at=0.0, badges=None)
    cache.delete(_BADGES_CACHE_KEY)


def badge_role(user: Any) -> str:
    """The role code of the badge next to this person's name, or ""."""
    if user is None or getattr(user, "pk", None) is None or getattr(user, "is_erased", False):
        return ""
    return staff_badges().get(str(user.pk), "")


def badge_label(role: str) -> str:
    return str(BADGE_LABELS[Role(role)]) if role else ""


def badge_title(role: str) -> str:
    return str(BADGE_TITLES[Role(role)]) if role else ""


@receiver(m2m_changed, dispatch_uid="accounts.names.groups_changed")
def _groups_changed(sender: Any, **kwargs: Any) -> None:
    from accounts.models import User

    if sender is User.groups.through:
        forget_staff_badges()


@receiver(post_save, dispatch_uid="accounts.names.user_saved")
def _user_saved(sender: Any, **kwargs: Any) -> None:
    from accounts.models import User

    if sender is not User:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and set(update_fields) <= {"last_login", "password"}:
        return  # every login saves the person: no change of badge there
    forget_staff_badges()  # deactivated, erased: the badge goes
