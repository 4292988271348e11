"""Personal data held by the proposals and their drafts (the assembly's own is declared in
``assembly/privacy.py``)."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from deliberation.models import (
    Commitment,
    CommitteeQuestion,
    Draft,
    DraftComment,
    DraftContribution,
    DraftUpdate,
    DraftVersion,
    FollowUpEvent,
    ProgressAttachment,
    ProgressUpdate,
    Proposal,
    ProposalAnswer,
    ProposalTransition,
)
from gdpr.registry import Erasure, LegalBasis, Retention, RetentionAction, declare


def scrub_names_in_drafts(person: Any, pseudonym: str) -> dict[str, int]:
    """Where the person's names were typed in a draft, or in one of its versions, the
    pseudonym takes their place (gdpr.scrub replaces them in every other text).

    The live draft gets the change as any server edit (open editors receive it), then is
    compacted, so the typed names are gone from its stored updates too; each version's
    state is rewritten. Text typed and deleted before the erasure stays in the stored
    updates of drafts without the names until their next compaction."""
    from deliberation import draft_store, drafts
    from deliberation.models import Draft
    from gdpr.scrub import NameMatcher

    matcher = NameMatcher.for_person(person)
    if matcher is None:
        return {}
    for draft_id in Draft.objects.order_by("pk").values_list("pk", flat=True).iterator():
        doc = drafts.load(draft_id).doc
        if not matcher.regex.search(drafts.doc_text(doc)):
            continue
        before = doc.get_state()
        if drafts.replace_text(doc, matcher.regex, pseudonym):
            draft_store.append_server_update(draft_id, doc.get_update(before))
            drafts.compact(draft_id)
    # A version's text is its state's words (gdpr.scrub replaces the names there after).
    versions = DraftVersion.objects.filter(text__iregex=matcher.prefilter or ".").order_by("pk")
    for version in versions.only("pk", "state", "text").iterator(chunk_size=50):
        if not matcher.regex.search(version.text):
            continue
        doc = drafts.new_doc(bytes(version.state or b""))
        if drafts.replace_text(doc, matcher.regex, pseudonym):
            DraftVersion.objects.filter(pk=version.pk).update(state=doc.get_update())
    return {}


# --- Proposals and their drafts ---------------------------------------------------------------

WRITERS = _("members and facilitators of the subgroups; DCCU team; for comments, also "
            "full members and agents")
PROPOSAL_READERS = _(
    "the assembly (full members, substitutes), facilitators, agents, DCCU team and the "
    "follow-up committee; adopted proposals go to the President of the Département"
)
WITH_THE_PROPOSAL = _(
    "Kept with the proposal, which is part of the assembly's record (the archives service "
    "decides at the end of the mandate); erasure keeps it under a pseudonym."
)


declare(
    Proposal,
    subject="created_by",
    fields=("mandate", "subgroup", "title", "status", "created_by", "created_at"),
    purpose=_("Write the assembly's proposals together and carry them to the President."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_PROPOSAL),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=WRITERS,
    recipients=PROPOSAL_READERS,
)
declare(
    ProposalTransition,
    subject="by",
    fields=("proposal", "from_status", "to_status", "note", "created_at"),
    purpose=_("Keep track of who moved a proposal through its steps, and why."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_PROPOSAL),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=WRITERS,
    recipients=PROPOSAL_READERS,
)
declare(
    DraftUpdate,
    subject="author",
    fields=("draft", "created_at"),
    purpose=_(
        "Store every change typed in a draft before it is sent to the other writers, so that "
        "nothing written is lost."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Merged into the draft and deleted at its next compaction (after a few hundred "
          "changes); whatever remains loses its author 1 year after the end of the "
          "assembly's mandate."),
        days=365,
        since="draft__proposal__mandate__assembly__mandate_end",
        action=RetentionAction.ANONYMISE_FIELDS,
    ),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=WRITERS,
    recipients=_("nobody reads it directly: it makes up the draft's text"),
    notes=_(
        "The names and colours shown beside the writers' cursors (awareness) are sent live "
        "and never stored: no stored change or version holds them."
    ),
)
def export_drafts(person: Any) -> Any:
    """The drafts the person wrote in, with their suggestions still pending there. The
    text, as of each version, is in the versions: the snapshot is the editor's binary
    format, not something a person can read."""
    from deliberation import drafts, suggestions

    me = str(person.pk)
    rows = Draft.objects.filter(
        pk__in=DraftContribution.objects.filter(user=person).values("draft_id")
    ).select_related("proposal").order_by("proposal__created_at", "pk")
    for draft in rows.iterator(chunk_size=500):
        yield {
            "id": str(draft.pk),
            "proposal": {"id": str(draft.proposal_id), "name": draft.proposal.title},
            "last_edit_at": draft.last_edit_at,
            # What of the snapshot (the text) is the person's: their suggestions still
            # pending there (the rest is collective work, in the versions).
            "snapshot": [
                {"kind": found.kind, "text": found.text, "at": found.at}
                for found in suggestions.suggestions_in(drafts.load(draft.pk).doc)
                if found.author == me
            ],
        }


declare(
    Draft,
    subject="contributions__user",
    extra_subjects=("frozen_by",),
    fields=("proposal", "snapshot", "last_edit_at", "frozen", "frozen_by", "frozen_at"),
    purpose=_("Hold the current text of each proposal's draft, written together."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_PROPOSAL),
    erasure=Erasure.KEEP,
    export=export_drafts,
    categories_of_people=WRITERS,
    recipients=PROPOSAL_READERS,
    notes=_("The snapshot is the text everyone typed, merged (the editor's format); it names "
            "no writer but the authors of pending suggestions (their account's identifier and "
            "the time, shown under their current name: a pseudonym after erasure). Kept on "
            "erasure as collective work; who wrote what is in the "
            "versions and contributions. Who froze the draft is shown on its page, so "
            "that the writers know whom to ask to reopen it."),
)
declare(
    DraftVersion,
    subject="created_by",
    extra_subjects=("authors",),
    fields=("draft", "number", "kind", "name", "text", "created_by", "authors", "created_at"),
    purpose=_("Keep the history of a draft: who wrote in each version, to compare and restore."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_PROPOSAL),
    erasure=Erasure.PSEUDONYMISE,
    eraser=scrub_names_in_drafts,
    categories_of_people=WRITERS,
    recipients=PROPOSAL_READERS,
    notes=_("Each version holds the full text of the draft at that moment (also in the "
            "editor's format, as its state). Erasure keeps the person among the authors of "
            "each version under their pseudonym; versions hold no name from the live "
            "presence list."),
)
declare(
    DraftContribution,
    subject="user",
    fields=("draft", "version", "created_at"),
    purpose=_("Know who wrote in a draft since its last version, to credit them in it."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_PROPOSAL),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=WRITERS,
    recipients=PROPOSAL_READERS,
)
declare(
    DraftComment,
    subject="author",
    fields=("draft", "parent", "body", "quote", "resolved", "resolved_at", "created_at",
            "updated_at"),
    actors={"resolved_by": ("draft", "resolved", "resolved_at")},
    purpose=_("Discuss a passage of a draft beside it, answer and mark it resolved."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until 1 year after the end of the assembly's mandate, then deleted (the proposal "
          "keeps the outcome)."),
        days=365,
        since="draft__proposal__mandate__assembly__mandate_end",
    ),
    # As for messages: what was said belongs to the collective work; the comment stays,
    # signed « Participant·e n°N », and the person's names written in comments are replaced
    # (gdpr.scrub).
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=WRITERS,
    recipients=PROPOSAL_READERS,
)


# --- Follow-up of adopted proposals (deliberation/followup.py) ------------------------------

FOLLOWUP_PEOPLE = _("agents of the Département, DCCU team, members of the follow-up committee")
FOLLOWUP_READERS = _(
    "the assembly (full members, substitutes), facilitators, agents, DCCU team and the "
    "follow-up committee; never on the public follow-up page, which names services only"
)
WITH_THE_FOLLOWUP = _(
    "Kept with the proposal's follow-up, part of the assembly's record (the archives service "
    "decides at the end of the mandate); erasure keeps it under a pseudonym."
)

declare(
    ProposalAnswer,
    subject="answered_by",
    fields=("proposal", "decision", "reasons", "answered_at", "updated_at"),
    purpose=_("Record the Département's official answer to each adopted proposal."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_FOLLOWUP),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=FOLLOWUP_PEOPLE,
    recipients=FOLLOWUP_READERS,
)
declare(
    Commitment,
    subject="owner",
    fields=("proposal", "title", "service", "created_at", "updated_at"),
    purpose=_("Say which service, and optionally which agent, carries each commitment."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_FOLLOWUP),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=_("agents of the Département"),
    recipients=FOLLOWUP_READERS,
)
declare(
    ProgressUpdate,
    subject="author",
    fields=("proposal", "commitment", "body", "created_at"),
    purpose=_("Tell the assembly and the committee how the work on a proposal progresses."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_FOLLOWUP),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=FOLLOWUP_PEOPLE,
    recipients=FOLLOWUP_READERS,
)
declare(
    ProgressAttachment,
    subject="update__author",
    fields=("update", "name", "file", "content_type", "size", "created_at"),
    files=("file",),
    machine_text=("content_type",),
    purpose=_("Share the documents that show the progress of a proposal."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_FOLLOWUP),
    erasure=Erasure.KEEP,
    categories_of_people=FOLLOWUP_PEOPLE,
    recipients=FOLLOWUP_READERS,
    notes=_("Official documents of the services: kept on erasure, their update then shows a "
            "pseudonym as its author."),
)
declare(
    CommitteeQuestion,
    subject="author",
    extra_subjects=("addressee",),
    fields=("proposal", "service", "addressee", "body", "created_at", "answer",
            "answered_at"),
    actors={"answered_by": ("proposal", "answer", "answered_at")},
    purpose=_("Let the follow-up committee ask the services questions and read their "
              "answers."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_FOLLOWUP),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=FOLLOWUP_PEOPLE,
    recipients=FOLLOWUP_READERS,
)
declare(
    FollowUpEvent,
    subject="actor",
    fields=("proposal", "action", "summary", "created_at"),
    purpose=_("Keep the history of the follow-up: who changed what, and when."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(WITH_THE_FOLLOWUP),
    erasure=Erasure.PSEUDONYMISE,
    categories_of_people=FOLLOWUP_PEOPLE,
    recipients=FOLLOWUP_READERS,
)
