"""Personal data held by the plenary's decisions: votes, the lists of voters, ballots,
amendments and minority views.

The content of a secret ballot (``SecretBallot``) is not declared: it names nobody and
nothing links it to a person — not a key, not a time, not an order — so it is not personal
data, and no one, the DCCU included, can tell whose it is.
"""

from django.utils.translation import gettext_lazy as _

from decisions.models import Amendment, MinorityView, Participation, Vote, Voter
from gdpr.registry import Erasure, LegalBasis, Retention, declare

MEMBERS = _(
    "full members of the assembly (who vote, file amendments and minority views); "
    "facilitators and DCCU team (who run the votes and answer amendments)"
)
READERS = _(
    "the assembly (full members, substitutes), facilitators, agents, DCCU team and "
    "the follow-up committee; results and minority views go to the President of the "
    "Département in the report"
)
AFTER_THE_MANDATE = _(
    "Until 1 year after the end of the assembly's mandate, then deleted; "
    "the results of the votes are kept as the assembly's archives."
)
WITH_THE_RECORD = _(
    "Kept with the proposal, as part of the assembly's record (the archives "
    "service decides at the end of the mandate); erasure keeps it under a "
    "pseudonym."
)

declare(
    Vote,
    subject="voters__user",
    fields=(
        "mandate",
        "question",
        "method",
        "secret",
        "status",
        "opened_at",
        "closed_at",
        "eligible_count",
        "result",
    ),
    actors={
        "created_by": ("question", "created_at"),
        "opened_by": ("question", "opened_at"),
        "closed_by": ("question", "closed_at"),
    },
    machine_text=("method", "status"),
    purpose=_(
        "Hold the plenary's votes: the question, the options, who may vote, and the "
        "result, which is the assembly's decision."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("Kept as the assembly's archives: the result names nobody.")),
    erasure=Erasure.KEEP,
    categories_of_people=MEMBERS,
    recipients=READERS,
    notes=_("A vote is in the access copy of each person who could vote in it."),
)
declare(
    Voter,
    subject="user",
    fields=("vote",),
    purpose=_(
        "Know who may vote in a vote (full members, or those present in the plenary's "
        "call when it opened)."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(AFTER_THE_MANDATE, days=365, since="vote__mandate__assembly__mandate_end"),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=MEMBERS,
    recipients=_("facilitators and DCCU team (the number only is shown to others)"),
)
declare(
    Participation,
    subject="user",
    fields=("vote", "content"),
    purpose=_(
        "Record that a person voted, so that each votes once; for a public ballot, also what "
        "they voted. For a secret ballot, what was voted is kept apart with no link to the "
        "person: nobody, not even the DCCU team, can know what a person voted."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(AFTER_THE_MANDATE, days=365, since="vote__mandate__assembly__mandate_end"),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=MEMBERS,
    recipients=_(
        "for a public ballot, everyone who reads the vote once it is closed; for a "
        "secret ballot, nobody sees what was voted"
    ),
    notes=_(
        "Secret ballot: this row says only that the person voted, with no time. What "
        "they voted is stored in another table with no link to them (no key, no time, no "
        "order: the ballots are shuffled when the vote closes). Nobody — not the "
        "facilitators, not the DCCU, not the platform's administrators — can know what a "
        "person voted, and their access copy cannot show it either."
    ),
)
declare(
    Amendment,
    subject="author",
    fields=(
        "proposal",
        "number",
        "kind",
        "quote",
        "text",
        "rationale",
        "status",
        "answer",
        "merged_text",
        "created_at",
    ),
    actors={"answered_by": ("proposal", "number", "status", "answer", "answered_at")},
    machine_text=("kind", "status"),
    purpose=_(
        "Let full members propose changes to a proposal before the plenary votes, and "
        "keep the subgroup's answers."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_RECORD),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=MEMBERS,
    recipients=READERS,
)
declare(
    MinorityView,
    subject="author",
    fields=("vote", "text", "created_at"),
    purpose=_(
        "Record the dissent of members who voted against or objected, beside the "
        "decision, in the report to the President."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_RECORD),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=MEMBERS,
    recipients=READERS,
)
