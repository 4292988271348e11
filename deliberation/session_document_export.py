"""A delivered session document as a Word file, with the drafts' export
(deliberation/export.py): the same styles, headings, lists and tables."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from assembly import sessiondocs
from assembly.models import SessionDocument
from deliberation import drafts
from deliberation.export import (
    DOCX_MIME,
    _page_numbers,
    _prepare,
    _save,
    _Writer,
    clean,
    heading_shift,
)
from workshops import ydocs

__all__ = ["DOCX_MIME", "session_document_docx"]


def session_document_docx(document: SessionDocument) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        session = document.session
        title = f"{document.get_kind_display().capitalize()} — {session.title}"
        word = _prepare(title, session.title)
        word.add_paragraph(clean(title), style="Title")
        meta = word.add_paragraph(style="Subtitle")
        meta.add_run(
            _("Session of %(day)s — due on %(due)s")
            % {
                "day": date_format(session.day, "DATE_FORMAT"),
                "due": date_format(document.due_on, "DATE_FORMAT"),
            }
        )
        blocks = drafts.to_blocks(ydocs.load(document.pk, sessiondocs.ROOTS).doc)
        _Writer(word, heading_shift(blocks)).write(word, blocks)
        _page_numbers(word)
        return _save(word)
