"""The report's annex: the results of the plenary's closed votes and the minority views
(added to ``deliberation.export.mandate_report_docx`` through its annex hook)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from decisions.actions import present
from decisions.models import MinorityView, Vote, VoteMethod, VoteStatus


def _cell(cell: Any, text: str, *, bold: bool = False) -> None:
    from deliberation.export import clean

    run = cell.paragraphs[0].add_run(clean(text))
    run.bold = bold


def report_annex(document: Any, mandate: Any) -> None:
    from deliberation.export import _day, clean

    votes = list(
        Vote.objects.filter(mandate=mandate, status=VoteStatus.CLOSED)
        .select_related("proposal", "mandate")
        .order_by("closed_at", "created_at")
    )
    if not votes:
        return
    heading = document.add_paragraph(
        _("Annex: votes of the plenary and minority views"), style="Heading 1"
    )
    heading.paragraph_format.page_break_before = True
    for vote in votes:
        result = present(vote)
        if result is None:
            continue
        document.add_paragraph(clean(vote.question), style="Heading 2")
        about = [
            vote.get_method_display().capitalize(),
            _("secret ballot") if vote.secret else _("public ballot"),
            _("closed on %(date)s") % {"date": _day(vote.closed_at)},
        ]
        if vote.proposal is not None:
            about.insert(0, _("Proposal « %(title)s »") % {"title": vote.proposal.title})
        document.add_paragraph(clean(" — ".join(str(a) for a in about)))
        judgment = vote.method == VoteMethod.JUDGMENT
        columns = [
            _("Option"),
            _("Majority grade") if judgment else _("Votes cast"),
            _("Rank") if judgment else _("Share"),
        ]
        table = document.add_table(rows=1, cols=3)
        table.style = document.styles["Table Grid"]
        for cell, title in zip(table.rows[0].cells, columns, strict=True):
            _cell(cell, str(title), bold=True)
        for option in result["options"]:
            cells = table.add_row().cells
            _cell(cells[0], option["label"])
            if judgment:
                _cell(cells[1], option["majority_label"])
                _cell(cells[2], str(option["rank"]))
            else:
                _cell(cells[1], str(option["count"]))
                _cell(cells[2], f"{option['percent']} %".replace(".", ","))
        document.add_paragraph(
            clean(
                _("%(ballots)d ballots out of %(eligible)d voters. %(outcome)s")
                % {
                    "ballots": result["ballots"],
                    "eligible": result["eligible"],
                    "outcome": result["outcome"],
                }
            )
        )
        views = list(
            MinorityView.objects.filter(vote=vote).select_related("author").order_by("created_at")
        )
        if views:
            document.add_paragraph(_("Minority views"), style="Heading 3")
        for view in views:
            from deliberation.people import person_name

            quote = document.add_paragraph(style="Quote")
            quote.add_run(clean(view.text))
            signature = document.add_paragraph()
            signature.add_run(
                "— " + clean(person_name(view.author) if view.author else _("a member"))
            ).italic = True
