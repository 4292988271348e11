"""Personal data held by the accounts app (and the auth libraries it wires in).

Declared here rather than in ``accounts/privacy.py``: accounts imports no domain app
(``GdprConfig.ready`` imports this module before the apps' own ``privacy.py``)."""

from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils.translation import gettext_lazy as _

from accounts.erasers import (
    delete_invitations_to,
    end_roles_and_cached_traces,
    end_sessions,
    erased_email,
    export_sessions,
)
from accounts.models import User
from assembly.models import Membership, mandate_end_in_office
from gdpr.registry import Anchor, Erasure, LegalBasis, Retention, RetentionAction, declare

MEMBERS_AND_STAFF = _("members, substitutes, facilitators, agents, DCCU team, DPO")
INACTIVE_DAYS = 365


def _person_assembly_end() -> Anchor:
    """The end of the mandate of the person's own last assembly: the latest assembly they
    sat in (a membership, ended or not), or, for staff who never sat, the one in office
    when they last logged in (or were invited, if they never did). The later of the two
    when both exist; unknown (never due) before any assembly."""
    sat = Subquery(
        Membership.objects.filter(user=OuterRef("pk"))
        .order_by("-seat__assembly__mandate_end")
        .values("seat__assembly__mandate_end")[:1]
    )
    worked = mandate_end_in_office(Coalesce(OuterRef("last_login"), OuterRef("date_joined")))
    # Greatest is NULL with one NULL on SQLite, and ignores it on PostgreSQL: pair each
    # with the other so both databases give the later known date.
    return Anchor(
        "end of the person's last assembly",
        Greatest(Coalesce(sat, worked), Coalesce(worked, sat)),
    )


LAST_SEEN = Anchor("last login (or account creation)", Coalesce("last_login", "date_joined"))

declare(
    User,
    fields=(
        "email", "first_name", "last_name", "display_name", "birth_date", "postal_code",
        "is_department_agent", "holds_elected_office", "date_joined", "last_login",
        "groups",
    ),
    purpose=_("Identify participants, let them log in, check eligibility to the assembly."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _(
            "While the account is in use. One year after the end of the person's own last "
            "assembly (the one they sat in; for staff, the one in office when they last "
            "logged in), an account with no current membership and no login for a year is "
            "erased, as on request (contributions to collective work stay, under a "
            "pseudonym)."
        ),
        days=INACTIVE_DAYS,
        since=(_person_assembly_end(), LAST_SEEN),
        action=RetentionAction.ERASE_PERSON,
        applies_to=(
            Q(erased_at__isnull=True) & ~Q(pk__in=Membership.objects.open().values("user_id"))
        ),
    ),
    # The row stays so that collective work keeps an author: « Participant·e n°N ».
    erasure=Erasure.ANONYMISE_FIELDS,
    anonymise={
        "email": erased_email,
        "first_name": "",
        "last_name": "",
        "display_name": "",
        "birth_date": None,
        "postal_code": "",
        "is_department_agent": False,
        "holds_elected_office": False,
        "last_login": None,
    },
    eraser=end_roles_and_cached_traces,
    machine_text=("password",),
    categories_of_people=MEMBERS_AND_STAFF,
    recipients=_("DCCU team; facilitators see names and subgroups"),
    notes=_("The groups are the staff roles (facilitator, agent, DCCU team, DPO, follow-up "
            "committee), granted by the DCCU; member roles follow from the membership. An "
            "erased account is inactive and holds no role."),
)


# --- The authentication stack wired in by this app -------------------------------------
from allauth.account.models import EmailAddress  # noqa: E402
from allauth.mfa.models import Authenticator  # noqa: E402
from django.contrib.admin.models import LogEntry  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from guardian.models import UserObjectPermission  # noqa: E402

declare(
    EmailAddress,
    subject="user",
    fields=("email", "verified", "primary"),
    purpose=_("Send login codes, password resets and notifications."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the account exists.")),
    erasure=Erasure.DELETE,
    categories_of_people=MEMBERS_AND_STAFF,
    recipients=_("DCCU team"),
)
declare(
    Authenticator,
    subject="user",
    fields=("type", "created_at", "last_used_at"),
    purpose=_("Two-factor authentication of staff who can see personal data."),
    legal_basis=LegalBasis.LEGAL_OBLIGATION,
    retention=Retention(_("As long as the account exists.")),
    erasure=Erasure.DELETE,
    categories_of_people=_("DCCU team, DPO, and anyone who turns it on"),
    recipients=_("nobody (secrets are encrypted and never shown)"),
    notes=_("The TOTP secret and recovery codes are never exported."),
)
declare(
    Session,
    fields=("session_key", "expire_date"),
    purpose=_("Keep a person logged in."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Until logout or 14 days of inactivity; expired sessions are deleted every night."),
        days=0,
        since="expire_date",
    ),
    erasure=Erasure.DELETE,
    export=export_sessions,
    eraser=end_sessions,
    machine_text=("session_data",),
    categories_of_people=MEMBERS_AND_STAFF,
    recipients=_("nobody"),
    notes=_("The session refers to its person inside its encoded data; erasure ends them all."),
)
declare(
    LogEntry,
    subject="user",
    fields=("action_time", "object_repr", "change_message"),
    purpose=_("Trace changes made by the DCCU team in the administration."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("1 year."), days=365, since="action_time"),
    erasure=Erasure.PSEUDONYMISE,
    machine_text=("object_id",),
    categories_of_people=_("DCCU team"),
    recipients=_("DCCU team, DPO"),
)
declare(
    UserObjectPermission,
    subject="user",
    fields=("permission", "object_pk"),
    machine_text=("object_pk",),
    purpose=_("Grant a person rights on one object (a room, a draft, a document)."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the account exists.")),
    erasure=Erasure.DELETE,
    categories_of_people=MEMBERS_AND_STAFF,
    recipients=_("nobody"),
)


# --- Invitations (assembly.invitations) --------------------------------------------------
from accounts.models import Invitation  # noqa: E402

declare(
    Invitation,
    subject="user",
    fields=(
        "email", "first_name", "last_name", "role", "seat", "substitute_rank", "invited_by",
        "created_at", "expires_at", "sent_at", "accepted_at", "revoked_at",
    ),
    actors={"invited_by": ("role", "seat", "created_at", "sent_at", "accepted_at",
                           "revoked_at")},
    shown_as={"invited_by": _("the DCCU team")},
    purpose=_("Invite the people drawn by lot and the staff to open their account, once."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _("Invitations never accepted (expired or revoked): 30 days after the link expires. "
          "An accepted invitation stays with its account, as the record of how it was "
          "opened, and goes with it."),
        days=30,
        since="expires_at",
        applies_to=Q(accepted_at__isnull=True),
    ),
    erasure=Erasure.DELETE,
    eraser=delete_invitations_to,
    machine_text=("token_hash",),
    categories_of_people=_("people drawn by lot (members and substitutes), invited staff"),
    recipients=_("DCCU team"),
    notes=_(
        "Only a hash of the link is stored. An invitation not yet accepted is linked to "
        "its person by the email address until the account exists."
    ),
)


# --- Comfort: guided first visits and reading settings (accounts.tours, accounts.comfort) ---
from accounts.models import ReadingPreferences, TourProgress  # noqa: E402

declare(
    TourProgress,
    subject="user",
    fields=("tour", "outcome", "step", "created_at", "updated_at"),
    purpose=_("Offer each person the guided first visit of their role once, and not again "
              "after they finished or skipped it."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the account exists; « Replay the guided visit » "
                          "deletes it.")),
    erasure=Erasure.DELETE,
    categories_of_people=MEMBERS_AND_STAFF,
    recipients=_("the person only"),
)
declare(
    ReadingPreferences,
    subject="user",
    fields=("text_size", "high_contrast", "reduced_motion", "dyslexia_spacing", "updated_at"),
    purpose=_("Show the pages the way the person reads best: text size, contrast, motion and "
              "spacing, on every device."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the account exists.")),
    erasure=Erasure.DELETE,
    categories_of_people=MEMBERS_AND_STAFF,
    recipients=_("the person only"),
    notes=_("A choice of presentation, not a statement of health: nothing asks why."),
)
