"""The plenary's decisions: votes and their ballots, amendments, minority views.

Secret ballots: ``Participation`` records that a person voted, ``SecretBallot`` what was
voted, with nothing in common but the vote: no foreign key to the person or to the
participation, no timestamp, no ordering id (a random UUID), and the urn is shuffled when
the vote closes so that not even the rows' physical order follows the order of arrival.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.roles import ASSEMBLY_ROLES, MODERATOR_ROLES, user_roles
from assembly.models import Assembly, Mandate, TimeStamped
from deliberation.models import Proposal, person_link


class VoteMethod(models.TextChoices):
    MAJORITY = "majorite", _("simple majority (for / against / abstention)")
    APPROVAL = "approbation", _("approval voting")
    JUDGMENT = "jugement", _("majority judgment")
    CONSENT = "consentement", _("consent (support / reservation / objection)")


class VoteStatus(models.TextChoices):
    PREPARED = "preparation", _("being prepared")
    OPEN = "ouvert", _("open")
    CLOSED = "clos", _("closed")


class MajorityRule(models.TextChoices):
    SIMPLE = "simple", _("more « for » than « against » (abstentions do not count)")
    ABSOLUTE = "absolue", _("more than half of the ballots cast (abstentions count)")
    TWO_THIRDS = "deux_tiers", _("two thirds of the « for » and « against »")


class VotingRules(models.Model):
    """The assembly's quorum and majority, told in plain words on every vote page."""

    assembly = models.OneToOneField(
        Assembly,
        on_delete=models.CASCADE,
        related_name="voting_rules",
        verbose_name=_("assembly"),
    )
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (percentage of the voters who may vote)"),
        default=50,
    )
    majority = models.CharField(
        _("majority"), max_length=12, choices=MajorityRule.choices, default=MajorityRule.SIMPLE
    )

    class Meta:
        verbose_name = _("voting rules")
        verbose_name_plural = _("voting rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(quorum_percent__lte=100), name="votingrules_quorum_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return str(self.assembly)


class Vote(TimeStamped):
    """A vote of the plenary: its question, options and method, who may vote, the result.

    ``session_id`` is the hook for the plenary sessions of a later issue (a vote will then
    belong to a session); today a vote belongs to the mandate's plenary room.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mandate = models.ForeignKey(
        Mandate, on_delete=models.PROTECT, related_name="votes", verbose_name=_("mandate")
    )
    room = models.ForeignKey(
        "forums.Room",
        on_delete=models.PROTECT,
        related_name="votes",
        verbose_name=_("plenary room"),
    )
    session_id = models.UUIDField(_("session"), null=True, blank=True)
    proposal = models.ForeignKey(
        Proposal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="votes",
        verbose_name=_("proposal"),
    )
    amendment = models.OneToOneField(
        "decisions.Amendment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="vote",
        verbose_name=_("amendment"),
    )
    question = models.CharField(_("question"), max_length=300)
    method = models.CharField(_("method"), max_length=12, choices=VoteMethod.choices)
    secret = models.BooleanField(_("secret ballot"), default=True)
    present_only = models.BooleanField(
        _("only the members present in the plenary's call"), default=False
    )
    status = models.CharField(
        _("status"), max_length=12, choices=VoteStatus.choices, default=VoteStatus.PREPARED
    )
    created_by = person_link(_("created by"))
    opened_by = person_link(_("opened by"))
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_by = person_link(_("closed by"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    eligible_count = models.PositiveIntegerField(_("voters who may vote"), default=0)
    # The count made at closing (decisions.counting), kept as the record of the decision.
    result = models.JSONField(_("result"), null=True, blank=True)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.question

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """docs/permissions.md, « Votes ».

        read: see the vote, its live count and, once closed, its result.
        vote: cast a ballot now (open, on the list of voters, not voted yet).
        manage: open, close, record a show of hands (facilitators, the DCCU).
        """
        none = {"read": False, "vote": False, "manage": False}
        if user is None or not getattr(user, "is_authenticated", False):
            return none
        roles = user_roles(user)
        if not roles & ASSEMBLY_ROLES:
            return none
        may_vote = (
            self.status == VoteStatus.OPEN
            and not self._state.adding
            and self.voters.filter(user=user).exists()
            and not self.participations.filter(user=user).exists()
        )
        return {"read": True, "vote": may_vote, "manage": bool(roles & MODERATOR_ROLES)}

    @property
    def is_open(self) -> bool:
        return self.status == VoteStatus.OPEN


class VoteOption(models.Model):
    """One choice of a vote (for / against / abstention, a candidate text…)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(
        Vote, on_delete=models.CASCADE, related_name="options", verbose_name=_("vote")
    )
    label = models.CharField(_("label"), max_length=200)
    # A machine code for the fixed choices ("pour", "objection"…), empty for free ones.
    code = models.CharField(_("code"), max_length=20, blank=True)
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["vote", "position"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "position"], name="voteoption_position"),
        ]

    def __str__(self) -> str:
        return self.label


class Voter(models.Model):
    """Someone who may vote in this vote: the list is drawn when the vote opens."""

    vote = models.ForeignKey(
        Vote, on_delete=models.CASCADE, related_name="voters", verbose_name=_("vote")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("person"),
    )

    class Meta:
        verbose_name = _("voter")
        verbose_name_plural = _("voters")
        constraints = [
            models.UniqueConstraint(fields=["vote", "user"], name="voter_once_per_vote"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id} / {self.user_id}"


class Participation(models.Model):
    """That a person voted (the constraint makes a second ballot impossible, even raced).

    For a public ballot ``content`` holds what they voted; for a secret one it stays empty
    and the ballot is a ``SecretBallot`` that nothing links back here. No timestamp: the
    time of a participation could be matched with the order of the secret ballots."""

    vote = models.ForeignKey(
        Vote, on_delete=models.CASCADE, related_name="participations", verbose_name=_("vote")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    content = models.JSONField(_("public ballot"), null=True, blank=True)

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["vote", "user"], name="participation_once_per_vote"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id} / {self.user_id}"


class SecretBallot(models.Model):
    """What someone voted in a secret vote, and nothing about who or when."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(
        Vote, on_delete=models.CASCADE, related_name="secret_ballots", verbose_name=_("vote")
    )
    content = models.JSONField(_("ballot"))

    class Meta:
        verbose_name = _("secret ballot")
        verbose_name_plural = _("secret ballots")

    def __str__(self) -> str:
        return str(self.vote_id)


class AmendmentKind(models.TextChoices):
    REPLACE = "remplacer", _("replace the passage")
    ADD = "ajouter", _("add after the passage")
    DELETE = "supprimer", _("delete the passage")


class AmendmentStatus(models.TextChoices):
    FILED = "depose", _("filed, awaiting the subgroup's answer")
    ACCEPTED = "accepte", _("accepted into the text")
    MERGED = "fusionne", _("merged into the text, reworded")
    REJECTED = "rejete", _("rejected by the subgroup")
    CONTESTED = "conteste", _("maintained: goes to a plenary vote")
    ADOPTED = "adopte", _("adopted by the plenary")
    DEFEATED = "repousse", _("rejected by the plenary")


# Amendments whose text goes into the proposal.
APPLIED_STATUSES = frozenset(
    {AmendmentStatus.ACCEPTED, AmendmentStatus.MERGED, AmendmentStatus.ADOPTED}
)


class Amendment(models.Model):
    """A targeted change to a passage of a proposal submitted to the plenary."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    proposal = models.ForeignKey(
        Proposal, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("proposal")
    )
    number = models.PositiveIntegerField(_("number"))
    author = person_link(_("author"))
    kind = models.CharField(_("kind"), max_length=10, choices=AmendmentKind.choices)
    quote = models.TextField(_("quoted passage"))
    text = models.TextField(_("new text"), blank=True)
    rationale = models.TextField(_("rationale"))
    status = models.CharField(
        _("status"), max_length=10, choices=AmendmentStatus.choices, default=AmendmentStatus.FILED
    )
    answer = models.TextField(_("the subgroup's answer"), blank=True)
    # What the subgroup put in the text instead of ``text`` (merged).
    merged_text = models.TextField(_("text as merged"), blank=True)
    answered_by = person_link(_("answered by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The draft's version that carries it, once it is in the text.
    version_number = models.PositiveIntegerField(_("version"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["proposal", "number"]
        constraints = [
            models.UniqueConstraint(fields=["proposal", "number"], name="amendment_number"),
        ]

    def __str__(self) -> str:
        return f"{self.proposal} — n° {self.number}"

    def get_abilities(self, user: Any) -> dict[str, bool]:
        """docs/permissions.md, « Amendements ».

        read: whoever reads the proposal.
        answer: the subgroup's writers and facilitators, while it awaits an answer.
        contest: its author, once the subgroup rejected it.
        """
        none = {"read": False, "answer": False, "contest": False}
        if user is None or not getattr(user, "is_authenticated", False) or self.proposal_id is None:
            return none
        proposal = self.proposal.get_abilities(user)
        if not proposal["read"]:
            return none
        return {
            "read": True,
            "answer": (proposal["write"] or proposal["facilitate"])
            and self.status == AmendmentStatus.FILED,
            "contest": self.author_id == user.pk and self.status == AmendmentStatus.REJECTED,
        }


class MinorityView(models.Model):
    """A short « avis minoritaire » of someone who voted against or objected."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    vote = models.ForeignKey(
        Vote, on_delete=models.CASCADE, related_name="minority_views", verbose_name=_("vote")
    )
    author = person_link(_("author"))
    text = models.TextField(_("minority view"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("minority view")
        verbose_name_plural = _("minority views")
        ordering = ["vote", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["vote", "author"], name="minorityview_one_per_author"),
        ]

    def __str__(self) -> str:
        return f"{self.vote_id} / {self.author_id}"
