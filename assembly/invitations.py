"""Invitations: the only way into Agora. The DCCU invites, the invitee accepts once.

Views, the CSV import, the admin and tests call these operations. A link is a
random token sent by email; only its SHA-256 is stored, so a leaked database
does not open accounts. Emails leave only after the transaction commits.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Invitation, InvitationStatus, User
from accounts.roles import GROUP_ROLES, MEMBER_ROLES, Role, grant_role, has_role
from assembly.actions import do_add_membership
from assembly.models import Membership, MembershipKind, Seat
from config.logs import mail_failure

logger = logging.getLogger(__name__)

TOKEN_BYTES = 32


class InvitationUnavailable(Exception):
    """The link is unknown, used, expired or revoked (the invitee sees one page for all)."""


@dataclass(frozen=True)
class OutgoingInvitation:
    """An invitation and its clear token, held in memory until the email is sent."""

    invitation: Invitation
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and its hash; only the hash is ever stored."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, hash_token(token)


def expiry_from(now: datetime) -> datetime:
    return now + timedelta(days=settings.INVITATION_VALID_DAYS)


def require_dccu(actor: User) -> None:
    if not has_role(actor, Role.DCCU):
        raise PermissionDenied(_("Only the DCCU team can manage invitations."))


def find_invitation(token: str) -> Invitation | None:
    """The invitation behind a link, whatever its status (``None`` when unknown)."""
    if not token or len(token) > 100:
        return None
    return (
        Invitation.objects.select_related("seat__canton", "user")
        .filter(token_hash=hash_token(token))
        .first()
    )


def accept_url(token: str) -> str:
    return reverse("invitations:accept", args=[token])


# --- Checks shared by the form and the CSV import --------------------------------------


def email_problems(email: str) -> list[str]:
    """Why this address cannot receive a new invitation (empty when it can)."""
    try:
        validate_email(email)
    except ValidationError:
        return [_("Enter a valid email address.")]
    if User.objects.filter(email__iexact=email).exists():
        return [_("This address already has an account.")]
    if Invitation.objects.open().filter(email__iexact=email).exists():
        return [
            _("An invitation to this address is already open: resend it from the list instead.")
        ]
    return []


def seat_problems(seat: Seat, kind: str, substitute_rank: int | None) -> list[str]:
    """Whether a seat (or a substitute rank) is free, counting the invitations still pending.

    People invited one by one take their seat when they accept, so a pending
    invitation reserves it; the CSV import seats people at once.
    """
    reserved = Invitation.objects.pending().filter(seat=seat, user__isnull=True)
    if kind == MembershipKind.TITULAIRE:
        if substitute_rank is not None:
            return [_("A full member has no substitute rank.")]
        if Membership.objects.open().filter(seat=seat, kind=kind).exists():
            return [_("This seat already has a full member.")]
        if reserved.filter(role=kind).exists():
            return [_("A pending invitation already offers this seat to someone else.")]
        return []
    if kind == MembershipKind.REMPLACANT:
        if substitute_rank is None or substitute_rank < 1:
            return [_("A substitute needs a rank (1, 2, 3…).")]
        taken = Membership.objects.open().filter(
            seat=seat, kind=kind, substitute_rank=substitute_rank
        ).exists() or reserved.filter(role=kind, substitute_rank=substitute_rank).exists()
        if taken:
            return [
                _("Rank %(rank)s is already taken for this seat.") % {"rank": substitute_rank}
            ]
        return []
    return [_("Unknown kind of membership.")]


# --- Creating and sending ---------------------------------------------------------------


def create_invitation(
    actor: User,
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    seat: Seat | None = None,
    substitute_rank: int | None = None,
    user: User | None = None,
) -> OutgoingInvitation:
    """Write one invitation row (the caller checks permission and holds the transaction)."""
    token, token_hash = new_token()
    invitation = Invitation.objects.create(
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        seat=seat,
        substitute_rank=substitute_rank,
        user=user,
        invited_by=actor,
        token_hash=token_hash,
        expires_at=expiry_from(timezone.now()),
    )
    return OutgoingInvitation(invitation, token)


def send_invitations_on_commit(outgoing: list[OutgoingInvitation], *, base_url: str) -> None:
    """Send the emails once the rows are safely committed (never for a rolled-back import)."""
    if outgoing:
        transaction.on_commit(lambda: send_invitation_emails(outgoing, base_url=base_url))


def _invitation_message(item: OutgoingInvitation, base_url: str) -> EmailMessage:
    invitation = item.invitation
    # The invitee has no language preference yet: write in the site's language.
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "invitation": invitation,
            "role": invitation.get_role_display(),
            "canton": invitation.seat.canton.name if invitation.seat else "",
            "link": base_url.rstrip("/") + accept_url(item.token),
            "site_name": settings.AGORA_SITE_NAME,
            "assembly_name": settings.AGORA_ASSEMBLY_NAME,
            "organisation": settings.AGORA_ORGANISATION,
            "dccu_email": settings.DCCU_EMAIL,
            "valid_days": settings.INVITATION_VALID_DAYS,
        }
        subject = _("Your invitation to the %(assembly)s") % {
            "assembly": settings.AGORA_ASSEMBLY_NAME
        }
        body = render_to_string("email/invitation.txt", context)
    return EmailMessage(
        subject=f"[{settings.AGORA_SITE_NAME}] {subject}",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        reply_to=[settings.DCCU_EMAIL],
    )


def send_invitation_emails(outgoing: list[OutgoingInvitation], *, base_url: str) -> int:
    """Send each email on one connection; a failure is logged and shows in the list as
    "not sent", so the DCCU can resend, instead of breaking the page after commit."""
    sent = 0
    connection = get_connection()
    try:
        connection.open()
        for item in outgoing:
            try:
                connection.send_messages([_invitation_message(item, base_url)])
            except Exception:
                mail_failure(logger, "Invitation email %s failed", item.invitation.pk)
                continue
            Invitation.objects.filter(pk=item.invitation.pk).update(sent_at=timezone.now())
            sent += 1
    except Exception:
        mail_failure(logger, "Could not open the email connection for invitations")
    finally:
        connection.close()
    return sent


# --- Operations --------------------------------------------------------------------------


def do_invite_person(
    actor: User,
    *,
    email: str,
    first_name: str,
    last_name: str,
    role: str,
    seat: Seat | None = None,
    substitute_rank: int | None = None,
    base_url: str,
) -> Invitation:
    """Invite one person, to a member seat (taken when they accept) or a staff role.

    Errors are keyed by what they are about ("email", "role", "seat",
    "substitute_rank") so a form can show each next to its field.
    """
    require_dccu(actor)
    email = (email or "").strip().lower()
    errors: dict[str, list[str]] = {}
    with transaction.atomic():
        if problems := email_problems(email):
            errors["email"] = problems
        if role not in Role.values:
            errors["role"] = [_("Choose a role.")]
        elif role in MEMBER_ROLES:
            if seat is None:
                errors["seat"] = [_("Choose the canton and category of the seat.")]
            elif problems := seat_problems(seat, role, substitute_rank):
                key = "substitute_rank" if role == MembershipKind.REMPLACANT else "seat"
                errors[key] = problems
        elif seat is not None or substitute_rank is not None:
            errors["seat"] = [_("Only members have a seat and a rank.")]
        if errors:
            raise ValidationError(errors)
        try:
            with transaction.atomic():
                item = create_invitation(
                    actor,
                    email=email,
                    first_name=first_name.strip(),
                    last_name=last_name.strip(),
                    role=role,
                    seat=seat if role in MEMBER_ROLES else None,
                    substitute_rank=substitute_rank if role == MembershipKind.REMPLACANT else None,
                )
        except IntegrityError as exc:
            # Another invitation to this address was created meanwhile.
            raise ValidationError(
                {"email": [_("An invitation to this address is already open.")]}
            ) from exc
        send_invitations_on_commit([item], base_url=base_url)
    return item.invitation


@transaction.atomic
def do_resend_invitation(actor: User, invitation: Invitation, *, base_url: str) -> Invitation:
    """Send a new link; the old one stops working at once."""
    require_dccu(actor)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status not in {InvitationStatus.PENDING, InvitationStatus.EXPIRED}:
        raise ValidationError(_("Only a pending or expired invitation can be sent again."))
    token, invitation.token_hash = new_token()
    invitation.expires_at = expiry_from(timezone.now())
    invitation.sent_at = None
    invitation.save(update_fields=["token_hash", "expires_at", "sent_at", "updated_at"])
    send_invitations_on_commit([OutgoingInvitation(invitation, token)], base_url=base_url)
    return invitation


@transaction.atomic
def do_revoke_invitation(actor: User, invitation: Invitation) -> Invitation:
    """Kill the link. An account prepared by the CSV import stays inactive."""
    require_dccu(actor)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status not in {InvitationStatus.PENDING, InvitationStatus.EXPIRED}:
        raise ValidationError(_("Only a pending or expired invitation can be revoked."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])
    return invitation


def do_accept_invitation(
    invitation: Invitation, *, display_name: str, password: str = ""
) -> User:
    """Open (or activate) the invitee's account and give them what they were invited to.

    The invitee acts through the link, which the DCCU issued: the membership
    is therefore written as the system (``actor=None``), the DCCU's decision
    having been checked when the invitation was made.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",)).select_related("seat", "user")
            .get(pk=invitation.pk)
        )
        if invitation.status != InvitationStatus.PENDING:
            raise InvitationUnavailable
        prepared = invitation.user is not None
        user = invitation.user
        if user is None:
            if User.objects.filter(email__iexact=invitation.email).exists():
                raise ValidationError(
                    _("An account already exists with this address. Log in with it, or "
                      "contact the DCCU team.")
                )
            user = User(
                email=invitation.email,
                first_name=invitation.first_name,
                last_name=invitation.last_name,
            )
        user.display_name = display_name.strip()
        user.is_active = True
        if password:
            password_validation.validate_password(password, user)
            user.set_password(password)
        elif not prepared:
            user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise ValidationError(_("An account already exists with this address.")) from exc
        if invitation.role in GROUP_ROLES:
            grant_role(user, Role(invitation.role))
        elif not prepared:
            # Invited one by one: the seat is taken now; it may have gone meanwhile.
            seat = invitation.seat
            if seat is None:  # the database constraint forbids it; be explicit anyway
                raise ValidationError(_("This invitation has no seat."))
            do_add_membership(
                None,
                user=user,
                seat=seat,
                kind=invitation.role,
                substitute_rank=invitation.substitute_rank,
            )
        invitation.user = user
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["user", "accepted_at", "updated_at"])
    return user
