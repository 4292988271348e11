"""The register of processing activities (GDPR art. 30), generated from the declarations.

There is no register to keep up to date by hand: each export is built, when it
is asked for, from ``gdpr.registry.declarations()``, so it says what the code
does. A processing activity is the work of one app: its declarations (one per
model) are the categories of data it processes, each with its purpose, legal
basis, people, recipients and retention.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.apps import AppConfig, apps
from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gdpr.consent import purpose_processing
from gdpr.models import OptionalPurpose
from gdpr.registry import Declaration, Erasure, LegalBasis, declarations

LEGAL_BASES = {
    LegalBasis.PUBLIC_TASK: gettext_lazy(
        "Task carried out in the public interest (GDPR art. 6(1)(e))"
    ),
    LegalBasis.LEGAL_OBLIGATION: gettext_lazy("Legal obligation (GDPR art. 6(1)(c))"),
    LegalBasis.CONSENT: gettext_lazy("Consent of the person (GDPR art. 6(1)(a))"),
    LegalBasis.CONTRACT: gettext_lazy("Contract (GDPR art. 6(1)(b))"),
    LegalBasis.LEGITIMATE_INTEREST: gettext_lazy("Legitimate interest (GDPR art. 6(1)(f))"),
}

ERASURE = {
    Erasure.DELETE: gettext_lazy("deleted"),
    Erasure.PSEUDONYMISE: gettext_lazy("kept, the person replaced by a pseudonym"),
    Erasure.ANONYMISE_FIELDS: gettext_lazy("kept, personal fields blanked"),
    Erasure.KEEP: gettext_lazy("kept under the rule stated in the retention"),
}

NO_TRANSFER = gettext_lazy(
    "None. No personal data leaves the platform: no external service, font, script, "
    "analytics or content delivery network; email goes through the département's mail server."
)

# What protects the data, as the code and settings actually do it (docs/privacy.md).
SECURITY_MEASURES = (
    gettext_lazy(
        "Encrypted connections only in production: HTTPS with HSTS (1 year), secure and "
        "HttpOnly cookies."
    ),
    gettext_lazy(
        "Two-factor authentication (TOTP app) required for the DCCU team and the DPO, who "
        "can see everyone's data; the administration's own login form is closed."
    ),
    gettext_lazy(
        "Passwords optional (login by a one-time code sent by email) and stored only as "
        "salted hashes (PBKDF2); invitation links stored only as SHA-256 hashes."
    ),
    gettext_lazy(
        "Rate limits on login attempts, one-time codes and password resets."
    ),
    gettext_lazy(
        "Content Security Policy limited to the platform's own origin; no third-party "
        "resource; framing forbidden; same-origin referrer policy."
    ),
    gettext_lazy(
        "Access by role and per object (least privilege); sessions expire after 14 days "
        "and logging out closes the person's live connections."
    ),
    gettext_lazy(
        "Audit trail of staff access to personal data and of every privacy operation, "
        "read-only for the DPO, with no secret or message body in it."
    ),
    gettext_lazy(
        "Private file storage: uploaded files and access copies are never served directly "
        "by the web server, only by the application after a permission check; access "
        "copies expire."
    ),
    gettext_lazy(
        "Retention carried out every night by an automatic job, logged for the DPO."
    ),
)




def backup_measure() -> str:
    """The backups and how long they are kept, from the settings the backup command reads
    (docs/deploy.md « Backups and restore »): erasure reaches a backup when it expires."""
    from backups.archive import longest_kept_days

    return _(
        "Backups of the database and of the private files, encrypted (AES-256-GCM, the key "
        "kept apart from the archives); the last backup of each day is kept %(daily)d days "
        "and the last of each week %(weekly)d weeks, then deleted: an erasure or a deletion "
        "reaches the backups when they expire, %(days)d days later at most."
    ) % {
        "daily": settings.BACKUP_KEEP_DAILY,
        "weekly": settings.BACKUP_KEEP_WEEKLY,
        "days": longest_kept_days(),
    }


def security_measures() -> tuple[str, ...]:
    return (*(_text(m) for m in SECURITY_MEASURES), backup_measure())


@dataclass(frozen=True)
class Contact:
    name: str
    address: str
    email: str
    phone: str


@dataclass(frozen=True)
class DataCategory:
    """One declaration, as the register states it."""

    model: str
    name: str
    fields: tuple[str, ...]
    purpose: str
    legal_basis: str
    categories_of_people: str
    recipients: str
    retention: str
    erasure: str
    notes: str

    @property
    def fields_text(self) -> str:
        return ", ".join(self.fields)


@dataclass(frozen=True)
class Processing:
    """One processing activity: the declarations of one app."""

    key: str
    name: str
    data: tuple[DataCategory, ...]
    transfers: str

    @property
    def purposes(self) -> list[str]:
        return _distinct(d.purpose for d in self.data)

    @property
    def legal_bases(self) -> list[str]:
        return _distinct(d.legal_basis for d in self.data)

    @property
    def categories_of_people(self) -> list[str]:
        return _distinct(d.categories_of_people for d in self.data)

    @property
    def recipients(self) -> list[str]:
        return _distinct(d.recipients for d in self.data)


@dataclass(frozen=True)
class Register:
    controller: Contact
    dpo: Contact
    processings: tuple[Processing, ...]
    security_measures: tuple[str, ...]
    generated_at: datetime

    @property
    def data_categories(self) -> list[tuple[Processing, DataCategory]]:
        return [(p, d) for p in self.processings for d in p.data]


def _distinct(values: Any) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def _text(value: str | Promise | None) -> str:
    return str(value or "").strip()


def _field_name(declaration: Declaration, name: str) -> str:
    f: Any = declaration.model._meta.get_field(name)
    return str(getattr(f, "verbose_name", None) or name)


def declaring_app(declaration: Declaration) -> AppConfig:
    """The app whose ``privacy.py`` declared this model.

    Apps declare the libraries they wire in (``accounts`` declares sessions and
    the admin log), so the model's own app is not always the right activity.
    The declaring module is the one that names the model; the model's own app
    wins when it declares it itself.
    """
    model = declaration.model
    holders: list[AppConfig] = []
    for app in apps.get_app_configs():
        # An app that imports no domain app (accounts) has its declarations made here,
        # in gdpr/privacy_<label>.py.
        for name in (f"{app.name}.privacy", f"gdpr.privacy_{app.label}"):
            module = sys.modules.get(name)
            if module is not None and any(value is model for value in vars(module).values()):
                holders.append(app)
                break
    own = [app for app in holders if app.label == model._meta.app_label]
    if own or holders:
        return (own or holders)[0]
    return apps.get_app_config(model._meta.app_label)


def _category(declaration: Declaration) -> DataCategory:
    return DataCategory(
        model=declaration.label,
        name=_text(declaration.model._meta.verbose_name_plural).capitalize(),
        fields=tuple(_field_name(declaration, name) for name in declaration.fields),
        purpose=_text(declaration.purpose),
        legal_basis=_text(LEGAL_BASES.get(declaration.legal_basis, declaration.legal_basis)),
        categories_of_people=_text(declaration.categories_of_people),
        recipients=_text(declaration.recipients),
        retention=_text(declaration.retention.description),
        erasure=_text(ERASURE.get(declaration.erasure, declaration.erasure)),
        notes=_text(declaration.notes),
    )


CONSENT_KEY = "consent"
CONSENT_ERASURE = gettext_lazy(
    "the processing stops; the proofs of consent are kept under the pseudonym"
)


def consent_entry_key(purpose: str) -> str:
    """How the register names an optional purpose in its « Model » column."""
    return f"{CONSENT_KEY}:{purpose}"


def _consent_category(purpose: OptionalPurpose) -> DataCategory:
    described = purpose_processing(purpose)
    return DataCategory(
        model=consent_entry_key(purpose.value),
        name=_text(purpose.label),
        fields=(_text(described.data),),
        purpose=_text(purpose.label) + ". " + _("Only for the people who opted in."),
        legal_basis=_text(LEGAL_BASES[LegalBasis.CONSENT]),
        categories_of_people=_text(described.categories_of_people),
        recipients=_text(described.recipients),
        retention=_text(described.retention),
        erasure=_text(CONSENT_ERASURE),
        notes=_text(described.notes),
    )


def consent_processing() -> Processing:
    """Every optional purpose (``gdpr.models.OptionalPurpose``) as a processing on consent."""
    return Processing(
        key=CONSENT_KEY,
        name=_("Optional purposes, on consent"),
        data=tuple(_consent_category(purpose) for purpose in OptionalPurpose),
        transfers=_text(NO_TRANSFER),
    )


def build_register() -> Register:
    """The register as the declarations and the optional purposes say it now, in the
    active language."""
    groups: dict[str, tuple[AppConfig, list[DataCategory]]] = {}
    for declaration in declarations():
        app = declaring_app(declaration)
        groups.setdefault(app.label, (app, []))[1].append(_category(declaration))
    order = {app.label: index for index, app in enumerate(apps.get_app_configs())}
    processings = tuple(
        Processing(
            key=label,
            name=_text(app.verbose_name),
            data=tuple(sorted(items, key=lambda d: d.name)),
            transfers=_text(NO_TRANSFER),
        )
        for label, (app, items) in sorted(groups.items(), key=lambda g: order.get(g[0], 0))
    ) + (consent_processing(),)
    return Register(
        controller=Contact(
            name=settings.AGORA_ORGANISATION,
            address=settings.AGORA_ORGANISATION_ADDRESS,
            email=settings.DCCU_EMAIL,
            phone="",
        ),
        dpo=Contact(
            name=_("Data protection officer (DPO)"),
            address=settings.AGORA_ORGANISATION_ADDRESS,
            email=settings.DPO_EMAIL,
            phone=settings.DPO_PHONE,
        ),
        processings=processings,
        security_measures=security_measures(),
        generated_at=timezone.now(),
    )


# --- Exports ------------------------------------------------------------------------------------


def _columns() -> list[str]:
    return [
        _("Processing activity"),
        _("Category of data"),
        _("Data"),
        _("Purpose"),
        _("Legal basis"),
        _("Categories of people"),
        _("Recipients"),
        _("Transfers outside the EU"),
        _("Retention"),
        _("On erasure"),
        _("Notes"),
        _("Model"),
    ]


def _row(processing: Processing, data: DataCategory) -> list[str]:
    return [
        processing.name,
        data.name,
        data.fields_text,
        data.purpose,
        data.legal_basis,
        data.categories_of_people,
        data.recipients,
        processing.transfers,
        data.retention,
        data.erasure,
        data.notes,
        data.model,
    ]


def _heading_rows(register: Register) -> list[list[str]]:
    controller, dpo = register.controller, register.dpo
    return [
        [_("Register of processing activities (GDPR art. 30)")],
        [_("Generated on"), timezone.localtime(register.generated_at).strftime("%Y-%m-%d %H:%M")],
        [_("Controller"), controller.name, controller.address, controller.email],
        [_("Data protection officer"), dpo.email, dpo.phone, dpo.address],
    ]


# A cell starting with one of these is a formula to Excel and LibreOffice (OWASP "CSV
# injection"); a leading apostrophe makes it text again, shown as typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def _security_rows(register: Register) -> list[list[str]]:
    return [[_("Security measures")], *([measure] for measure in register.security_measures)]


def to_csv(register: Register) -> bytes:
    """UTF-8 with a BOM and semicolons, as Excel in France expects.

    Laid out as the ODS's first sheet: the title, the controller and the DPO,
    then the table (one row per category of data), then the security measures
    that the ODS puts on its second sheet.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")

    def write(values: list[str]) -> None:
        writer.writerow([_csv_cell(c) for c in values])

    for values in _heading_rows(register):
        write(values)
    write([])
    write(_columns())
    for processing, data in register.data_categories:
        write(_row(processing, data))
    write([])
    for values in _security_rows(register):
        write(values)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_ods(register: Register) -> bytes:
    """An OpenDocument spreadsheet: the register, then the security measures."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.style import Style, TableColumnProperties, TextProperties
    from odf.table import Table, TableCell, TableColumn, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    bold = Style(name="bold", family="table-cell")
    bold.addElement(TextProperties(fontweight="bold"))
    wide = Style(name="wide", family="table-column")
    wide.addElement(TableColumnProperties(columnwidth="6cm"))
    doc.automaticstyles.addElement(bold)
    doc.automaticstyles.addElement(wide)

    def add_row(table: Any, values: list[str], style: Any = None) -> None:
        row = TableRow()
        for value in values:
            cell = TableCell(valuetype="string", stylename=style) if style else TableCell(
                valuetype="string"
            )
            for line in (value or "").split("\n"):
                cell.addElement(P(text=line))
            row.addElement(cell)
        table.addElement(row)

    sheet = Table(name=_("Register"))
    sheet.addElement(TableColumn(numbercolumnsrepeated=len(_columns()), stylename=wide))
    for values in _heading_rows(register):
        add_row(sheet, values)
    add_row(sheet, [])
    add_row(sheet, _columns(), bold)
    for processing, data in register.data_categories:
        add_row(sheet, _row(processing, data))
    doc.spreadsheet.addElement(sheet)

    measures = Table(name=_("Security measures"))
    measures.addElement(TableColumn(stylename=wide))
    title, *rows = _security_rows(register)
    add_row(measures, title, bold)
    for values in rows:
        add_row(measures, values)
    doc.spreadsheet.addElement(measures)

    out = io.BytesIO()
    doc.write(out)
    return out.getvalue()


def _md(value: str) -> str:
    """A value inside a Markdown table cell."""
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ") or "—"


def to_markdown(register: Register) -> str:
    controller, dpo = register.controller, register.dpo
    generated = timezone.localtime(register.generated_at).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"# {_('Register of processing activities (GDPR art. 30)')}",
        "",
        _("Generated on") + f" {generated}, " + _("from the declarations in the code") + ".",
        "",
        f"## {_('Controller')}",
        "",
        f"{controller.name}, {controller.address} — {controller.email}",
        "",
        f"## {_('Data protection officer')}",
        "",
        f"{dpo.email} — {dpo.phone} — {dpo.address}",
        "",
    ]
    for processing in register.processings:
        lines += [f"## {processing.name}", ""]
        for title, values in (
            (_("Purposes"), processing.purposes),
            (_("Legal bases"), processing.legal_bases),
            (_("Categories of people"), processing.categories_of_people),
            (_("Recipients"), processing.recipients),
            (_("Transfers outside the EU"), [processing.transfers]),
        ):
            lines.append(f"- **{title}**")
            lines += [f"  - {value}" for value in values]
        lines += [
            "",
            "| " + " | ".join([
                _("Category of data"), _("Data"), _("Purpose"), _("Legal basis"),
                _("Retention"), _("On erasure"), _("Model"),
            ]) + " |",
            "|---|---|---|---|---|---|---|",
        ]
        for data in processing.data:
            purpose = f"{data.purpose} {data.notes}" if data.notes else data.purpose
            cells = [data.name, data.fields_text, purpose, data.legal_basis,
                     data.retention, data.erasure, f"`{data.model}`"]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines.append("")
    lines += [f"## {_('Security measures')}", ""]
    lines += [f"- {measure}" for measure in register.security_measures]
    lines.append("")
    return "\n".join(lines)


def to_html(register: Register) -> str:
    """A standalone page (styles inline, nothing to fetch), to read or print offline."""
    return render_to_string("gdpr/dpo/register_standalone.html", {"register": register})


Renderer = Callable[[Register], bytes | str]

EXPORTS: dict[str, tuple[str, Renderer]] = {
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", to_ods),
    "csv": ("text/csv; charset=utf-8", to_csv),
    "md": ("text/markdown; charset=utf-8", to_markdown),
    "html": ("text/html; charset=utf-8", to_html),
}


def export(register: Register, fmt: str) -> tuple[bytes, str]:
    """The register in one of ``EXPORTS``' formats, and its content type."""
    content_type, render = EXPORTS[fmt]
    content = render(register)
    return (content.encode("utf-8") if isinstance(content, str) else content), content_type


# --- The table in docs/privacy.md ------------------------------------------------------------

DOCS_PATH = Path(settings.BASE_DIR) / "docs" / "privacy.md"
TABLE_START = "<!-- register-table:start (generated: python manage.py gdpr_register_table) -->"
TABLE_END = "<!-- register-table:end -->"
REGENERATE = "python manage.py gdpr_register_table"


def declarations_table() -> str:
    """« What is declared today »: one Markdown row per entry of the register, in English
    (the language of the docs), with no date in it so that it changes only with the code."""
    with translation.override("en"):
        register = build_register()
        lines = [
            "| processing | data | where | purpose | legal basis | retention | on erasure |",
            "|---|---|---|---|---|---|---|",
        ]
        for processing, data in register.data_categories:
            cells = [processing.name, f"{data.name}: {data.fields_text}", f"`{data.model}`",
                     data.purpose, data.legal_basis, data.retention, data.erasure]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _with_table(document: str, table: str) -> str:
    start, end = document.find(TABLE_START), document.find(TABLE_END)
    if start < 0 or end < start:
        raise ValueError(f"docs/privacy.md lacks the markers {TABLE_START!r} … {TABLE_END!r}")
    return document[: start + len(TABLE_START)] + "\n\n" + table + "\n" + document[end:]


def docs_table_is_current(path: Path = DOCS_PATH) -> bool:
    document = path.read_text(encoding="utf-8")
    return _with_table(document, declarations_table()) == document


def write_docs_table(path: Path = DOCS_PATH) -> bool:
    """Write the generated table between the markers of ``path``; True when it changed."""
    document = path.read_text(encoding="utf-8")
    updated = _with_table(document, declarations_table())
    if updated == document:
        return False
    path.write_text(updated, encoding="utf-8")
    return True


# --- Who reads it ----------------------------------------------------------------------------


def may_read_register(user: Any) -> bool:
    """The DPO keeps the register; the DCCU, who runs the processing, reads it."""
    from accounts.roles import Role, has_role

    return has_role(user, Role.DPD, Role.DCCU)


def do_export_register(actor: Any, fmt: str) -> tuple[bytes, str, str]:
    """The register as a file for ``actor``: content, content type and file name."""
    from django.core.exceptions import PermissionDenied

    from gdpr import audit

    if not may_read_register(actor):
        raise PermissionDenied
    if fmt not in EXPORTS:
        raise ValueError(f"Unknown format {fmt!r}")
    register = build_register()
    content, content_type = export(register, fmt)
    day = timezone.localdate(register.generated_at).isoformat()
    audit.record(actor, "gdpr.register.export", format=fmt,
                 processings=len(register.processings))
    return content, content_type, f"registre-des-traitements-{day}.{fmt}"
