"""Operations on the assembly's structure: the one place where its rules live.

Views, the admin, the CSV import, management commands and tests all call
these functions. Each checks who acts, validates with a clear French message
(``ValidationError``), writes inside a transaction, and relies on the
database constraints as the last line of defence.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
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
    Seat,
    SeatCategory,
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
    on: date | None = None,
    promote_substitute: bool = True,
) -> Membership | None:
    """End a membership; a freed titulaire seat goes to the first-ranked substitute.

    Returns the new titulaire membership when a substitute was promoted.
    """
    require_dccu(actor)
    on = on or timezone.localdate()
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.end is not None:
        raise ValidationError(_("This membership has already ended."))
    if reason not in EndReason.values:
        raise ValidationError(_("Unknown reason."))
    membership.end = max(on, membership.start)
    membership.end_reason = reason
    membership.save(update_fields=["end", "end_reason", "updated_at"])
    if membership.kind == MembershipKind.TITULAIRE:
        _leave_subgroups(membership)
    roles_changed(membership.user)
    promoted: Membership | None = None
    if membership.kind == MembershipKind.TITULAIRE and promote_substitute:
        promoted = _promote_first_substitute(membership.seat, on)
    elif membership.kind == MembershipKind.REMPLACANT:
        _rerank_substitutes(membership.seat)
    return promoted


def _leave_subgroups(membership: Membership) -> None:
    """Subgroup members are current titulaires: a titulaire who leaves the assembly leaves
    its subgroups (their list, their rooms, their drafts). What they wrote there stays, and
    their memberships keep the record of where they sat."""
    Subgroup.members.through.objects.filter(
        user_id=membership.user_id, subgroup__mandate__assembly_id=membership.seat.assembly_id
    ).delete()


def _promote_first_substitute(seat: Seat, on: date) -> Membership | None:
    candidates = (
        Membership.objects.open()
        .select_for_update()
        .filter(seat=seat, kind=MembershipKind.REMPLACANT)
        .order_by("substitute_rank")
    )
    for substitute in candidates:
        if eligibility_problems(substitute.user, on):
            continue
        substitute.end = max(on, substitute.start)
        substitute.end_reason = EndReason.PROMOTED
        substitute.save(update_fields=["end", "end_reason", "updated_at"])
        titulaire = Membership.objects.create(
            user=substitute.user, seat=seat, kind=MembershipKind.TITULAIRE, start=on
        )
        roles_changed(substitute.user)
        _rerank_substitutes(seat)
        return titulaire
    return None


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
    if not eligibility_problems(user):
        return None
    membership = Membership.objects.open().filter(user=user).first()
    if membership is None:
        return None
    do_end_membership(actor, membership, reason=EndReason.INELIGIBLE)
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
