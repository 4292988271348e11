"""The follow-up of adopted proposals: the Département's answers, commitments, milestones,
progress updates, the committee's questions, and the public page (docs/permissions.md,
« Suivi des propositions »).

Operations are plain functions: check the actor's abilities, validate with a French
message, write in a transaction with a ``FollowUpEvent`` (the history), tell people after
commit. Views, the demo seeding and the tests call the same functions.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.core.mail import EmailMessage
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.roles import ASSEMBLY_ROLES, FOLLOWUP_ANSWER_ROLES, Role, user_roles
from assembly.models import Assembly, Mandate
from deliberation.models import (
    FOLLOWED_STATUSES,
    LATE,
    AnswerDecision,
    Commitment,
    CommitteeQuestion,
    FollowUpEvent,
    FollowUpPublication,
    Milestone,
    MilestoneStatus,
    ProgressAttachment,
    ProgressUpdate,
    Proposal,
    ProposalAnswer,
    ProposalStatus,
    ProposalTransition,
)

logger = logging.getLogger(__name__)

MAX_TEXT = 5000
MAX_TITLE = 300
MAX_SERVICE = 200
MAX_FILES = 5
# Verbs of the in-page notifications (notifications.render writes the sentences).
VERB_QUESTION = "suivi_question"
VERB_ANSWER = "suivi_reponse"

# --- Who may do what ---------------------------------------------------------------------------

NO_ABILITIES = {
    "read": False,  # the follow-up pages, the état des lieux
    "committee": False,  # the committee's space (every question)
    "answer": False,  # the official answer, commitments and milestones
    "post_update": False,  # progress updates with files
    "answer_question": False,  # answer the committee's questions
    "ask": False,  # ask the services a question
    "publish": False,  # turn the public page on or off
}


def followup_rights(user: Any) -> dict[str, bool]:
    """The same for every followed proposal: the follow-up is the assembly's, not a subgroup's.

    Members, substitutes and facilitators read; agents answer and post progress; the committee
    asks; the DCCU does everything; the DPD and people without a role see nothing."""
    roles = user_roles(user)
    if not roles & ASSEMBLY_ROLES:
        return dict(NO_ABILITIES)
    dccu, agent, committee = Role.DCCU in roles, Role.AGENT in roles, Role.COMITE_SUIVI in roles
    return {
        "read": True,
        "committee": dccu or agent or committee,
        "answer": dccu or agent,
        "post_update": dccu or agent,
        "answer_question": dccu or agent,
        "ask": dccu or committee,
        "publish": dccu,
    }


def followed_proposals(mandate: Mandate | None = None) -> Any:
    qs = Proposal.objects.filter(status__in=FOLLOWED_STATUSES).select_related(
        "mandate", "subgroup", "answer"
    )
    if mandate is not None:
        qs = qs.filter(mandate=mandate)
    return qs.order_by("mandate__start", "position", "created_at")


def _require(user: Any, ability: str) -> dict[str, bool]:
    """403 when the person reads the follow-up but may not do this; 404 when they may not
    even read it (nobody learns what is there)."""
    abilities = followup_rights(user)
    if not abilities["read"]:
        raise Http404
    if not abilities[ability]:
        raise PermissionDenied
    return abilities


def require_ability(user: Any, ability: str) -> dict[str, bool]:
    return _require(user, ability)


def access_followed_proposal(user: Any, proposal_id: Any) -> Proposal:
    """An adopted proposal, for someone who reads the follow-up; 404 otherwise."""
    if not followup_rights(user)["read"]:
        raise Http404
    return _followed(proposal_id)


def _followed(proposal_id: Any) -> Proposal:
    try:
        key = uuid.UUID(str(proposal_id))
    except ValueError as exc:
        raise Http404 from exc
    proposal = followed_proposals().filter(pk=key).first()
    if proposal is None:
        raise Http404
    return proposal


def _access(model: Any, user: Any, object_id: Any, *related: str) -> Any:
    if not followup_rights(user)["read"]:
        raise Http404
    try:
        key = uuid.UUID(str(object_id))
    except ValueError as exc:
        raise Http404 from exc
    item = model.objects.select_related(*related).filter(pk=key).first()
    if item is None:
        raise Http404
    return item


def access_commitment(user: Any, commitment_id: Any) -> Commitment:
    return _access(Commitment, user, commitment_id, "proposal")


def access_milestone(user: Any, milestone_id: Any) -> Milestone:
    return _access(Milestone, user, milestone_id, "commitment__proposal")


def access_question(user: Any, question_id: Any) -> CommitteeQuestion:
    return _access(CommitteeQuestion, user, question_id, "proposal")


def access_attachment(user: Any, attachment_id: Any) -> ProgressAttachment:
    return _access(ProgressAttachment, user, attachment_id, "update")


# --- Validation ----------------------------------------------------------------------------------


def _text(value: str, *, empty: str, max_length: int = MAX_TEXT, single_line: bool = False) -> str:
    value = (value or "").strip()
    if single_line:
        value = " ".join(value.split())
    if not value:
        raise ValidationError(empty)
    if len(value) > max_length:
        raise ValidationError(
            _("This text is too long (%(max)d characters at most).") % {"max": max_length}
        )
    return value


def _agent(person: Any) -> Any:
    """An optional agent in charge: must hold the agent role (or be the DCCU)."""
    if person is None:
        return None
    if not user_roles(person) & FOLLOWUP_ANSWER_ROLES:
        raise ValidationError(_("Choose an agent of the Département."))
    return person


def agents() -> Any:
    from accounts.models import User

    return User.objects.filter(is_active=True, groups__name=Role.AGENT.value).order_by(
        "last_name", "first_name"
    ).distinct()


def _log(proposal: Proposal, action: str, actor: Any, summary: str = "") -> None:
    FollowUpEvent.objects.create(
        proposal=proposal,
        action=action,
        summary=summary[:300],
        actor=actor if getattr(actor, "pk", None) else None,
    )


def _system_or(actor: Any, ability: str) -> None:
    if actor is not None:
        _require(actor, ability)


# --- Operations ----------------------------------------------------------------------------------


def do_answer_proposal(
    actor: Any, proposal: Proposal, *, decision: str, reasons: str
) -> ProposalAnswer:
    """Record (or correct) the Département's answer; a proposal adopted or transmitted
    moves to « répondue par le Département »."""
    _system_or(actor, "answer")
    if decision not in AnswerDecision.values:
        raise ValidationError(_("Choose whether the proposal is retained, partly or not."))
    reasons = _text(reasons, empty=_("Give the reasons of the answer."))
    by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        locked = Proposal.objects.select_for_update().get(pk=proposal.pk)
        answer, created = ProposalAnswer.objects.update_or_create(
            proposal=locked,
            defaults={"decision": decision, "reasons": reasons, "answered_by": by},
        )
        if locked.status in (ProposalStatus.ADOPTED, ProposalStatus.TRANSMITTED):
            ProposalTransition.objects.create(
                proposal=locked, from_status=locked.status, to_status=ProposalStatus.ANSWERED,
                by=by, note=_("Answer of the Département recorded."),
            )
            locked.status = ProposalStatus.ANSWERED
            locked.save(update_fields=["status", "updated_at"])
            proposal.status = locked.status
        _log(locked, "answer" if created else "answer_changed", actor,
             str(AnswerDecision(decision).label))
    return answer


def do_add_commitment(
    actor: Any, proposal: Proposal, *, title: str, service: str, owner: Any = None
) -> Commitment:
    _system_or(actor, "answer")
    title = _text(title, empty=_("Say what the Département commits to."), max_length=MAX_TITLE,
                  single_line=True)
    service = _text(service, empty=_("Name the service in charge."), max_length=MAX_SERVICE,
                    single_line=True)
    owner = _agent(owner)
    with transaction.atomic():
        commitment = Commitment.objects.create(
            proposal=proposal, title=title, service=service, owner=owner
        )
        if proposal.status == ProposalStatus.ANSWERED:
            Proposal.objects.filter(pk=proposal.pk).update(status=ProposalStatus.FOLLOW_UP)
            ProposalTransition.objects.create(
                proposal=proposal, from_status=ProposalStatus.ANSWERED,
                to_status=ProposalStatus.FOLLOW_UP,
                by=actor if getattr(actor, "pk", None) else None,
                note=_("First commitment recorded."),
            )
            proposal.status = ProposalStatus.FOLLOW_UP
        _log(proposal, "commitment", actor, f"{title} ({service})")
    return commitment


def _due(value: Any) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError as exc:
        raise ValidationError(_("Give the due date (day, month, year).")) from exc


def do_add_milestone(
    actor: Any, commitment: Commitment, *, title: str, due_date: Any,
    status: str = MilestoneStatus.UPCOMING,
) -> Milestone:
    _system_or(actor, "answer")
    title = _text(title, empty=_("Name the milestone."), max_length=MAX_TITLE, single_line=True)
    due = _due(due_date)
    if status not in MilestoneStatus.values:
        raise ValidationError(_("Choose the milestone's status."))
    with transaction.atomic():
        milestone = Milestone.objects.create(
            commitment=commitment, title=title, due_date=due, status=status
        )
        _log(commitment.proposal, "milestone", actor, f"{title} ({due.isoformat()})")
    return milestone


def do_set_milestone_status(actor: Any, milestone: Milestone, *, status: str) -> Milestone:
    _system_or(actor, "answer")
    if status not in MilestoneStatus.values:
        raise ValidationError(_("Choose the milestone's status."))
    with transaction.atomic():
        before = milestone.status
        milestone.status = status
        milestone.save(update_fields=["status", "updated_at"])
        if before != status:
            _log(milestone.commitment.proposal, "milestone_status", actor,
                 f"{milestone.title}: {MilestoneStatus(before).label} → "
                 f"{MilestoneStatus(status).label}")
    return milestone


def _attachment_limit() -> int:
    return int(settings.FORUMS_FILE_MAX_BYTES)


def _check_and_store(uploads: list[Any], stored: list[dict[str, Any]]) -> None:
    """The library's door for every file (type by content, size, names, zip bombs), then the
    antivirus when configured: an infected file, or one that cannot be scanned now, is
    refused (a progress update is shown at once, it cannot wait in quarantine)."""
    from documents import files
    from documents.models import ScanStatus

    storage = ProgressAttachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory(prefix="agora-followup-upload-") as tmp:
        for index, upload in enumerate(uploads):
            shown = files.sanitize_name(getattr(upload, "name", "") or "")
            directory = Path(tmp) / str(index)
            directory.mkdir()
            try:
                checked = files.check_upload(upload, directory, limit=_attachment_limit())
                status, _signature = files.scan_local(checked.path)
                if status == ScanStatus.INFECTED:
                    raise ValidationError(
                        _("The antivirus found a threat in this file: it was not sent."),
                        code="infected",
                    )
                if status == ScanStatus.PENDING:
                    raise ValidationError(
                        _("Files cannot be checked by the antivirus at the moment: try "
                          "again later."),
                        code="unavailable",
                    )
            except ValidationError as error:
                raise ValidationError(
                    _("« %(name)s »: %(reason)s")
                    % {"name": shown, "reason": " ".join(error.messages)},
                    code=error.code,
                ) from error
            with checked.path.open("rb") as fh:
                name = storage.save(f"followup/{uuid.uuid4().hex}", File(fh))
            stored.append({"file": name, "name": checked.name,
                           "content_type": checked.mime_type, "size": checked.size})


def do_post_update(
    actor: Any, proposal: Proposal, *, body: str, uploads: list[Any] | None = None,
    commitment: Commitment | None = None,
) -> ProgressUpdate:
    """A progress update with its files; nothing is kept when one file is refused."""
    _system_or(actor, "post_update")
    body = _text(body, empty=_("Write what has progressed."))
    uploads = [u for u in (uploads or []) if u]
    if len(uploads) > MAX_FILES:
        raise ValidationError(
            ngettext("You can send %(max)d file at a time.",
                     "You can send %(max)d files at a time.", MAX_FILES) % {"max": MAX_FILES}
        )
    if commitment is not None and commitment.proposal_id != proposal.pk:
        raise ValidationError(_("This commitment belongs to another proposal."))
    storage = ProgressAttachment._meta.get_field("file").storage  # type: ignore[attr-defined]
    stored: list[dict[str, Any]] = []
    try:
        _check_and_store(uploads, stored)
        with transaction.atomic():
            update = ProgressUpdate.objects.create(
                proposal=proposal, commitment=commitment, body=body,
                author=actor if getattr(actor, "pk", None) else None,
            )
            for item in stored:
                ProgressAttachment.objects.create(update=update, **item)
            _log(proposal, "update", actor, body[:120])
    except BaseException:
        for item in stored:
            storage.delete(item["file"])
        raise
    return update


def do_ask_question(
    actor: Any, proposal: Proposal, *, body: str, service: str, addressee: Any = None,
    base_url: str = "",
) -> CommitteeQuestion:
    """A question of the committee to a service (and optionally one of its agents): the
    agent asked — or every agent when none is named — is told in the page and by email."""
    _system_or(actor, "ask")
    body = _text(body, empty=_("Write your question."))
    service = _text(service, empty=_("Name the service you ask."), max_length=MAX_SERVICE,
                    single_line=True)
    addressee = _agent(addressee)
    with transaction.atomic():
        question = CommitteeQuestion.objects.create(
            proposal=proposal, service=service, addressee=addressee, body=body,
            author=actor if getattr(actor, "pk", None) else None,
        )
        _log(proposal, "question", actor, f"{service}: {body[:100]}")
        recipients = [addressee] if addressee is not None else list(agents())
        _tell(recipients, actor, proposal, VERB_QUESTION,
              _("A question of the follow-up committee about « %(title)s »")
              % {"title": proposal.title}, base_url)
    return question


def do_answer_question(
    actor: Any, question: CommitteeQuestion, *, answer: str, base_url: str = ""
) -> CommitteeQuestion:
    """The service's answer: the person who asked, and the committee, are told."""
    _system_or(actor, "answer_question")
    answer = _text(answer, empty=_("Write the answer."))
    with transaction.atomic():
        question.answer = answer
        question.answered_by = actor if getattr(actor, "pk", None) else None
        question.answered_at = timezone.now()
        question.save(update_fields=["answer", "answered_by", "answered_at"])
        _log(question.proposal, "question_answered", actor, question.body[:100])
        recipients = [question.author] if question.author is not None else []
        _tell(recipients, actor, question.proposal, VERB_ANSWER,
              _("Your question about « %(title)s » was answered")
              % {"title": question.proposal.title}, base_url)
    return question


def _tell(people: list[Any], actor: Any, proposal: Proposal, verb: str, subject: str,
          base_url: str) -> None:
    from notifications.actions import notify_many
    from notifications.models import Kind

    people = [p for p in people if p is not None and p.is_active and p != actor]
    notify_many(Kind.PROPOSAL_STAGE, people, actor=actor, verb=verb, proposal=proposal)
    link = (base_url or settings.AGORA_BASE_URL or "").rstrip("/") + reverse(
        "followup_proposal", args=[proposal.pk]
    )
    emails = [
        EmailMessage(
            subject=f"[{settings.AGORA_SITE_NAME}] {subject}",
            body=_("%(subject)s.\n\nRead it and answer on the platform:\n%(link)s\n")
            % {"subject": subject, "link": link},
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[p.email],
        )
        for p in people
        if p.email
    ]
    if emails:
        transaction.on_commit(lambda: _send(emails))


def _send(emails: list[EmailMessage]) -> None:
    from django.core.mail import get_connection

    from config.logs import mail_failure

    try:
        get_connection().send_messages(emails)
    except OSError:
        mail_failure(logger, "could not send %s follow-up email(s)", len(emails))


# --- Public page ---------------------------------------------------------------------------------


def public_enabled(assembly: Assembly | None) -> bool:
    if assembly is None:
        return False
    return FollowUpPublication.objects.filter(assembly=assembly, enabled=True).exists()


def do_set_public(actor: Any, assembly: Assembly, *, enabled: bool) -> FollowUpPublication:
    _system_or(actor, "publish")
    with transaction.atomic():
        publication, _created = FollowUpPublication.objects.update_or_create(
            assembly=assembly, defaults={"enabled": enabled}
        )
    return publication


# --- Progress, for the pages, the état des lieux and its charts -------------------------------

# The order in which the charts and tables show the statuses.
CHART_STATUSES: list[tuple[str, Any, str]] = [
    (MilestoneStatus.DONE, MilestoneStatus.DONE.label, "#1b7f3b"),
    (MilestoneStatus.IN_PROGRESS, MilestoneStatus.IN_PROGRESS.label, "#1f5fbf"),
    (MilestoneStatus.UPCOMING, MilestoneStatus.UPCOMING.label, "#5d6b7a"),
    (LATE, None, "#b3261e"),
    (MilestoneStatus.ABANDONED, MilestoneStatus.ABANDONED.label, "#6b4f2a"),
]


def status_label(code: str) -> str:
    if code == LATE:
        return _("late")
    return str(MilestoneStatus(code).label)


@dataclass
class ProposalProgress:
    proposal: Proposal
    commitments: list[Commitment]
    counts: dict[str, int]
    updates: list[ProgressUpdate] = field(default_factory=list)
    questions: list[CommitteeQuestion] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def done_percent(self) -> int:
        live = self.total - self.counts.get(MilestoneStatus.ABANDONED, 0)
        return round(100 * self.counts.get(MilestoneStatus.DONE, 0) / live) if live else 0


@dataclass
class MandateProgress:
    mandate: Mandate
    proposals: list[ProposalProgress]

    @property
    def counts(self) -> dict[str, int]:
        total = {code: 0 for code, _label, _colour in CHART_STATUSES}
        for item in self.proposals:
            for code, n in item.counts.items():
                total[code] += n
        return total


def progress(today: dt.date | None = None, *, with_details: bool = True) -> list[MandateProgress]:
    """Every followed proposal with its commitments, milestones counted by shown status
    (late computed), grouped by mandate."""
    today = today or timezone.localdate()
    proposals = list(followed_proposals().prefetch_related("commitments__milestones"))
    ids = [p.pk for p in proposals]
    updates: dict[Any, list[ProgressUpdate]] = {}
    questions: dict[Any, list[CommitteeQuestion]] = {}
    if with_details:
        for u in ProgressUpdate.objects.filter(proposal_id__in=ids).prefetch_related(
            "attachments"
        ):
            updates.setdefault(u.proposal_id, []).append(u)
        for q in CommitteeQuestion.objects.filter(proposal_id__in=ids):
            questions.setdefault(q.proposal_id, []).append(q)
    groups: dict[Any, MandateProgress] = {}
    for proposal in proposals:
        counts = {code: 0 for code, _label, _colour in CHART_STATUSES}
        commitments = list(proposal.commitments.all())
        for commitment in commitments:
            for milestone in commitment.milestones.all():
                counts[milestone.shown_status(today)] += 1
        group = groups.setdefault(proposal.mandate_id, MandateProgress(proposal.mandate, []))
        group.proposals.append(
            ProposalProgress(proposal, commitments, counts, updates.get(proposal.pk, []),
                             questions.get(proposal.pk, []))
        )
    return list(groups.values())


def answer_of(proposal: Proposal) -> ProposalAnswer | None:
    try:
        return proposal.answer
    except ProposalAnswer.DoesNotExist:
        return None
