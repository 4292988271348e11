"""The printable guides: each guide « pas à pas » and the one-page « aide-mémoire » (A4).

Drawn with fpdf2 in Python, on the server: no office suite or browser at run time. The
PDF core font Helvetica is used (no font file to ship): it covers French (Latin-1), so the
few typographic signs outside it are replaced by their plain equivalents first.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from learning.glossary import TERMS
from learning.guides import SCREENS_DIR, Guide

FONT = "Helvetica"
INK = (33, 37, 41)
ACCENT = (0, 84, 147)
# The glossary's words on the aide-mémoire, most useful first (as many as fit).
CHEATSHEET_WORDS = ("saisine", "pleniere", "interpleniere", "sous-groupe", "titulaire",
                    "remplacant", "facilitateur", "dccu", "dpd")
_PLAIN = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-",
                        "…": "...", "œ": "oe", "Œ": "OE", "€": "EUR", "\u202f": " "})


def _plain(text: str) -> str:
    return text.translate(_PLAIN).encode("latin-1", "replace").decode("latin-1")


class _Document(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_title(_plain(title))
        self.set_author("Agora")
        self.set_lang("fr-FR")
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.cell(0, 5, _plain(f"Agora - Assemblée citoyenne - page {self.page_no()}"),
                  align="C")

    def heading(self, text: str, size: float) -> None:
        self.set_font(FONT, "B", size)
        self.set_text_color(*ACCENT)
        self.multi_cell(0, size * 0.5, _plain(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(*INK)

    def paragraph(self, text: str, size: float = 11, height: float = 5.5) -> None:
        self.set_font(FONT, size=size)
        self.multi_cell(0, height, _plain(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def guide_pdf(guide: Guide) -> bytes:
    """One guide, step by step: a step's words, then its screenshot, a step per half page."""
    pdf = _Document(guide.title)
    pdf.add_page()
    pdf.heading(f"Pas à pas : {guide.title}", 18)
    pdf.ln(2)
    pdf.paragraph(guide.summary, size=12)
    for number, step in enumerate(guide.steps, start=1):
        image = SCREENS_DIR / step.image
        width = pdf.epw * 0.8
        needed = 30 + (width * 0.7 if image.exists() else 0)
        if pdf.get_y() + needed > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(4)
        pdf.heading(f"{number}. {step.title}", 14)
        pdf.ln(1)
        pdf.paragraph(step.text)
        if image.exists():
            pdf.ln(2)
            pdf.image(str(image), x=pdf.l_margin + (pdf.epw - width) / 2, w=width,
                      alt_text=_plain(step.alt))
    pdf.ln(4)
    pdf.paragraph(f"Une question ? Écrivez à l'équipe de l'assemblée ({settings.DCCU_EMAIL}), "
                  "ou demandez à votre facilitateur ou facilitatrice.", size=10)
    return bytes(pdf.output())


def cheatsheet_pdf(guides: Iterable[Guide]) -> bytes:
    """The « aide-mémoire »: every guide's steps in a line each, on one A4 page."""
    guides = list(guides)
    pdf = _Document("Aide-mémoire")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.heading("Aide-mémoire Agora", 18)
    pdf.paragraph("L'essentiel en une page. Chaque guide complet, avec les images, est dans "
                  "« Aide », en haut de chaque page.", size=10, height=5)
    pdf.ln(2)
    column = (pdf.epw - 8) / 2
    top = bottom = pdf.get_y()
    for index, guide in enumerate(guides):
        if index == (len(guides) + 1) // 2:
            pdf.set_xy(pdf.l_margin + column + 8, top)
        x = pdf.get_x()
        pdf.set_font(FONT, "B", 10.5)
        pdf.set_text_color(*ACCENT)
        pdf.multi_cell(column, 5, _plain(guide.title), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_text_color(*INK)
        pdf.set_font(FONT, size=9)
        for number, step in enumerate(guide.steps, start=1):
            pdf.set_x(x)
            pdf.multi_cell(column, 4.4, _plain(f"{number}. {step.title}"),
                           new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_x(x)
        pdf.ln(3)
        pdf.set_x(x)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 2)
    pdf.heading("Mots à connaître", 12)
    pdf.ln(1)
    for anchor in CHEATSHEET_WORDS:
        term = next(t for t in TERMS if t.anchor == anchor)
        line_height = 4.4
        # As many words as the page holds (and the contact line): it stays one page.
        if pdf.get_y() + 5 * line_height > pdf.h - pdf.b_margin:
            break
        pdf.set_font(FONT, "B", 9)
        pdf.write(line_height, _plain(f"{term.term} : "))
        pdf.set_font(FONT, size=9)
        pdf.write(line_height, _plain(term.definition))
        pdf.ln(line_height + 1)
    pdf.ln(2)
    pdf.paragraph(f"Une question ? Écrivez à l'équipe de l'assemblée : {settings.DCCU_EMAIL}",
                  size=10, height=5)
    return bytes(pdf.output())
