"""Who may see and do what in the library (docs/permissions.md, « Bibliothèque »).

Every path to a document — page, search result, thumbnail, download, live event,
notification — goes through `visible_documents` or `Document.get_abilities`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.roles import CONTRIBUTOR_ROLES, MODERATOR_ROLES, STAFF_ROLES, Role, user_roles
from documents.models import ContributorType, Document, DocumentStatus, audiences_for


def visible_documents(user: Any) -> QuerySet[Document]:
    """The documents `user` may see at all: published or archived ones of an audience they
    belong to, plus — for their author and for moderators — proposed, declined and withdrawn
    ones (moderators see those of every audience they read)."""
    roles = user_roles(user)
    audiences = audiences_for(roles)
    shown = Q(status__in=(DocumentStatus.PUBLISHED, DocumentStatus.ARCHIVED))
    if roles & MODERATOR_ROLES:
        shown = Q()  # every status
    mine = Q(contributor=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    return Document.objects.filter((Q(audience__in=audiences) & shown) | mine)


def may_contribute(user: Any) -> bool:
    return bool(user_roles(user) & CONTRIBUTOR_ROLES)


def publishes_directly(user: Any) -> bool:
    return bool(user_roles(user) & STAFF_ROLES)


def contributor_type_for(user: Any) -> str:
    roles = user_roles(user)
    if Role.FACILITATEUR in roles:
        return ContributorType.PROVIDER
    if roles & STAFF_ROLES:  # agents and the DCCU: facilitators are the provider, above
        return ContributorType.SERVICE
    return ContributorType.MEMBER
