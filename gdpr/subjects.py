"""Which rows of a declaration belong to a person: the one rule shared by the « Mes
données » page, access copies and erasure.

A row belongs to a person when its ``subject`` path, or one of its
``extra_subjects`` paths, leads to them; the declaration of the user model
itself has no path (the row *is* the person). A declaration whose rows cannot
be found by a path (e.g. sessions, which hold their person inside encoded
data) must bring its own ``export`` and ``eraser`` callables.

A person's own acts as staff or moderator (``actors`` paths: the message they hid, the
report they handled) are theirs to read in their copy and on « Mes données »
(``with_acts=True``), but erasure and retention leave them alone: the act stays, signed by
the pseudonym.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from gdpr.registry import Declaration


def subject_paths(declaration: Declaration) -> list[str]:
    return [path for path in (declaration.subject, *declaration.extra_subjects) if path]


def actor_paths(declaration: Declaration) -> list[str]:
    return list(declaration.actors)


def is_person_model(declaration: Declaration) -> bool:
    return declaration.model is get_user_model()


def is_findable(declaration: Declaration) -> bool:
    """True when the person's rows can be selected by a query."""
    return bool(subject_paths(declaration)) or is_person_model(declaration)


def rows_for(
    declaration: Declaration, person: Any, *, with_acts: bool = False
) -> QuerySet[Any] | None:
    """The person's rows of this declaration, each once (``None`` when no path leads there).

    The base manager: a custom default manager may hide rows (archived, inactive)
    that are still the person's data.
    """
    manager = declaration.model._base_manager
    paths = subject_paths(declaration)
    if with_acts:
        paths += actor_paths(declaration)
    if not paths:
        return manager.filter(pk=person.pk) if is_person_model(declaration) else None
    condition = Q()
    for path in paths:
        condition |= link_condition(declaration, path, person, with_acts=with_acts)
    # Through a subquery: a path through a many-to-many relation would repeat rows.
    return manager.filter(pk__in=manager.filter(condition).values("pk")).order_by("pk")


def link_condition(
    declaration: Declaration, path: str, person: Any, *, with_acts: bool = False
) -> Q:
    """Rows that ``path`` leads from to the person; as the person reads them (``with_acts``),
    without the rows withheld from the subject."""
    condition = Q(**{path: person.pk})
    if with_acts and path == declaration.subject and declaration.withheld is not None:
        condition &= ~declaration.withheld()
    return condition


def count_for(declaration: Declaration, person: Any, *, with_acts: bool = False) -> int:
    rows = rows_for(declaration, person, with_acts=with_acts)
    if rows is not None:
        return rows.count()
    if declaration.export is not None:
        return sum(1 for _item in declaration.export(person))
    return 0
