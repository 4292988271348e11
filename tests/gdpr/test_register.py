"""The register of processing (art. 30) is the declarations: every export lists each one."""

from __future__ import annotations

import csv
import html
import io
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import models
from django.test import Client, override_settings
from django.test.utils import isolate_apps
from django.utils import timezone
from odf.opendocument import load
from odf.table import Table, TableCell
from odf.teletype import extractText

from accounts.demo import enrol_demo_totp
from accounts.roles import Role
from assembly.models import Assembly
from gdpr import registry
from gdpr.consent import PURPOSE_PROCESSING
from gdpr.models import AuditEntry, OptionalPurpose
from gdpr.register import (
    EXPORTS,
    REGENERATE,
    build_register,
    consent_entry_key,
    declarations_table,
    declaring_app,
    do_export_register,
    docs_table_is_current,
    export,
    security_measures,
    write_docs_table,
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


def _csv_lines(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    """The table of the CSV: from its header row to the first empty row."""
    lines = _csv_lines(content)
    start = next(i for i, line in enumerate(lines) if line[:1] == ["Processing activity"])
    end = next((i for i in range(start, len(lines)) if not lines[i]), len(lines))
    header = lines[start]
    return [dict(zip(header, line, strict=True)) for line in lines[start + 1:end]]


def _entry_keys() -> set[str]:
    """What the register must list: every declaration and every optional purpose."""
    return {d.label for d in declarations()} | {
        consent_entry_key(p.value) for p in OptionalPurpose
    }


def _models_in(fmt: str, content: bytes) -> set[str]:
    """Which declared models an export names, read the way its reader would."""
    labels = _entry_keys()
    if fmt == "csv":
        return {row["Model"] for row in _csv_rows(content)}
    if fmt == "ods":
        register = _ods_sheets(content)["Register"]
        return {cell for row in register for cell in row if cell in labels}
    text = content.decode("utf-8")
    return {label for label in labels if label in text}


def _text_of(fmt: str, content: bytes) -> str:
    """Everything a reader of the export sees, as plain text."""
    if fmt == "ods":
        return "\n".join(cell for rows in _ods_sheets(content).values()
                         for row in rows for cell in row)
    if fmt == "csv":
        return "\n".join(cell for line in _csv_lines(content) for cell in line)
    text = content.decode("utf-8")
    if fmt == "md":
        return text.replace("\\|", "|").replace("\\\\", "\\")
    return html.unescape(re.sub(r"<[^>]+>", " ", text))


@pytest.fixture
def english(settings: Any) -> Iterator[None]:
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_every_declaration_appears_in_every_export(fmt: str, english: None) -> None:
    content, _type = export(build_register(), fmt)
    assert _models_in(fmt, content) == _entry_keys()


def test_csv_has_one_row_per_declaration_with_the_art_30_columns(english: None) -> None:
    rows = _csv_rows(export(build_register(), "csv")[0])

    assert len(rows) == len(declarations()) + len(OptionalPurpose)
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
    assert measures == list(security_measures())


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

    from assembly.models import Membership
    from gdpr.models import ConsentRecord

    def app_of(model: type[models.Model]) -> str:
        declaration = get_declaration(model)
        assert declaration is not None
        return declaring_app(declaration).label

    assert app_of(Session) == "accounts"  # wired in by accounts, declared there
    assert app_of(Membership) == "assembly"
    assert app_of(ConsentRecord) == "gdpr"
    register = build_register()
    assert [p.key for p in register.processings] == [
        "accounts",
        "assembly",
        "deliberation",
        "forums",
        "documents",
        "workshops",
        "notifications",
        "calls",
        "decisions",
        "gdpr",
        "learning",
        "consent",
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


# --- Optional purposes: processings on consent -------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_every_optional_purpose_is_a_processing_on_consent(fmt: str, english: None) -> None:
    register = build_register()
    content = export(register, fmt)[0]
    text = _text_of(fmt, content)

    entries = {d.model: d for p in register.processings for d in p.data}
    for purpose in OptionalPurpose:  # a purpose added to the enum is checked at once
        entry = entries[consent_entry_key(purpose.value)]
        assert entry.legal_basis == "Consent of the person (GDPR art. 6(1)(a))"
        assert str(purpose.label) in entry.purpose
        for value in (entry.fields_text, entry.retention, entry.recipients):
            assert value and value in text, (purpose, value)
    if fmt == "csv":
        rows = {row["Model"]: row for row in _csv_rows(content)}
        basis = {rows[consent_entry_key(p.value)]["Legal basis"] for p in OptionalPurpose}
        assert basis == {"Consent of the person (GDPR art. 6(1)(a))"}


def test_every_optional_purpose_says_what_it_processes() -> None:
    """A new purpose is in the register at once (with a generic entry); this says to
    describe it in gdpr.consent.PURPOSE_PROCESSING."""
    assert set(PURPOSE_PROCESSING) == set(OptionalPurpose)


# --- The same content in every format -----------------------------------------------------------


def _expected_content(register: Any) -> list[str]:
    controller, dpo = register.controller, register.dpo
    values = [controller.name, controller.address, controller.email,
              dpo.email, dpo.phone, dpo.address, *register.security_measures]
    for processing in register.processings:
        values += [processing.name, processing.transfers, *processing.categories_of_people,
                   *processing.recipients]
        for data in processing.data:
            values += [data.name, data.fields_text, data.purpose, data.legal_basis,
                       data.retention, data.erasure, data.notes, data.model]
    return [v for v in values if v]


@pytest.mark.django_db
@override_settings(DPO_EMAIL="dpo@example.org", DPO_PHONE="01 02 03 04 05",
                   DCCU_EMAIL="dccu@example.org")
@pytest.mark.parametrize("fmt", list(EXPORTS))
def test_every_format_carries_the_same_content(fmt: str, english: None) -> None:
    register = build_register()
    text = _text_of(fmt, export(register, fmt)[0])

    missing = [value for value in _expected_content(register) if value not in text]
    assert missing == []


def test_csv_holds_the_controller_the_dpo_and_the_security_measures(english: None) -> None:
    lines = _csv_lines(export(build_register(), "csv")[0])

    by_title = {line[0]: line[1:] for line in lines if line}
    assert by_title["Controller"][:2] == [
        "Conseil départemental de la Haute-Garonne",
        "1 boulevard de la Marquette, 31090 Toulouse Cedex 9",
    ]
    assert by_title["Data protection officer"][:2] == [
        "dpd.haute-garonne@cd31.fr", "05 34 33 36 06"
    ]
    start = next(i for i, line in enumerate(lines) if line == ["Security measures"])
    assert [line[0] for line in lines[start + 1:]] == list(security_measures())


# --- Data that is stored is in the register --------------------------------------------------


@pytest.mark.parametrize(("model", "data"), [
    ("deliberation.Draft", "snapshot"),  # the text everyone typed, merged
    ("deliberation.DraftVersion", "text"),  # the text at each version
    ("accounts.User", "groups"),  # the staff roles
    ("django_tasks_database.DBTaskResult", "traceback"),  # the task queue
])
def test_stored_personal_data_is_in_the_register(model: str, data: str, english: None) -> None:
    entries = {d.model: d for _p, d in build_register().data_categories}
    assert data in entries[model].fields


@pytest.mark.django_db
def test_finished_task_results_are_deleted_after_30_days_by_the_retention_job() -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from gdpr.retention import do_run_retention
    from gdpr.tasks import rights_housekeeping_task

    now = timezone.now()

    def result(status: str, finished_days_ago: int | None) -> str:
        queued = rights_housekeeping_task.enqueue()
        finished = now - timedelta(days=finished_days_ago) if finished_days_ago else None
        DBTaskResult.objects.filter(pk=queued.id).update(
            status=status, finished_at=finished,
            enqueued_at=now - timedelta(days=(finished_days_ago or 0) + 40),
        )
        return str(queued.id)

    old_done = result(TaskResultStatus.SUCCESSFUL, 31)
    old_failed = result(TaskResultStatus.FAILED, 45)
    recent_done = result(TaskResultStatus.SUCCESSFUL, 29)
    waiting = result(TaskResultStatus.READY, None)  # queued 40 days ago, never run
    running = result(TaskResultStatus.RUNNING, None)

    run = do_run_retention(None, apply=True, trigger="test")

    left = {str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)}
    assert left == {recent_done, waiting, running}
    assert {old_done, old_failed}.isdisjoint(left)
    line = next(x for x in run.summary if x["model"] == "django_tasks_database.DBTaskResult")
    assert (line["due"], line["processed"]) == (2, 2)


@pytest.mark.django_db
def test_erasure_deletes_the_finished_task_results_about_the_person(assembly: Assembly) -> None:
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from gdpr.erasure import erase_person
    from gdpr.models import RequestKind
    from gdpr.rights import do_submit_request

    person, neighbour = factories.make_titulaire(assembly), factories.make_titulaire(assembly)
    for who in (person, neighbour):
        do_submit_request(who, kind=RequestKind.RECTIFICATION, details="Mon nom est mal écrit.")
    DBTaskResult.objects.update(status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now())
    theirs = {r.pk for r in DBTaskResult.objects.all()
              if str(neighbour.data_requests.get().pk) in str(r.args_kwargs)}
    assert theirs and DBTaskResult.objects.count() > len(theirs)

    erase_person(person, reason="test")

    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == theirs


# --- The table in docs/privacy.md ----------------------------------------------------------------


def test_the_table_in_docs_privacy_md_agrees_with_the_declarations() -> None:
    assert docs_table_is_current(), (
        f"docs/privacy.md's « What is declared today » is out of date: run `{REGENERATE}`"
    )


def test_the_docs_table_lists_every_declaration_and_purpose(tmp_path: Path) -> None:
    table = declarations_table()
    for key in _entry_keys():
        assert f"`{key}`" in table, key
    assert "forums.Message" in table and "gdpr.ConsentRecord" in table

    # The command rewrites only what lies between the markers.
    doc = tmp_path / "privacy.md"
    doc.write_text("# Before\n\n<!-- register-table:start (generated: python manage.py "
                   "gdpr_register_table) -->\n| old |\n<!-- register-table:end -->\n\nAfter\n",
                   encoding="utf-8")
    assert not docs_table_is_current(doc)
    assert write_docs_table(doc) is True
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Before\n") and text.endswith("After\n") and "| old |" not in text
    assert docs_table_is_current(doc) and write_docs_table(doc) is False


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
