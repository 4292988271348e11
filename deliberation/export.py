"""Exports of proposals: safe HTML, a proposal as .docx, the mandate's report as .docx.

Everything is built from the draft's stored Yjs state (`drafts.load` → `drafts.to_blocks`),
never from HTML, so what reaches the President is what the subgroup wrote. The .docx
files use Word's built-in style ids (Heading1…, ListBullet, Quote, Caption, TableGrid),
so Word and LibreOffice show them as « Titre 1 », « Légende »… and the table of contents
field picks the headings up; Word offers to update the fields when the file is opened.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from assembly.models import Mandate
from deliberation import drafts
from deliberation.drafts import Block, Run
from deliberation.models import Proposal, ProposalStatus, ProposalTransition

# Statuses of proposals the plenary adopted: what the mandate's report carries.
REPORT_STATUSES = (
    ProposalStatus.ADOPTED,
    ProposalStatus.TRANSMITTED,
    ProposalStatus.ANSWERED,
    ProposalStatus.FOLLOW_UP,
)
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# On every Word install; LibreOffice maps it to the metric-compatible Liberation Sans.
FONT = "Arial"
# Characters XML 1.0 cannot hold (python-docx would refuse them, a browser would choke).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    return _NOT_XML.sub("", text)


def safe_href(href: Any) -> str | None:
    """The link's address if it is a web or mail address; None for anything else
    (``javascript:``, ``data:``, relative paths…)."""
    if not isinstance(href, str):
        return None
    href = clean(href).strip()
    href = re.sub(r"[\s]", "", href) if href.lower().startswith("mailto:") else href
    try:
        parts = urlsplit(href)
    except ValueError:
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or any(c.isspace() for c in href):
        return None
    if parts.scheme.lower() in {"http", "https"} and not parts.netloc:
        return None
    return href


def _mark_on(marks: dict[str, Any], name: str) -> bool:
    # y-prosemirror stores a mark as its attributes ({} for bold): present means on.
    value = marks.get(name)
    return value is not None and value is not False


def _link(marks: dict[str, Any]) -> str | None:
    value = marks.get("link")
    if isinstance(value, dict):
        return safe_href(value.get("href"))
    return safe_href(value) if isinstance(value, str) else None


def _level(block: Block) -> int:
    try:
        return max(1, min(6, int(float(block.attrs.get("level", 2)))))
    except (TypeError, ValueError):
        return 2


def _walk(blocks: Iterable[Block]) -> Iterator[Block]:
    for block in blocks:
        yield block
        yield from _walk(block.children)


def heading_shift(blocks: list[Block], top: int = 2) -> int:
    """How much to add to the draft's heading levels so its highest one becomes `top`
    (the proposal's title sits above it)."""
    levels = [_level(b) for b in _walk(blocks) if b.type == "heading"]
    return top - min(levels) if levels else 0


def _span(block: Block, name: str) -> int:
    try:
        return max(1, min(50, int(float(block.attrs.get(name) or 1))))
    except (TypeError, ValueError):
        return 1


# --- HTML -------------------------------------------------------------------------------


def _runs_html(runs: Iterable[Run]) -> str:
    out = []
    for run in runs:
        text: str = escape(clean(run.text))
        if not text:
            continue
        if _mark_on(run.marks, "bold"):
            text = f"<strong>{text}</strong>"
        if _mark_on(run.marks, "italic"):
            text = f"<em>{text}</em>"
        href = _link(run.marks)
        if href:
            text = f'<a href="{escape(href)}" rel="noopener noreferrer">{text}</a>'
        out.append(text)
    return "".join(out)


def _inline_html(blocks: Iterable[Block]) -> str:
    out = []
    for block in blocks:
        if block.type == "#text":
            out.append(_runs_html(block.runs))
        elif block.type == "hardBreak":
            out.append("<br>")
        else:
            out.append(_inline_html(block.children))
    return "".join(out)


def _cell_html(block: Block, row_index: int) -> str:
    spans = "".join(
        f' {name}="{_span(block, name)}"'
        for name in ("colspan", "rowspan")
        if _span(block, name) > 1
    )
    inner = _html(block.children, 0)
    if block.type == "tableHeader":
        scope = "col" if row_index == 0 else "row"
        return f'<th scope="{scope}"{spans}>{inner}</th>'
    return f"<td{spans}>{inner}</td>"


def _table_html(block: Block) -> str:
    rows = []
    for index, row in enumerate(r for r in block.children if r.type == "tableRow"):
        cells = "".join(
            _cell_html(c, index) for c in row.children if c.type in ("tableCell", "tableHeader")
        )
        rows.append(f"<tr>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _html(blocks: list[Block], shift: int) -> str:
    out: list[str] = []
    index = 0
    while index < len(blocks):
        block = blocks[index]
        kind = block.type
        if kind == "heading":
            level = max(2, min(6, _level(block) + shift))
            out.append(f"<h{level}>{_inline_html(block.children)}</h{level}>")
        elif kind == "paragraph":
            out.append(f"<p>{_inline_html(block.children)}</p>")
        elif kind == "bulletList":
            out.append(f"<ul>{_html(block.children, shift)}</ul>")
        elif kind == "orderedList":
            start = _span(block, "start")
            attr = f' start="{start}"' if start > 1 else ""
            out.append(f"<ol{attr}>{_html(block.children, shift)}</ol>")
        elif kind == "listItem":
            out.append(f"<li>{_html(block.children, shift)}</li>")
        elif kind == "blockquote":
            out.append(f"<blockquote>{_html(block.children, shift)}</blockquote>")
        elif kind == "callout":
            out.append(f'<aside class="callout">{_html(block.children, shift)}</aside>')
        elif kind == "table":
            table = _table_html(block)
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            if following is not None and following.type == "figureCaption":
                caption = _inline_html(following.children)
                out.append(f"<figure>{table}<figcaption>{caption}</figcaption></figure>")
                index += 1
            else:
                out.append(table)
        elif kind == "figureCaption":
            out.append(f'<p class="caption">{_inline_html(block.children)}</p>')
        elif kind == "horizontalRule":
            out.append("<hr>")
        elif kind == "hardBreak":
            out.append("<br>")
        elif kind == "codeBlock":
            out.append(f"<pre><code>{escape(clean(block.plain()))}</code></pre>")
        elif kind == "#text":
            out.append(_runs_html(block.runs))
        else:
            # A node this export does not know: keep its text, never its tag.
            inner = _html(block.children, shift)
            inline = any(child.type == "#text" for child in block.children)
            out.append(f"<p>{inner}</p>" if inline else inner)
        index += 1
    return "".join(out)


def blocks_to_html(blocks: list[Block], *, shift: int | None = None) -> str:
    """Safe HTML for the draft's blocks: every text escaped, only known elements, links
    only to web and mail addresses. Headings start at <h2> (the title is the <h1>)."""
    return _html(blocks, heading_shift(blocks) if shift is None else shift)


def proposal_blocks(proposal: Proposal) -> list[Block]:
    """The proposal's content from its stored draft (nothing when it has no draft), without
    its pending suggestions (deliberation/suggestions.py, ``without_pending``)."""
    from deliberation.models import Draft
    from deliberation.suggestions import without_pending

    draft_id = Draft.objects.filter(proposal=proposal).values_list("pk", flat=True).first()
    if draft_id is None:
        return []
    return without_pending(drafts.to_blocks(drafts.load(draft_id).doc))


def status_date(proposal: Proposal) -> Any:
    """When the proposal reached its current status (its creation for a draft never moved)."""
    moved = (
        ProposalTransition.objects.filter(proposal=proposal, to_status=proposal.status)
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    return moved or proposal.created_at


def _day(value: Any) -> str:
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(value, "j F Y")


def proposal_html(proposal: Proposal) -> str:
    """The proposal as one standalone HTML file (styles inside, nothing loaded)."""
    blocks = proposal_blocks(proposal)
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "deliberation/export/proposal.html",
            {
                "proposal": proposal,
                "assembly_name": assembly_name(proposal.mandate),
                "status": proposal.get_status_display(),
                "status_date": _day(status_date(proposal)),
                "exported": _day(timezone.now()),
                "content": mark_safe(blocks_to_html(blocks)),  # noqa: S308 - escaped above
            },
        )


def assembly_name(mandate: Mandate) -> str:
    return getattr(settings, "AGORA_ASSEMBLY_NAME", "") or mandate.assembly.name


# --- Word ---------------------------------------------------------------------------------


def _set(parent: Any, tag: str, **attrs: str) -> Any:
    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(f"w:{name}"), value)
    parent.append(element)
    return element


def _insert_in_order(parent: Any, element: Any, successors: Iterable[str]) -> None:
    """Insert `element` before the first child named in `successors` (the schema's order)."""
    for tag in successors:
        found = parent.find(qn(tag))
        if found is not None:
            found.addprevious(element)
            return
    parent.append(element)


# What follows w:pBdr and w:shd in a paragraph's properties (ECMA-376 CT_PPrBase order).
_AFTER_SHD = (
    "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
    "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd",
    "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents",
    "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment", "w:textboxTightWrap",
    "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange",
)


def _borders(ppr: Any, color: str = "1F5FBF", size: str = "12") -> None:
    pbdr = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        _set(pbdr, f"w:{side}", val="single", sz=size, space="4", color=color)
    _insert_in_order(
        ppr,
        pbdr,
        ("w:shd", *_AFTER_SHD),
    )
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), "EAF1FB")
    _insert_in_order(ppr, shd, _AFTER_SHD)


def _field(paragraph: Paragraph, instruction: str, placeholder: str) -> None:
    """A complex field (TOC, SEQ, PAGE): begin, instruction, separate, shown text, end."""
    run = paragraph.add_run()
    _set(run._r, "w:fldChar", fldCharType="begin", dirty="true")
    run = paragraph.add_run()
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run._r.append(instr)
    run = paragraph.add_run()
    _set(run._r, "w:fldChar", fldCharType="separate")
    paragraph.add_run(placeholder)
    run = paragraph.add_run()
    _set(run._r, "w:fldChar", fldCharType="end")


def _prepare(title: str, subject: str = "") -> DocxDocument:
    """A new document: A4, French, fonts with no theme, the styles the export uses."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(25))
    styles_root = document.styles.element
    # Theme fonts point to the template's theme (Calibri/Cambria): name the font instead.
    for fonts in styles_root.iter(qn("w:rFonts")):
        for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
            fonts.attrib.pop(qn(f"w:{attr}"), None)
        for attr in ("ascii", "hAnsi", "cs", "eastAsia"):
            fonts.set(qn(f"w:{attr}"), FONT)
    for lang in styles_root.iter(qn("w:lang")):
        lang.set(qn("w:val"), "fr-FR")
        lang.set(qn("w:eastAsia"), "fr-FR")
    quote = document.styles["Quote"]
    quote.paragraph_format.left_indent = Mm(10)
    quote.paragraph_format.right_indent = Mm(10)
    callout = document.styles.add_style("Encadré", WD_STYLE_TYPE.PARAGRAPH)
    callout.base_style = document.styles["Normal"]
    callout.quick_style = True
    callout.paragraph_format.left_indent = Mm(3)
    callout.paragraph_format.right_indent = Mm(3)
    _borders(callout.element.get_or_add_pPr())
    link = document.styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = RGBColor(0x05, 0x63, 0xC1)
    link.font.underline = True
    caption = document.styles["Caption"]
    caption.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
    caption.paragraph_format.space_before = Pt(4)
    document.styles["Normal"].font.size = Pt(11)

    settings_root = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    _insert_in_order(
        settings_root,
        update,
        ("w:hdrShapeDefaults", "w:footnotePr", "w:endnotePr", "w:compat", "w:docVars",
         "w:rsids", "m:mathPr", "w:attachedSchema", "w:themeFontLang", "w:clrSchemeMapping"),
    )
    theme_lang = settings_root.find(qn("w:themeFontLang"))
    if theme_lang is not None:
        theme_lang.set(qn("w:val"), "fr-FR")
    for name in ("w:decimalSymbol", "w:listSeparator"):
        found = settings_root.find(qn(name))
        if found is not None:
            found.set(qn("w:val"), "," if name == "w:decimalSymbol" else ";")

    now = timezone.now()
    props = document.core_properties
    props.title = clean(title)
    props.subject = clean(subject)
    props.language = "fr-FR"
    props.author = props.last_modified_by = clean(getattr(settings, "AGORA_ASSEMBLY_NAME", ""))
    props.comments = ""
    props.keywords = ""
    props.created = props.modified = now.replace(tzinfo=None)
    props.revision = 1
    # The body of the template holds one empty paragraph: start from nothing.
    body = document.element.body
    for paragraph in list(body.iterchildren(qn("w:p"))):
        body.remove(paragraph)
    return document


def _page_numbers(document: DocxDocument) -> None:
    footer = document.sections[0].footer.paragraphs[0]
    footer.alignment = 1  # centred
    _field(footer, "PAGE", "1")


@dataclass
class _Writer:
    """Writes blocks into a container (the document body, a table cell) of a document."""

    document: DocxDocument
    shift: int
    tables: list[int] = field(default_factory=lambda: [0])  # shared count for SEQ Tableau

    def write(self, container: Any, blocks: list[Block], *, quote: bool = False,
              boxed: bool = False, depth: int = 0) -> None:
        previous: str | None = None
        for block in blocks:
            kind = block.type
            if kind == "heading":
                level = max(1, min(9, _level(block) + self.shift))
                self._paragraph(container, block.children, f"Heading {level}", boxed=boxed)
            elif kind in ("paragraph", "#text"):
                style = "Quote" if quote else "Encadré" if boxed else None
                inline = [block] if kind == "#text" else block.children
                self._paragraph(container, inline, style, boxed=boxed)
            elif kind in ("bulletList", "orderedList"):
                self._list(container, block, depth, quote=quote, boxed=boxed)
            elif kind == "blockquote":
                self.write(container, block.children, quote=True, boxed=boxed, depth=depth)
            elif kind == "callout":
                self.write(container, block.children, quote=quote, boxed=True, depth=depth)
            elif kind == "table":
                self._table(container, block)
            elif kind == "figureCaption":
                self._caption(container, block, after_table=previous == "table")
            elif kind == "horizontalRule":
                paragraph = container.add_paragraph()
                ppr = paragraph._p.get_or_add_pPr()
                pbdr = OxmlElement("w:pBdr")
                _set(pbdr, "w:bottom", val="single", sz="6", space="1", color="999999")
                ppr.append(pbdr)
            elif kind == "codeBlock":
                paragraph = container.add_paragraph()
                run = paragraph.add_run(clean(block.plain()))
                run.font.name = "Courier New"
            else:
                self.write(container, block.children, quote=quote, boxed=boxed, depth=depth)
            previous = kind

    def _paragraph(self, container: Any, inline: list[Block], style: str | None, *,
                   boxed: bool = False) -> Paragraph:
        paragraph = container.add_paragraph(style=style)
        if boxed and style != "Encadré":
            _borders(paragraph._p.get_or_add_pPr())
        self.inline(paragraph, inline)
        return paragraph

    def inline(self, paragraph: Paragraph, inline: list[Block]) -> None:
        for block in inline:
            if block.type == "#text":
                for run in block.runs:
                    self._run(paragraph, run)
            elif block.type == "hardBreak":
                paragraph.add_run().add_break(WD_BREAK.LINE)
            else:
                self.inline(paragraph, block.children)

    def _run(self, paragraph: Paragraph, source: Run) -> None:
        text = clean(source.text)
        if not text:
            return
        href = _link(source.marks)
        if href is None:
            run = paragraph.add_run(text)
            run.bold = _mark_on(source.marks, "bold") or None
            run.italic = _mark_on(source.marks, "italic") or None
            return
        rel_id = paragraph.part.relate_to(href, RT.HYPERLINK, is_external=True)
        hyperlink = OxmlElement("w:hyperlink")
        hyperlink.set(qn("r:id"), rel_id)
        hyperlink.set(qn("w:history"), "1")
        paragraph._p.append(hyperlink)
        run = paragraph.add_run(text, style="Hyperlink")
        run.bold = _mark_on(source.marks, "bold") or None
        run.italic = _mark_on(source.marks, "italic") or None
        hyperlink.append(run._r)  # moves the run inside the link

    def _list(self, container: Any, block: Block, depth: int, *, quote: bool,
              boxed: bool) -> None:
        ordered = block.type == "orderedList"
        level = min(depth, 2)
        suffix = "" if level == 0 else f" {level + 1}"
        style = ("List Number" if ordered else "List Bullet") + suffix
        num_id = self._restart(style, _span(block, "start")) if ordered else None
        for item in block.children:
            if item.type != "listItem":
                self.write(container, [item], quote=quote, boxed=boxed, depth=depth)
                continue
            first = True
            for child in item.children:
                if child.type in ("paragraph", "heading") and first:
                    paragraph = self._paragraph(container, child.children, style, boxed=boxed)
                    if num_id is not None:
                        numpr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
                        numpr.get_or_add_ilvl().val = 0
                        numpr.get_or_add_numId().val = num_id
                    first = False
                elif child.type in ("paragraph", "heading"):
                    self._paragraph(container, child.children, f"List Continue{suffix}",
                                    boxed=boxed)
                else:
                    self.write(container, [child], quote=quote, boxed=boxed, depth=depth + 1)
                    first = False

    def _restart(self, style: str, start: int) -> int:
        """A numbering instance of the style's list that starts again at `start` (each
        ordered list counts from its own start, not on from the previous list)."""
        style_numpr = self.document.styles[style].element.pPr.numPr
        numbering = self.document.part.numbering_part.element
        abstract = numbering.num_having_numId(style_numpr.numId.val).abstractNumId.val
        num = numbering.add_num(abstract)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return int(num.numId)

    def _table(self, container: Any, block: Block) -> None:
        rows = [r for r in block.children if r.type == "tableRow"]
        if not rows:
            return
        # Lay the cells out on a grid, as spans cover several slots.
        taken: set[tuple[int, int]] = set()
        placed: list[tuple[int, int, Block, int, int]] = []
        width = 0
        for r, row in enumerate(rows):
            c = 0
            for cell in (x for x in row.children if x.type in ("tableCell", "tableHeader")):
                while (r, c) in taken:
                    c += 1
                colspan, rowspan = _span(cell, "colspan"), _span(cell, "rowspan")
                rowspan = min(rowspan, len(rows) - r)
                for dr in range(rowspan):
                    for dc in range(colspan):
                        taken.add((r + dr, c + dc))
                placed.append((r, c, cell, colspan, rowspan))
                c += colspan
                width = max(width, c)
        width = max(width, max((c + 1 for _, c in taken), default=1))
        table: Table = container.add_table(rows=len(rows), cols=width)
        table.style = self.document.styles["Table Grid"]
        header_rows = 0  # the rows of header cells at the top repeat on each page
        while header_rows < len(rows) and rows[header_rows].children and all(
            x.type == "tableHeader" for x in rows[header_rows].children
        ):
            header_rows += 1
        for r, c, cell, colspan, rowspan in placed:
            target: _Cell = table.cell(r, c)
            if colspan > 1 or rowspan > 1:
                target = target.merge(table.cell(r + rowspan - 1, c + colspan - 1))
            # A new cell holds one empty paragraph: write after it, then drop it.
            empty = target.paragraphs[0]
            self.write(target, cell.children)
            # A cell must end with a paragraph: keep the empty one if nothing else does.
            if target._tc[-1].tag == qn("w:p") and target._tc[-1] is not empty._p:
                empty._p.getparent().remove(empty._p)
            if cell.type == "tableHeader":
                shd = OxmlElement("w:shd")
                shd.set(qn("w:val"), "clear")
                shd.set(qn("w:color"), "auto")
                shd.set(qn("w:fill"), "E7E6E6")
                _insert_in_order(
                    target._tc.get_or_add_tcPr(), shd,
                    ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                     "w:hideMark"),
                )
                for paragraph in target.paragraphs:
                    for run in paragraph.runs:
                        run.bold = True
        for r in range(header_rows):
            _set(table.rows[r]._tr.get_or_add_trPr(), "w:tblHeader", val="true")

    def _caption(self, container: Any, block: Block, *, after_table: bool) -> None:
        paragraph = container.add_paragraph(style="Caption")
        if after_table:
            self.tables[0] += 1
            paragraph.add_run(_("Table") + " ")
            _field(paragraph, "SEQ Tableau \\* ARABIC", str(self.tables[0]))
            paragraph.add_run(" : ")
        self.inline(paragraph, block.children)


def _write_proposal(document: DocxDocument, proposal: Proposal, writer_tables: list[int],
                    *, page_break: bool) -> None:
    heading = document.add_paragraph(clean(proposal.title), style="Heading 1")
    heading.paragraph_format.page_break_before = page_break
    meta = document.add_paragraph(style="Subtitle")
    meta.add_run(
        _("Subgroup: %(name)s — %(status)s on %(date)s")
        % {
            "name": clean(proposal.subgroup.name),
            "status": proposal.get_status_display(),
            "date": _day(status_date(proposal)),
        }
    )
    blocks = proposal_blocks(proposal)
    # The draft's highest headings become Heading 2, under the proposal's Heading 1.
    _Writer(document, heading_shift(blocks), writer_tables).write(document, blocks)


def _save(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def proposal_docx(proposal: Proposal) -> bytes:
    """One proposal as a Word document, from its stored draft."""
    with translation.override(settings.LANGUAGE_CODE):
        document = _prepare(proposal.title, proposal.mandate.title)
        top = document.add_paragraph(clean(assembly_name(proposal.mandate)), style="Subtitle")
        top.add_run(" — " + clean(proposal.mandate.title))
        _write_proposal(document, proposal, [0], page_break=False)
        _page_numbers(document)
        return _save(document)


# Annexes other apps add to the report (decisions: the plenary's votes and minority views),
# registered in their AppConfig.ready(): deliberation imports none of them.
_report_annexes: list[Callable[[DocxDocument, Mandate], None]] = []


def register_report_annex(write: Callable[[DocxDocument, Mandate], None]) -> None:
    """``write(document, mandate)`` adds its pages at the end of the mandate's report."""
    if write not in _report_annexes:
        _report_annexes.append(write)


def report_proposals(mandate: Mandate) -> list[Proposal]:
    return list(
        Proposal.objects.filter(mandate=mandate, status__in=REPORT_STATUSES)
        .select_related("subgroup", "mandate")
        .order_by("position", "created_at")
    )


def mandate_report_docx(mandate: Mandate) -> bytes:
    """The mandate's report: title page, table of contents, every adopted proposal."""
    with translation.override(settings.LANGUAGE_CODE):
        proposals = report_proposals(mandate)
        title = _("Proposals of the assembly — %(mandate)s") % {"mandate": mandate.title}
        document = _prepare(title, mandate.title)
        document.add_paragraph(clean(assembly_name(mandate)), style="Subtitle")
        document.add_paragraph(clean(mandate.title), style="Title")
        question = document.add_paragraph(style="Quote")
        question.add_run(clean(mandate.question))
        document.add_paragraph(
            _("%(kind)s, from %(start)s to %(end)s")
            % {"kind": mandate.get_kind_display().capitalize(), "start": _day(mandate.start),
               "end": _day(mandate.end)}
        )
        document.add_paragraph(
            _("Report generated on %(date)s — %(count)s adopted proposals")
            % {"date": _day(timezone.now()), "count": len(proposals)}
        )
        document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        document.add_paragraph(_("Table of contents"), style="TOC Heading")
        _field(
            document.add_paragraph(),
            'TOC \\o "1-3" \\h \\z \\u',
            _("Right-click and choose « Update field » to show the table of contents."),
        )
        tables = [0]
        if not proposals:
            document.add_paragraph(_("No proposal has been adopted yet."))
        for proposal in proposals:
            _write_proposal(document, proposal, tables, page_break=True)
        for write_annex in _report_annexes:
            write_annex(document, mandate)
        _page_numbers(document)
        return _save(document)
