"""The assembly, the institution: cantons, seats, memberships, mandates, subgroups.

The tables keep the names they had when these models lived in ``deliberation``
(``db_table``): the move to this app changed no row (migration ``assembly.0001``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.roles import Role, has_role

if TYPE_CHECKING:
    from accounts.models import User


class TimeStamped(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Assembly(TimeStamped):
    """One citizens' assembly and its mandate (20 months for the 2025–2027 one)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(_("name"), max_length=200)
    mandate_start = models.DateField(_("start of the mandate"))
    mandate_end = models.DateField(_("end of the mandate"))
    # Indemnities (assembly.indemnities): the amount per day of presence at a plenary, how
    # many plenaries a year are paid, and the month the indemnity year starts (October:
    # plenaries are held from October to June).
    indemnity_per_day = models.DecimalField(
        _("indemnity per day of plenary"), max_digits=7, decimal_places=2, default=90
    )
    indemnity_max_plenaries = models.PositiveSmallIntegerField(
        _("plenaries paid per year at most"), default=4
    )
    indemnity_year_start_month = models.PositiveSmallIntegerField(
        _("month the indemnity year starts"), default=10,
        help_text=_("1 = January … 10 = October."),
    )
    indemnity_counts_online = models.BooleanField(
        _("online presence at a plenary is paid"), default=True,
        help_text=_("A member who attends a plenary by video is paid like one in the room."),
    )

    class Meta:
        db_table = "deliberation_assembly"
        verbose_name = _("assembly")
        verbose_name_plural = _("assemblies")
        ordering = ["-mandate_start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(mandate_end__gt=models.F("mandate_start")),
                name="assembly_mandate_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(indemnity_year_start_month__gte=1, indemnity_year_start_month__lte=12),
                name="assembly_indemnity_month_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls, on: date | None = None) -> Assembly | None:
        on = on or timezone.localdate()
        return (
            cls.objects.filter(mandate_start__lte=on, mandate_end__gte=on).first()
            or cls.objects.first()
        )


def mandate_end_in_office(written_at: Any) -> Subquery:
    """The end of the mandate of the assembly in office when a row was written.

    ``written_at`` names a datetime field of the outer query's rows (or is an expression
    of it). The assembly in office is the latest begun on that day (the previous one,
    between two assemblies); before the first assembly the answer is NULL. For rows that
    belong to no mandate — a direct conversation, a library comment — this is their
    assembly, which retention counts from (``gdpr.retention``).
    """
    when = OuterRef(written_at) if isinstance(written_at, str) else written_at
    # The wrapper gives the outer reference its type, which TruncDate needs to resolve.
    day = TruncDate(ExpressionWrapper(when, output_field=models.DateTimeField()))
    in_office = Assembly.objects.filter(mandate_start__lte=day).order_by("-mandate_start")
    return Subquery(in_office.values("mandate_end")[:1], output_field=models.DateField())


class Canton(models.Model):
    """One of the 27 cantons of Haute-Garonne (created by a data migration)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        db_table = "deliberation_canton"
        verbose_name = _("canton")
        verbose_name_plural = _("cantons")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SeatCategory(models.TextChoices):
    FEMME_18_44 = "f18", _("woman 18–44")
    FEMME_45 = "f45", _("woman 45 and over")
    HOMME_18_44 = "h18", _("man 18–44")
    HOMME_45 = "h45", _("man 45 and over")


class Seat(models.Model):
    """A seat of an assembly: one canton × one category (108 per assembly)."""

    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, related_name="seats", verbose_name=_("assembly")
    )
    canton = models.ForeignKey(
        Canton, on_delete=models.PROTECT, related_name="seats", verbose_name=_("canton")
    )
    category = models.CharField(_("category"), max_length=3, choices=SeatCategory.choices)

    class Meta:
        db_table = "deliberation_seat"
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["canton__name", "category"]
        constraints = [
            models.UniqueConstraint(
                fields=["assembly", "canton", "category"], name="seat_unique_per_assembly"
            )
        ]

    def __str__(self) -> str:
        return f"{self.canton} — {self.get_category_display()}"


class MembershipKind(models.TextChoices):
    TITULAIRE = "titulaire", _("full member")
    REMPLACANT = "remplacant", _("substitute")


class EndReason(models.TextChoices):
    RESIGNATION = "demission", _("resignation")
    INELIGIBLE = "demission_office", _("démission d'office (no longer eligible)")
    PROMOTED = "promotion", _("became full member")
    MANDATE_END = "fin_mandat", _("end of the mandate")
    DECEASED = "deces", _("death")
    OTHER = "autre", _("other")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: date | None = None) -> MembershipQuerySet:
        on = on or timezone.localdate()
        return self.filter(start__lte=on).filter(Q(end__isnull=True) | Q(end__gt=on))

    def open(self) -> MembershipQuerySet:
        """Memberships that have not been ended (the database invariants' scope)."""
        return self.filter(end__isnull=True)


class Membership(TimeStamped):
    """A person's place in the assembly: titulaire of a seat, or ranked substitute.

    The invariants are database constraints on *open* memberships (no end
    date): one titulaire per seat, one open membership per person, one
    substitute per rank and seat. ``assembly.actions`` checks the same
    rules first, so people get a clear message rather than an IntegrityError.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("person"),
    )
    seat = models.ForeignKey(
        Seat, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("seat")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=MembershipKind.choices)
    substitute_rank = models.PositiveSmallIntegerField(_("substitute rank"), null=True, blank=True)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), null=True, blank=True)
    end_reason = models.CharField(
        _("end reason"), max_length=20, choices=EndReason.choices, blank=True
    )
    # Why, in words: the member's own reason (optional), the DCCU's (required), or the
    # incompatibility that caused a « démission d'office ».
    end_note = models.TextField(_("reason given"), blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ended by"),
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        db_table = "deliberation_membership"
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["seat__canton__name", "seat__category", "kind", "substitute_rank"]
        constraints = [
            models.UniqueConstraint(
                fields=["seat"],
                condition=Q(kind="titulaire", end__isnull=True),
                name="membership_one_titulaire_per_seat",
            ),
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(end__isnull=True),
                name="membership_one_open_per_person",
            ),
            models.UniqueConstraint(
                fields=["seat", "substitute_rank"],
                condition=Q(kind="remplacant", end__isnull=True),
                name="membership_unique_substitute_rank",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="titulaire", substitute_rank__isnull=True)
                    # isnull: in SQL, NULL >= 1 is unknown, which a CHECK lets through.
                    | Q(kind="remplacant", substitute_rank__isnull=False, substitute_rank__gte=1)
                ),
                name="membership_rank_only_for_substitutes",
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="membership_end_after_start",
            ),
            models.CheckConstraint(
                condition=(
                    Q(end__isnull=True, end_reason="") | Q(end__isnull=False) & ~Q(end_reason="")
                ),
                name="membership_end_reason_with_end",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_kind_display()} — {self.seat}"

    @property
    def is_open(self) -> bool:
        return self.end is None


class OfferStatus(models.TextChoices):
    PENDING = "pending", _("waiting for an answer")
    ACCEPTED = "accepted", _("accepted")
    DECLINED = "declined", _("declined")
    EXPIRED = "expired", _("no answer in time")
    WITHDRAWN = "withdrawn", _("withdrawn")


class SeatOfferQuerySet(models.QuerySet["SeatOffer"]):
    def pending(self) -> SeatOfferQuerySet:
        return self.filter(status=OfferStatus.PENDING)


class SeatOffer(TimeStamped):
    """A freed seat offered to one substitute of that seat, who accepts or declines.

    The seat stays vacant while the offer waits; a decline or no answer by ``expires_at``
    passes it to the next eligible substitute of the same seat (docs/assembly.md). All the
    offers made for one departure share its ``vacated`` membership, so nobody is asked
    twice for the same vacancy.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seat = models.ForeignKey(
        Seat, on_delete=models.PROTECT, related_name="offers", verbose_name=_("seat")
    )
    vacated = models.ForeignKey(
        Membership, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("departure that freed the seat"),
    )
    substitute = models.ForeignKey(
        Membership, on_delete=models.PROTECT, related_name="seat_offers",
        verbose_name=_("substitute membership"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seat_offers",
        verbose_name=_("person"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=OfferStatus.choices, default=OfferStatus.PENDING
    )
    expires_at = models.DateTimeField(_("answer expected by"))
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    answer_note = models.TextField(_("reason given"), blank=True)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    # The titulaire membership the acceptance created (its onboarding starts from it).
    became = models.ForeignKey(
        Membership, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("resulting membership"),
    )

    objects = SeatOfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("seat offer")
        verbose_name_plural = _("seat offers")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["seat"], condition=Q(status="pending"), name="seat_offer_one_pending"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", answered_at__isnull=True)
                | ~Q(status="pending") & Q(answered_at__isnull=False),
                name="seat_offer_answered_unless_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.seat} → {self.user}"

    @property
    def is_pending(self) -> bool:
        return self.status == OfferStatus.PENDING

    def get_abilities(self, user: User | Any) -> dict[str, bool]:
        """The substitute answers their own pending offer; the DCCU reads every offer."""
        mine = bool(getattr(user, "is_authenticated", False)) and user.pk == self.user_id
        return {
            "read": mine or has_role(user, Role.DCCU),
            "answer": mine and self.is_pending,
        }


class MandateKind(models.TextChoices):
    SAISINE = "saisine", _("referral by the president (saisine)")
    AUTO_SAISINE = "auto_saisine", _("self-referral (auto-saisine)")


class Mandate(TimeStamped):
    """A question the assembly works on, referred by the president or taken up itself."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, related_name="mandates", verbose_name=_("assembly")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=MandateKind.choices)
    title = models.CharField(_("title"), max_length=200)
    question = models.TextField(_("question"))
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))

    class Meta:
        db_table = "deliberation_mandate"
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["-start"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=models.F("start")), name="mandate_end_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def is_current(self, on: date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.start <= on <= self.end


class Subgroup(TimeStamped):
    """A thematic subgroup of a mandate: its members and its facilitators."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    mandate = models.ForeignKey(
        Mandate, on_delete=models.CASCADE, related_name="subgroups", verbose_name=_("mandate")
    )
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="subgroups",
        blank=True,
        verbose_name=_("members"),
    )
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="facilitated_subgroups",
        blank=True,
        verbose_name=_("facilitators"),
    )
    # Readers of its proposals who may not edit them (other subgroups, substitutes,
    # agents) may still suggest changes in the drafts (deliberation/suggestions.py).
    reader_suggestions = models.BooleanField(
        _("allow readers' suggestions"),
        default=False,
        help_text=_(
            "Readers who may not write in this subgroup's drafts (other subgroups, "
            "substitutes, agents) may suggest changes there; its writers accept or reject them."
        ),
    )

    class Meta:
        db_table = "deliberation_subgroup"
        verbose_name = _("subgroup")
        verbose_name_plural = _("subgroups")
        ordering = ["mandate", "name"]
        constraints = [
            models.UniqueConstraint(fields=["mandate", "name"], name="subgroup_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

    def get_abilities(self, user: User | Any) -> dict[str, bool]:
        is_member = self.members.filter(pk=user.pk).exists() if user.is_authenticated else False
        is_facilitator = (
            self.facilitators.filter(pk=user.pk).exists() if user.is_authenticated else False
        )
        staff = has_role(user, Role.DCCU)
        return {
            "read": is_member or is_facilitator or staff or has_role(user, Role.AGENT),
            "participate": is_member or is_facilitator,
            "facilitate": is_facilitator or staff,
            "manage": staff,
        }


class SessionKind(models.TextChoices):
    PLENIERE = "pleniere", _("plenary")
    INTERPLENIERE = "interpleniere", _("inter-plenary")
    SOUS_GROUPE = "sous_groupe", _("subgroup session")
    COMITE_SUIVI = "comite_suivi", _("follow-up committee")
    PREPARATION = "preparation", _("preparation meeting")
    RENCONTRE = "rencontre", _("meeting with the public")


class Session(TimeStamped):
    """A dated meeting of the assembly: a plenary, a subgroup session, the follow-up
    committee… held at a place, online (the live call of its room), or both.

    Who is convened follows from the kind: every member for a plenary, the subgroup's
    members for a subgroup session, the committee for its meetings (``assembly.sessions``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("assembly")
    )
    mandate = models.ForeignKey(
        Mandate, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions",
        verbose_name=_("mandate"),
    )
    subgroup = models.ForeignKey(
        Subgroup, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions",
        verbose_name=_("subgroup"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SessionKind.choices)
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=300, blank=True)
    online = models.BooleanField(_("online (live call)"), default=False)
    agenda = models.TextField(_("agenda"), blank=True)
    facilitators = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="facilitated_sessions",
        verbose_name=_("facilitators"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("created by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Library documents to read before the session (each shown to those who may read it).
    documents = models.ManyToManyField(
        "documents.Document", blank=True, related_name="sessions", verbose_name=_("documents"),
    )

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(kind="sous_groupe") | Q(subgroup__isnull=False),
                name="session_subgroup_for_subgroup_sessions",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def day(self) -> date:
        return timezone.localtime(self.starts_at).date()

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    def get_abilities(self, user: User | Any) -> dict[str, bool]:
        from assembly.sessions import rights_on_session

        return rights_on_session(self, user)


class AttendanceMode(models.TextChoices):
    ON_SITE = "sur_place", _("on site")
    ONLINE = "visio", _("online")


class AttendanceSource(models.TextChoices):
    LIST = "liste", _("checked in by a facilitator")
    QR = "qr", _("scanned the venue's code")
    CALL = "appel", _("joined the session's call")
    CORRECTION = "correction", _("corrected")


class Attendance(TimeStamped):
    """That a person was at a session (one row per person and session; absent = no row).

    Every change is also written to ``AttendanceChange``: attendance feeds indemnities,
    which are paid, so it keeps its history.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("session")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendances",
        verbose_name=_("person"),
    )
    mode = models.CharField(_("mode"), max_length=10, choices=AttendanceMode.choices)
    source = models.CharField(_("source"), max_length=12, choices=AttendanceSource.choices)
    # A fraction of the day (a member who left at noon): 1 = the whole session.
    share = models.DecimalField(_("share of the day"), max_digits=3, decimal_places=2, default=1)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        ordering = ["session__starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="attendance_once"),
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1), name="attendance_share_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.session}"


class AttendanceChange(models.Model):
    """The log of attendance: who recorded or corrected whose presence, when, and why."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attendance_changes",
        verbose_name=_("session"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance_changes",
        verbose_name=_("person"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("recorded by"),
    )
    present = models.BooleanField(_("present"))
    mode = models.CharField(_("mode"), max_length=10, choices=AttendanceMode.choices, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=AttendanceSource.choices)
    share = models.DecimalField(
        _("share of the day"), max_digits=3, decimal_places=2, null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("attendance change")
        verbose_name_plural = _("attendance changes")
        ordering = ["at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="correction") | ~Q(reason=""),
                name="attendance_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.session} — {self.at:%Y-%m-%d %H:%M}"


# Drawing lots lives in its own module; importing it here registers its models.
from assembly.models_draws import Draw, Volunteer  # noqa: E402, F401


class ReplyAnswer(models.TextChoices):
    COMING = "vient", _("I am coming")
    NOT_COMING = "absent", _("I am not coming")
    ONLINE = "visio", _("I will join online")


class SessionReply(TimeStamped):
    """A convened person's answer to a convocation; changeable until the session starts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="replies", verbose_name=_("session")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_replies",
        verbose_name=_("person"),
    )
    answer = models.CharField(_("answer"), max_length=10, choices=ReplyAnswer.choices)

    class Meta:
        verbose_name = _("reply to a convocation")
        verbose_name_plural = _("replies to convocations")
        ordering = ["session__starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "user"], name="session_reply_once"),
            models.CheckConstraint(
                condition=Q(answer__in=ReplyAnswer.values), name="session_reply_known_answer"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.session}: {self.answer}"


class MailingKind(models.TextChoices):
    CONVOCATION = "convocation", _("convocation")
    REMINDER_7 = "rappel_j7", _("reminder 7 days before")
    REMINDER_1 = "rappel_j1", _("reminder the day before")
    CANCELLATION = "annulation", _("cancellation")


class SessionMailing(models.Model):
    """What was sent to whom about a session: the reminders' memory (one of each kind per
    person and session, never two)."""

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="mailings", verbose_name=_("session")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_mailings",
        verbose_name=_("person"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=MailingKind.choices)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("message about a session")
        verbose_name_plural = _("messages about sessions")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "kind"], name="session_mailing_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} — {self.session} — {self.user}"


class CalendarFeed(TimeStamped):
    """A person's secret calendar address (ICS). Regenerating it revokes the old one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed",
        verbose_name=_("person"),
    )
    token = models.CharField(_("secret"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user}"
class SessionDocumentKind(models.TextChoices):
    NOTE_CADRAGE = "note_cadrage", _("framing note")
    COMPTE_RENDU = "compte_rendu", _("minutes")
    SYNTHESE = "synthese", _("synthesis")


class SessionDocument(TimeStamped):
    """A document due for a session (its framing note, minutes or synthesis), co-written
    live: its text is the Yjs document of the same id (``workshops.YDocument``, kind
    "sessiondoc", socket /ws/session-docs/<id>). The rules of what is due when are in
    ``assembly.deadlines``; delivering it freezes the text and keeps a version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="deliverables", verbose_name=_("session")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=SessionDocumentKind.choices)
    due_on = models.DateField(_("due on"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("delivered by"),
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("reopened by"),
    )

    class Meta:
        verbose_name = _("session document")
        verbose_name_plural = _("session documents")
        ordering = ["due_on", "session__starts_at"]
        constraints = [
            models.UniqueConstraint(fields=["session", "kind"], name="sessiondoc_once_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.session}"

    def get_abilities(self, user: User | Any) -> dict[str, bool]:
        """Rules in ``assembly.sessiondocs`` (its docstring): the people responsible write
        until it is delivered, then the people convened read it."""
        from assembly.sessiondocs import is_convened, is_responsible

        keys = ("read", "write", "deliver", "reopen", "export")
        if not getattr(user, "is_authenticated", False):
            return dict.fromkeys(keys, False)
        session = self.session
        responsible = is_responsible(session, user)
        delivered = self.delivered_at is not None
        if self.kind == SessionDocumentKind.NOTE_CADRAGE:
            # A working paper for the facilitators' network (« tuilage », Art. 4.2).
            reader = has_role(user, Role.FACILITATEUR)
        else:
            reader = is_convened(session, user)
        read = responsible or (delivered and reader)
        write = responsible and not delivered and session.cancelled_at is None
        return {
            "read": read,
            "write": write,
            "deliver": write,
            "reopen": delivered and has_role(user, Role.DCCU),
            "export": read and delivered,
        }


class DeadlineReminder(models.Model):
    """A reminder step sent for a document (« j-3 », « late-0 »…): each is sent once."""

    id = models.BigAutoField(primary_key=True)
    document = models.ForeignKey(
        SessionDocument, on_delete=models.CASCADE, related_name="reminders",
        verbose_name=_("document"),
    )
    step = models.CharField(_("step"), max_length=12)
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    recipients = models.PositiveIntegerField(_("recipients"), default=0)

    class Meta:
        verbose_name = _("deadline reminder")
        verbose_name_plural = _("deadline reminders")
        ordering = ["sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["document", "step"], name="reminder_once_per_step"),
        ]

    def __str__(self) -> str:
        return f"{self.document_id} {self.step}"


# --- Indemnities and travel claims (assembly.indemnities, assembly.claims) ----------------


class IndemnityStatement(TimeStamped):
    """A member's indemnity statement for one period, frozen when the DCCU validates it.

    ``lines`` keeps the detail as computed then (sessions, shares, amounts), so a later
    change of attendance never rewrites a validated statement: it takes a correction, a
    new statement that supersedes this one and says why (``correction_reason``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, related_name="indemnity_statements",
        verbose_name=_("assembly"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="indemnity_statements",
        verbose_name=_("person"),
    )
    period_start = models.DateField(_("start of the period"))
    period_end = models.DateField(_("end of the period"))
    plenaries = models.PositiveSmallIntegerField(_("plenaries paid"))
    days = models.DecimalField(_("days paid"), max_digits=6, decimal_places=2)
    amount = models.DecimalField(_("indemnity"), max_digits=9, decimal_places=2)
    travel_amount = models.DecimalField(
        _("travel costs approved"), max_digits=9, decimal_places=2, default=0
    )
    lines = models.JSONField(_("detail"), default=list)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("validated by"),
    )
    validated_at = models.DateTimeField(_("validated at"))
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    correction_reason = models.CharField(_("reason for the correction"), max_length=300,
                                         blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("indemnity statement")
        verbose_name_plural = _("indemnity statements")
        ordering = ["period_start", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["assembly", "user", "period_start"],
                condition=Q(superseded_at__isnull=True),
                name="indemnity_statement_one_current_per_period",
            ),
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True) | ~Q(correction_reason=""),
                name="indemnity_statement_correction_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.period_start:%Y}"

    @property
    def total(self) -> Any:
        return self.amount + self.travel_amount


class ClaimStatus(models.TextChoices):
    SUBMITTED = "soumise", _("submitted")
    APPROVED = "acceptee", _("approved")
    REFUSED = "refusee", _("refused")


class TravelClaim(TimeStamped):
    """A member's claim for the travel costs of a session, with receipts."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    assembly = models.ForeignKey(
        Assembly, on_delete=models.CASCADE, related_name="travel_claims",
        verbose_name=_("assembly"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="travel_claims",
        verbose_name=_("person"),
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, null=True, blank=True, related_name="travel_claims",
        verbose_name=_("session"),
    )
    date = models.DateField(_("date of the journey"))
    origin = models.CharField(_("departure"), max_length=200)
    destination = models.CharField(_("arrival"), max_length=200)
    amount = models.DecimalField(_("amount"), max_digits=8, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("travel claim")
        verbose_name_plural = _("travel claims")
        ordering = ["-date", "-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="travel_claim_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="refusee") | ~Q(decision_reason=""),
                name="travel_claim_refusal_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.date} — {self.amount} €"


class TravelReceipt(models.Model):
    """A receipt of a travel claim: checked by the library's door, stored privately."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    claim = models.ForeignKey(
        TravelClaim, on_delete=models.CASCADE, related_name="receipts", verbose_name=_("claim")
    )
    storage_name = models.CharField(_("stored as"), max_length=200)
    name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name
