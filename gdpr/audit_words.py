"""The audit trail in words: « Claire D. (équipe DCCU) a consulté « Plénière » (salle) dans
l'administration » rather than ``admin.view forums.Room 5ff1…``.

The trail stores ids only (gdpr.audit); the DPD's pages turn them into sentences when they
are read, with today's names (an erased person is shown as such). Objects are named through
the app registry from the stored label, so this module names no other app's model.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.names import BADGE_LABELS
from accounts.roles import MEMBER_ROLES, Role, user_roles
from gdpr.models import AuditEntry

# One sentence per action. %(actor)s is who acted, %(subject)s whose data, %(object)s what.
SENTENCES: dict[str, Any] = {
    "admin.view": gettext_lazy("%(actor)s viewed %(object)s in the administration"),
    "admin.change": gettext_lazy("%(actor)s changed %(object)s in the administration"),
    "admin.delete": gettext_lazy(
        "%(actor)s opened the deletion page of %(object)s in the administration"
    ),
    "accounts.email.change": gettext_lazy("%(actor)s changed the email address of %(subject)s"),
    "forums.message.delete": gettext_lazy("%(actor)s deleted a message of %(subject)s"),
    "forums.message.report": gettext_lazy("%(actor)s reported a message"),
    "forums.report.handle": gettext_lazy("%(actor)s handled a report made by %(subject)s"),
    "forums.message.hide": gettext_lazy("%(actor)s hid a message of %(subject)s"),
    "forums.message.unhide": gettext_lazy("%(actor)s showed a message of %(subject)s again"),
    "forums.person.mute": gettext_lazy("%(actor)s muted %(subject)s in a room"),
    "forums.room.update": gettext_lazy("%(actor)s changed %(object)s"),
    "learning.training_room.reset": gettext_lazy("%(actor)s emptied the training room"),
    "gdpr.audit.view": gettext_lazy("%(actor)s read the audit trail"),
    "gdpr.consent.view": gettext_lazy("%(actor)s viewed the consents of %(subject)s"),
    "gdpr.consent.give": gettext_lazy("%(subject)s gave an optional consent"),
    "gdpr.consent.withdraw": gettext_lazy("%(subject)s withdrew an optional consent"),
    "gdpr.notice.read": gettext_lazy("%(actor)s read the privacy notice"),
    "gdpr.charter.accept": gettext_lazy("%(actor)s accepted the charter"),
    "gdpr.charter.refuse": gettext_lazy("%(actor)s refused the charter"),
    "gdpr.profile.update": gettext_lazy("%(actor)s corrected their profile"),
    "gdpr.copy.request": gettext_lazy("%(actor)s asked for a copy of the data of %(subject)s"),
    "gdpr.copy.ready": gettext_lazy("The copy of the data of %(subject)s was ready"),
    "gdpr.copy.download": gettext_lazy("%(actor)s downloaded the copy of the data of %(subject)s"),
    "gdpr.copy.expire": gettext_lazy("The copy of the data of %(subject)s expired"),
    "gdpr.copy.replace": gettext_lazy("The copy of the data of %(subject)s was replaced"),
    "gdpr.erasure": gettext_lazy("%(actor)s erased the data of %(subject)s"),
    "gdpr.register.export": gettext_lazy("%(actor)s exported the register of processing"),
    "gdpr.request.submit": gettext_lazy("%(actor)s recorded a data request of %(subject)s"),
    "gdpr.request.view": gettext_lazy("%(actor)s viewed a data request of %(subject)s"),
    "gdpr.request.extend": gettext_lazy(
        "%(actor)s extended the deadline of a data request of %(subject)s"
    ),
    "gdpr.request.decide": gettext_lazy("%(actor)s decided on a data request of %(subject)s"),
    "gdpr.request.complete": gettext_lazy(
        "%(actor)s marked a data request of %(subject)s as carried out"
    ),
    "gdpr.request.remind": gettext_lazy(
        "The platform sent a reminder about a data request of %(subject)s"
    ),
    "gdpr.retention.apply": gettext_lazy("%(actor)s applied the retention rules"),
    "gdpr.retention.dry_run": gettext_lazy("%(actor)s ran the retention rules without deleting"),
    "gdpr.retention.orphan_files": gettext_lazy("%(actor)s deleted files left without a record"),
    "gdpr.retention.schedule": gettext_lazy("%(actor)s scheduled the next retention run"),
    "gdpr.text.draft": gettext_lazy("%(actor)s wrote a draft of an information text"),
    "gdpr.text.update": gettext_lazy("%(actor)s changed a draft of an information text"),
    "gdpr.text.publish": gettext_lazy("%(actor)s published an information text"),
    "gdpr.text.discard": gettext_lazy("%(actor)s discarded a draft of an information text"),
}
UNKNOWN = gettext_lazy("%(actor)s: %(action)s")


def _named_role(roles: frozenset[Role]) -> Role | None:
    """The role named after a person: a staff role first, else their seat."""
    ordered = sorted(roles, key=lambda role: (role in MEMBER_ROLES, list(Role).index(role)))
    return ordered[0] if ordered else None


@dataclass(frozen=True)
class Described:
    entry: AuditEntry
    sentence: str


def _person(person: Any, cache: dict[Any, str] | None = None) -> str:
    if cache is not None and person is not None and person.pk in cache:
        return cache[person.pk]
    words = _person_words(person)
    if cache is not None and person is not None:
        cache[person.pk] = words
    return words


def _person_words(person: Any) -> str:
    if person is None:
        return _("the platform")
    if getattr(person, "is_erased", False):
        return _("an erased person")
    name = person.public_name
    role = _named_role(user_roles(person))
    if role is None:
        return str(name)
    # The short badge of a staff role (« DCCU », « DPD »), as beside names in the
    # conversations; the role's own name otherwise (« membre titulaire »).
    label = BADGE_LABELS.get(role, role.label)
    return _("%(name)s (%(role)s)") % {"name": name, "role": label}


def _objects(entries: list[AuditEntry]) -> dict[tuple[str, str], Any]:
    """The objects the entries name, one query per kind of object (those still there)."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        if entry.object_type and entry.object_id:
            wanted[entry.object_type].add(entry.object_id)
    found: dict[tuple[str, str], Any] = {}
    for label, ids in wanted.items():
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        try:
            rows = list(model._base_manager.filter(pk__in=ids))
        except (ValueError, TypeError):
            continue
        for row in rows:
            found[(label, str(row.pk))] = row
    return found


def _object_words(entry: AuditEntry, objects: dict[tuple[str, str], Any]) -> str:
    if not entry.object_type:
        return _("a record")
    try:
        model = apps.get_model(entry.object_type)
    except (LookupError, ValueError):
        return entry.object_type
    kind = str(model._meta.verbose_name)
    obj = objects.get((entry.object_type, entry.object_id))
    if obj is None:
        return _("a %(kind)s (since deleted)") % {"kind": kind}
    if isinstance(obj, get_user_model()):
        return _("the page of %(person)s") % {"person": _person(obj)}
    # Only names and titles: a message's text or a request's details never reach the page.
    name = getattr(obj, "name", None) or getattr(obj, "title", None)
    if isinstance(name, str) and name:
        return _("« %(name)s » (%(kind)s)") % {"name": name, "kind": kind}
    return _("a %(kind)s") % {"kind": kind}


def describe(entries: Iterable[AuditEntry]) -> list[Described]:
    """Each entry with its sentence; a handful of queries whatever the number of entries."""
    listed = list(entries)
    objects = _objects(listed)
    described = []
    people: dict[Any, str] = {}
    for entry in listed:
        template = SENTENCES.get(entry.action, UNKNOWN)
        words = {
            "actor": _person(entry.actor, people),
            "subject": _person(entry.subject, people) if entry.subject_id else _("someone"),
            "object": _object_words(entry, objects),
            "action": entry.action,
        }
        sentence = str(template) % words
        described.append(Described(entry=entry, sentence=sentence[:1].upper() + sentence[1:]))
    return described
