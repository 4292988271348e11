"""A wall as a Word document, from its stored state on the server (no browser): its
columns and groups as headings, its notes as lists with their dots (once a vote is
revealed) and their comments. Built with deliberation/export.py's document setup, so it
has the same styles, language and fonts as the proposals' exports."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deliberation.export import _day, _page_numbers, _prepare, _save, clean
from workshops import walls
from workshops.models import Wall


def _note_line(note: dict[str, object]) -> str:
    text = " ".join(str(note.get("text", "")).split())
    name = str(note.get("name") or "")
    line = f"{text} ({name})" if name else text
    dots = int(note.get("dots", 0) or 0)  # type: ignore[call-overload]
    if dots:
        line += " — " + ngettext("%(n)s dot", "%(n)s dots", dots) % {"n": dots}
    return clean(line)


def wall_docx(wall: Wall) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        content = walls.wall_content(wall.pk)
        round_ = walls.current_round(wall)
        counts = walls.dot_counts(round_)
        sections = walls.reading_order(wall, content)
        document = _prepare(wall.question, _("Idea wall"))
        document.add_paragraph(clean(wall.room.name), style="Subtitle")
        document.add_paragraph(clean(wall.question), style="Title")
        document.add_paragraph(_("Idea wall exported on %(date)s") % {"date": _day(timezone.now())})
        if round_ is not None and round_.revealed_at is not None:
            document.add_paragraph(
                _("Dot vote: %(dots)s dots per person, %(voters)s voters.")
                % {"dots": round_.dots, "voters": walls.voters(round_)}
            )
        columns = len(sections) > 1 or bool(sections and sections[0]["label"])
        empty = True
        for section in sections:
            if columns:
                document.add_paragraph(clean(section["label"]), style="Heading 1")
            for group in section["groups"]:
                level = 2 if columns else 1
                name = group["name"] or _("Notes outside any group")
                dots = counts.get(group["target"], 0) if group["target"] else 0
                if dots:
                    name += " — " + ngettext("%(n)s dot", "%(n)s dots", dots) % {"n": dots}
                document.add_paragraph(clean(name), style=f"Heading {level}")
                for note in group["notes"]:
                    empty = False
                    note["dots"] = counts.get(note["target"], 0)
                    document.add_paragraph(_note_line(note), style="List Bullet")
                    for comment in note["comments"]:
                        line = _("%(name)s: %(text)s") % {
                            "name": comment.get("name", ""),
                            "text": comment.get("text", ""),
                        }
                        document.add_paragraph(clean(line), style="List Bullet 2")
        if empty:
            document.add_paragraph(_("The wall has no notes yet."))
        _page_numbers(document)
        return _save(document)
