"""The member roles (titulaire, remplaçant): they follow from a person's current membership.

``accounts.roles`` knows the roles and the staff groups but not the assembly: this app
gives it, in ``AssemblyConfig.ready()``, the function that reads a person's member roles.
After a change of membership, ``assembly.actions`` calls ``accounts.roles.roles_changed``.
"""

from __future__ import annotations

from typing import Any

from accounts.roles import Role
from assembly.models import Membership


def member_roles(user: Any) -> frozenset[Role]:
    """The member role of the person's current membership, if any."""
    kind = Membership.objects.current().filter(user=user).values_list("kind", flat=True).first()
    return frozenset({Role(kind)}) if kind is not None else frozenset()
