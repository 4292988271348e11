"""Roles a person holds, and how to read them.

Staff roles (facilitator, agent, DCCU, DPD, follow-up committee) are Django
groups named after the role code, so that the admin can grant them and
django-guardian can attach object permissions to them. Member roles
(titulaire, remplaçant) are never stored as groups: they follow from the
person's current membership in the assembly, so they cannot drift from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from accounts.models import User


class Role(models.TextChoices):
    TITULAIRE = "titulaire", _("full member")
    REMPLACANT = "remplacant", _("substitute member")
    FACILITATEUR = "facilitateur", _("facilitator")
    AGENT = "agent", _("agent of the département")
    DCCU = "dccu", _("DCCU team")
    DPD = "dpd", _("data protection officer")
    COMITE_SUIVI = "comite_suivi", _("follow-up committee")


MEMBER_ROLES = frozenset({Role.TITULAIRE, Role.REMPLACANT})
GROUP_ROLES = frozenset(set(Role) - MEMBER_ROLES)

# Role groups, declared once: every app's permission rules are written with these
# (docs/permissions.md). The DPD is in none of the assembly's groups: it reaches personal
# data through the privacy module, never by reading the exchanges.

# Read the plenary, the « assemblée » documents and every proposal.
ASSEMBLY_ROLES = frozenset(set(Role) - {Role.DPD})
# Propose and comment on documents (the follow-up committee reads).
CONTRIBUTOR_ROLES = ASSEMBLY_ROLES - {Role.COMITE_SUIVI}
# Write in the plenary (substitutes read only).
PLENARY_WRITER_ROLES = ASSEMBLY_ROLES - {Role.REMPLACANT}
# Comment on any proposal they read (substitutes and the committee read only).
SPEAKER_ROLES = CONTRIBUTOR_ROLES - {Role.REMPLACANT}
# The staff room, the « équipe » documents, publish in the library at once.
STAFF_ROLES = frozenset({Role.FACILITATEUR, Role.AGENT, Role.DCCU})
# Moderate the plenary and the library.
MODERATOR_ROLES = frozenset({Role.FACILITATEUR, Role.DCCU})
# Answer for the Département in the follow-up of proposals (deliberation.followup).
FOLLOWUP_ANSWER_ROLES = frozenset({Role.AGENT, Role.DCCU})
# Whose work the follow-up is (« Suivi » in their menu): those who answer, and the committee.
FOLLOWUP_ROLES = FOLLOWUP_ANSWER_ROLES | {Role.COMITE_SUIVI}
# Handle the people's data requests and prepare access copies on their behalf.
DATA_HANDLER_ROLES = frozenset({Role.DPD, Role.DCCU})
# Write in their subgroup's drafts (the « co-écrire » guide is theirs).
DRAFT_WRITER_ROLES = frozenset({Role.TITULAIRE, Role.FACILITATEUR, Role.DCCU})
# A person's main role, for what is shown once per person (the guided first visit): the
# first of theirs in this order.
MAIN_ROLE_ORDER = (Role.DCCU, Role.DPD, Role.FACILITATEUR, Role.AGENT, Role.TITULAIRE,
                   Role.REMPLACANT)

_CACHE_ATTR = "_agora_roles_cache"

# Filled by the apps that know more than accounts does (accounts imports no domain app):
# ``assembly`` gives the member roles, ``realtime`` re-checks open sockets on a change.
_member_roles: list[Callable[[Any], frozenset[Role]]] = []
_change_listeners: list[Callable[[Any], None]] = []


def register_member_roles(source: Callable[[Any], frozenset[Role]]) -> None:
    """Name the function that reads a person's member roles (``assembly.roles``)."""
    if source not in _member_roles:
        _member_roles.append(source)


def on_roles_changed(listener: Callable[[Any], None]) -> None:
    """Call ``listener(user_id)`` whenever a person's roles change."""
    if listener not in _change_listeners:
        _change_listeners.append(listener)


def user_roles(user: Any) -> frozenset[Role]:
    """Every role the user holds now (cached on the instance for one request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    roles: set[Role] = {
        Role(name) for name in user.groups.values_list("name", flat=True) if name in GROUP_ROLES
    }
    for source in _member_roles:
        roles |= source(user)
    result = frozenset(roles)
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_roles(user: Any) -> None:
    """Drop the roles cached on this instance (and on it only: see ``roles_changed``)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_changed(user: Any) -> None:
    """After a change of membership: forget the cached roles here, and tell the listeners
    (``realtime`` has the instances the person's open sockets hold re-check, in every
    process, after commit).

    Group changes need no call: ``accounts.signals`` sees every one of them.
    """
    forget_roles(user)
    user_roles_changed(user.pk)


def user_roles_changed(user_id: Any) -> None:
    """The roles of the person ``user_id`` changed (no instance at hand)."""
    for listener in _change_listeners:
        listener(user_id)


def has_role(user: Any, *roles: Role) -> bool:
    return bool(user_roles(user) & set(roles))


def grant_role(user: User, role: Role) -> None:
    """Give a staff role (a group); member roles come from memberships."""
    from django.contrib.auth.models import Group

    if role in MEMBER_ROLES:
        raise ValueError("Member roles follow from the membership, not from a group.")
    group, _created = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    if role == Role.DCCU and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    forget_roles(user)


def revoke_role(user: User, role: Role) -> None:
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name=role.value).first()
    if group is not None:
        user.groups.remove(group)
    if role == Role.DCCU and user.is_staff and not user.is_superuser:
        user.is_staff = False
        user.save(update_fields=["is_staff"])
    forget_roles(user)
