"""The plenary's decisions: votes, amendments, minority views."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DecisionsConfig(AppConfig):
    name = "decisions"
    verbose_name = _("Decisions of the plenary")

    def ready(self) -> None:
        from decisions.realtime import VoteFeature
        from realtime.hub import register_feature

        # The live count and the result on every /ws/ socket (docs/protocol.md « Votes »).
        register_feature(VoteFeature)

        from decisions.report import report_annex
        from deliberation.export import register_report_annex

        # The report's annex: results of the plenary's votes and minority views.
        register_report_annex(report_annex)
