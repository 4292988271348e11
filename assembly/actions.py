"""Operations on the assembly's structure: the one place where its rules live.

Views, the admin, the CSV import, management commands and tests all call
these functions. Each checks who acts, validates with a clear French message
(``ValidationError``), writes inside a transaction, and relies on the
database constraints as the last line of defence.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role, has_role, roles_changed
from assembly.models import (
    Assembly,
    Canton,
    EndReason,
    Mandate,
    MandateKind,
    Membership,
    MembershipKind,
    OfferStatus,
    Seat,
    SeatCategory,
    SeatOffer,
    Subgroup,
)
from assembly.signals import (
    subgroup_created,
    subgroup_people_changed,
    subgroup_reader_suggestions_changed,
)

HAUTE_GARONNE_POSTAL_PREFIX = "31"
MINIMUM_AGE = 18
YOUNG_BAND_MAX_AGE = 44


def require_dccu(actor: User | None) -> None:
    """``None`` is the system itself (migrations, commands); people need the DCCU role."""
    if actor is not None and not (actor.is_superuser or has_role(actor, Role.DCCU)):
        raise PermissionDenied(_("Only the DCCU team can change the assembly."))


def age_on(birth_date: date, on: date) -> int:
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def eligibility_problems(user: User, on: date | None = None) -> list[str]:
    """Why this person cannot sit in the assembly on that day (empty if eligible)."""
    on = on or timezone.localdate()
    problems: list[str] = []
    if user.birth_date is not None and age_on(user.birth_date, on) < MINIMUM_AGE:
        problems.append(_("Members must be 18 or over."))
    if user.postal_code and not user.postal_code.startswith(HAUTE_GARONNE_POSTAL_PREFIX):
        problems.append(_("Members must live in Haute-Garonne."))
    if user.is_department_agent:
        problems.append(_("Active agents of the département cannot be members."))
    if user.holds_elected_office:
        problems.append(_("People holding an elected office cannot be members."))
    return problems


def _category_problems(user: User, seat: Seat, on: date) -> list[str]:
    if user.birth_date is None:
        return []
    young = age_on(user.birth_date, on) <= YOUNG_BAND_MAX_AGE
    if seat.category in {SeatCategory.FEMME_18_44, SeatCategory.HOMME_18_44} and not young:
        return [_("This seat is for people aged 18 to 44.")]
    if seat.category in {SeatCategory.FEMME_45, SeatCategory.HOMME_45} and young:
        return [_("This seat is for people aged 45 and over.")]
    return []


@transaction.atomic
def do_create_assembly(
    actor: User | None, *, name: str, mandate_start: date, mandate_end: date
) -> Assembly:
    """Create an assembly with its 108 seats (4 categories in each of the 27 cantons)."""
    require_dccu(actor)
    if mandate_end <= mandate_start:
        raise ValidationError(_("The mandate must end after it starts."))
    assembly = Assembly.objects.create(
        name=name, mandate_start=mandate_start, mandate_end=mandate_end
    )
    Seat.objects.bulk_create(
        Seat(assembly=assembly, canton=canton, category=category)
        for canton in Canton.objects.all()
        for category in SeatCategory.values
    )
    return assembly


def do_add_membership(
    actor: User | None,
    *,
    user: User,
    seat: Seat,
    kind: str,
    substitute_rank: int | None = None,
    start: date | None = None,
) -> Membership:
    """Seat a person as titulaire, or rank them as a substitute of a seat."""
    require_dccu(actor)
    start = start or timezone.localdate()
    errors: list[str] = []
    errors += eligibility_problems(user, start)
    errors += _category_problems(user, seat, start)
    if kind == MembershipKind.TITULAIRE:
        if substitute_rank is not None:
            errors.append(_("A full member has no substitute rank."))
        elif Membership.objects.open().filter(seat=seat, kind=kind).exists():
            errors.append(_("This seat already has a full member."))
        elif SeatOffer.objects.pending().filter(seat=seat).exists():
            errors.append(_("This seat is offered to a substitute, who has not answered yet."))
    elif kind == MembershipKind.REMPLACANT:
        if substitute_rank is None or substitute_rank < 1:
            errors.append(_("A substitute needs a rank (1, 2, 3…)."))
        elif Membership.objects.open().filter(
            seat=seat, kind=kind, substitute_rank=substitute_rank
        ).exists():
            errors.append(
                _("Rank %(rank)s is already taken for this seat.") % {"rank": substitute_rank}
            )
    else:
        errors.append(_("Unknown kind of membership."))
    if Membership.objects.open().filter(user=user).exists():
        errors.append(_("This person already has a current membership."))
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user, seat=seat, kind=kind, substitute_rank=substitute_rank, start=start
            )
    except IntegrityError as exc:
        # A concurrent change won the race; the constraint kept the rule.
        raise ValidationError(
            _("This seat or this person changed meanwhile; please try again.")
        ) from exc
    roles_changed(user)
    return membership


@transaction.atomic
def do_end_membership(
    actor: User | None,
    membership: Membership,
    *,
    reason: str,
    note: str = "",
    on: date | None = None,
    promote_substitute: bool = True,
) -> SeatOffer | None:
    """The DCCU (or the system) ends a membership, with its reason in words; a freed
    titulaire seat is offered to the next substitute of the seat (``offer_seat``).

    Returns the offer made, if any. People resign themselves with ``do_resign``.
    """
    require_dccu(actor)
    note = note.strip()
    if actor is not None and reason != EndReason.MANDATE_END and not note:
        raise ValidationError(_("Say why this membership ends: the reason is kept."))
    return _end_membership(
        membership, reason=reason, note=note, ended_by=actor, on=on,
        offer=promote_substitute,
    )


RESIGNATION_CONFIRMATION = "confirmed"


@transaction.atomic
def do_resign(
    user: User, *, confirmed: bool, note: str = "", on: date | None = None
) -> SeatOffer | None:
    """A member (titulaire or substitute) leaves the assembly of their own will.

    ``confirmed`` is the explicit « yes, I leave » of the page: without it nothing ends.
    """
    membership = Membership.objects.open().filter(user=user).first()
    if membership is None:
        raise ValidationError(_("You have no seat in the assembly to resign from."))
    if not confirmed:
        raise ValidationError(_("Tick the box to confirm that you leave the assembly."))
    return _end_membership(
        membership, reason=EndReason.RESIGNATION, note=note.strip()[:2000], ended_by=user,
        on=on, offer=True,
    )


def _end_membership(
    membership: Membership,
    *,
    reason: str,
    note: str,
    ended_by: User | None,
    on: date | None,
    offer: bool,
) -> SeatOffer | None:
    on = on or timezone.localdate()
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.end is not None:
        raise ValidationError(_("This membership has already ended."))
    if reason not in EndReason.values:
        raise ValidationError(_("Unknown reason."))
    membership.end = max(on, membership.start)
    membership.end_reason = reason
    membership.end_note = note
    membership.ended_by = ended_by
    membership.save(
        update_fields=["end", "end_reason", "end_note", "ended_by", "updated_at"]
    )
    if membership.kind == MembershipKind.TITULAIRE:
        _leave_subgroups(membership)
    roles_changed(membership.user)
    made: SeatOffer | None = None
    if membership.kind == MembershipKind.TITULAIRE and offer:
        made = offer_seat(membership.seat, vacated=membership)
    elif membership.kind == MembershipKind.REMPLACANT:
        # A substitute who leaves while the seat waits for their answer: the offer passes on.
        pending = SeatOffer.objects.pending().filter(substitute=membership).first()
        _rerank_substitutes(membership.seat)
        if pending is not None:
            _close_offer(pending, OfferStatus.WITHDRAWN)
            made = offer_seat(pending.seat, vacated=pending.vacated)
    return made


def _close_offer(offer: SeatOffer, status: str, note: str = "") -> None:
    offer.status = status
    offer.answered_at = timezone.now()
    offer.answer_note = note
    offer.save(update_fields=["status", "answered_at", "answer_note", "updated_at"])


def offer_seat(seat: Seat, *, vacated: Membership | None) -> SeatOffer | None:
    """Offer a vacant seat to the first-ranked eligible substitute of that same seat (same
    canton and category) not yet asked for this vacancy; None when nobody remains (the
    seat is then « à pourvoir par tirage »). Inside the caller's transaction."""
    if Membership.objects.open().filter(seat=seat, kind=MembershipKind.TITULAIRE).exists():
        return None
    if SeatOffer.objects.pending().filter(seat=seat).exists():
        return None
    asked = set(
        SeatOffer.objects.filter(seat=seat, vacated=vacated).values_list("user_id", flat=True)
    ) if vacated is not None else set()
    candidates = (
        Membership.objects.open()
        .select_for_update()
        .filter(seat=seat, kind=MembershipKind.REMPLACANT)
        .exclude(user_id__in=asked)
        .select_related("user")
        .order_by("substitute_rank")
    )
    today = timezone.localdate()
    for substitute in candidates:
        if eligibility_problems(substitute.user, today):
            continue
        offer = SeatOffer.objects.create(
            seat=seat,
            vacated=vacated,
            substitute=substitute,
            user=substitute.user,
            expires_at=timezone.now() + timedelta(days=settings.SEAT_OFFER_DAYS),
        )
        from assembly.seats import tell_offer_on_commit

        tell_offer_on_commit(offer)
        return offer
    return None


@transaction.atomic
def do_offer_seat(actor: User | None, seat: Seat) -> SeatOffer:
    """The DCCU offers a vacant seat again (e.g. after a seat was freed without an offer)."""
    require_dccu(actor)
    last = (
        Membership.objects.filter(seat=seat, kind=MembershipKind.TITULAIRE, end__isnull=False)
        .order_by("-end", "-created_at")
        .first()
    )
    offer = offer_seat(seat, vacated=last)
    if offer is None:
        raise ValidationError(
            _("This seat cannot be offered: it is held, already offered, or no eligible "
              "substitute remains.")
        )
    return offer


def access_seat_offer(user: User, offer_id: Any) -> SeatOffer:
    """The person's own offer, or a 404 (another's offer does not exist for them)."""
    offer = (
        SeatOffer.objects.select_related("seat__canton", "seat__assembly")
        .filter(pk=offer_id).first()
    )
    if offer is None or not offer.get_abilities(user)["read"] or offer.user_id != user.pk:
        raise Http404
    return offer


@transaction.atomic
def do_accept_seat_offer(user: User, offer: SeatOffer) -> Membership:
    """The substitute takes the seat: they become its titulaire from today, and their
    rights follow at once on their open pages and sockets."""
    offer = SeatOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.user_id != user.pk:
        raise PermissionDenied
    if not offer.is_pending:
        raise ValidationError(_("This offer is no longer open."))
    if offer.expires_at <= timezone.now():
        raise ValidationError(_("The time to answer this offer is over."))
    today = timezone.localdate()
    problems = eligibility_problems(user, today)
    if problems:
        raise ValidationError(problems)
    substitute = Membership.objects.select_for_update().get(pk=offer.substitute_id)
    if substitute.end is not None:
        raise ValidationError(_("This offer is no longer open."))
    substitute.end = max(today, substitute.start)
    substitute.end_reason = EndReason.PROMOTED
    substitute.save(update_fields=["end", "end_reason", "updated_at"])
    try:
        with transaction.atomic():
            titulaire = Membership.objects.create(
                user=user, seat=offer.seat, kind=MembershipKind.TITULAIRE, start=today
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("This seat or this person changed meanwhile; please try again.")
        ) from exc
    offer.status = OfferStatus.ACCEPTED
    offer.answered_at = timezone.now()
    offer.became = titulaire
    offer.save(update_fields=["status", "answered_at", "became", "updated_at"])
    _rerank_substitutes(offer.seat)
    roles_changed(user)
    return titulaire


@transaction.atomic
def do_decline_seat_offer(user: User, offer: SeatOffer, *, note: str = "") -> SeatOffer | None:
    """The substitute declines: they stay a substitute at their rank, and the seat is
    offered to the next one. Returns that next offer, if any."""
    offer = SeatOffer.objects.select_for_update().get(pk=offer.pk)
    if offer.user_id != user.pk:
        raise PermissionDenied
    if not offer.is_pending:
        raise ValidationError(_("This offer is no longer open."))
    _close_offer(offer, OfferStatus.DECLINED, note.strip()[:2000])
    return offer_seat(offer.seat, vacated=offer.vacated)


def do_expire_seat_offers(now: Any = None) -> list[SeatOffer]:
    """Pass every offer left unanswered past its deadline to the next substitute (the
    scheduled job, hourly). Returns the new offers."""
    now = now or timezone.now()
    made: list[SeatOffer] = []
    for pk in SeatOffer.objects.pending().filter(expires_at__lte=now).values_list("pk", flat=True):
        with transaction.atomic():
            offer = SeatOffer.objects.select_for_update().get(pk=pk)
            if not offer.is_pending:
                continue
            _close_offer(offer, OfferStatus.EXPIRED)
            following = offer_seat(offer.seat, vacated=offer.vacated)
            if following is not None:
                made.append(following)
    return made


def _leave_subgroups(membership: Membership) -> None:
    """Subgroup members are current titulaires: a titulaire who leaves the assembly leaves
    its subgroups (their list, their rooms, their drafts). What they wrote there stays, and
    their memberships keep the record of where they sat."""
    Subgroup.members.through.objects.filter(
        user_id=membership.user_id, subgroup__mandate__assembly_id=membership.seat.assembly_id
    ).delete()


def _rerank_substitutes(seat: Seat) -> None:
    """Close the gaps in the ranking (1, 3, 4 → 1, 2, 3), lowest first."""
    remaining = Membership.objects.open().filter(
        seat=seat, kind=MembershipKind.REMPLACANT
    ).order_by("substitute_rank")
    for expected, substitute in enumerate(remaining, start=1):
        if substitute.substitute_rank != expected:
            substitute.substitute_rank = expected
            substitute.save(update_fields=["substitute_rank", "updated_at"])


ELIGIBILITY_FIELDS = ("birth_date", "postal_code", "is_department_agent", "holds_elected_office")


@transaction.atomic
def do_update_eligibility(actor: User | None, user: User, **changes: Any) -> Membership | None:
    """Record a change in a person's situation; if it makes them ineligible, their
    membership ends at once with the reason « démission d'office »."""
    require_dccu(actor)
    unknown = set(changes) - set(ELIGIBILITY_FIELDS)
    if unknown:
        raise ValueError(f"Not eligibility fields: {sorted(unknown)}")
    for field, value in changes.items():
        setattr(user, field, value)
    user.save(update_fields=[*changes, "updated_at"])
    return end_membership_if_ineligible(actor, user)


def end_membership_if_ineligible(actor: User | None, user: User) -> Membership | None:
    """End the open membership of a person who is no longer eligible, if any."""
    require_dccu(actor)
    if not eligibility_problems(user):
        return None
    membership = Membership.objects.open().filter(user=user).first()
    if membership is None:
        return None
    _end_membership(
        membership, reason=EndReason.INELIGIBLE, note=" ".join(eligibility_problems(user)),
        ended_by=actor, on=None, offer=True,
    )
    membership.refresh_from_db()
    return membership


def do_create_mandate(
    actor: User | None,
    *,
    assembly: Assembly,
    kind: str,
    title: str,
    question: str,
    start: date,
    end: date,
) -> Mandate:
    """Open a saisine or, from the second year of the mandate, an auto-saisine."""
    require_dccu(actor)
    errors: list[str] = []
    if end <= start:
        errors.append(_("The mandate must end after it starts."))
    if start < assembly.mandate_start or end > assembly.mandate_end:
        errors.append(_("A mandate must fit within the assembly's mandate."))
    if kind == MandateKind.AUTO_SAISINE:
        second_year = assembly.mandate_start.replace(year=assembly.mandate_start.year + 1)
        if start < second_year:
            errors.append(_("The assembly may take up a question itself only in its second year."))
    elif kind != MandateKind.SAISINE:
        errors.append(_("Unknown kind of mandate."))
    if errors:
        raise ValidationError(errors)
    return Mandate.objects.create(
        assembly=assembly, kind=kind, title=title, question=question, start=start, end=end
    )


@transaction.atomic
def do_create_subgroup(
    actor: User | None,
    *,
    mandate: Mandate,
    name: str,
    description: str = "",
    members: list[User] | None = None,
    facilitators: list[User] | None = None,
) -> Subgroup:
    require_dccu(actor)
    if Subgroup.objects.filter(mandate=mandate, name=name).exists():
        raise ValidationError(_("A subgroup with this name already exists for this mandate."))
    subgroup = Subgroup.objects.create(mandate=mandate, name=name, description=description)
    do_set_subgroup_people(
        actor, subgroup, members=members or [], facilitators=facilitators or []
    )
    # Every subgroup talks in its own room from the start (forums listens).
    subgroup_created.send(Subgroup, subgroup=subgroup, mandate=mandate)
    return subgroup


@transaction.atomic
def do_set_reader_suggestions(actor: User | None, subgroup: Subgroup, allowed: bool) -> Subgroup:
    """Let the readers of the subgroup's drafts suggest changes there, or stop them (open
    drafts re-read their abilities once this commits)."""
    require_dccu(actor)
    if subgroup.reader_suggestions != allowed:
        subgroup.reader_suggestions = allowed
        subgroup.save(update_fields=["reader_suggestions", "updated_at"])
        subgroup_reader_suggestions_changed.send(Subgroup, subgroup=subgroup)
    return subgroup


@transaction.atomic
def do_set_subgroup_people(
    actor: User | None,
    subgroup: Subgroup,
    *,
    members: list[User],
    facilitators: list[User],
) -> Subgroup:
    """Members must be current full members; facilitators must hold that role."""
    require_dccu(actor)
    errors: list[str] = []
    member_ids = {u.pk for u in members}
    seated = set(
        Membership.objects.current()
        .filter(user_id__in=member_ids, kind=MembershipKind.TITULAIRE)
        .values_list("user_id", flat=True)
    )
    for user in members:
        if user.pk not in seated:
            errors.append(
                _("%(name)s is not a current full member of the assembly.")
                % {"name": user.public_name}
            )
    for user in facilitators:
        if not has_role(user, Role.FACILITATEUR, Role.DCCU):
            errors.append(_("%(name)s is not a facilitator.") % {"name": user.public_name})
    if errors:
        raise ValidationError(errors)
    before = set(subgroup.members.values_list("pk", flat=True)) | set(
        subgroup.facilitators.values_list("pk", flat=True)
    )
    subgroup.members.set(members)
    subgroup.facilitators.set(facilitators)
    # Who joined or left hears it at once on their open sockets (forums: the room's events;
    # deliberation: who may write in the subgroup's drafts).
    subgroup_people_changed.send(
        Subgroup, subgroup=subgroup, people=before ^ (member_ids | {u.pk for u in facilitators})
    )
    return subgroup
