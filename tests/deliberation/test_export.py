"""Exports of proposals (.docx, HTML) and of the mandate's report, read back as a reader would:
python-docx for the Word files, the HTML as text, LibreOffice for « opens cleanly »."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pycrdt
import pytest
from django.test import Client
from django.urls import reverse
from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn

from accounts.demo import enrol_demo_totp
from accounts.models import User
from accounts.roles import Role
from assembly.models import Assembly, Subgroup
from deliberation import export
from deliberation.drafts import to_blocks
from deliberation.models import Draft, DraftUpdate, Proposal, ProposalStatus
from tests import factories

pytestmark = pytest.mark.django_db

S = ProposalStatus


# --- Building drafts as the editor stores them (y-prosemirror over pycrdt) ---------------


def element(tag: str, attrs: dict[str, Any] | None = None, *children: Any) -> dict[str, Any]:
    return {"tag": tag, "attrs": attrs or {}, "children": list(children)}


def attach(children: Any, node: Any) -> None:
    """Append `node` to `children`: a string is a text, a list a text of (words, marks)
    runs, a dict an element."""
    if isinstance(node, str):
        children.append(pycrdt.XmlText(node))
        return
    if isinstance(node, list):
        xml_text = children.append(pycrdt.XmlText())
        offset = 0
        for chunk, marks in node:
            xml_text.insert(offset, chunk, marks or None)
            offset += len(chunk.encode("utf-8"))  # pycrdt counts UTF-8 bytes
        return
    parent = children.append(pycrdt.XmlElement(node["tag"], node["attrs"]))
    for child in node["children"]:
        attach(parent.children, child)


def build_update(*blocks: Any) -> bytes:
    doc = pycrdt.Doc()
    fragment = doc.get("default", type=pycrdt.XmlFragment)
    with doc.transaction():
        for block in blocks:
            attach(fragment.children, block)
    return doc.get_update()


def para(*runs: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return element("paragraph", {}, list(runs))


def heading(level: int, words: str) -> dict[str, Any]:
    return element("heading", {"level": level}, words)


def item(words: str) -> dict[str, Any]:
    return element("listItem", {}, element("paragraph", {}, words))


RICH = (
    heading(2, "Constat"),
    para(
        ("Nous avons vu ", {}),
        ("beaucoup", {"bold": {}}),
        (" de ", {}),
        ("cars vides", {"italic": {}}),
        (", voir ", {}),
        ("le rapport", {"link": {"href": "https://example.org/rapport"}}),
        (" et ", {}),
        ("ce piège", {"link": {"href": "javascript:alert(1)"}}),
        (" <script>alert('x')</script>\x07 fin.", {}),
    ),
    heading(3, "Détails du constat"),
    element("bulletList", {}, item("Premier point"), item("Second point")),
    element("orderedList", {"start": 1}, item("Étape une"), item("Étape deux")),
    element("blockquote", {}, element("paragraph", {}, "Une habitante : « le car passe tôt »")),
    element("callout", {}, element("paragraph", {}, "Point essentiel : gratuité le samedi.")),
    element(
        "table",
        {},
        element(
            "tableRow", {},
            element("tableHeader", {"colspan": 1, "rowspan": 1},
                    element("paragraph", {}, "Ligne")),
            element("tableHeader", {"colspan": 1, "rowspan": 1},
                    element("paragraph", {}, "Voyageurs par jour")),
        ),
        element(
            "tableRow", {},
            element("tableCell", {"colspan": 1, "rowspan": 1}, element("paragraph", {}, "L12")),
            element("tableCell", {"colspan": 1, "rowspan": 1}, element("paragraph", {}, "340")),
        ),
    ),
    element("figureCaption", {}, "Fréquentation des lignes rurales"),
    heading(2, "Proposition"),
    element("paragraph", {}, "Un bus toutes les heures."),
)


# --- Rows ---------------------------------------------------------------------------------


def make_proposal(
    subgroup: Subgroup,
    title: str,
    *,
    status: str = S.DRAFT,
    position: int = 0,
    blocks: tuple[Any, ...] = RICH,
    as_updates: bool = False,
) -> Proposal:
    proposal = Proposal.objects.create(
        mandate=subgroup.mandate, subgroup=subgroup, title=title, status=status,
        position=position,
    )
    update = build_update(*blocks)
    if as_updates:
        draft = Draft.objects.create(proposal=proposal)
        DraftUpdate.objects.create(draft=draft, data=update)
    else:
        Draft.objects.create(proposal=proposal, snapshot=update, frozen=status != S.DRAFT)
    return proposal


@pytest.fixture
def subgroup(assembly: Assembly, member: User) -> Subgroup:
    return factories.make_subgroup(assembly, members=[member], name="Mobilités rurales")


@pytest.fixture
def proposal(subgroup: Subgroup) -> Proposal:
    return make_proposal(subgroup, "Des bus pour les villages", status=S.ADOPTED)


def docx_of(data: bytes) -> Any:
    return Document(io.BytesIO(data))


def part_xml(data: bytes, name: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(name).decode("utf-8")


def styled(document: Any, style: str) -> list[str]:
    return [p.text for p in document.paragraphs if p.style.name == style]


# --- Content ------------------------------------------------------------------------------


def test_proposal_docx_carries_real_heading_styles_lists_quote_callout_table_and_caption(
    proposal: Proposal,
) -> None:
    data = export.proposal_docx(proposal)
    document = docx_of(data)

    assert styled(document, "Heading 1") == ["Des bus pour les villages"]
    assert styled(document, "Heading 2") == ["Constat", "Proposition"]
    assert styled(document, "Heading 3") == ["Détails du constat"]
    styles = part_xml(data, "word/styles.xml")
    # Built-in ids, so Word shows « Titre 1 » and the TOC picks them up.
    for style_id in ("Heading1", "Heading2", "Heading3", "ListBullet", "ListNumber", "Caption"):
        assert f'w:styleId="{style_id}"' in styles
    assert styled(document, "List Bullet") == ["Premier point", "Second point"]
    assert styled(document, "List Number") == ["Étape une", "Étape deux"]
    assert styled(document, "Quote") == ["Une habitante : « le car passe tôt »"]

    body = next(p for p in document.paragraphs if p.text.startswith("Nous avons vu"))
    runs = {r.text: r for r in body.runs}
    assert runs["beaucoup"].bold and runs["cars vides"].italic
    assert "<script>alert('x')</script> fin." in body.text  # kept as text, control char gone
    assert "\x07" not in body.text

    callout = next(p for p in document.paragraphs if p.text.startswith("Point essentiel"))
    ppr = callout._p.pPr
    style_ppr = document.styles[callout.style.name].element.pPr
    borders = ppr.find(qn("w:pBdr")) if ppr.find(qn("w:pBdr")) is not None else (
        style_ppr.find(qn("w:pBdr"))
    )
    assert borders is not None
    assert {child.tag for child in borders} == {qn(f"w:{s}") for s in
                                                 ("top", "left", "bottom", "right")}

    (table,) = document.tables
    assert table.style.name == "Table Grid"
    assert [[c.text for c in row.cells] for row in table.rows] == [
        ["Ligne", "Voyageurs par jour"], ["L12", "340"],
    ]
    assert all(r.bold for c in table.rows[0].cells for p in c.paragraphs for r in p.runs)
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None

    (caption,) = styled(document, "Caption")
    assert caption.endswith(" : Fréquentation des lignes rurales")
    assert "SEQ Tableau" in part_xml(data, "word/document.xml")

    links = [r for r in document.part.rels.values() if r.reltype == RT.HYPERLINK]
    assert [r.target_ref for r in links] == ["https://example.org/rapport"]
    assert "javascript" not in part_xml(data, "word/document.xml")
    assert "ce piège" in body.text  # the unsafe link's words stay, without the link
    assert document.core_properties.title == "Des bus pour les villages"
    assert document.core_properties.language == "fr-FR"


def test_draft_stored_as_updates_exports_the_same_text(subgroup: Subgroup) -> None:
    proposal = make_proposal(subgroup, "Par mises à jour", as_updates=True)
    document = docx_of(export.proposal_docx(proposal))
    assert styled(document, "Heading 2") == ["Constat", "Proposition"]


def test_each_ordered_list_starts_again_at_its_first_number(subgroup: Subgroup) -> None:
    proposal = make_proposal(
        subgroup, "Deux listes",
        blocks=(element("orderedList", {}, item("a"), item("b")),
                element("paragraph", {}, "entre"),
                element("orderedList", {}, item("c"))),
    )
    document = docx_of(export.proposal_docx(proposal))
    num_ids = [p._p.pPr.numPr.numId.val for p in document.paragraphs
               if p.style.name == "List Number"]
    assert num_ids[0] == num_ids[1] != num_ids[2]


def test_report_has_title_page_toc_field_and_only_adopted_proposals_in_order(
    subgroup: Subgroup, settings: Any,
) -> None:
    settings.AGORA_ASSEMBLY_NAME = "Assemblée citoyenne de la Haute-Garonne"
    mandate = subgroup.mandate
    make_proposal(subgroup, "Deuxième adoptée", status=S.TRANSMITTED, position=2)
    make_proposal(subgroup, "Brouillon en cours", status=S.DRAFT, position=0)
    make_proposal(subgroup, "Non retenue", status=S.NOT_RETAINED, position=0)
    make_proposal(subgroup, "Soumise", status=S.SUBMITTED, position=0)
    make_proposal(subgroup, "Première adoptée", status=S.ADOPTED, position=1)
    make_proposal(subgroup, "En suivi", status=S.FOLLOW_UP, position=3)

    data = export.mandate_report_docx(mandate)
    document = docx_of(data)

    assert styled(document, "Heading 1") == ["Première adoptée", "Deuxième adoptée", "En suivi"]
    assert styled(document, "Title") == [mandate.title]
    assert "Assemblée citoyenne de la Haute-Garonne" in styled(document, "Subtitle")
    assert mandate.question in [p.text for p in document.paragraphs]
    assert styled(document, "Heading 2")[:2] == ["Constat", "Proposition"]
    xml = part_xml(data, "word/document.xml")
    assert 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
    assert 'TOC \\o "1-3" \\h \\z \\u' in xml
    assert xml.index("TOC \\o") < xml.index("Première adoptée")
    assert '<w:br w:type="page"/>' in xml  # the title page ends with a page break
    assert "<w:updateFields" in part_xml(data, "word/settings.xml")
    captions = styled(document, "Caption")
    assert len(captions) == 3  # one table per proposal, numbered by the SEQ field
    assert document.core_properties.language == "fr-FR"
    assert mandate.title in document.core_properties.title


def test_empty_report_says_nothing_was_adopted(subgroup: Subgroup) -> None:
    make_proposal(subgroup, "Brouillon", status=S.DRAFT)
    document = docx_of(export.mandate_report_docx(subgroup.mandate))
    assert styled(document, "Heading 1") == []


def test_html_escapes_typed_markup_and_drops_javascript_links(proposal: Proposal) -> None:
    html = export.proposal_html(proposal)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="fr">' in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert '<a href="https://example.org/rapport" rel="noopener noreferrer">le rapport</a>' in html
    assert "<h1>Des bus pour les villages</h1>" in html
    assert "<h2>Constat</h2>" in html and "<h3>Détails du constat</h3>" in html
    assert '<aside class="callout"><p>Point essentiel' in html
    assert "<figcaption>Fréquentation des lignes rurales</figcaption></figure>" in html
    assert '<th scope="col"><p>Ligne</p></th>' in html
    assert "<strong>beaucoup</strong>" in html and "<em>cars vides</em>" in html
    assert "<style>" in html and "Mobilités rurales" in html


def test_blocks_to_html_renders_unknown_nodes_as_their_text_only() -> None:
    doc = pycrdt.Doc()
    doc.apply_update(build_update(element("iframe", {"src": "https://evil.example"}, "dedans")))
    assert export.blocks_to_html(to_blocks(doc)) == "<p>dedans</p>"


@pytest.mark.parametrize(
    ("href", "safe"),
    [("https://a.fr/x", True), ("mailto:a@b.fr", True), ("javascript:alert(1)", False),
     (" JavaScript:alert(1)", False), ("data:text/html,x", False), ("/relative", False),
     ("http://", False), ("vbscript:x", False)],
)
def test_only_web_and_mail_links_survive(href: str, safe: bool) -> None:
    assert (export.safe_href(href) is not None) is safe


# --- Downloads and who may have them --------------------------------------------------------


def login(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_reader_downloads_docx_and_html_as_attachments(proposal: Proposal) -> None:
    reader = factories.UserFactory(roles=[Role.AGENT])
    client = login(reader)
    response = client.get(reverse("proposal_export_docx", args=[proposal.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == export.DOCX_MIME
    assert response["Content-Disposition"] == (
        'attachment; filename="des-bus-pour-les-villages.docx"; '
        "filename*=UTF-8''Des%20bus%20pour%20les%20villages.docx"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert styled(docx_of(response.content), "Heading 1") == ["Des bus pour les villages"]

    response = client.get(reverse("proposal_export_html", args=[proposal.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="des-bus')
    assert "Des bus pour les villages" in response.content.decode()


def test_accented_title_gets_an_ascii_name_and_the_utf8_one(subgroup: Subgroup,
                                                            member: User) -> None:
    proposal = make_proposal(subgroup, "Être mobile à l'école")
    response = login(member).get(reverse("proposal_export_docx", args=[proposal.pk]))
    assert response["Content-Disposition"] == (
        "attachment; filename=\"etre-mobile-a-lecole.docx\"; "
        "filename*=UTF-8''%C3%8Atre%20mobile%20%C3%A0%20l%27%C3%A9cole.docx"
    )


@pytest.mark.parametrize("role", [Role.FACILITATEUR, Role.DCCU, Role.AGENT, Role.COMITE_SUIVI])
def test_staff_who_read_proposals_get_the_report(role: Role, proposal: Proposal) -> None:
    user = factories.UserFactory(roles=[role])
    enrol_demo_totp(user)
    response = login(user).get(reverse("mandate_report_docx", args=[proposal.mandate_id]))
    assert response.status_code == 200
    assert response["Content-Type"] == export.DOCX_MIME
    assert response["Content-Disposition"].startswith("attachment; filename=\"")
    assert styled(docx_of(response.content), "Heading 1") == ["Des bus pour les villages"]


def test_titulaire_gets_the_report_of_their_assembly(proposal: Proposal, member: User) -> None:
    response = login(member).get(reverse("mandate_report_docx", args=[proposal.mandate_id]))
    assert response.status_code == 200


def test_member_of_another_assembly_gets_404_for_the_report(proposal: Proposal) -> None:
    other = factories.make_assembly(name="Une autre assemblée")
    stranger = factories.make_titulaire(other)
    response = login(stranger).get(reverse("mandate_report_docx", args=[proposal.mandate_id]))
    assert response.status_code == 404


def test_dpd_gets_404_like_a_missing_proposal(proposal: Proposal) -> None:
    dpd = factories.UserFactory(roles=[Role.DPD])
    enrol_demo_totp(dpd)
    client = login(dpd)
    for name, arg in (
        ("proposal_export_docx", proposal.pk),
        ("proposal_export_html", proposal.pk),
        ("mandate_report_docx", proposal.mandate_id),
    ):
        assert client.get(reverse(name, args=[arg])).status_code == 404


def test_unknown_ids_answer_404(member: User, proposal: Proposal) -> None:
    import uuid

    client = login(member)
    for name in ("proposal_export_docx", "proposal_export_html", "mandate_report_docx"):
        assert client.get(reverse(name, args=[uuid.uuid4()])).status_code == 404


def test_someone_without_role_gets_404(proposal: Proposal) -> None:
    nobody = factories.UserFactory()
    response = login(nobody).get(reverse("proposal_export_docx", args=[proposal.pk]))
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(proposal: Proposal) -> None:
    for name, arg in (
        ("proposal_export_docx", proposal.pk),
        ("proposal_export_html", proposal.pk),
        ("mandate_report_docx", proposal.mandate_id),
    ):
        response = Client().get(reverse(name, args=[arg]))
        assert response.status_code == 302
        assert "/comptes/" in response["Location"]


# --- LibreOffice opens it -------------------------------------------------------------------


@pytest.mark.skipif(
    shutil.which("soffice") is None and not os.environ.get("CI"),
    reason="LibreOffice is not installed (.ci/run installs it; in CI this test never skips)",
)
def test_libreoffice_converts_the_report_to_pdf(subgroup: Subgroup, tmp_path: Path) -> None:
    make_proposal(subgroup, "Des bus pour les villages", status=S.ADOPTED, position=1)
    make_proposal(subgroup, "Une halte-garderie itinérante", status=S.TRANSMITTED, position=2)
    source = tmp_path / "rapport.docx"
    source.write_bytes(export.mandate_report_docx(subgroup.mandate))
    profile = tmp_path / "profile"
    soffice = shutil.which("soffice")
    assert soffice is not None
    subprocess.run(  # noqa: S603 - fixed arguments
        [
            soffice, f"-env:UserInstallation=file://{profile}", "--headless",
            "--convert-to", "pdf", "--outdir", str(tmp_path), str(source),
        ],
        check=True, timeout=120, capture_output=True,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    pdf = tmp_path / "rapport.pdf"
    assert pdf.exists() and pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")
    pdftotext = shutil.which("pdftotext")
    if pdftotext:
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [pdftotext, "-layout", str(pdf), "-"], check=True, capture_output=True,
            timeout=60,
        )
        words = result.stdout.decode("utf-8")
        assert "Des bus pour les villages" in words
        assert "Une halte-garderie itinérante" in words
        assert "Point essentiel" in words and "Voyageurs par jour" in words
