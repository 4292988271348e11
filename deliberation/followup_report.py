"""The « état des lieux » of the follow-up: per-mandate charts drawn on the server (SVG with
a title, a description and the same numbers in a table beside it), and the .docx built with
the Word export's machinery (deliberation.export).

Neither names a person: services only, never agents, never the committee's members.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from deliberation import export
from deliberation.followup import CHART_STATUSES, MandateProgress, answer_of, progress, status_label

BAR_HEIGHT = 28
GAP = 10
LABEL_WIDTH = 110
CHART_WIDTH = 420


def chart_rows(group: MandateProgress) -> list[tuple[str, str, int, str]]:
    """(code, label, count, colour) per status, in the chart's order: the chart and the
    table are both drawn from this, so they cannot disagree."""
    counts = group.counts
    return [(code, status_label(code), counts[code], colour)
            for code, _label, colour in CHART_STATUSES]


def chart_svg(group: MandateProgress, chart_id: str) -> SafeString:
    """A horizontal bar chart of the mandate's milestones by status."""
    rows = chart_rows(group)
    top = max([n for _c, _l, n, _col in rows] + [1])
    scale = (CHART_WIDTH - LABEL_WIDTH - 40) / top
    height = len(rows) * (BAR_HEIGHT + GAP) + GAP
    title = _("Milestones by status — %(mandate)s") % {"mandate": group.mandate.title}
    desc = "; ".join(f"{label}: {n}" for _c, label, n, _col in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="followup-chart" role="img" '
        f'viewBox="0 0 {CHART_WIDTH} {height}" width="100%" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    for index, (code, label, n, colour) in enumerate(rows):
        y = GAP + index * (BAR_HEIGHT + GAP)
        width = round(n * scale, 1)
        parts.append(
            f'<g data-status="{code}" data-value="{n}">'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT * 0.68}" text-anchor="end" '
            f'font-size="14" fill="#1a1a1a">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + BAR_HEIGHT * 0.68}" font-size="14" '
            f'fill="#1a1a1a">{n}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def report_context(today: dt.date | None = None) -> dict[str, Any]:
    today = today or timezone.localdate()
    groups = progress(today)
    charts = [
        {"group": group, "svg": chart_svg(group, f"chart-{index}"), "rows": chart_rows(group),
         "id": f"chart-{index}"}
        for index, group in enumerate(groups, 1)
    ]
    return {"charts": charts, "today": today}


def report_docx(today: dt.date | None = None) -> bytes:
    """The état des lieux as a Word document: per mandate, the table of milestones by
    status, then each proposal with the answer, commitments (services), milestones and
    progress updates (without their authors)."""
    today = today or timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Follow-up of the proposals — état des lieux")
        document = export._prepare(title, _("Follow-up committee"))
        document.add_paragraph(export.clean(settings.AGORA_ASSEMBLY_NAME), style="Subtitle")
        document.add_paragraph(title, style="Title")
        document.add_paragraph(_("Situation on %(date)s") % {"date": export._day(today)})
        for group in progress(today):
            document.add_heading(export.clean(group.mandate.title), level=1)
            rows = chart_rows(group)
            table = document.add_table(rows=1, cols=2)
            table.style = "Table Grid"
            head = table.rows[0].cells
            head[0].text, head[1].text = _("Status"), _("Milestones")
            for _code, label, n, _colour in rows:
                cells = table.add_row().cells
                cells[0].text, cells[1].text = label, str(n)
            document.add_paragraph(
                _("Milestones by status — %(mandate)s") % {"mandate": group.mandate.title},
                style="Caption",
            )
            for item in group.proposals:
                proposal = item.proposal
                document.add_heading(export.clean(proposal.title), level=2)
                answer = answer_of(proposal)
                if answer is None:
                    document.add_paragraph(_("No answer of the Département yet."))
                else:
                    document.add_paragraph(
                        _("Answer of the Département: %(decision)s")
                        % {"decision": answer.get_decision_display()}
                    )
                    document.add_paragraph(export.clean(answer.reasons), style="Quote")
                document.add_paragraph(
                    _("%(percent)s %% of the milestones done") % {"percent": item.done_percent}
                )
                for commitment in item.commitments:
                    document.add_heading(export.clean(commitment.title), level=3)
                    document.add_paragraph(
                        _("Service in charge: %(service)s")
                        % {"service": export.clean(commitment.service)}
                    )
                    for milestone in commitment.milestones.all():
                        document.add_paragraph(
                            f"{export.clean(milestone.title)} — "
                            f"{export._day(milestone.due_date)} — "
                            f"{status_label(milestone.shown_status(today))}",
                            style="List Bullet",
                        )
                if item.updates:
                    document.add_paragraph(_("Progress"), style="Heading 3")
                    for update in item.updates:
                        document.add_paragraph(
                            f"{export._day(update.created_at)} — {export.clean(update.body)}",
                            style="List Bullet",
                        )
        export._page_numbers(document)
        return export._save(document)
