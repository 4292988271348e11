"""The documents due for the sessions (framing notes, minutes, syntheses): who may read
and write them, making them as sessions are created, delivering and reopening them, and
the dashboard's rows. Their deadlines are computed by ``assembly.deadlines``; their
text is a Yjs document served at /ws/session-docs/<id> (``assembly.sessiondoc_store``).

Rights (docs/permissions.md, « Session documents and deadlines »):

- the people responsible write until it is delivered: the session's facilitators, the
  facilitators of its subgroup, the DCCU team; they always read it;
- once delivered, the people convened to the session read it (the members for a
  plenary, an inter-plenary or a meeting with the public, the subgroup's members for its
  sessions, the committee for its meetings); a framing note is a working paper for the
  facilitators' network (Art. 4.2, « tuilage »): once delivered, every facilitator reads
  it, members do not;
- the DCCU reopens a delivered document; anyone else who may not read it gets a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pycrdt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role, has_role
from assembly import deadlines
from assembly.models import Session, SessionDocument, SessionDocumentKind, SessionKind

KIND = "sessiondoc"  # the Yjs document kind (realtime/yjs/registry.py)
PATH = "session-docs"  # its socket: /ws/session-docs/<document id>
FRAGMENT = "default"  # the editor's root, as in the drafts (deliberation/drafts.py)
ROOTS: dict[str, type] = {FRAGMENT: pycrdt.XmlFragment}

MEMBER_KINDS = (SessionKind.PLENIERE, SessionKind.INTERPLENIERE, SessionKind.RENCONTRE)


# --- Rights -------------------------------------------------------------------------------


def responsible_ids(session: Session) -> set[Any]:
    """The people who write the session's documents, beside the DCCU team."""
    ids = set(session.facilitators.values_list("pk", flat=True))
    if session.subgroup_id is not None:
        ids |= set(session.subgroup.facilitators.values_list("pk", flat=True))  # type: ignore[union-attr]
    return ids


def is_responsible(session: Session, user: Any) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return has_role(user, Role.DCCU) or user.pk in responsible_ids(session)


def is_convened(session: Session, user: Any) -> bool:
    """Who is convened to the session, as far as its documents go (see the module)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if session.subgroup_id is not None and session.kind in (
        SessionKind.SOUS_GROUPE, SessionKind.INTERPLENIERE
    ):
        return session.subgroup.members.filter(pk=user.pk).exists()  # type: ignore[union-attr]
    if session.kind in MEMBER_KINDS:
        return has_role(user, Role.TITULAIRE) or has_role(user, Role.REMPLACANT)
    if session.kind == SessionKind.COMITE_SUIVI:
        return has_role(user, Role.COMITE_SUIVI)
    return False  # a preparation meeting: its facilitators only


def access_session_document(user: Any, document_id: Any) -> SessionDocument:
    """The document, or 404 when it is missing or may not be read (the same answer)."""
    try:
        document = SessionDocument.objects.select_related(
            "session", "session__subgroup", "delivered_by"
        ).get(pk=document_id)
    except (SessionDocument.DoesNotExist, ValueError, ValidationError) as error:
        raise Http404 from error
    if not document.get_abilities(user)["read"]:
        raise Http404
    return document


# --- Making them as sessions come and move ------------------------------------------------


def template_update(kind: str) -> bytes:
    """The headings a new document starts with (the specification's contents: the framing
    note's « déroulé, supports de présentation et outils d'animation », Art. 4.2)."""
    with translation.override(settings.LANGUAGE_CODE):
        sections = {
            SessionDocumentKind.NOTE_CADRAGE: [
                _("Objectives"), _("Running order"), _("Presentation material"),
                _("Facilitation tools"),
            ],
            SessionDocumentKind.COMPTE_RENDU: [
                _("Present"), _("What was discussed"), _("Decisions and next steps"),
            ],
            SessionDocumentKind.SYNTHESE: [
                _("What was said"), _("Points of agreement"), _("Points of disagreement"),
                _("Next steps"),
            ],
        }[SessionDocumentKind(kind)]
    doc: pycrdt.Doc = pycrdt.Doc()
    fragment = doc.get(FRAGMENT, type=pycrdt.XmlFragment)
    with doc.transaction():
        for heading in sections:
            fragment.children.append(
                pycrdt.XmlElement("heading", {"level": 2}, [pycrdt.XmlText(heading)])  # type: ignore[arg-type]
            )
            fragment.children.append(pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText()]))
    return doc.get_update()


def ensure_documents(session: Session) -> list[SessionDocument]:
    """The documents the session's kind calls for, made when missing; due dates follow a
    session that moved, unless already delivered. Idempotent."""
    from workshops.models import DocKind, YDocument

    due = deadlines.due_dates(session.kind, session.starts_at)
    made: list[SessionDocument] = []
    with transaction.atomic():
        existing = {d.kind: d for d in SessionDocument.objects.filter(session=session)}
        for kind, day in due.items():
            document = existing.get(kind)
            if document is None:
                ydoc = YDocument.objects.create(
                    kind=DocKind.SESSION_DOC, snapshot=template_update(kind)
                )
                document = SessionDocument.objects.create(
                    id=ydoc.pk, session=session, kind=kind, due_on=day
                )
            elif document.due_on != day and document.delivered_at is None:
                document.due_on = day
                document.save(update_fields=["due_on", "updated_at"])
            made.append(document)
    return made


def session_saved(sender: Any, instance: Session, raw: bool = False, **kwargs: Any) -> None:
    """post_save of Session: whoever creates or moves a session (its pages, the admin, the
    demo), its documents and their due dates follow."""
    if raw:
        return
    ensure_documents(instance)


def document_deleted(sender: Any, instance: SessionDocument, **kwargs: Any) -> None:
    from workshops.models import YDocument

    YDocument.objects.filter(pk=instance.pk).delete()


# --- Operations ---------------------------------------------------------------------------


def _announce(document: SessionDocument) -> None:
    from realtime.yjs import relay

    # Open editors re-read their rights: a writer becomes a reader once it is delivered.
    relay.announce_abilities_changed(KIND, document.pk)


def do_deliver_session_document(actor: Any, document: SessionDocument) -> SessionDocument:
    """Mark it delivered: the text is frozen and kept as a named version."""
    from deliberation.models import VersionKind
    from workshops import ydocs
    from workshops.models import YDocument

    with transaction.atomic():
        document = SessionDocument.objects.select_for_update(of=("self",)).select_related(
            "session", "session__subgroup"
        ).get(pk=document.pk)
        if not document.get_abilities(actor)["deliver"]:
            if document.delivered_at is not None:
                raise ValidationError(_("This document was already delivered."))
            raise ValidationError(_("You cannot deliver this document."))
        now = timezone.now()
        document.delivered_at, document.delivered_by = now, actor
        document.save(update_fields=["delivered_at", "delivered_by", "updated_at"])
        YDocument.objects.filter(pk=document.pk).update(frozen=True)
        ydocs.create_version(
            document.pk, ROOTS, VersionKind.NAMED, name=str(_("Delivered")), by=actor
        )
        transaction.on_commit(lambda: _announce(document))
    return document


def do_reopen_session_document(actor: Any, document: SessionDocument) -> SessionDocument:
    """The DCCU sends a delivered document back to its writers (its delivery is forgotten:
    it is due again, and late if its day has passed)."""
    from workshops.models import YDocument

    with transaction.atomic():
        document = SessionDocument.objects.select_for_update(of=("self",)).select_related(
            "session", "session__subgroup"
        ).get(pk=document.pk)
        if not document.get_abilities(actor)["reopen"]:
            raise ValidationError(_("Only the DCCU team reopens a delivered document."))
        document.delivered_at = document.delivered_by = None
        document.reopened_at, document.reopened_by = timezone.now(), actor
        document.save(
            update_fields=["delivered_at", "delivered_by", "reopened_at", "reopened_by",
                           "updated_at"]
        )
        YDocument.objects.filter(pk=document.pk).update(frozen=False)
        transaction.on_commit(lambda: _announce(document))
    return document


# --- The dashboard ------------------------------------------------------------------------


@dataclass
class Row:
    document: SessionDocument
    status: str
    responsible: list[Any]


def status_of(document: SessionDocument, now: dt.datetime | None = None) -> str:
    return deadlines.status(document.due_on, document.delivered_at, now or timezone.now())


def dashboard_documents(user: Any) -> QuerySet[SessionDocument]:
    """Every document due for a session not cancelled: all of them for the DCCU, the ones
    a facilitator is responsible for otherwise."""
    documents = SessionDocument.objects.filter(session__cancelled_at__isnull=True)
    if not has_role(user, Role.DCCU):
        documents = documents.filter(
            Q(session__facilitators=user) | Q(session__subgroup__facilitators=user)
        ).distinct()
    return documents.select_related("session", "session__subgroup").order_by(
        "due_on", "session__starts_at", "kind"
    )


def dashboard_rows(user: Any, status: str = "", now: dt.datetime | None = None) -> list[Row]:
    from accounts.models import User

    documents = list(dashboard_documents(user).prefetch_related("session__facilitators"))
    subgroup_facilitators: dict[Any, list[Any]] = {}
    for document in documents:
        subgroup = document.session.subgroup
        if subgroup is not None and subgroup.pk not in subgroup_facilitators:
            subgroup_facilitators[subgroup.pk] = list(subgroup.facilitators.all())
    rows = []
    for document in documents:
        people: dict[Any, User] = {p.pk: p for p in document.session.facilitators.all()}
        for person in subgroup_facilitators.get(document.session.subgroup_id, []):
            people.setdefault(person.pk, person)
        row = Row(document, status_of(document, now), list(people.values()))
        if not status or row.status == status:
            rows.append(row)
    return rows
