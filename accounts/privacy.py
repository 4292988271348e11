"""Personal data held by the accounts app (and the auth libraries it wires in)."""

from django.utils.translation import gettext_lazy as _

from accounts.models import User
from gdpr.registry import Erasure, LegalBasis, Retention, declare

MEMBERS_AND_STAFF = _("members, substitutes, facilitators, agents, DCCU team, DPO")

declare(
    User,
    fields=(
        "email", "first_name", "last_name", "display_name", "birth_date", "postal_code",
        "is_department_agent", "holds_elected_office", "date_joined", "last_login",
    ),
    purpose=_("Identify participants, let them log in, check eligibility to the assembly."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Duration of the mandate, then 1 year after the end of the assembly's mandate."),
        days=365,
        since="mandate_end",
    ),
    erasure=Erasure.DELETE,
    categories_of_people=MEMBERS_AND_STAFF,
    recipients=_("DCCU team; facilitators see names and subgroups"),
)
