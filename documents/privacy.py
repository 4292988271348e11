"""Personal data held by the library: contributions, file versions, its log, reading
progress and followed mandates."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from documents.models import (
    Document,
    DocumentEvent,
    DocumentFile,
    DocumentStatus,
    MandateFollow,
    ReadingPath,
    ReadingProgress,
)
from gdpr.registry import CopyFile, Erasure, LegalBasis, Retention, declare

PEOPLE = _("members, substitutes, facilitators, agents, DCCU team")
READERS = _(
    "the readers of the document's audience (the assembly and the staff, the staff only, or "
    "everyone for a public document); for a proposal not published, only its author and the "
    "moderators (facilitators, DCCU team)"
)
NEVER_PUBLISHED = (DocumentStatus.PROPOSED, DocumentStatus.DECLINED, DocumentStatus.WITHDRAWN)


def private_proposals(person: Any) -> Any:
    """The person's documents that nobody but them and the moderators ever read."""
    return Document.objects.filter(
        contributor=person, status__in=NEVER_PUBLISHED, published_at__isnull=True
    )


def reindex_scrubbed(rows: Any) -> None:
    """After names were replaced in documents or their files' text: the search text and,
    on PostgreSQL, the stored search vector hold the old words until rebuilt."""
    from documents import search

    if rows.model is DocumentFile:
        rows = Document.objects.filter(pk__in=rows.values("document_id"))
    search.reindex_all(rows)


def delete_private_proposals(person: Any, pseudonym: str) -> None:
    """Erasure: the person's proposals that were never published go, with their files (once
    the erasure commits); shared documents stay, their contributor pseudonymised."""
    proposals = private_proposals(person)
    names = [
        name
        for row in DocumentFile.objects.filter(document__in=proposals).values_list(
            "storage_name", "preview_name"
        )
        for name in row
        if name
    ]
    proposals.delete()
    if names:
        from documents import files

        transaction.on_commit(lambda: files.delete_quietly(files.library_storage(), names))


def library_copy_files(rows: Any) -> Iterator[CopyFile]:
    """The files the person uploaded to the library, read through its private storage, under
    the name they gave (quarantined or infected files are never handed out)."""
    from documents import files

    storage = files.library_storage()
    columns = ("pk", "storage_name", "original_name", "version", "scan_status")
    for pk, stored, original, version, scan in rows.values_list(*columns).iterator(
        chunk_size=500
    ):
        if not stored or not files.servable(DocumentFile(scan_status=scan)):
            continue
        name = PurePosixPath(original or "fichier")
        shown = name.name if version <= 1 else f"{name.stem} (v{version}){name.suffix}"
        yield CopyFile(str(pk), "storage_name", shown, storage, stored)


declare(
    Document,
    subject="contributor",
    # Whoever published a document finds that act in their copy; its contributor, in theirs,
    # reads that the facilitation team published it, not who.
    actors={"published_by": ("title", "kind", "status", "published_at")},
    shown_as={"published_by": _("the facilitation team")},
    fields=(
        "title",
        "summary",
        "kind",
        "url",
        "body",
        "audience",
        "contributor",
        "contributor_type",
        "status",
        "decline_reason",
        "published_at",
        "published_by",
        "created_at",
        "updated_at",
    ),
    purpose=_(
        "Share the documents that help the assembly understand its questions, contributed by "
        "the provider, the services of the Département and the members (Article 5 of the "
        "assembly's specification), and moderate the members' proposals."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _(
            "Published documents: as long as the library serves the assembly (the DCCU archives "
            "or removes them). Proposals never published: deleted with the account or on "
            "erasure."
        )
    ),
    # A published document belongs to the assembly's shared library: it stays, signed by
    # « Participant·e n°N »; the person's never-published proposals are deleted.
    erasure=Erasure.PSEUDONYMISE,
    eraser=delete_private_proposals,
    after_scrub=reindex_scrubbed,
    categories_of_people=PEOPLE,
    recipients=READERS,
    notes=_("The reason given when a proposal is declined is shown to its author only."),
)

declare(
    DocumentFile,
    subject="uploaded_by",
    fields=(
        "document",
        "version",
        "original_name",
        "size",
        "mime_type",
        "note",
        "uploaded_by",
        "created_at",
    ),
    copy_files=library_copy_files,
    purpose=_("Keep the versions of a document's file and who uploaded each one."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("With its document.")),
    erasure=Erasure.PSEUDONYMISE,
    # The extracted text is scrubbed; the stored file is not rewritten (docs/privacy.md).
    machine_text=("storage_name", "preview_name", "sha256", "mime_type"),
    after_scrub=reindex_scrubbed,
    categories_of_people=PEOPLE,
    recipients=READERS,
    notes=_(
        "The file itself is stored under a random name and served only to the document's "
        "readers; the person who uploaded it finds it in their copy of their data."
    ),
)

declare(
    DocumentEvent,
    subject="actor",
    fields=("document", "action", "actor", "note", "created_at"),
    purpose=_("Log who proposed, published, declined, changed, withdrew or archived a document."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("With its document.")),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=PEOPLE,
    recipients=_("the document's author and the moderators (facilitators, DCCU team)"),
)

declare(
    ReadingPath,
    subject="created_by",
    fields=("title", "description", "mandate", "created_by", "created_at"),
    purpose=_(
        "Offer ordered selections of documents, such as the welcome path for new "
        "members and substitutes."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the path is offered.")),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=_("DCCU team"),
    recipients=_("the readers of the library"),
)

declare(
    ReadingProgress,
    subject="user",
    fields=("document", "read_at"),
    purpose=_(
        "Let each person keep track of what they read (« lu ») and of their progress in "
        "the reading paths."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the account exists, or until the person unticks it.")),
    erasure=Erasure.DELETE,
    categories_of_people=_(
        "members, substitutes, facilitators, agents, DCCU team, follow-up committee"
    ),
    recipients=_("the person only"),
)

declare(
    MandateFollow,
    subject="user",
    fields=("mandate", "created_at"),
    purpose=_("Tell the person when a document is published for a mandate they follow."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("Until the person stops following the mandate, or with the account.")),
    erasure=Erasure.DELETE,
    categories_of_people=_(
        "members, substitutes, facilitators, agents, DCCU team, follow-up committee"
    ),
    recipients=_("the person only"),
)
