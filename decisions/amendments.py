"""Amendments to a proposal submitted to the plenary: filing, the subgroup's answer, the
plenary's vote on contested ones, and the amended text.

The amended text is the proposal's own draft: an accepted amendment is applied to it as a
change made by the server (``deliberation.draft_store.append_server_update``: open editors
receive it, history is kept) and recorded as a named version « Amendement n° N », which the
amendment points to. The quoted passage must appear exactly once in one paragraph of the
draft when the amendment is filed and again when it is applied; otherwise the subgroup
integrates it by hand and answers « fusionné ».
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import Role, user_roles
from decisions.models import Amendment, AmendmentKind, AmendmentStatus, VoteMethod
from deliberation.models import Proposal, ProposalStatus, VersionKind

MAX_QUOTE = 1000
MAX_TEXT = 3000
MAX_RATIONALE = 2000


def access_amendment(user: Any, amendment_id: Any) -> Amendment:
    """The amendment; 404 when it is missing or its proposal may not be read."""
    from decisions.actions import _is_uuid

    amendment = (
        Amendment.objects.select_related("proposal__subgroup", "proposal__mandate")
        .filter(pk=amendment_id)
        .first()
        if _is_uuid(amendment_id)
        else None
    )
    if amendment is None or not amendment.get_abilities(user)["read"]:
        raise Http404
    return amendment


def may_file(user: Any, proposal: Proposal) -> bool:
    """Full members (those who vote) file amendments to a proposal before the plenary."""
    return (
        proposal.status == ProposalStatus.SUBMITTED
        and Role.TITULAIRE in user_roles(user)
        and proposal.get_abilities(user)["read"]
    )


def _occurrences(proposal: Proposal, quote: str) -> int:
    """How many times the passage appears inside one paragraph of the draft."""
    from deliberation import drafts

    doc = drafts.load(proposal.draft.pk).doc  # a copy: counting replaces in it
    return drafts.replace_text(doc, re.compile(re.escape(quote)), quote)


def _clean(value: Any, limit: int, empty: str, long: str) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value and empty:
        raise ValidationError(empty)
    if len(value) > limit:
        raise ValidationError(long % {"max": limit})
    return value


def do_file_amendment(
    actor: Any, proposal: Proposal, kind: str, quote: str, text: str, rationale: str
) -> Amendment:
    if not may_file(actor, proposal):
        raise PermissionDenied(
            _(
                "Only full members can file amendments, while the proposal "
                "is submitted to the plenary."
            )
        )
    if kind not in AmendmentKind.values:
        raise ValidationError(_("Choose what the amendment does: replace, add or delete."))
    quote = " ".join(
        _clean(
            quote,
            MAX_QUOTE,
            _("Copy the passage the amendment is about."),
            _("The passage is too long (%(max)d characters at most)."),
        ).split()
    )
    text = _clean(
        text,
        MAX_TEXT,
        "" if kind == AmendmentKind.DELETE else _("Write the new text."),
        _("The new text is too long (%(max)d characters at most)."),
    )
    if kind == AmendmentKind.DELETE:
        text = ""
    rationale = _clean(
        rationale,
        MAX_RATIONALE,
        _("Say why you propose this change."),
        _("The rationale is too long (%(max)d characters at most)."),
    )
    found = _occurrences(proposal, quote)
    if found == 0:
        raise ValidationError(
            _("This passage is not in the proposal's text. Copy it exactly, within one paragraph.")
        )
    if found > 1:
        raise ValidationError(
            _(
                "This passage appears several times in the text: copy a longer "
                "one, so that it appears only once."
            )
        )
    with transaction.atomic():
        Proposal.objects.select_for_update().get(pk=proposal.pk)
        number = (
            Amendment.objects.filter(proposal=proposal).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        return Amendment.objects.create(
            proposal=proposal,
            number=number,
            author=actor,
            kind=kind,
            quote=quote,
            text=text,
            rationale=rationale,
        )


def _replacement(amendment: Amendment) -> str:
    new = amendment.merged_text or amendment.text
    if amendment.kind == AmendmentKind.DELETE and not amendment.merged_text:
        return ""
    if amendment.kind == AmendmentKind.ADD and not amendment.merged_text:
        return f"{amendment.quote} {new}"
    return new


def apply_amendment(amendment: Amendment, by: Any) -> int:
    """Put the amendment into the draft and record the version; its number."""
    from deliberation import draft_store, drafts

    draft_id = amendment.proposal.draft.pk
    doc = drafts.load(draft_id).doc
    before = doc.get_state()
    pattern = re.escape(amendment.quote)
    if amendment.kind == AmendmentKind.DELETE and not amendment.merged_text:
        pattern = r"\s?" + pattern  # the space before a deleted passage goes with it
    found = drafts.replace_text(doc, re.compile(pattern), _replacement(amendment))
    if found != 1:
        raise ValidationError(
            _(
                "The quoted passage is no longer exactly once in the text: "
                "integrate the change by hand, then answer « merged »."
            )
        )
    draft_store.append_server_update(draft_id, doc.get_update(before), by)
    with translation.override(settings.LANGUAGE_CODE):
        name = _("Amendment no. %(number)d") % {"number": amendment.number}
    version = drafts.create_version(draft_id, VersionKind.NAMED, name=str(name), by=by)
    assert version is not None  # noqa: S101 - a named version is always recorded
    return int(version.number)


def do_answer_amendment(
    actor: Any, amendment: Amendment, decision: str, answer: str = "", merged_text: str = ""
) -> Amendment:
    """The subgroup's answer: « accept » (applied as filed), « merge » (applied as the
    subgroup rewords it, or already integrated by hand when nothing is given), « reject »
    (with a reason)."""
    with transaction.atomic():
        amendment = (
            Amendment.objects.select_for_update(of=("self",))
            .select_related("proposal__draft", "proposal__subgroup")
            .get(pk=amendment.pk)
        )
        if not amendment.get_abilities(actor)["answer"]:
            raise PermissionDenied(_("Only the subgroup's writers answer its amendments, once."))
        answer = _clean(
            answer,
            MAX_RATIONALE,
            "" if decision != "reject" else _("Say why the subgroup rejects it."),
            _("The answer is too long (%(max)d characters at most)."),
        )
        merged_text = _clean(
            merged_text, MAX_TEXT, "", _("The text is too long (%(max)d characters at most).")
        )
        amendment.answer, amendment.answered_by = answer, actor
        amendment.answered_at = timezone.now()
        if decision == "accept":
            amendment.status = AmendmentStatus.ACCEPTED
            amendment.version_number = apply_amendment(amendment, actor)
        elif decision == "merge":
            amendment.status = AmendmentStatus.MERGED
            if merged_text:
                amendment.merged_text = merged_text
                amendment.version_number = apply_amendment(amendment, actor)
        elif decision == "reject":
            amendment.status = AmendmentStatus.REJECTED
        else:
            raise ValidationError(_("Choose: accept, merge or reject."))
        amendment.save()
    return amendment


def do_contest_amendment(actor: Any, amendment: Amendment) -> Amendment:
    """Its author maintains a rejected amendment: the plenary will vote on it."""
    amendment = Amendment.objects.select_related("proposal").get(pk=amendment.pk)
    if not amendment.get_abilities(actor)["contest"]:
        raise PermissionDenied(_("Only its author can maintain a rejected amendment."))
    Amendment.objects.filter(pk=amendment.pk, status=AmendmentStatus.REJECTED).update(
        status=AmendmentStatus.CONTESTED
    )
    amendment.refresh_from_db()
    return amendment


def do_put_amendment_to_vote(actor: Any, amendment: Amendment, *, secret: bool = False) -> Any:
    """A plenary vote (for / against / abstention) on a contested amendment, prepared."""
    from decisions.actions import do_create_vote, may_manage

    if not may_manage(actor):
        raise PermissionDenied(_("Only facilitators and the DCCU prepare the plenary's votes."))
    if amendment.status != AmendmentStatus.CONTESTED:
        raise ValidationError(_("Only a maintained amendment goes to a plenary vote."))
    if hasattr(amendment, "vote"):
        raise ValidationError(_("This amendment already has its vote."))
    with translation.override(settings.LANGUAGE_CODE):
        question = _("Amendment no. %(number)d to « %(title)s »: do you adopt it?") % {
            "number": amendment.number,
            "title": amendment.proposal.title,
        }
    return do_create_vote(
        actor,
        amendment.proposal.mandate,
        str(question)[:300],
        VoteMethod.MAJORITY,
        secret=secret,
        amendment=amendment,
    )


def settle_by_vote(by: Any, amendment: Amendment, adopted: bool) -> None:
    """The plenary voted on the amendment (called when its vote closes)."""
    amendment = (
        Amendment.objects.select_for_update(of=("self",))
        .select_related("proposal__draft")
        .get(pk=amendment.pk)
    )
    if amendment.status != AmendmentStatus.CONTESTED:
        return
    if adopted:
        amendment.status = AmendmentStatus.ADOPTED
        try:
            amendment.version_number = apply_amendment(amendment, by)
        except ValidationError:
            amendment.version_number = None  # the subgroup integrates it by hand
    else:
        amendment.status = AmendmentStatus.DEFEATED
    amendment.save(update_fields=["status", "version_number"])
