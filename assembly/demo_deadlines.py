"""The demo's sessions and their documents (``seed_demo``): a plenary in 8 days whose
framing note is being written, a past subgroup session whose minutes are late, a past
plenary whose synthesis was delivered. Idempotent: found again by their titles."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pycrdt
from django.utils import timezone

from assembly import sessiondocs
from assembly.models import Assembly, Mandate, Session, SessionDocument, SessionKind, Subgroup

NEXT_PLENARY = "Plénière n° 3 — Premières pistes"
PAST_PLENARY = "Plénière n° 2 — Ce que nous avons entendu"
PAST_SUBGROUP = "Séance du sous-groupe — visite d'un EHPAD"


def _write(document: SessionDocument, paragraphs: dict[int, str]) -> None:
    """Fill the template's empty paragraphs (by index) as a writer would."""
    from workshops import ydocs
    from workshops.stores import append_server_update

    doc = ydocs.load(document.pk, sessiondocs.ROOTS).doc
    before = doc.get_state()
    fragment = doc.get(sessiondocs.FRAGMENT, type=pycrdt.XmlFragment)
    for index, text in paragraphs.items():
        fragment.children[index].children[0].insert(0, text)
    append_server_update(sessiondocs.KIND, document.pk, doc.get_update(before))


def _session(assembly: Assembly, title: str, **fields: Any) -> tuple[Session, bool]:
    session = Session.objects.filter(assembly=assembly, title=title).first()
    if session is not None:
        return session, False
    starts = fields.pop("starts_at")
    facilitators = fields.pop("facilitators")
    session = Session.objects.create(
        assembly=assembly, title=title, starts_at=starts,
        ends_at=starts + dt.timedelta(hours=fields.pop("hours", 6)), **fields,
    )
    session.facilitators.set(facilitators)
    sessiondocs.ensure_documents(session)
    return session, True


def ensure_session_documents(mandate: Mandate, users: dict[str, Any]) -> int:
    """The three demo sessions; returns how many were created."""
    assembly = mandate.assembly
    lead = users["facilitateur1@example.org"]
    today = timezone.localdate()
    at = timezone.get_current_timezone()

    def day(offset: int, hour: int) -> dt.datetime:
        return dt.datetime.combine(today + dt.timedelta(days=offset), dt.time(hour), tzinfo=at)

    created = 0
    plenary, new = _session(
        assembly, NEXT_PLENARY, kind=SessionKind.PLENIERE, mandate=mandate,
        starts_at=day(8, 9), place="Hôtel du Département, Toulouse", facilitators=[lead],
    )
    if new:
        created += 1
        note = SessionDocument.objects.get(session=plenary, kind="note_cadrage")
        _write(note, {1: "Partager les pistes des sous-groupes et choisir celles à approfondir.",
                      3: "9 h 30 accueil ; 10 h restitution des sous-groupes ; 14 h ateliers."})

    subgroup = Subgroup.objects.filter(mandate=mandate).order_by("name").first()
    if subgroup is not None:
        facilitator = subgroup.facilitators.order_by("pk").first() or lead
        past, new = _session(
            assembly, PAST_SUBGROUP, kind=SessionKind.SOUS_GROUPE, mandate=mandate,
            subgroup=subgroup, starts_at=day(-15, 14), hours=3, place="EHPAD de Muret",
            facilitators=[facilitator],
        )
        if new:
            created += 1
            minutes = SessionDocument.objects.get(session=past)
            _write(minutes, {1: "Neuf membres du sous-groupe, la directrice de l'EHPAD."})

    done, new = _session(
        assembly, PAST_PLENARY, kind=SessionKind.PLENIERE, mandate=mandate,
        starts_at=day(-40, 9), place="Hôtel du Département, Toulouse", facilitators=[lead],
    )
    if new:
        created += 1
        for document in SessionDocument.objects.filter(session=done).order_by("kind"):
            if document.kind == "synthese":
                _write(document, {1: "Les membres ont entendu les services de l'autonomie.",
                                  3: "Le maintien à domicile est une priorité partagée."})
            sessiondocs.do_deliver_session_document(lead, document)
            # Delivered in time: a few days before each was due.
            on_time = dt.datetime.combine(document.due_on - dt.timedelta(days=2), dt.time(17),
                                          tzinfo=at)
            SessionDocument.objects.filter(pk=document.pk).update(delivered_at=on_time)
    return created
