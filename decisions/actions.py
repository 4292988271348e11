"""The plenary's votes: who may vote, casting a ballot, closing and counting, minority views.

Each operation checks who acts, validates with a French message, writes in a transaction
and tells the sockets watching the vote after commit (``decisions.events``). A proposal's
status follows its vote through ``deliberation.proposals.do_transition``.
"""

from __future__ import annotations

import contextvars
import random
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.roles import MODERATOR_ROLES, Role, user_roles
from assembly.models import Membership, MembershipKind
from decisions import counting
from decisions.events import VoteClosedEvent, VoteCountEvent, VoteOpenedEvent, vote_group
from decisions.models import (
    MajorityRule,
    Participation,
    SecretBallot,
    Vote,
    VoteMethod,
    VoteOption,
    Voter,
    VoteStatus,
    VotingRules,
)
from deliberation.models import ProposalStatus
from notifications.actions import notify_many
from notifications.models import Kind
from realtime.bus import send_event_on_commit

MAX_QUESTION = 300
MAX_OPTION = 200
MAX_OPTIONS = 12
MAX_MINORITY_VIEW = 1500

# The fixed choices of two methods: (code, label in the assembly's language).
FIXED_OPTIONS = {
    VoteMethod.MAJORITY: (("pour", "Pour"), ("contre", "Contre"), ("abstention", "Abstention")),
    VoteMethod.CONSENT: (
        ("soutien", "Soutien"),
        ("reserve", "Réserve"),
        ("objection", "Objection"),
    ),
}


def _is_uuid(value: Any) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


# --- Access --------------------------------------------------------------------------------


def access_vote(user: Any, vote_id: Any) -> Vote:
    """The vote; 404 when it is missing or may not be read (the same answer)."""
    vote = (
        Vote.objects.select_related("mandate__assembly", "proposal", "room")
        .filter(pk=vote_id)
        .first()
        if _is_uuid(vote_id)
        else None
    )
    if vote is None or not vote.get_abilities(user)["read"]:
        raise Http404
    return vote


def readable_votes(user: Any) -> Any:
    """The votes `user` may read (the plenary's: everyone of the assembly)."""
    from accounts.roles import ASSEMBLY_ROLES

    if not user_roles(user) & ASSEMBLY_ROLES:
        return Vote.objects.none()
    return Vote.objects.select_related("mandate", "proposal")


def may_manage(user: Any) -> bool:
    """Facilitators and the DCCU prepare, open and close the plenary's votes."""
    return user is None or bool(user_roles(user) & MODERATOR_ROLES)


# --- Rules ------------------------------------------------------------------------------------


def voting_rules(assembly: Any) -> VotingRules:
    rules, _created = VotingRules.objects.get_or_create(assembly=assembly)
    return rules


def rules_text(vote: Vote) -> list[str]:
    """The rules of this vote in plain French: who votes, the quorum, what carries."""
    rules = voting_rules(vote.mandate.assembly)
    lines = []
    if vote.present_only:
        lines.append(
            _("Who votes: the full members present in the plenary's call when the vote opened.")
        )
    else:
        lines.append(_("Who votes: every full member of the assembly (substitutes do not vote)."))
    if rules.quorum_percent:
        lines.append(
            _(
                "Quorum: the vote counts only if at least %(percent)d %% of those who "
                "may vote take part."
            )
            % {"percent": rules.quorum_percent}
        )
    if vote.method == VoteMethod.MAJORITY:
        lines.append(
            {
                MajorityRule.SIMPLE: _(
                    "Majority: adopted if there are more « for » than "
                    "« against »; abstentions do not count."
                ),
                MajorityRule.ABSOLUTE: _(
                    "Majority: adopted if more than half of the ballots "
                    "are « for »; abstentions count as ballots."
                ),
                MajorityRule.TWO_THIRDS: _(
                    "Majority: adopted if at least two thirds of the "
                    "« for » and « against » are « for »."
                ),
            }[MajorityRule(rules.majority)]
        )
    elif vote.method == VoteMethod.APPROVAL:
        lines.append(
            _(
                "Approval: tick every option you accept. The option ticked most "
                "wins; for a proposal, it must be ticked by more than half of the "
                "voters."
            )
        )
    elif vote.method == VoteMethod.JUDGMENT:
        lines.append(
            _(
                "Majority judgment: give each option a grade, from « Très bien » to "
                "« À rejeter ». Each option gets the grade that a majority gives it at "
                "least (its median grade); the best median wins. If two options have "
                "the same, the one with more grades above it wins (Balinski and "
                "Laraki's rule). A proposal needs at least « Passable »."
            )
        )
    else:
        lines.append(
            _(
                "Consent: say « soutien », « réserve » or « objection ». Adopted "
                "when nobody objects; a reservation does not block."
            )
        )
    lines.append(
        _(
            "Secret ballot: the platform records that you voted, and separately what "
            "was voted, with no link between the two — nobody, not even the DCCU, can "
            "know what you voted."
        )
        if vote.secret
        else _("Public ballot: everyone can see who voted what once the vote is closed.")
    )
    lines.append(_("The result is shown when the vote closes, not before."))
    return lines


# --- Preparing and opening ---------------------------------------------------------------------


def plenary_room(mandate: Any) -> Any:
    from forums.actions import ensure_rooms
    from forums.models import Room, RoomKind

    ensure_rooms(mandate)
    return Room.objects.get(mandate=mandate, kind=RoomKind.PLENARY)


def do_create_vote(
    actor: Any,
    mandate: Any,
    question: str,
    method: str,
    *,
    options: list[str] | None = None,
    secret: bool = True,
    present_only: bool = False,
    proposal: Any = None,
    amendment: Any = None,
) -> Vote:
    """A vote of the mandate's plenary, being prepared (nobody votes until it opens)."""
    if not may_manage(actor):
        raise PermissionDenied(_("Only facilitators and the DCCU prepare the plenary's votes."))
    question = " ".join((question or "").split())
    if not question:
        raise ValidationError(_("Write the question put to the vote."))
    if len(question) > MAX_QUESTION:
        raise ValidationError(
            _("The question is too long (%(max)d characters at most).") % {"max": MAX_QUESTION}
        )
    if method not in VoteMethod.values:
        raise ValidationError(_("Choose how the plenary votes."))
    if method in FIXED_OPTIONS:
        choices = [(code, label) for code, label in FIXED_OPTIONS[VoteMethod(method)]]
    else:
        labels = [" ".join(o.split()) for o in (options or []) if o and o.strip()]
        if len(labels) < (1 if method == VoteMethod.JUDGMENT else 2):
            raise ValidationError(
                _("Give at least two options (one is enough for a majority judgment).")
            )
        if len(labels) > MAX_OPTIONS or any(len(label) > MAX_OPTION for label in labels):
            raise ValidationError(
                _("At most %(n)d options of %(max)d characters each.")
                % {"n": MAX_OPTIONS, "max": MAX_OPTION}
            )
        if len(set(labels)) != len(labels):
            raise ValidationError(_("Two options have the same wording."))
        choices = [("", label) for label in labels]
    if proposal is not None and proposal.mandate_id != mandate.pk:
        raise ValidationError(_("This proposal belongs to another mandate."))
    by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        vote = Vote.objects.create(
            mandate=mandate,
            room=plenary_room(mandate),
            question=question,
            method=method,
            secret=bool(secret),
            present_only=bool(present_only),
            proposal=proposal,
            amendment=amendment,
            created_by=by,
        )
        VoteOption.objects.bulk_create(
            VoteOption(vote=vote, code=code, label=label, position=position)
            for position, (code, label) in enumerate(choices, 1)
        )
    return vote


def eligible_users(vote: Vote) -> list[Any]:
    """Who may vote now: the assembly's full members, and with « présents seulement » only
    those in the plenary room's live call."""
    from accounts.models import User

    people = User.objects.filter(
        is_active=True,
        pk__in=Membership.objects.current()
        .filter(kind=MembershipKind.TITULAIRE, seat__assembly=vote.mandate.assembly)
        .values("user_id"),
    )
    if vote.present_only:
        from calls.models import CallParticipation

        people = people.filter(
            pk__in=CallParticipation.objects.filter(
                call__room=vote.room,
                call__ended_at__isnull=True,
                call__label="",
                left_at__isnull=True,
            ).values("user_id")
        )
    return list(people.order_by("pk"))


def do_open_vote(actor: Any, vote: Vote) -> Vote:
    """Open the vote: draw its list of voters, tell them, and start the live count."""
    if not may_manage(actor):
        raise PermissionDenied(_("Only facilitators and the DCCU open the plenary's votes."))
    by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        vote = (
            Vote.objects.select_for_update()
            .select_related("mandate__assembly", "room")
            .get(pk=vote.pk)
        )
        if vote.status != VoteStatus.PREPARED:
            raise ValidationError(_("This vote is already open or closed."))
        people = eligible_users(vote)
        if not people:
            raise ValidationError(
                _("Nobody could vote: no full member is in the plenary's call right now.")
                if vote.present_only
                else _("Nobody could vote: the assembly has no full member.")
            )
        Voter.objects.bulk_create(Voter(vote=vote, user=person) for person in people)
        vote.status = VoteStatus.OPEN
        vote.opened_by, vote.opened_at = by, timezone.now()
        vote.eligible_count = len(people)
        vote.save(
            update_fields=["status", "opened_by", "opened_at", "eligible_count", "updated_at"]
        )
        notify_many(Kind.VOTE_OPENED, people, actor=by, vote=vote)
        send_event_on_commit(
            VoteOpenedEvent(vote=str(vote.pk), eligible=len(people)), [vote_group(vote.pk)]
        )
    return vote


# --- Ballots --------------------------------------------------------------------------------


def _tampered() -> ValidationError:
    return ValidationError(
        _("This choice is not one of this vote's options. Reload the page and vote again."),
        code="bad_option",
    )


def clean_ballot(vote: Vote, raw: dict[str, Any]) -> dict[str, Any]:
    """The ballot as stored (see decisions.counting), from what the form or a client sent;
    a choice that is not an option of this vote is refused."""
    option_ids = [str(i) for i in vote.options.order_by("position").values_list("pk", flat=True)]
    if vote.method in (VoteMethod.MAJORITY, VoteMethod.CONSENT):
        choice = raw.get("choice")
        if not choice:
            raise ValidationError(_("Choose one answer."), code="empty")
        if not isinstance(choice, str) or choice not in option_ids:
            raise _tampered()
        return {"choice": choice}
    if vote.method == VoteMethod.APPROVAL:
        approved = raw.get("approved") or []
        if not isinstance(approved, list) or not all(isinstance(a, str) for a in approved):
            raise _tampered()
        if any(a not in option_ids for a in approved):
            raise _tampered()
        # Sorted: the order of the ticks could otherwise tell ballots apart.
        return {"approved": sorted(set(approved), key=option_ids.index)}
    grades = raw.get("grades")
    if not isinstance(grades, dict) or not all(isinstance(k, str) for k in grades):
        raise _tampered()
    if set(grades) - set(option_ids):
        raise _tampered()
    if set(grades) != set(option_ids):
        raise ValidationError(_("Give a grade to every option."), code="empty")
    if any(grade not in counting.GRADE_CODES for grade in grades.values()):
        raise ValidationError(
            _("This grade does not exist. Reload the page and vote again."), code="bad_option"
        )
    return {"grades": {option_id: grades[option_id] for option_id in option_ids}}


def do_cast_ballot(actor: Any, vote: Vote, raw: dict[str, Any]) -> int:
    """Record `actor`'s ballot once; return how many have voted.

    A second submission (a double click, two tabs racing) is refused by the database's
    constraint on (vote, person), never counted twice. The vote row is locked while the
    ballot is written, so a ballot is either in the count made at closing or refused."""
    with transaction.atomic():
        vote = Vote.objects.select_for_update().get(pk=vote.pk)
        if vote.status == VoteStatus.PREPARED:
            raise ValidationError(_("This vote is not open yet."), code="not_open")
        if vote.status == VoteStatus.CLOSED:
            raise ValidationError(
                _("This vote is closed: ballots are no longer accepted."), code="closed"
            )
        if not Voter.objects.filter(vote=vote, user=actor).exists():
            raise PermissionDenied(
                _(
                    "You are not on the list of voters of this vote (only "
                    "full members vote, and for some votes only those "
                    "present)."
                )
            )
        content = clean_ballot(vote, raw)
        try:
            with transaction.atomic():
                Participation.objects.create(
                    vote=vote, user=actor, content=None if vote.secret else content
                )
        except IntegrityError as exc:
            raise ValidationError(
                _("Your vote is already recorded: it counts once."), code="already_voted"
            ) from exc
        if vote.secret:
            SecretBallot.objects.create(vote=vote, content=content)
        voted = Participation.objects.filter(vote=vote).count()
        transaction.on_commit(lambda: COUNTS.announce(vote.pk))
    return voted


class CountAnnouncer:
    """The live count, at most one event per vote every ``VOTES_COUNT_EVERY_MS`` per
    process: 110 ballots in 10 s to 110 open pages would otherwise be 12,000 messages, more
    than the embedded layer keeps per socket (100) on a loaded machine. The first ballot
    schedules, on the server's event loop, an event that reads the count when it fires, so
    the last event always holds every ballot committed before it. Outside a server (a
    command, a plain test) or with 0, one event per ballot, at once."""

    def __init__(self) -> None:
        self._pending: set[str] = set()  # touched on the event loop only

    def announce(self, vote_id: Any) -> None:
        from asgiref.sync import SyncToAsync

        every = settings.VOTES_COUNT_EVERY_MS / 1000
        loop = getattr(SyncToAsync.threadlocal, "main_event_loop", None)
        if every <= 0 or loop is None or not loop.is_running():
            send_event_on_commit(self._event(str(vote_id)), [vote_group(vote_id)])
            return
        # A fresh context: this thread's says it runs inside the sync executor, and the
        # task would inherit it (asgiref would then refuse its database call).
        loop.call_soon_threadsafe(
            self._schedule, loop, str(vote_id), every, context=contextvars.Context()
        )

    def _schedule(self, loop: Any, vote_id: str, every: float) -> None:
        if vote_id in self._pending:
            return
        self._pending.add(vote_id)
        loop.call_later(every, lambda: loop.create_task(self._fire(vote_id)))

    async def _fire(self, vote_id: str) -> None:
        from channels.db import database_sync_to_async
        from channels.layers import get_channel_layer

        self._pending.discard(vote_id)
        event = await database_sync_to_async(self._event)(vote_id)
        layer = get_channel_layer()
        if layer is not None:
            await layer.group_send(
                vote_group(vote_id), {"type": "event.relay", "event": event.to_dict()}
            )

    @staticmethod
    def _event(vote_id: str) -> VoteCountEvent:
        eligible = Vote.objects.filter(pk=vote_id).values_list("eligible_count", flat=True)
        return VoteCountEvent(
            vote=vote_id,
            voted=Participation.objects.filter(vote_id=vote_id).count(),
            eligible=eligible.first() or 0,
        )


COUNTS = CountAnnouncer()


def stored_ballots(vote: Vote) -> list[dict[str, Any]]:
    """Every ballot as stored: the urn of a secret vote, the participations of a public one."""
    if vote.secret:
        return list(SecretBallot.objects.filter(vote=vote).values_list("content", flat=True))
    rows = Participation.objects.filter(vote=vote, content__isnull=False)
    return [row for row in rows.values_list("content", flat=True) if row is not None]


def recount(vote: Vote) -> dict[str, Any]:
    """Count the stored ballots again, with the rules recorded at closing."""
    stored = vote.result or {}
    rules = voting_rules(vote.mandate.assembly)
    options = [counting.Option(str(o.pk), o.label, o.code) for o in vote.options.all()]
    return counting.count(
        vote.method,
        options,
        stored_ballots(vote),
        eligible=vote.eligible_count,
        quorum_percent=stored.get("quorum_percent", rules.quorum_percent),
        majority=stored.get("majority", rules.majority),
    ) | {
        "quorum_percent": stored.get("quorum_percent", rules.quorum_percent),
        "majority": stored.get("majority", rules.majority),
    }


def _shuffle_urn(vote: Vote) -> None:
    """Rewrite the secret ballots in a random order with new ids, so that not even the
    order in which the database keeps the rows follows the order of arrival."""
    contents = list(SecretBallot.objects.filter(vote=vote).values_list("content", flat=True))
    random.SystemRandom().shuffle(contents)
    SecretBallot.objects.filter(vote=vote).delete()
    SecretBallot.objects.bulk_create(SecretBallot(vote=vote, content=c) for c in contents)


def results_html(vote: Vote) -> str:
    """The result as every page shows it; in the assembly's language, since one rendering
    goes to every socket watching the vote (a page reload renders it in the reader's)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("decisions/_results.html", {"vote": vote, "result": present(vote)})


def do_close_vote(actor: Any, vote: Vote) -> Vote:
    """Close the vote, count it, keep the result, and let the proposal or the amendment
    it decides follow."""
    if not may_manage(actor):
        raise PermissionDenied(_("Only facilitators and the DCCU close the plenary's votes."))
    by = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        vote = Vote.objects.select_for_update().select_related("mandate__assembly").get(pk=vote.pk)
        if vote.status != VoteStatus.OPEN:
            raise ValidationError(_("Only an open vote can be closed."))
        if vote.secret:
            _shuffle_urn(vote)
        rules = voting_rules(vote.mandate.assembly)
        vote.result = {"quorum_percent": rules.quorum_percent, "majority": rules.majority}
        vote.result = recount(vote)
        vote.status = VoteStatus.CLOSED
        vote.closed_by, vote.closed_at = by, timezone.now()
        vote.save(update_fields=["status", "closed_by", "closed_at", "result", "updated_at"])
        _follow(by, vote)
        send_event_on_commit(
            VoteClosedEvent(
                vote=str(vote.pk),
                voted=vote.result["ballots"],
                eligible=vote.eligible_count,
                html=results_html(vote),
            ),
            [vote_group(vote.pk)],
        )
    return vote


def _follow(by: Any, vote: Vote) -> None:
    """A proposal submitted to the plenary becomes « adoptée » or « non retenue »; a contested
    amendment goes into the text or not."""
    adopted = bool(vote.result and vote.result.get("adopted"))
    if vote.proposal_id is not None:
        from deliberation.models import Proposal

        proposal = Proposal.objects.get(pk=vote.proposal_id)
        if proposal.status == ProposalStatus.SUBMITTED:
            note = outcome_sentence(vote)
            move_proposal(
                by,
                proposal,
                ProposalStatus.ADOPTED if adopted else ProposalStatus.NOT_RETAINED,
                note,
            )
    if vote.amendment is not None:
        from decisions.amendments import settle_by_vote

        settle_by_vote(by, vote.amendment, adopted)


def move_proposal(by: Any, proposal: Any, status: str, note: str) -> Any:
    """Through the workflow's own function; in the name of the person who closed the vote
    when the workflow lets them move it, else of the platform (the note says why)."""
    from deliberation.proposals import do_transition

    actor = by if by is not None and status in proposal.allowed_transitions(by) else None
    return do_transition(actor, proposal, status, note=note)


def outcome_sentence(vote: Vote) -> str:
    result = vote.result or {}
    with translation.override(settings.LANGUAGE_CODE):
        if not result.get("quorum_reached"):
            text = _(
                "Vote of the plenary: quorum not reached (%(ballots)d ballots, %(needed)d needed)."
            ) % {"ballots": result.get("ballots", 0), "needed": result.get("quorum_needed", 0)}
        elif result.get("adopted"):
            text = _(
                "Adopted by a vote of the plenary (%(ballots)d ballots out of %(eligible)d voters)."
            ) % {"ballots": result["ballots"], "eligible": result["eligible"]}
        else:
            text = _(
                "Not retained by a vote of the plenary (%(ballots)d ballots out of "
                "%(eligible)d voters)."
            ) % {"ballots": result["ballots"], "eligible": result["eligible"]}
    return str(text)


def do_record_show_of_hands(
    actor: Any,
    proposal: Any,
    adopted: bool,
    *,
    pour: int | None,
    contre: int | None,
    abstention: int | None,
) -> Any:
    """A decision taken by a show of hands in the room, recorded as such."""
    if not may_manage(actor) or actor is None:
        raise PermissionDenied(_("Only facilitators and the DCCU record the plenary's decisions."))
    if proposal.status != ProposalStatus.SUBMITTED:
        raise ValidationError(_("Only a proposal submitted to the plenary can be decided."))
    counts = [c for c in (pour, contre, abstention) if c is not None]
    if any(c < 0 or c > 10000 for c in counts):
        raise ValidationError(_("The counts must be whole numbers."))
    with translation.override(settings.LANGUAGE_CODE):
        note = _("Decision taken by a show of hands in the plenary, recorded by the facilitation")
        if counts:
            note += " " + _("(for: %(pour)s, against: %(contre)s, abstention: %(abst)s)") % {
                "pour": pour if pour is not None else "—",
                "contre": contre if contre is not None else "—",
                "abst": abstention if abstention is not None else "—",
            }
        note += "."
    return move_proposal(
        actor,
        proposal,
        ProposalStatus.ADOPTED if adopted else ProposalStatus.NOT_RETAINED,
        str(note),
    )


# --- Reading a result ------------------------------------------------------------------------


def present(vote: Vote) -> dict[str, Any] | None:
    """The stored result with what the templates show: percentages, grade labels, the
    outcome in words. None before closing (results are never shown earlier)."""
    if vote.status != VoteStatus.CLOSED or not vote.result:
        return None
    result = dict(vote.result)
    grades = dict(counting.GRADES)
    total = result["ballots"] or 1
    options = []
    for option in result["options"]:
        row = dict(option)
        if "count" in row:
            row["percent"] = round(100 * row["count"] / total, 1)
        if "profile" in row:
            graded = sum(p["count"] for p in row["profile"]) or 1
            offset = 0.0
            profile = []
            for part in row["profile"]:
                share = 100 * part["count"] / graded
                profile.append(
                    {
                        **part,
                        "label": grades[part["grade"]],
                        "percent": round(share, 1),
                        "offset": round(offset, 2),
                        "width": round(share, 2),
                    }
                )
                offset += share
            row["profile"] = profile
            row["majority_label"] = grades[row["majority_grade"]]
        options.append(row)
    result["options"] = options
    result["outcome"] = outcome_sentence(vote)
    result["grades"] = counting.GRADES
    return result


# --- Minority views --------------------------------------------------------------------------


def may_write_minority_view(user: Any, vote: Vote) -> bool:
    """Those who voted against or objected (as their public ballot shows); in a secret vote,
    anyone who voted — the platform cannot know what they voted, and does not try."""
    if vote.status != VoteStatus.CLOSED or user is None or Role.TITULAIRE not in user_roles(user):
        return False
    participation = Participation.objects.filter(vote=vote, user=user).first()
    if participation is None:
        return False
    if vote.secret:
        return True
    return _dissents(vote, participation.content or {})


def _dissents(vote: Vote, content: dict[str, Any]) -> bool:
    codes = {str(o.pk): o.code for o in vote.options.all()}
    if "choice" in content:
        return codes.get(content["choice"]) in ("contre", "objection")
    winners = (vote.result or {}).get("winners", [])
    if "approved" in content:
        return not any(w in content["approved"] for w in winners)
    grades = content.get("grades", {})
    return any(
        counting.GRADE_VALUE[grades.get(w, "a_rejeter")]
        < counting.GRADE_VALUE[counting.ADOPTION_GRADE]
        for w in winners
    )


def do_write_minority_view(actor: Any, vote: Vote, text: str) -> Any:
    """Write (or rewrite) one's « avis minoritaire » on a closed vote."""
    from decisions.models import MinorityView

    vote = Vote.objects.get(pk=vote.pk)
    if not may_write_minority_view(actor, vote):
        raise PermissionDenied(
            _(
                "Only the members who voted against or objected can add a "
                "minority view, once the vote is closed."
            )
        )
    text = (text or "").strip() if isinstance(text, str) else ""
    if not text:
        raise ValidationError(_("Write your minority view."))
    if len(text) > MAX_MINORITY_VIEW:
        raise ValidationError(
            _("Your minority view is too long (%(max)d characters at most).")
            % {"max": MAX_MINORITY_VIEW}
        )
    view, _created = MinorityView.objects.update_or_create(
        vote=vote, author=actor, defaults={"text": text}
    )
    return view
