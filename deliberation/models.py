"""Proposals and their live drafts (the assembly's institution is in ``assembly``)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import ASSEMBLY_ROLES, SPEAKER_ROLES, Role, user_roles
from assembly.models import Mandate, Subgroup, TimeStamped

# --- Proposals and their live drafts -------------------------------------------------------


def person_link(verbose_name: Any, related_name: str = "+") -> Any:
    """Who did something: kept when the person goes (null), pseudonymised on erasure."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name=related_name,
        verbose_name=verbose_name,
    )


class ProposalStatus(models.TextChoices):
    DRAFT = "brouillon", _("draft")
    REVIEW = "relecture", _("in review")
    SUBMITTED = "soumise", _("submitted to the plenary")
    ADOPTED = "adoptee", _("adopted")
    NOT_RETAINED = "non_retenue", _("not retained")
    TRANSMITTED = "transmise", _("sent to the President")
    ANSWERED = "reponse", _("answered by the Département")
    FOLLOW_UP = "suivi", _("in follow-up")


# Statuses whose draft is frozen on entering them (a facilitator may reopen it).
FROZEN_STATUSES = frozenset(
    {
        ProposalStatus.SUBMITTED,
        ProposalStatus.ADOPTED,
        ProposalStatus.NOT_RETAINED,
        ProposalStatus.TRANSMITTED,
        ProposalStatus.ANSWERED,
        ProposalStatus.FOLLOW_UP,
    }
)


# Who moves a proposal from one status to another. "writer": a member or facilitator of the
# proposal's subgroup; "facilitator": a facilitator of the subgroup or the DCCU; "dccu".
S = ProposalStatus
TRANSITIONS: dict[str, dict[str, str]] = {
    S.DRAFT: {S.REVIEW: "writer"},
    S.REVIEW: {S.DRAFT: "writer", S.SUBMITTED: "facilitator"},
    S.SUBMITTED: {S.ADOPTED: "facilitator", S.NOT_RETAINED: "facilitator", S.REVIEW: "facilitator"},
    S.NOT_RETAINED: {S.DRAFT: "facilitator"},
    S.ADOPTED: {S.TRANSMITTED: "dccu"},
    S.TRANSMITTED: {S.ANSWERED: "dccu"},
    S.ANSWERED: {S.FOLLOW_UP: "dccu"},
    S.FOLLOW_UP: {},
}


class Proposal(TimeStamped):
    """A proposal of a subgroup, written together in its draft, then carried by the plenary."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("mandate")
    )
    subgroup = models.ForeignKey(
        Subgroup, on_delete=models.PROTECT, related_name="proposals", verbose_name=_("subgroup")
    )
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=ProposalStatus.choices, default=ProposalStatus.DRAFT
    )
    position = models.PositiveIntegerField(_("position in the report"), default=0)
    created_by = person_link(_("created by"))

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["mandate", "position", "created_at"]

    def __str__(self) -> str:
        return self.title

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """docs/permissions.md, « Propositions »; ``readable_proposals`` lists the proposals
        whose ``read`` is true.

        read: see the proposal, its draft, versions, comments, exports.
        write: one of its writers (a member or facilitator of its subgroup).
        edit: write in the draft (writers while it is not frozen).
        comment: add comments and replies, resolve them.
        suggest: suggest changes in the draft (tracked changes): its editors, and its
            readers when the subgroup allows readers' suggestions; only editors accept them.
        facilitate: freeze and reopen, named versions, restore, projection, who is connected.
        transition: move it to another status now (which ones: ``allowed_transitions``).
        """
        return self._abilities_and_transitions(user)[0]

    def allowed_transitions(self, user: Any) -> list[str]:
        """The statuses ``user`` may move the proposal to now (``TRANSITIONS``)."""
        return self._abilities_and_transitions(user)[1]

    def _abilities_and_transitions(self, user: Any) -> tuple[dict[str, bool], list[str]]:
        roles = user_roles(user)
        none = dict.fromkeys(
            ("read", "write", "edit", "suggest", "comment", "facilitate", "transition"), False
        )
        if not roles:
            return none, []
        subgroup = self.subgroup
        is_member = subgroup.members.filter(pk=user.pk).exists()
        is_facilitator = subgroup.facilitators.filter(pk=user.pk).exists()
        if not (is_member or is_facilitator or roles & ASSEMBLY_ROLES):
            return none, []
        writer = is_member or is_facilitator
        facilitate = is_facilitator or Role.DCCU in roles
        who = {"writer": writer, "facilitator": facilitate, "dccu": Role.DCCU in roles}
        transitions = [
            target for target, needs in TRANSITIONS.get(self.status, {}).items() if who[needs]
        ]
        frozen = self._draft_frozen()
        return {
            "read": True,
            "write": writer,
            "edit": writer and not frozen,
            "suggest": not frozen and (writer or subgroup.reader_suggestions),
            "comment": writer or facilitate or bool(roles & SPEAKER_ROLES),
            "facilitate": facilitate,
            "transition": bool(transitions),
        }, transitions

    def _draft_frozen(self) -> bool:
        """Whether the draft is frozen, without loading its content when it is not at hand
        (a proposal without a draft is read only)."""
        if Proposal.draft.is_cached(self):
            draft = getattr(self, "draft", None)
            return draft.frozen if draft is not None else True
        frozen = Draft.objects.filter(proposal=self).values_list("frozen", flat=True).first()
        return True if frozen is None else frozen


class ProposalTransition(models.Model):
    """One change of status of a proposal: who, when, from what to what (never edited)."""

    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("proposal")
    )
    from_status = models.CharField(_("from"), max_length=20, choices=ProposalStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=ProposalStatus.choices)
    by = person_link(_("by"))
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.proposal}: {self.from_status} → {self.to_status}"


class Draft(models.Model):
    """The Yjs document of a proposal: a compacted snapshot plus the updates appended since.

    The document's state is `snapshot` merged with every `DraftUpdate` of the draft, in any
    order (Yjs updates commute). See `deliberation/drafts.py` and docs/protocol.md.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.OneToOneField(
        Proposal, on_delete=models.CASCADE, related_name="draft", verbose_name=_("proposal")
    )
    snapshot = models.BinaryField(_("snapshot"), default=b"")
    frozen = models.BooleanField(_("frozen"), default=False)
    # Who froze it last, and when: the page says so, and whom to ask to reopen it.
    frozen_by = person_link(_("frozen by"))
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    last_edit_at = models.DateTimeField(_("last edit"), null=True, blank=True)
    compacted_at = models.DateTimeField(_("compacted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("draft")
        verbose_name_plural = _("drafts")

    def __str__(self) -> str:
        return str(self.proposal)

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """Its proposal's abilities (the draft is where ``edit`` happens)."""
        return self.proposal.get_abilities(user)


class DraftUpdate(models.Model):
    """One Yjs update accepted by the server, stored before it is relayed to anyone."""

    id = models.BigAutoField(primary_key=True)
    draft = models.ForeignKey(
        Draft, on_delete=models.CASCADE, related_name="updates", verbose_name=_("draft")
    )
    data = models.BinaryField(_("data"))
    author = person_link(_("author"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("draft update")
        verbose_name_plural = _("draft updates")
        indexes = [models.Index(fields=["draft", "id"], name="draftupdate_draft_id")]

    def __str__(self) -> str:
        return f"{self.draft_id} #{self.pk}"


class VersionKind(models.TextChoices):
    AUTO = "auto", _("automatic (after a pause)")
    NAMED = "named", _("named")
    STATUS = "status", _("change of status")
    RESTORE = "restore", _("restoration")


class DraftVersion(models.Model):
    """A frozen copy of the draft's full state, with the people who wrote since the last one."""

    draft = models.ForeignKey(
        Draft, on_delete=models.CASCADE, related_name="versions", verbose_name=_("draft")
    )
    number = models.PositiveIntegerField(_("number"))
    kind = models.CharField(_("kind"), max_length=10, choices=VersionKind.choices)
    name = models.CharField(_("name"), max_length=200, blank=True)
    state = models.BinaryField(_("state"))
    text = models.TextField(_("text"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = person_link(_("created by"))
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("authors")
    )

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        ordering = ["draft", "number"]
        constraints = [
            models.UniqueConstraint(fields=["draft", "number"], name="draftversion_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.draft} v{self.number}"


class DraftContribution(models.Model):
    """Someone wrote in the draft since its last version (`version` null) or in `version`."""

    draft = models.ForeignKey(
        Draft, on_delete=models.CASCADE, related_name="contributions", verbose_name=_("draft")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="draft_contributions",
        verbose_name=_("person"),
    )
    version = models.ForeignKey(
        DraftVersion, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        constraints = [
            models.UniqueConstraint(
                fields=["draft", "user"],
                condition=Q(version__isnull=True),
                name="draftcontribution_one_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.draft_id} / {self.user_id}"


class DraftComment(models.Model):
    """A comment anchored to a passage of the draft (Yjs relative positions), or a reply."""

    draft = models.ForeignKey(
        Draft, on_delete=models.CASCADE, related_name="comments", verbose_name=_("draft")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("in reply to"),
    )
    author = person_link(_("author"), related_name="draft_comments")
    body = models.TextField(_("comment"))
    # {"start": <Y.RelativePosition JSON>, "end": <…>} — set on the thread's first comment.
    anchor = models.JSONField(_("anchor"), null=True, blank=True)
    quote = models.CharField(_("quoted passage"), max_length=300, blank=True)
    resolved = models.BooleanField(_("resolved"), default=False)
    resolved_by = person_link(_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.draft_id} #{self.pk}"


# --- Follow-up of adopted proposals (comité de suivi) -------------------------------------
# docs/permissions.md, « Suivi des propositions »; operations in deliberation/followup.py.

# Proposals the plenary adopted: the ones the Département answers and the committee follows.
FOLLOWED_STATUSES = (
    ProposalStatus.ADOPTED,
    ProposalStatus.TRANSMITTED,
    ProposalStatus.ANSWERED,
    ProposalStatus.FOLLOW_UP,
)


class AnswerDecision(models.TextChoices):
    RETAINED = "retenue", _("retained")
    PARTLY = "partielle", _("partly retained")
    NOT_RETAINED = "non_retenue", _("not retained")


class ProposalAnswer(models.Model):
    """The Département's official answer to an adopted proposal (written by the DCCU or an
    agent on behalf of the President); one per proposal, edited in place, history kept in
    ``FollowUpEvent``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.OneToOneField(
        Proposal, on_delete=models.CASCADE, related_name="answer", verbose_name=_("proposal")
    )
    decision = models.CharField(_("decision"), max_length=20, choices=AnswerDecision.choices)
    reasons = models.TextField(_("reasons"))
    answered_by = person_link(_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("answer of the Département")
        verbose_name_plural = _("answers of the Département")

    def __str__(self) -> str:
        return f"{self.proposal}: {self.decision}"


class Commitment(models.Model):
    """Something the Département commits to do for a proposal, owned by one of its services
    (and, inside the page only, optionally by an agent: never shown publicly)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="commitments", verbose_name=_("proposal")
    )
    title = models.CharField(_("commitment"), max_length=300)
    service = models.CharField(_("service in charge"), max_length=200)
    owner = person_link(_("agent in charge"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("commitment")
        verbose_name_plural = _("commitments")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class MilestoneStatus(models.TextChoices):
    UPCOMING = "a_venir", _("upcoming")
    IN_PROGRESS = "en_cours", _("in progress")
    DONE = "fait", _("done")
    ABANDONED = "abandonne", _("abandoned")


# Shown, never stored: an upcoming or ongoing milestone past its due date.
LATE = "en_retard"
OPEN_MILESTONE_STATUSES = frozenset({MilestoneStatus.UPCOMING, MilestoneStatus.IN_PROGRESS})


class Milestone(models.Model):
    """A dated step of a commitment."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    commitment = models.ForeignKey(
        Commitment, on_delete=models.CASCADE, related_name="milestones",
        verbose_name=_("commitment"),
    )
    title = models.CharField(_("milestone"), max_length=300)
    due_date = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=20, choices=MilestoneStatus.choices,
        default=MilestoneStatus.UPCOMING,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["due_date", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MilestoneStatus.values), name="milestone_known_status"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_late(self, today: Any = None) -> bool:
        today = today or timezone.localdate()
        return self.status in OPEN_MILESTONE_STATUSES and self.due_date < today

    def shown_status(self, today: Any = None) -> str:
        """The stored status, or ``LATE`` when it is open past its due date."""
        return LATE if self.is_late(today) else self.status


class ProgressUpdate(models.Model):
    """News of the work on a proposal, posted by an agent (with files)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="progress_updates",
        verbose_name=_("proposal"),
    )
    commitment = models.ForeignKey(
        Commitment, on_delete=models.SET_NULL, null=True, blank=True, related_name="updates",
        verbose_name=_("commitment"),
    )
    body = models.TextField(_("progress"))
    author = person_link(_("author"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.proposal} — {self.created_at:%Y-%m-%d}"


def progress_file_path(instance: ProgressAttachment, filename: str) -> str:
    # Random names: the original name is kept in `name`, never used on disk.
    return f"followup/{uuid.uuid4().hex}"


class ProgressAttachment(models.Model):
    """A file of a progress update, checked by the library's door (documents.files)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    update = models.ForeignKey(
        ProgressUpdate, on_delete=models.CASCADE, related_name="attachments",
        verbose_name=_("progress update"),
    )
    file = models.FileField(_("file"), upload_to=progress_file_path)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attachment of a progress update")
        verbose_name_plural = _("attachments of progress updates")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class CommitteeQuestion(models.Model):
    """A question of the follow-up committee to a service about a proposal, answered here."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="committee_questions",
        verbose_name=_("proposal"),
    )
    service = models.CharField(_("service asked"), max_length=200)
    addressee = person_link(_("agent asked"))
    body = models.TextField(_("question"))
    author = person_link(_("asked by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = person_link(_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("question of the follow-up committee")
        verbose_name_plural = _("questions of the follow-up committee")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.body[:60]


class FollowUpAction(models.TextChoices):
    ANSWER = "answer", _("answer of the Département recorded")
    ANSWER_CHANGED = "answer_changed", _("answer of the Département corrected")
    COMMITMENT = "commitment", _("commitment added")
    MILESTONE = "milestone", _("milestone added")
    MILESTONE_STATUS = "milestone_status", _("milestone's status changed")
    UPDATE = "update", _("progress update published")
    QUESTION = "question", _("question of the committee")
    QUESTION_ANSWERED = "question_answered", _("question answered")


class FollowUpEvent(models.Model):
    """One change in a proposal's follow-up: who, when, what (never edited)."""

    id = models.BigAutoField(primary_key=True)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="followup_events",
        verbose_name=_("proposal"),
    )
    action = models.CharField(_("action"), max_length=40, choices=FollowUpAction.choices)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    actor = person_link(_("by"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("follow-up change")
        verbose_name_plural = _("follow-up changes")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.action}"


class FollowUpPublication(models.Model):
    """Whether the public follow-up page of an assembly is on (off until the DCCU says)."""

    assembly = models.OneToOneField(
        "assembly.Assembly", on_delete=models.CASCADE, related_name="followup_publication",
        verbose_name=_("assembly"),
    )
    enabled = models.BooleanField(_("public page enabled"), default=False)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("publication of the follow-up")
        verbose_name_plural = _("publications of the follow-up")

    def __str__(self) -> str:
        return f"{self.assembly_id}: {self.enabled}"
