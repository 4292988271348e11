"""Who may see and do what in the library (docs/permissions.md, « Bibliothèque »).

Every path to a document — page, search result, thumbnail, download, live event,
notification — goes through `visible_documents` or `document_abilities`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from accounts.roles import Role, user_roles
from documents.models import (
    Audience,
    ContributorType,
    Document,
    DocumentStatus,
)

ASSEMBLY_READERS = frozenset(
    {
        Role.TITULAIRE,
        Role.REMPLACANT,
        Role.FACILITATEUR,
        Role.AGENT,
        Role.DCCU,
        Role.COMITE_SUIVI,
    }
)
STAFF_READERS = frozenset({Role.FACILITATEUR, Role.AGENT, Role.DCCU})
MODERATORS = frozenset({Role.FACILITATEUR, Role.DCCU})
# Services and the provider publish at once; members propose, a moderator publishes.
DIRECT_PUBLISHERS = frozenset({Role.FACILITATEUR, Role.AGENT, Role.DCCU})
CONTRIBUTORS = frozenset({Role.TITULAIRE, Role.REMPLACANT}) | DIRECT_PUBLISHERS
COMMENTERS = frozenset({Role.TITULAIRE, Role.REMPLACANT, Role.FACILITATEUR, Role.AGENT, Role.DCCU})


def audiences_for(roles: frozenset[Role]) -> list[str]:
    audiences: list[str] = [Audience.PUBLIC]
    if roles & ASSEMBLY_READERS:
        audiences.append(Audience.ASSEMBLY)
    if roles & STAFF_READERS:
        audiences.append(Audience.STAFF)
    return audiences


def visible_documents(user: Any) -> QuerySet[Document]:
    """The documents `user` may see at all: published or archived ones of an audience they
    belong to, plus — for their author and for moderators — proposed, declined and withdrawn
    ones (moderators see those of every audience they read)."""
    roles = user_roles(user)
    audiences = audiences_for(roles)
    shown = Q(status__in=(DocumentStatus.PUBLISHED, DocumentStatus.ARCHIVED))
    if roles & MODERATORS:
        shown = Q()  # every status
    mine = Q(contributor=user) if getattr(user, "is_authenticated", False) else Q(pk__in=[])
    return Document.objects.filter((Q(audience__in=audiences) & shown) | mine)


def document_abilities(user: Any, document: Document) -> dict[str, bool]:
    roles = user_roles(user)
    is_author = bool(
        getattr(user, "is_authenticated", False) and document.contributor_id == user.pk
    )
    moderator = bool(roles & MODERATORS) and document.audience in audiences_for(roles)
    listed = document.status in (DocumentStatus.PUBLISHED, DocumentStatus.ARCHIVED)
    read = is_author or moderator or (listed and document.audience in audiences_for(roles))
    return {
        "read": read,
        "download": read,
        "comment": read and listed and bool(roles & COMMENTERS),
        "edit": read and (is_author or moderator) and document.status != DocumentStatus.WITHDRAWN,
        "withdraw": is_author
        and document.status in (DocumentStatus.PROPOSED, DocumentStatus.PUBLISHED),
        "moderate": moderator,
        "publish": moderator and document.status == DocumentStatus.PROPOSED,
        "decline": moderator and document.status == DocumentStatus.PROPOSED,
        "archive": moderator and document.status == DocumentStatus.PUBLISHED,
    }


def may_contribute(user: Any) -> bool:
    return bool(user_roles(user) & CONTRIBUTORS)


def publishes_directly(user: Any) -> bool:
    return bool(user_roles(user) & DIRECT_PUBLISHERS)


def contributor_type_for(user: Any) -> str:
    roles = user_roles(user)
    if Role.FACILITATEUR in roles:
        return ContributorType.PROVIDER
    if roles & {Role.AGENT, Role.DCCU}:
        return ContributorType.SERVICE
    return ContributorType.MEMBER
