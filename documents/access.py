"""Who may see and do what in the library (docs/permissions.md, « Bibliothèque »).

Every path to a document — page, search result, thumbnail, download, live event,
notification — goes through `visible_documents` or `Document.get_abilities`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404

from accounts.roles import CONTRIBUTOR_ROLES, MODERATOR_ROLES, STAFF_ROLES, Role, user_roles
from documents.models import (
    ContributorType,
    Document,
    DocumentFile,
    DocumentStatus,
    audiences_for,
)


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


def access_document(user: Any, document_id: Any) -> Document:
    """The document, or 404 when it is missing *or* the user may not read it (same answer)."""
    try:
        document = Document.objects.select_related("contributor", "published_by").get(
            pk=document_id
        )
    except (Document.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc
    if not document.get_abilities(user)["read"]:
        raise Http404
    return document


def access_file(user: Any, document: Document, file_id: Any) -> DocumentFile:
    """A file version of a document the user may read (404 otherwise, like a missing one)."""
    if not document.get_abilities(user)["download"]:
        raise Http404
    try:
        return DocumentFile.objects.get(pk=file_id, document=document)
    except (DocumentFile.DoesNotExist, ValueError, TypeError, ValidationError) as exc:
        raise Http404 from exc


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
