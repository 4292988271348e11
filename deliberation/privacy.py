"""Personal data held by the assembly's structure."""

from django.utils.translation import gettext_lazy as _

from deliberation.models import Membership, Subgroup
from gdpr.registry import Erasure, LegalBasis, Retention, declare

declare(
    Membership,
    subject="user",
    fields=("seat", "kind", "substitute_rank", "start", "end", "end_reason"),
    purpose=_(
        "Know who sits in the assembly, for which canton and category, and who replaces whom."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("End of the assembly's mandate plus 1 year (the composition is then archived)."),
        days=365,
        since="mandate_end",
    ),
    erasure=Erasure.KEEP,
    categories_of_people=_("members and substitutes"),
    recipients=_("DCCU team; the list of members is public within the assembly"),
    notes=_(
        "The composition of the assembly is an administrative record: erasure keeps the "
        "membership under a pseudonym until the archives service decides."
    ),
)
declare(
    Subgroup,
    subject="members",
    extra_subjects=("facilitators",),
    fields=("members", "facilitators"),
    purpose=_("Organise the work in thematic subgroups."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("End of the assembly's mandate plus 1 year."), days=365,
                        since="mandate_end"),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=_("members and facilitators"),
    recipients=_("the subgroup's members and facilitators, DCCU team"),
)
