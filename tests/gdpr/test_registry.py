"""Every model that stores something about a person is declared in a privacy.py."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test.utils import isolate_apps

from gdpr.registry import (
    Declaration,
    DeclarationError,
    Erasure,
    LegalBasis,
    Retention,
    declarations,
    declare,
    get_declaration,
    is_marked_personal,
)


def _user_model() -> type[models.Model]:
    return apps.get_model(settings.AUTH_USER_MODEL)


def _refers_to_person(model: type[models.Model]) -> bool:
    user = _user_model()
    return model is user or any(
        getattr(f, "related_model", None) is user and not f.auto_created
        for f in model._meta.get_fields()
    )


def _personal_fields(model: type[models.Model]) -> list[str]:
    return [f.name for f in model._meta.get_fields() if is_marked_personal(f)]


def _undeclared(models_: list[type[models.Model]]) -> list[str]:
    return [
        m._meta.label
        for m in models_
        if (_refers_to_person(m) or _personal_fields(m)) and get_declaration(m) is None
    ]


def test_every_model_that_refers_to_a_person_is_declared() -> None:
    # Auto-created M2M tables belong to the model that declares the relation.
    concrete = [m for m in apps.get_models() if not m._meta.auto_created]
    assert _undeclared(concrete) == []


def test_every_field_marked_personal_is_listed_in_its_declaration() -> None:
    for declaration in declarations():
        missing = [
            name
            for name in _personal_fields(declaration.model)
            if name not in declaration.fields and name != "password"
        ]
        assert missing == [], f"{declaration.label} does not declare {missing}"


def _people_links_not_followed(declaration: Any) -> list[str]:
    paths = {p.split("__")[0] for p in (declaration.subject, *declaration.extra_subjects,
                                        *declaration.actors) if p}
    return [
        f.name for f in declaration.model._meta.get_fields()
        if getattr(f, "related_model", None) is _user_model() and f.concrete
        and f.name not in paths
    ]


def test_every_link_to_a_person_leads_the_access_copy_to_them() -> None:
    """A person's own acts as staff (« hidden_by », « handled_by »…) are their data too: every
    relation to the user model is a subject, an extra subject or an actor path."""
    missing = {d.label: _people_links_not_followed(d) for d in declarations()}
    assert {label: names for label, names in missing.items() if names} == {}


@isolate_apps("gdpr")
def test_a_new_link_to_a_person_that_no_path_follows_is_caught() -> None:
    class Ruling(models.Model):
        member = models.ForeignKey(_user_model(), on_delete=models.CASCADE,
                                   related_name="+")
        decided_by = models.ForeignKey(_user_model(), on_delete=models.CASCADE,
                                       related_name="+")

        class Meta:
            app_label = "gdpr"

        def __str__(self) -> str:
            return str(self.pk)

    declaration = Declaration(
        model=Ruling, subject="member", fields=(), purpose="p",
        legal_basis=LegalBasis.PUBLIC_TASK, retention=Retention("r"), erasure=Erasure.DELETE,
    )
    assert _people_links_not_followed(declaration) == ["decided_by"]
    acted = replace(declaration, actors={"decided_by": ("member",)})
    assert _people_links_not_followed(acted) == []


@isolate_apps("gdpr")
def test_a_new_model_with_a_personal_field_is_caught() -> None:
    class Petition(models.Model):
        signer_email = models.EmailField()
        phone = models.CharField(max_length=20)

        class Meta:
            app_label = "gdpr"

        def __str__(self) -> str:
            return self.signer_email

    assert _undeclared([Petition]) == ["gdpr.Petition"]


def test_declaring_an_unknown_field_fails_loudly() -> None:
    with pytest.raises(DeclarationError):
        declare(
            _user_model(),
            fields=("no_such_field",),
            purpose="x",
            legal_basis=LegalBasis.PUBLIC_TASK,
            retention=Retention("x"),
            erasure=Erasure.DELETE,
        )


@pytest.mark.parametrize("declaration", declarations(), ids=lambda d: d.label)
def test_each_declaration_states_purpose_basis_retention_and_recipients(declaration: Any) -> None:
    assert str(declaration.purpose).strip()
    assert str(declaration.retention.description).strip()
    assert str(declaration.recipients).strip()
    assert str(declaration.categories_of_people).strip()
    if declaration.legal_basis is LegalBasis.CONSENT:
        assert declaration.erasure is not Erasure.KEEP
