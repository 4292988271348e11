"""A wall as a Word document, from its stored state on the server (no browser): its
columns and groups as headings, its notes as lists with their dots (once a vote is
revealed) and their comments. Built with deliberation/export.py's document setup, so it
has the same styles, language and fonts as the proposals' exports."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Q
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
        document = _prepare(wall.question, _("Idea wall"))
        document.add_paragraph(clean(wall.room.name), style="Subtitle")
        document.add_paragraph(clean(wall.question), style="Title")
        document.add_paragraph(_("Idea wall exported on %(date)s") % {"date": _day(timezone.now())})
        if not _write_wall(document, wall, level=1, people=True):
            document.add_paragraph(_("The wall has no notes yet."))
        _page_numbers(document)
        return _save(document)


def _write_wall(document: Any, wall: Wall, *, level: int, people: bool) -> bool:
    """The wall's columns, groups and notes from `level` down; False if it has no notes.
    Without `people`, no names and no comments (the mandate's report: ideas, not people)."""
    content = walls.wall_content(wall.pk)
    round_ = walls.current_round(wall)
    counts = walls.dot_counts(round_)
    sections = walls.reading_order(wall, content)
    if round_ is not None and round_.revealed_at is not None:
        document.add_paragraph(
            _("Dot vote: %(dots)s dots per person, %(voters)s voters.")
            % {"dots": round_.dots, "voters": walls.voters(round_)}
        )
    columns = len(sections) > 1 or bool(sections and sections[0]["label"])
    empty = True
    for section in sections:
        if columns:
            document.add_paragraph(clean(section["label"]), style=f"Heading {level}")
        for group in section["groups"]:
            name = group["name"] or _("Notes outside any group")
            dots = counts.get(group["target"], 0) if group["target"] else 0
            if dots:
                name += " — " + ngettext("%(n)s dot", "%(n)s dots", dots) % {"n": dots}
            document.add_paragraph(clean(name), style=f"Heading {level + 1 if columns else level}")
            for note in group["notes"]:
                empty = False
                note["dots"] = counts.get(note["target"], 0)
                if not people:
                    note = {**note, "name": ""}
                document.add_paragraph(_note_line(note), style="List Bullet")
                for comment in note["comments"] if people else []:
                    line = _("%(name)s: %(text)s") % {
                        "name": comment.get("name", ""),
                        "text": comment.get("text", ""),
                    }
                    document.add_paragraph(clean(line), style="List Bullet 2")
    return not empty


def report_annex(document: Any, mandate: Any) -> None:
    """The mandate's report ends with its idea walls (deliberation.export's annex hook):
    the plenary's and the subgroups', with their groups, notes and revealed dots, without
    names or comments — walls with no note are left out."""
    rooms = Q(room__mandate=mandate) | Q(room__subgroup__mandate=mandate)
    heading_written = False
    for wall in Wall.objects.filter(rooms).select_related("room").order_by("created_at"):
        if not walls.wall_content(wall.pk)["notes"]:
            continue
        if not heading_written:
            heading = document.add_paragraph(_("Annex: idea walls"), style="Heading 1")
            heading.paragraph_format.page_break_before = True
            heading_written = True
        document.add_paragraph(clean(wall.question), style="Heading 2")
        document.add_paragraph(clean(wall.room.name), style="Subtitle")
        _write_wall(document, wall, level=3, people=False)
