"""Operations on the library: the one place where documents are proposed, moderated and read.

Views, the admin, ``seed_demo`` and the tests call these functions. Each checks
abilities (``Http404`` for a document the actor may not read, ``PermissionDenied``
for one they may read but not act on), validates (``ValidationError`` with a
French-translatable message), writes in a transaction with a ``DocumentEvent``
for every change, reindexes the document for search, and publishes live events
and notifications once the transaction commits.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import MODERATOR_ROLES, user_roles
from config.logs import mail_failure
from documents.access import (
    contributor_type_for,
    may_contribute,
    publishes_directly,
    visible_documents,
)
from documents.events import (
    LibraryDocumentPublishedEvent,
    LibraryNotificationEvent,
    library_group,
)
from documents.models import (
    Audience,
    Document,
    DocumentEvent,
    DocumentKind,
    DocumentStatus,
    MandateFollow,
    ReadingProgress,
    ScanStatus,
    audiences_for,
)
from documents.search import reindex
from notifications.actions import notify, notify_many, wants
from notifications.models import Kind, Verb
from realtime.bus import send_event_on_commit, user_group

logger = logging.getLogger(__name__)

TITLE_MAX_LENGTH = 300
REASON_MAX_LENGTH = 2000
# Kinds that carry a file (a video or a recording may instead be a link: large videos).
FILE_KINDS = (DocumentKind.FILE, DocumentKind.VIDEO, DocumentKind.AUDIO)


class Action:
    """The codes written in ``DocumentEvent.action`` (the log shown on the document page)."""

    PROPOSED = "proposed"
    PUBLISHED = "published"
    DECLINED = "declined"
    EDITED = "edited"
    NEW_FILE = "new_file"
    WITHDRAWN = "withdrawn"
    ARCHIVED = "archived"
    RESUBMITTED = "resubmitted"


def action_label(code: str) -> str:
    labels = {
        Action.PROPOSED: _("proposed"),
        Action.PUBLISHED: _("published"),
        Action.DECLINED: _("declined"),
        Action.EDITED: _("edited"),
        Action.NEW_FILE: _("new version of the file"),
        Action.WITHDRAWN: _("withdrawn"),
        Action.ARCHIVED: _("archived"),
        Action.RESUBMITTED: _("proposed again after a change"),
    }
    return str(labels.get(code, code))


# --- Access ----------------------------------------------------------------------------------


def _require(actor: Any, document: Document, ability: str, message: str) -> dict[str, bool]:
    abilities = document.get_abilities(actor)
    if not abilities["read"]:
        raise Http404
    if not abilities[ability]:
        raise PermissionDenied(message)
    return abilities


def allowed_audiences(user: Any) -> list[str]:
    """The audiences a person may give a document: members propose for the assembly (or
    everyone); the staff choose any audience they read themselves."""
    if publishes_directly(user):
        return [a for a in Audience.values if a in audiences_for(user_roles(user))]
    return [Audience.ASSEMBLY, Audience.PUBLIC]


# --- Helpers -------------------------------------------------------------------------------


def _log(document: Document, action: str, actor: Any, note: str = "") -> DocumentEvent:
    return DocumentEvent.objects.create(
        document=document,
        action=action,
        actor=actor if _is_person(actor) else None,
        note=note,
    )


def _is_person(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def _clean_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise ValidationError(_("Give the document a title."), code="empty")
    if len(title) > TITLE_MAX_LENGTH:
        raise ValidationError(_("The title is too long."), code="too_long")
    return title


def _clean_body(body: str) -> str:
    from forums import sanitize

    return sanitize.render_html(body or "").strip()


def _clean_url(url: str) -> str:
    from documents import files

    return files.clean_link(url)


def _check_content(kind: str, *, url: str, body: str, summary: str, has_file: bool) -> None:
    """Each kind needs its own content: a file, an address, a text or a reference."""
    if kind not in DocumentKind.values:
        raise ValidationError(_("Choose a kind of document."), code="bad_kind")
    if kind == DocumentKind.FILE and not has_file:
        raise ValidationError(_("Choose the file to share."), code="no_file")
    if kind in (DocumentKind.VIDEO, DocumentKind.AUDIO) and not (has_file or url):
        raise ValidationError(
            _("Choose the file to share, or give the address where it can be watched or heard."),
            code="no_file",
        )
    if kind == DocumentKind.LINK and not url:
        raise ValidationError(_("Give the address of the link."), code="no_url")
    if kind == DocumentKind.SHEET and not body:
        raise ValidationError(_("Write the text of the sheet."), code="no_body")
    if kind == DocumentKind.BIBLIOGRAPHY and not summary.strip():
        raise ValidationError(
            _("Write the reference (author, title, publisher, year) in the summary."),
            code="no_reference",
        )


def _document_url(document: Document) -> str:
    return reverse("library_document", args=[document.pk])


def _absolute(path: str) -> str:
    return getattr(settings, "AGORA_BASE_URL", "").rstrip("/") + path


# --- Proposing and editing -----------------------------------------------------------------


def do_propose_document(
    actor: Any,
    *,
    kind: str,
    title: str,
    summary: str = "",
    url: str = "",
    body: str = "",
    upload: Any = None,
    mandates: Iterable[Any] = (),
    themes: Iterable[Any] = (),
    audience: str = Audience.ASSEMBLY,
    note: str = "",
) -> Document:
    """Add a document: published at once for the staff, « proposé » for members until a
    moderator publishes it."""
    if not may_contribute(actor):
        raise PermissionDenied(_("You cannot add documents to the library."))
    if audience not in allowed_audiences(actor):
        raise ValidationError(_("You cannot choose this audience."), code="bad_audience")
    title = _clean_title(title)
    summary = (summary or "").strip()
    url = _clean_url(url) if (url or "").strip() else ""
    body = _clean_body(body) if kind == DocumentKind.SHEET else ""
    _check_content(kind, url=url, body=body, summary=summary, has_file=upload is not None)
    direct = publishes_directly(actor)
    now = timezone.now()
    with transaction.atomic():
        document = Document.objects.create(
            title=title,
            summary=summary,
            kind=kind,
            url=url,
            body=body,
            audience=audience,
            contributor=actor,
            contributor_type=contributor_type_for(actor),
            status=DocumentStatus.PUBLISHED if direct else DocumentStatus.PROPOSED,
            published_at=now if direct else None,
            published_by=actor if direct else None,
            created_at=now,
        )
        document.mandates.set(list(mandates))
        document.themes.set(list(themes))
        _log(document, Action.PROPOSED, actor, note)
        if upload is not None and kind in FILE_KINDS:
            from documents import files

            files.store_upload(upload, document=document, user=actor, note=note)
        if direct:
            _log(document, Action.PUBLISHED, actor)
            _announce(document)
        reindex(document)
    return document


def do_edit_document(
    actor: Any,
    document: Document,
    *,
    title: str,
    summary: str = "",
    url: str = "",
    body: str = "",
    mandates: Iterable[Any] | None = None,
    themes: Iterable[Any] | None = None,
    audience: str | None = None,
    note: str = "",
) -> Document:
    """Change a document's description or content (its author, or a moderator).

    When an author who does not publish directly changes a published or declined
    document, it goes back to « proposé »: a moderator sees the change before the
    assembly does.
    """
    abilities = _require(actor, document, "edit", _("You cannot change this document."))
    title = _clean_title(title)
    summary = (summary or "").strip()
    url = _clean_url(url) if (url or "").strip() else ""
    body = _clean_body(body) if document.kind == DocumentKind.SHEET else ""
    if audience is not None and audience != document.audience:
        if audience not in allowed_audiences(actor):
            raise ValidationError(_("You cannot choose this audience."), code="bad_audience")
    has_file = document.files.exists()
    _check_content(document.kind, url=url, body=body, summary=summary, has_file=has_file)
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        document.title, document.summary, document.url, document.body = title, summary, url, body
        if audience is not None:
            document.audience = audience
        back_to_review = _needs_review(actor, document, abilities)
        if back_to_review:
            document.status = DocumentStatus.PROPOSED
            document.decline_reason = ""
        document.save()
        if mandates is not None:
            document.mandates.set(list(mandates))
        if themes is not None:
            document.themes.set(list(themes))
        _log(document, Action.RESUBMITTED if back_to_review else Action.EDITED, actor, note)
        reindex(document)
    return document


def _needs_review(actor: Any, document: Document, abilities: dict[str, bool]) -> bool:
    if abilities["moderate"] or publishes_directly(actor):
        return False
    return document.status in (DocumentStatus.PUBLISHED, DocumentStatus.DECLINED)


def do_add_file_version(actor: Any, document: Document, *, upload: Any, note: str = "") -> Any:
    """A new version of the document's file; the earlier ones stay in its history."""
    abilities = _require(actor, document, "edit", _("You cannot change this document."))
    if document.kind not in FILE_KINDS:
        raise ValidationError(_("This kind of document has no file."), code="bad_kind")
    from documents import files

    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        stored = files.store_upload(upload, document=document, user=actor, note=note)
        back_to_review = _needs_review(actor, document, abilities)
        if back_to_review:
            document.status = DocumentStatus.PROPOSED
            document.decline_reason = ""
        document.save()
        _log(document, Action.NEW_FILE, actor, note or f"v{stored.version}")
        if back_to_review:
            _log(document, Action.RESUBMITTED, actor)
        reindex(document)
    return stored


def do_withdraw_document(actor: Any, document: Document, *, note: str = "") -> Document:
    """Its author takes a document back: nobody but them and the moderators sees it."""
    _require(actor, document, "withdraw", _("Only its author can withdraw this document."))
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        document.status = DocumentStatus.WITHDRAWN
        document.save()
        _log(document, Action.WITHDRAWN, actor, note)
        reindex(document)
    return document


# --- Moderation ----------------------------------------------------------------------------


def do_publish_document(actor: Any, document: Document, *, note: str = "") -> Document:
    """A moderator publishes a proposed document: its readers see it, live, and the
    followers of its mandates are told."""
    _require(actor, document, "publish", _("Only the moderators can publish a document."))
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.status != DocumentStatus.PROPOSED:
            raise ValidationError(_("This document is not awaiting moderation."), code="bad_status")
        _require_scanned(document)
        document.status = DocumentStatus.PUBLISHED
        document.published_at = timezone.now()
        document.published_by = actor
        document.decline_reason = ""
        document.save()
        _log(document, Action.PUBLISHED, actor, note)
        _announce(document)
        reindex(document)
        notify(Kind.MODERATION, document.contributor, actor=actor, verb=Verb.PUBLISHED,
               document=document)
    return document


def _require_scanned(document: Document) -> None:
    """A proposed file is published only once the antivirus has passed it: while it is
    quarantined (clamd unreachable) or found infected, the document stays « proposé »."""
    if document.kind not in FILE_KINDS:
        return
    current = document.current_file
    if current is None:
        return
    if current.scan_status == ScanStatus.PENDING:
        raise ValidationError(
            _(
                "The antivirus has not scanned this document's file yet: it can be "
                "published once the scan is done (it is retried every few minutes)."
            ),
            code="not_scanned",
        )
    if current.scan_status == ScanStatus.INFECTED:
        raise ValidationError(
            _("This document's file was found infected: it cannot be published."),
            code="infected",
        )


def do_decline_document(actor: Any, document: Document, *, reason: str) -> Document:
    """A moderator declines a proposal with a reason, shown to its author and emailed."""
    _require(actor, document, "decline", _("Only the moderators can decline a document."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Say why the document is declined: its author will read it."), code="empty"
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError(_("The reason is too long."), code="too_long")
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        if document.status != DocumentStatus.PROPOSED:
            raise ValidationError(_("This document is not awaiting moderation."), code="bad_status")
        document.status = DocumentStatus.DECLINED
        document.decline_reason = reason
        document.save()
        _log(document, Action.DECLINED, actor, reason)
        reindex(document)
        document_id = document.pk
        transaction.on_commit(lambda: _email_declined(document_id))
        notify(Kind.MODERATION, document.contributor, actor=actor, verb=Verb.DECLINED,
               document=document)
    return document


def do_archive_document(actor: Any, document: Document, *, note: str = "") -> Document:
    """An outdated document stays readable, marked « archivé », out of the news."""
    _require(actor, document, "archive", _("Only the moderators can archive a document."))
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        document.status = DocumentStatus.ARCHIVED
        document.save()
        _log(document, Action.ARCHIVED, actor, note)
        reindex(document)
    return document


def moderation_queue(user: Any) -> Any:
    """The proposals awaiting a decision that this moderator may take."""
    if not user_roles(user) & MODERATOR_ROLES:
        return Document.objects.none()
    return visible_documents(user).filter(status=DocumentStatus.PROPOSED)


# --- Reading -------------------------------------------------------------------------------


def do_mark_read(actor: Any, document: Document, *, read: bool = True) -> bool:
    """« Lu » on or off for this person; returns the new state."""
    if not _is_person(actor):
        raise PermissionDenied(_("Log in to keep track of what you read."))
    _require(actor, document, "read", "")
    if read:
        ReadingProgress.objects.get_or_create(user=actor, document=document)
    else:
        ReadingProgress.objects.filter(user=actor, document=document).delete()
    return read


def do_follow_mandate(actor: Any, mandate: Any, *, follow: bool = True) -> bool:
    """Hear of every document published for this mandate (that one may read)."""
    if not _is_person(actor) or not user_roles(actor):
        raise PermissionDenied(_("You cannot follow a mandate."))
    if follow:
        MandateFollow.objects.get_or_create(user=actor, mandate=mandate)
    else:
        MandateFollow.objects.filter(user=actor, mandate=mandate).delete()
    return follow


# --- Comments (a room of kind « document », forums) ----------------------------------------


def document_room(document: Document, *, create: bool = False) -> Any:
    """The document's comment room, created on first use."""
    from forums.actions import default_thread
    from forums.models import Room, RoomKind

    room = Room.objects.filter(document=document).first()
    if room is None and create:
        from django.db import IntegrityError

        try:
            with transaction.atomic():
                room = Room.objects.create(
                    kind=RoomKind.DOCUMENT, document=document, name=document.title[:200]
                )
        except IntegrityError:  # created meanwhile
            room = Room.objects.get(document=document)
    if room is not None:
        default_thread(room)
    return room


def do_comment_document(
    actor: Any, document: Document, *, body: str, client_id: uuid.UUID | str | None = None
) -> Any:
    """Say something about a document, in its thread (forums' rules: rate, length, mentions)."""
    from forums.actions import do_send_message

    _require(actor, document, "comment", _("You cannot comment on this document."))
    room = document_room(document, create=True)
    message, _created = do_send_message(actor, room, body=body, client_id=client_id or uuid.uuid4())
    return message


# --- Live events and notifications -----------------------------------------------------------


def _announce(document: Document) -> None:
    """Once committed: the live « Nouveauté » for the document's audience, and the followers'
    notifications. The consumer checks again, per person, that they may read it."""
    mandates = [str(pk) for pk in document.mandates.values_list("pk", flat=True)]
    url = _document_url(document)
    send_event_on_commit(
        LibraryDocumentPublishedEvent(
            document=str(document.pk),
            title=document.title,
            kind=document.kind,
            url=url,
            mandates=mandates,
        ),
        [library_group(document.audience)],
    )
    document_id = document.pk
    transaction.on_commit(lambda: notify_followers(document_id))


def followers_to_notify(document: Document) -> list[Any]:
    """Followers of the document's mandates who may read it — nobody else, its publisher
    and contributor aside."""
    from accounts.models import User

    people = (
        User.objects.filter(is_active=True, followed_mandates__mandate__in=document.mandates.all())
        .distinct()
        .order_by("pk")
    )
    skip = {document.published_by_id, document.contributor_id}
    return [p for p in people if p.pk not in skip and document.get_abilities(p)["read"]]


def notify_followers(document_id: Any) -> int:
    """A live notification and an email to each follower who may read the document.

    Emails honour the person's « email me » preference (forums' NotificationPreference).
    Returns the number of people told.
    """
    from forums.notifications import wants_email

    document = Document.objects.filter(pk=document_id, status=DocumentStatus.PUBLISHED).first()
    if document is None:
        return 0
    people = followers_to_notify(document)
    if not people:
        return 0
    notify_many(Kind.DOCUMENT, people, actor=document.published_by, document=document)
    mandates = ", ".join(document.mandates.order_by("title").values_list("title", flat=True))
    url = _document_url(document)
    emails = []
    with translation.override(settings.LANGUAGE_CODE):
        text = _("New in the library for « %(mandate)s »: %(title)s") % {
            "mandate": mandates,
            "title": document.title,
        }
        for person in people:
            send_event_on_commit(
                LibraryNotificationEvent(document=str(document.pk), url=url, text=text),
                [user_group(person.pk)],
            )
            if person.email and wants_email(person, Kind.DOCUMENT):
                body = render_to_string(
                    "documents/email/followed.txt",
                    {
                        "person": person,
                        "document": document,
                        "mandates": mandates,
                        "link": _absolute(url),
                        "site_name": settings.AGORA_SITE_NAME,
                        "follows": _absolute(reverse("library")),
                    },
                )
                emails.append(
                    EmailMessage(
                        subject=f"[{settings.AGORA_SITE_NAME}] {text}",
                        body=body,
                        from_email=settings.DEFAULT_FROM_EMAIL,
                        to=[person.email],
                    )
                )
    if emails:
        _send_emails(emails)
    return len(people)


def _email_declined(document_id: Any) -> None:
    document = Document.objects.select_related("contributor").filter(pk=document_id).first()
    if document is None or document.contributor is None or not document.contributor.email:
        return
    person = document.contributor
    if not person.is_active or not wants(person, Kind.MODERATION, "email"):
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your document « %(title)s » was not published") % {"title": document.title}
        body = render_to_string(
            "documents/email/declined.txt",
            {
                "person": person,
                "document": document,
                "link": _absolute(_document_url(document)),
                "site_name": settings.AGORA_SITE_NAME,
            },
        )
    _send_emails(
        [
            EmailMessage(
                subject=f"[{settings.AGORA_SITE_NAME}] {subject}",
                body=body,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[person.email],
            )
        ]
    )


def _send_emails(emails: list[EmailMessage]) -> None:
    from django.core.mail import get_connection

    try:
        get_connection().send_messages(emails)
    except OSError:
        mail_failure(logger, "could not send %s library notification(s)", len(emails))
