"""Replacing an erased person's names in what people wrote about them, everywhere.

Others write a person's name in free text: « Merci Sylvie M. », « comme le disait
Sylvie Martin », a moderator's hide reason, a report, a library note, the DPD's
decision. On erasure those names become the person's pseudonym in every text field
of every declared model, whoever wrote the row; the rest of the text stays.

Which fields: every concrete ``CharField``/``TextField`` of a declared model, except
fields with choices, primary keys, slugs, the identity fields of the row's own person
(``registry.is_marked_personal``: another person's first name is their data, not text
about someone) and the declaration's ``machine_text`` (keys, hashes, encoded data).
A new app's text is thus covered as soon as its model is declared.

Which names (``NameMatcher``): the display name, « Prénom Nom », « Nom Prénom », the
address, and « Prénom N. » — case-insensitive, accent-insensitive on the letters
French accents (« Helene » matches « Hélène »), on word boundaries (« Marc L. » never
inside « Marc Lo. », « Sylvie M. » never inside « Sylvie Mercier »), in plain text and
in escaped HTML. A form that also names another person who is not erased is left
alone: a homonym's full name, a « Sylvie M. » derived from the names when another
Sylvie M. exists (the display name is always replaced: the platform showed it for this
person only). A first or last name alone is not replaced: « Martin » is a town, a saint
and many people.

The work goes model by model in batches selected by primary key (keyset), narrowed
by a regular expression the database evaluates, so memory stays flat.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q

from gdpr.registry import Declaration, declarations, is_marked_personal

BATCH_SIZE = 500
# Shorter forms (« Jo ») would match unrelated words of other people's texts.
MIN_NAME_LENGTH = 3

# The letters French names and texts accent, and their accented forms.
_ACCENTED = {
    "a": "àâäáãå",
    "c": "ç",
    "e": "éèêë",
    "i": "îïíì",
    "n": "ñ",
    "o": "ôöóòõ",
    "u": "ùûüú",
    "y": "ÿý",
}
_COMBINING = "[\u0300-\u036f]*"
_SPACE = r"(?:\s|&nbsp;|&#160;)+"
_APOSTROPHE = r"(?:'|’|&#x27;|&#39;|&apos;)"
_AMPERSAND = r"(?:&|&amp;)"


def fold(text: str) -> str:
    """Lower case, accents removed, spaces collapsed: how two forms of a name compare."""
    decomposed = unicodedata.normalize("NFD", text.casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.replace("’", "'").split())


def _base(char: str) -> str:
    return fold(char)[:1] or char


def _letter_pattern(char: str) -> str:
    base = _base(char)
    forms = {base, char.casefold(), *_ACCENTED.get(base, "")}
    if len(forms) == 1:
        return re.escape(char) + _COMBINING
    return "[" + "".join(re.escape(f) for f in sorted(forms)) + "]" + _COMBINING


def variant_pattern(name: str) -> str:
    """A regular expression for one written form of a name (see the module docstring)."""
    parts: list[str] = []
    stripped = name.strip()
    for i, char in enumerate(stripped):
        if char.isspace():
            if not parts or parts[-1] != _SPACE:
                parts.append(_SPACE)
        elif char in "'’":
            parts.append(_APOSTROPHE)
        elif char == "&":
            parts.append(_AMPERSAND)
        elif char == "." and i == len(stripped) - 1:
            parts.append(r"\.?")  # « Sylvie M » is « Sylvie M. »
        elif char.isalpha():
            parts.append(_letter_pattern(char))
        else:
            parts.append(re.escape(char))
    return r"(?<!\w)" + "".join(parts) + r"(?!\w)"


def _fragment(name: str) -> str:
    """A loose pattern the database can test: the longest run of letters of the name,
    accentable letters as ``.``. Whatever ``variant_pattern`` matches contains it."""
    runs = re.findall(r"[^\W\d_]+", name.split("@")[0])  # an address: its own part
    if not runs:
        return ""
    run = max(runs, key=len)
    out = "".join(
        c.lower() if c.isascii() and c.lower() not in _ACCENTED else "." for c in run
    )
    return out.strip(".")


def person_names(person: Any) -> tuple[set[str], set[str]]:
    """The written forms of a person's names: those the platform showed or the civil
    name (« Sylvie M. », « Sylvie Martin », « Martin Sylvie », the address), and those
    derived from it (« Sylvie M. » when the display name is something else)."""
    first, last = person.first_name.strip(), person.last_name.strip()
    shown = {person.display_name.strip(), person.email.strip()}
    derived: set[str] = set()
    if first and last:
        shown |= {f"{first} {last}", f"{last} {first}"}
        derived.add(f"{first} {last[0]}.")
    if not person.display_name.strip() and not (first or last) and person.email:
        shown.add(person.email.split("@")[0])  # what the platform showed instead

    def usable(names: set[str]) -> set[str]:
        return {n for n in names if len(fold(n)) >= MIN_NAME_LENGTH}

    return usable(shown), usable(derived) - usable(shown)


def _key(name: str) -> str:
    return fold(name).rstrip(".").strip()


def _names_of_others(person: Any) -> tuple[set[str], set[str]]:
    """What names someone else still here: their shown forms, and every form and word."""
    user_model = get_user_model()
    others = user_model._base_manager.filter(erased_at__isnull=True).exclude(pk=person.pk)
    shown: set[str] = set()
    every: set[str] = set()
    last_pk: Any = None
    while True:
        page = others.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        rows = list(page[:BATCH_SIZE])
        if not rows:
            return shown, every
        for other in rows:
            their_shown, their_derived = person_names(other)
            shown |= {_key(n) for n in their_shown}
            for name in their_shown | their_derived:
                every.add(_key(name))
                every.update(_key(word) for word in name.split())
        last_pk = rows[-1].pk


@dataclass
class NameMatcher:
    names: list[str]
    regex: re.Pattern[str]
    prefilter: str  # for the database's case-insensitive regex; "" means no narrowing

    @classmethod
    def for_person(cls, person: Any) -> NameMatcher | None:
        """The forms to replace: a shown form unless someone else shows the same (a
        homonym) or it is one word someone else's names contain; a derived form unless
        it names anyone else in any way."""
        shown, derived = person_names(person)
        others_shown, others_every = _names_of_others(person)
        kept = {
            n for n in shown
            if _key(n) not in others_shown and (" " in _key(n) or _key(n) not in others_every)
        } | {n for n in derived if _key(n) not in others_every}
        names = sorted(kept, key=len, reverse=True)
        if not names:
            return None
        regex = re.compile("|".join(variant_pattern(n) for n in names), re.IGNORECASE)
        fragments = {_fragment(n) for n in names}
        prefilter = "" if "" in fragments else "|".join(sorted(fragments))
        return cls(names, regex, prefilter)

    def sub(self, text: str, pseudonym: str) -> str:
        return self.regex.sub(lambda _match: pseudonym, text)


def free_text_fields(declaration: Declaration) -> list[str]:
    """The declared model's fields where people write prose (see the module docstring)."""
    found: list[str] = []
    for f in declaration.model._meta.concrete_fields:
        if not isinstance(f, models.CharField | models.TextField):
            continue
        if (
            f.choices
            or f.primary_key
            or isinstance(f, models.SlugField)
            or is_marked_personal(f)
            or f.name in declaration.machine_text
        ):
            continue
        found.append(f.name)
    return found


def _fit(model: type[models.Model], name: str, text: str) -> str:
    max_length = getattr(model._meta.get_field(name), "max_length", None)
    return text[:max_length] if max_length else text


def scrub_model(
    declaration: Declaration, matcher: NameMatcher, pseudonym: str
) -> list[Any]:
    """Replace the names in one declared model's text; return the changed rows' keys."""
    model = declaration.model
    fields = free_text_fields(declaration)
    if not fields:
        return []
    manager = model._base_manager
    narrowed = manager.all()
    if matcher.prefilter:
        condition = Q()
        for name in fields:
            condition |= Q(**{f"{name}__iregex": matcher.prefilter})
        narrowed = narrowed.filter(condition)
    changed: list[Any] = []
    last_pk: Any = None
    while True:
        page = narrowed.order_by("pk")
        if last_pk is not None:
            page = page.filter(pk__gt=last_pk)
        rows = list(page.values_list("pk", *fields)[:BATCH_SIZE])
        if not rows:
            return changed
        for pk, *values in rows:
            updates = {}
            for name, value in zip(fields, values, strict=True):
                if value:
                    new = matcher.sub(value, pseudonym)
                    if new != value:
                        updates[name] = _fit(model, name, new)
            if updates:
                # The plain QuerySet method: append-only histories allow this one change.
                models.QuerySet.update(manager.filter(pk=pk), **updates)
                changed.append(pk)
        last_pk = rows[-1][0]


def scrub_names(
    person: Any, pseudonym: str, items: Iterable[Declaration] | None = None
) -> dict[str, int]:
    """Replace ``person``'s names by ``pseudonym`` in every declared model's free text.

    ``person`` still has their names (the erasure's snapshot). Returns how many rows
    changed per declaration; each declaration's ``after_scrub`` runs once all are done.
    """
    matcher = NameMatcher.for_person(person)
    if matcher is None:
        return {}
    done: dict[str, tuple[Declaration, list[Any]]] = {}
    for declaration in items if items is not None else declarations():
        changed = scrub_model(declaration, matcher, pseudonym)
        if changed:
            done[declaration.label] = (declaration, changed)
    for declaration, changed in done.values():
        if declaration.after_scrub is not None:
            declaration.after_scrub(declaration.model._base_manager.filter(pk__in=changed))
    return {label: len(changed) for label, (_d, changed) in done.items()}
