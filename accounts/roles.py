"""Roles a person holds, and how to read them.

Staff roles (facilitator, agent, DCCU, DPD, follow-up committee) are Django
groups named after the role code, so that the admin can grant them and
django-guardian can attach object permissions to them. Member roles
(titulaire, remplaçant) are never stored as groups: they follow from the
person's current membership in the assembly, so they cannot drift from it.
"""

from __future__ import annotations

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
# Handle the people's data requests and prepare access copies on their behalf.
DATA_HANDLER_ROLES = frozenset({Role.DPD, Role.DCCU})

_CACHE_ATTR = "_agora_roles_cache"


def user_roles(user: Any) -> frozenset[Role]:
    """Every role the user holds now (cached on the instance for one request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    from deliberation.models import Membership

    roles: set[Role] = {
        Role(name) for name in user.groups.values_list("name", flat=True) if name in GROUP_ROLES
    }
    kind = Membership.objects.current().filter(user=user).values_list("kind", flat=True).first()
    if kind is not None:
        roles.add(Role(kind))
    result = frozenset(roles)
    setattr(user, _CACHE_ATTR, result)
    return result


def forget_roles(user: Any) -> None:
    """Drop the roles cached on this instance (and on it only: see ``roles_changed``)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def roles_changed(user: Any) -> None:
    """After a change of membership: forget the cached roles here, and on the instances
    the person's open sockets hold, in every process (they re-check after commit).

    Group changes need no call: ``accounts.signals`` sees every one of them.
    """
    from realtime.bus import recheck_user_sockets

    forget_roles(user)
    recheck_user_sockets(user.pk)


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
