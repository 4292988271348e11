"""The register of processing (art. 30) is the declarations: every export lists each one."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import models
from django.test import Client, override_settings
from django.test.utils import isolate_apps
from odf.opendocument import load
from odf.table import Table, TableCell
from odf.teletype import extractText

from accounts.demo import enrol_demo_totp
from accounts.roles import Role
from deliberation.models import Assembly
from gdpr import registry
from gdpr.models import AuditEntry
from gdpr.register import (
    EXPORTS,
    SECURITY_MEASURES,
    build_register,
    declaring_app,
    do_export_register,
    export,
)
from gdpr.registry import Erasure, LegalBasis, Retention, declarations, get_declaration
from tests import factories


def _ods_sheets(content: bytes) -> dict[str, list[list[str]]]:
    doc = load(io.BytesIO(content))
    sheets: dict[str, list[list[str]]] = {}
    for table in doc.spreadsheet.getElementsByType(Table):
        rows = []
        for row in table.childNodes:
            if row.qname[1] != "table-row":
                continue
            rows.append([extractText(cell) for cell in row.getElementsByType(TableCell)])
        sheets[table.getAttribute("name")] = rows
    return sheets


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _models_in(fmt: str, content: bytes) -> set[str]:
    """Which declared models an export names, read the way its reader would."""
    labels = {d.label for d in declarations()}
    if fmt == "csv":
        return {row["Model"] for row in _csv_rows(content)}
    if fmt == "ods":
        register = _ods_sheets(content)["Register"]
        return {cell for row in register for cell in row if cell in labels}
    text = content.decode("utf-8")
    return {label for label in labels if label in text}


@pytest.fixture
def english(settings: Any) -> Iterator[None]:
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_every_declaration_appears_in_every_export(fmt: str, english: None) -> None:
    content, _type = export(build_register(), fmt)
    assert _models_in(fmt, content) == {d.label for d in declarations()}


def test_csv_has_one_row_per_declaration_with_the_art_30_columns(english: None) -> None:
    rows = _csv_rows(export(build_register(), "csv")[0])

    assert len(rows) == len(declarations())
    user = next(row for row in rows if row["Model"] == "accounts.User")
    assert user["Legal basis"].startswith("Task carried out in the public interest")
    assert "email address" in user["Data"] and "date of birth" in user["Data"]
    assert user["Transfers outside the EU"].startswith("None")
    assert user["Retention"] and user["Recipients"] and user["Categories of people"]
    assert user["Purpose"]


def test_ods_holds_contacts_table_and_security_measures(english: None) -> None:
    content = export(build_register(), "ods")[0]
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        assert b"content.xml" in b" ".join(n.encode() for n in archive.namelist())

    sheets = _ods_sheets(content)
    cells = [cell for row in sheets["Register"] for cell in row]
    assert "Conseil départemental de la Haute-Garonne" in cells
    assert "1 boulevard de la Marquette, 31090 Toulouse Cedex 9" in cells
    assert "dpd.haute-garonne@cd31.fr" in cells and "05 34 33 36 06" in cells
    measures = [row[0] for row in sheets["Security measures"][1:]]
    assert measures == [str(m) for m in SECURITY_MEASURES]


@override_settings(DPO_EMAIL="dpo@example.org", DPO_PHONE="01 02 03 04 05")
@pytest.mark.parametrize("fmt", ["md", "html"])
def test_the_dpo_contact_comes_from_settings(fmt: str) -> None:
    text = export(build_register(), fmt)[0].decode()
    assert "dpo@example.org" in text and "01 02 03 04 05" in text
    assert "Marquette" in text


def test_standalone_html_needs_nothing_from_outside() -> None:
    html = export(build_register(), "html")[0].decode()
    assert html.startswith("<!DOCTYPE html>")
    assert "<link" not in html and "<script" not in html and "src=" not in html
    assert "http://" not in html and "https://" not in html


def test_declarations_are_grouped_by_the_app_that_declares_them() -> None:
    from django.contrib.sessions.models import Session

    from deliberation.models import Membership
    from gdpr.models import ConsentRecord

    def app_of(model: type[models.Model]) -> str:
        declaration = get_declaration(model)
        assert declaration is not None
        return declaring_app(declaration).label

    assert app_of(Session) == "accounts"  # wired in by accounts, declared there
    assert app_of(Membership) == "deliberation"
    assert app_of(ConsentRecord) == "gdpr"
    register = build_register()
    assert [p.key for p in register.processings] == [
        "accounts",
        "deliberation",
        "forums",
        "documents",
        "gdpr",
    ]


@isolate_apps("gdpr")
@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_a_new_declaration_shows_up_in_every_export(fmt: str, english: None) -> None:
    class Petition(models.Model):
        signer_email = models.EmailField("signer's email address")
        signed_at = models.DateTimeField("signed at")

        class Meta:
            app_label = "gdpr"
            verbose_name = "petition signature"
            verbose_name_plural = "petition signatures"

        def __str__(self) -> str:
            return self.signer_email

    registry.declare(
        Petition,
        fields=("signer_email", "signed_at"),
        purpose="Count the signatures of a citizens' petition.",
        legal_basis=LegalBasis.CONSENT,
        retention=Retention("6 months after the petition closes."),
        erasure=Erasure.DELETE,
        categories_of_people="signers",
        recipients="DCCU team",
    )
    try:
        content, _type = export(build_register(), fmt)
        assert "gdpr.Petition" in _models_in(fmt, content)
        if fmt != "ods":
            text = content.decode("utf-8")
            for expected in ("Count the signatures of a citizens", "signer",
                             "6 months after the petition closes.", "Consent of the person"):
                assert expected in text, expected
    finally:
        registry._REGISTRY.pop("gdpr.Petition", None)
    assert "gdpr.Petition" not in _models_in(fmt, export(build_register(), fmt)[0])


# --- Pages and who reaches them ---------------------------------------------------------------

ROLES = ["anonymous", "titulaire", "remplacant", "facilitateur", "agent", "comite_suivi",
         "no_role", "dccu", "dpd"]
OK, LOGIN, FORBIDDEN = 200, "login", 403
DPO_PAGES: list[tuple[str, dict[str, Any]]] = [
    ("/dpd/", {"dccu": OK, "dpd": OK}),
    ("/dpd/registre/", {"dccu": OK, "dpd": OK}),
    ("/dpd/registre/export.ods", {"dccu": OK, "dpd": OK}),
    ("/dpd/registre/export.csv", {"dccu": OK, "dpd": OK}),
    ("/dpd/registre/export.md", {"dccu": OK, "dpd": OK}),
    ("/dpd/registre/export.html", {"dccu": OK, "dpd": OK}),
    ("/dpd/conservation/", {"dpd": OK}),
    ("/dpd/journal/", {"dpd": OK}),
]


def _client_for(role: str, assembly: Assembly) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    if role == "titulaire":
        person = factories.make_titulaire(assembly)
    elif role == "remplacant":
        person = factories.make_substitute(assembly, factories.seat(assembly))
    elif role == "no_role":
        person = factories.UserFactory()
    else:
        person = factories.UserFactory(roles=[Role(role)])
        if role in {"dccu", "dpd"}:
            enrol_demo_totp(person)
    client.force_login(person)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_dpo_pages_answer_each_role_as_documented(role: str, assembly: Assembly) -> None:
    client = _client_for(role, assembly)
    for url, allowed in DPO_PAGES:
        response = client.get(url)
        expected = LOGIN if role == "anonymous" else allowed.get(role, FORBIDDEN)
        if expected == LOGIN:
            assert response.status_code == 302, url
            assert response["Location"].startswith("/comptes/login/"), url
        else:
            assert response.status_code == expected, (url, role, response.status_code)


@pytest.mark.django_db
def test_unknown_export_format_is_not_found(assembly: Assembly) -> None:
    assert _client_for("dpd", assembly).get("/dpd/registre/export.pdf").status_code == 404


@pytest.mark.django_db
def test_register_page_shows_every_processing_and_the_download_links(
    assembly: Assembly, english: None
) -> None:
    response = _client_for("dccu", assembly).get("/dpd/registre/", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    for processing in build_register().processings:
        assert processing.name in body
        for data in processing.data:
            assert data.model in body
    for fmt in EXPORTS:
        assert f"/dpd/registre/export.{fmt}" in body


@pytest.mark.django_db
def test_downloading_the_register_is_logged_and_named_by_date(assembly: Assembly) -> None:
    response = _client_for("dpd", assembly).get("/dpd/registre/export.ods")

    assert response["Content-Type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="registre-des-traitements-'
    )
    entry = AuditEntry.objects.get(action="gdpr.register.export")
    assert entry.details["format"] == "ods"


@pytest.mark.django_db
def test_only_dpo_and_dccu_may_export(assembly: Assembly) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        do_export_register(factories.make_titulaire(assembly), "csv")
    assert not AuditEntry.objects.filter(action="gdpr.register.export").exists()
