"""Information and consent: the welcome gate, optional purposes and the versioned texts.

Three things live here, each as plain operations that views, the staff pages,
scripts and tests all call:

- **The gate.** Before using the platform, a person reads the current privacy
  notice (a READ record) and accepts the current charter (ACCEPTED). Every new
  published version of either is asked again. Refusing the charter is recorded
  (REFUSED) and leaves the person an exit: contact the DCCU, ask for erasure,
  log out — or change their mind.
- **Optional purposes** (``OptionalPurpose``): off until the person opts in.
  The last GRANTED or WITHDRAWN record wins. A consent given to an older text
  still counts after a new version is published, unless that version *asks
  everyone again* (``PolicyText.asks_again``, on by default): from then on only
  records about that version or a later one count, so an earlier consent
  lapses and the person sees that the text changed. Withdrawing is one click,
  and the DCCU may record a consent or a withdrawal given on paper.
- **Texts.** The DCCU or the DPD write a draft of the next version of a text and
  publish it; published versions never change.

Consent records are append-only proofs; every operation also leaves an audit
entry (no text bodies in it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role, has_role
from gdpr import audit
from gdpr.models import (
    ConsentDecision,
    ConsentMethod,
    ConsentRecord,
    OptionalPurpose,
    PolicyText,
    TextKind,
)

PURPOSE_DECISIONS = (ConsentDecision.GRANTED, ConsentDecision.WITHDRAWN)
CHARTER_DECISIONS = (ConsentDecision.ACCEPTED, ConsentDecision.REFUSED)


# --- Reading the texts ------------------------------------------------------------------


def current_texts() -> dict[tuple[str, str], PolicyText]:
    """The latest published version of every text, keyed by (kind, purpose). One query."""
    latest: dict[tuple[str, str], PolicyText] = {}
    for text in PolicyText.objects.filter(published_at__isnull=False).order_by("version"):
        latest[(text.kind, text.purpose)] = text
    return latest


def current_text(kind: str, purpose: str = "") -> PolicyText | None:
    return PolicyText.current(kind, purpose)


# --- The gate ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gate:
    """What a person still has to do before using the platform."""

    notice: PolicyText | None  # the current notice, when not read yet
    charter: PolicyText | None  # the current charter, when not accepted yet
    refused: bool  # their last word on the current charter is a refusal

    @property
    def is_open(self) -> bool:
        return self.notice is None and self.charter is None


def gate_for(user: Any) -> Gate:
    """Two small queries; runs on every page a logged-in person opens."""
    texts = [
        t
        for t in PolicyText.objects.filter(
            kind__in=(TextKind.NOTICE, TextKind.CHARTER), published_at__isnull=False
        ).order_by("version")
    ]
    notice = next((t for t in reversed(texts) if t.kind == TextKind.NOTICE), None)
    charter = next((t for t in reversed(texts) if t.kind == TextKind.CHARTER), None)
    current = [t.pk for t in (notice, charter) if t is not None]
    if not current:
        return Gate(None, None, False)  # nothing published: nothing to ask
    decisions = list(
        ConsentRecord.objects.filter(user=user, text_id__in=current)
        .order_by("recorded_at", "id")
        .values_list("text_id", "decision")
    )
    read = notice is not None and (notice.pk, ConsentDecision.READ) in decisions
    charter_words = [d for t, d in decisions if charter is not None and t == charter.pk
                     and d in CHARTER_DECISIONS]
    last_word = charter_words[-1] if charter_words else None
    return Gate(
        notice=None if read else notice,
        charter=None if last_word == ConsentDecision.ACCEPTED else charter,
        refused=last_word == ConsentDecision.REFUSED,
    )


def _check_published(text: PolicyText, kind: str) -> None:
    if text.kind != kind or not text.is_published:
        raise ValidationError(_("This text cannot be agreed to."))


def _record(
    person: Any, text: PolicyText, decision: str, *, method: str = ConsentMethod.WEB,
    recorded_by: Any = None,
) -> ConsentRecord:
    return ConsentRecord.objects.create(
        user=person, text=text, decision=decision, method=method, recorded_by=recorded_by
    )


def do_record_notice_read(actor: Any, text: PolicyText) -> ConsentRecord:
    """The person was shown this version of the privacy notice and went on."""
    _check_published(text, TextKind.NOTICE)
    with transaction.atomic():
        record = _record(actor, text, ConsentDecision.READ)
        audit.record(actor, "gdpr.notice.read", subject=actor, obj=record, version=text.version)
    return record


def do_accept_charter(actor: Any, text: PolicyText) -> ConsentRecord:
    _check_published(text, TextKind.CHARTER)
    with transaction.atomic():
        record = _record(actor, text, ConsentDecision.ACCEPTED)
        audit.record(
            actor, "gdpr.charter.accept", subject=actor, obj=record, version=text.version
        )
    return record


def do_refuse_charter(actor: Any, text: PolicyText) -> ConsentRecord:
    """Recorded as proof; the person keeps their rights (erasure, contact) but not the rest."""
    _check_published(text, TextKind.CHARTER)
    with transaction.atomic():
        record = _record(actor, text, ConsentDecision.REFUSED)
        audit.record(
            actor, "gdpr.charter.refuse", subject=actor, obj=record, version=text.version
        )
    return record


# --- Optional purposes ------------------------------------------------------------------


@dataclass(frozen=True)
class PurposeState:
    """One optional purpose as a person sees it on « Mes choix »."""

    purpose: OptionalPurpose
    text: PolicyText | None  # the current version, None when nothing is published
    given: bool
    last: ConsentRecord | None  # the record that decides ``given``
    lapsed: bool  # given to an earlier version, which a new one asked again


def _baseline(versions: list[PolicyText], current: PolicyText) -> int:
    """The oldest version whose records still count: the last one that asked again."""
    asking = [t.version for t in versions if t.is_published and t.version <= current.version
              and (t.asks_again or t.version == 1)]
    return max(asking, default=1)


def purpose_states(user: Any) -> list[PurposeState]:
    texts_by_purpose: dict[str, list[PolicyText]] = {}
    for text in PolicyText.objects.filter(kind=TextKind.PURPOSE, published_at__isnull=False):
        texts_by_purpose.setdefault(text.purpose, []).append(text)
    records = list(
        ConsentRecord.objects.filter(
            user=user, text__kind=TextKind.PURPOSE, decision__in=PURPOSE_DECISIONS
        )
        .select_related("text", "recorded_by")
        .order_by("-recorded_at", "-id")
    )
    states = []
    for purpose in OptionalPurpose:
        versions = texts_by_purpose.get(purpose.value, [])
        current = max(versions, key=lambda t: t.version, default=None)
        mine = [r for r in records if r.text.purpose == purpose.value]
        if current is None:
            states.append(PurposeState(purpose, None, False, None, False))
            continue
        floor = _baseline(versions, current)
        counting = [r for r in mine if r.text.version >= floor]
        last = counting[0] if counting else None
        given = last is not None and last.decision == ConsentDecision.GRANTED
        lapsed = not given and last is None and bool(mine) and (
            mine[0].decision == ConsentDecision.GRANTED
        )
        states.append(PurposeState(purpose, current, given, last, lapsed))
    return states


def is_offered(purpose: str) -> bool:
    """Whether people are asked about ``purpose`` here: web push only once the platform
    has its VAPID keys (settings.WEBPUSH_*); the others always."""
    if purpose == OptionalPurpose.WEB_PUSH:
        from django.conf import settings

        return bool(settings.WEBPUSH_VAPID_PUBLIC_KEY and settings.WEBPUSH_VAPID_PRIVATE_KEY)
    return True


def has_consent(user: Any, purpose: str) -> bool:
    """Whether ``user`` agrees to ``purpose`` now: off unless they opted in (see module doc)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    purpose = OptionalPurpose(purpose)
    return next(s.given for s in purpose_states(user) if s.purpose == purpose)


def consenting(people: Iterable[Any], purpose: str) -> set[str]:
    """The ids (as text) of those among ``people`` (users or ids) who agree to ``purpose``
    now, by the same rule as ``has_consent``, in two queries however many people."""
    purpose = OptionalPurpose(purpose)
    ids = {str(getattr(p, "pk", p)) for p in people if p is not None}
    versions = list(PolicyText.objects.filter(
        kind=TextKind.PURPOSE, purpose=purpose.value, published_at__isnull=False
    ))
    current = max(versions, key=lambda t: t.version, default=None)
    if not ids or current is None:
        return set()
    floor = _baseline(versions, current)
    last: dict[str, str] = {}
    for user_id, decision in (
        ConsentRecord.objects.filter(
            user_id__in=ids, text__kind=TextKind.PURPOSE, text__purpose=purpose.value,
            text__version__gte=floor, decision__in=PURPOSE_DECISIONS,
        ).order_by("recorded_at", "id").values_list("user_id", "decision")
    ):
        last[str(user_id)] = decision
    return {user_id for user_id, decision in last.items() if decision == ConsentDecision.GRANTED}


def consent_history(user: Any) -> Any:
    """Every record about the person, newest first: what they read, accepted, gave, withdrew."""
    return (
        ConsentRecord.objects.filter(user=user)
        .select_related("text", "recorded_by")
        .order_by("-recorded_at", "-id")
    )


def _state(person: Any, purpose: str) -> PurposeState:
    try:
        purpose = OptionalPurpose(purpose)
    except ValueError as exc:
        raise ValidationError(_("Unknown choice.")) from exc
    state = next(s for s in purpose_states(person) if s.purpose == purpose)
    if state.text is None:
        raise ValidationError(_("This choice is not available yet."))
    return state


# What stops when a person withdraws a purpose, registered by the app that processes it
# (e.g. notifications forgets the person's web push devices): run inside the withdrawal's
# transaction, with the person.
_ON_WITHDRAWAL: dict[str, list[Callable[[Any], None]]] = {}


def on_withdrawal(purpose: str, stop: Callable[[Any], None]) -> None:
    """Call ``stop(person)`` whenever ``person`` withdraws ``purpose`` (web or paper)."""
    hooks = _ON_WITHDRAWAL.setdefault(OptionalPurpose(purpose).value, [])
    if stop not in hooks:
        hooks.append(stop)


def _change_consent(
    actor: Any, person: Any, purpose: str, decision: str, *, method: str,
    recorded_by: Any = None,
) -> ConsentRecord | None:
    with transaction.atomic():
        state = _state(person, purpose)
        assert state.text is not None  # noqa: S101 - checked by _state
        if decision == ConsentDecision.GRANTED and state.given and state.last is not None and (
            state.last.text_id == state.text.pk
        ):
            return None  # already given to this very text: nothing new to prove
        if decision == ConsentDecision.WITHDRAWN and not state.given:
            return None
        record = _record(person, state.text, decision, method=method, recorded_by=recorded_by)
        action = "gdpr.consent.give" if decision == ConsentDecision.GRANTED else (
            "gdpr.consent.withdraw"
        )
        audit.record(
            actor, action, subject=person, obj=record, purpose=str(state.purpose.value),
            version=state.text.version, method=method,
        )
        if decision == ConsentDecision.WITHDRAWN:
            for stop in _ON_WITHDRAWAL.get(state.purpose.value, []):
                stop(person)
    return record


def do_give_consent(actor: Any, purpose: str) -> ConsentRecord | None:
    """The person opts in to ``purpose``, on the current version of its text.

    Returns None when there was nothing to change.
    """
    return _change_consent(actor, actor, purpose, ConsentDecision.GRANTED,
                           method=ConsentMethod.WEB)


def do_withdraw_consent(actor: Any, purpose: str) -> ConsentRecord | None:
    """As easy as giving: one call, no reason asked. None when nothing was given."""
    return _change_consent(actor, actor, purpose, ConsentDecision.WITHDRAWN,
                           method=ConsentMethod.WEB)


def can_record_paper_consent(user: Any) -> bool:
    return has_role(user, Role.DCCU)


def do_record_paper_consent(
    actor: Any, *, person: Any, purpose: str, decision: str
) -> ConsentRecord | None:
    """The DCCU types in a consent (or a withdrawal) a member gave on a signed paper form."""
    if not can_record_paper_consent(actor):
        raise PermissionDenied
    if decision not in PURPOSE_DECISIONS:
        raise ValidationError(_("Choose whether the person gives or withdraws their consent."))
    if not person.is_active:
        raise ValidationError(_("This account is not active."))
    return _change_consent(
        actor, person, purpose, decision, method=ConsentMethod.PAPER, recorded_by=actor
    )


# --- Writing and publishing the texts ---------------------------------------------------


def can_manage_texts(user: Any) -> bool:
    return has_role(user, Role.DCCU, Role.DPD)


def can_view_consents_of_others(user: Any) -> bool:
    return has_role(user, Role.DCCU, Role.DPD)


def _check_manager(actor: Any) -> None:
    if not can_manage_texts(actor):
        raise PermissionDenied


def _check_draft(text: PolicyText) -> None:
    if text.is_published:
        raise ValidationError(_("A published text cannot be changed: write a new version."))


def _clean_text_fields(title: str, body: str) -> tuple[str, str]:
    title, body = title.strip(), body.strip()
    if not title or not body:
        raise ValidationError(_("A text needs a title and a body."))
    return title, body + "\n"


def draft_of(kind: str, purpose: str = "") -> PolicyText | None:
    return PolicyText.objects.filter(kind=kind, purpose=purpose, published_at__isnull=True).first()


def do_create_policy_draft(
    actor: Any, *, kind: str, purpose: str = "", title: str, body: str, asks_again: bool = True
) -> PolicyText:
    """The next version of a text, unpublished. One draft per text at a time."""
    _check_manager(actor)
    kind = TextKind(kind)
    if (kind == TextKind.PURPOSE) != bool(purpose):
        raise ValidationError(_("Only optional purposes have a purpose."))
    if purpose:
        purpose = OptionalPurpose(purpose)
    title, body = _clean_text_fields(title, body)
    with transaction.atomic():
        if draft_of(kind, purpose) is not None:
            raise ValidationError(_("A draft of this text already exists: edit it instead."))
        last = PolicyText.objects.filter(kind=kind, purpose=purpose).aggregate(v=Max("version"))
        text = PolicyText.objects.create(
            kind=kind, purpose=purpose, version=(last["v"] or 0) + 1, title=title, body=body,
            asks_again=asks_again or kind != TextKind.PURPOSE,
        )
        audit.record(actor, "gdpr.text.draft", obj=text, kind=kind, purpose=purpose,
                     version=text.version)
    return text


def do_update_policy_draft(
    actor: Any, text: PolicyText, *, title: str, body: str, asks_again: bool | None = None
) -> PolicyText:
    _check_manager(actor)
    title, body = _clean_text_fields(title, body)
    with transaction.atomic():
        text = PolicyText.objects.select_for_update().get(pk=text.pk)
        _check_draft(text)
        text.title, text.body = title, body
        if asks_again is not None:
            text.asks_again = asks_again or text.kind != TextKind.PURPOSE
        text.save(update_fields=["title", "body", "asks_again"])
        audit.record(actor, "gdpr.text.update", obj=text, version=text.version)
    return text


def do_publish_policy_text(
    actor: Any, text: PolicyText, *, asks_again: bool = True
) -> PolicyText:
    """Publish a draft. A new notice or charter is always asked again at the next page."""
    _check_manager(actor)
    with transaction.atomic():
        text = PolicyText.objects.select_for_update().get(pk=text.pk)
        _check_draft(text)
        text.published_at = timezone.now()
        text.asks_again = True if text.kind != TextKind.PURPOSE else asks_again
        text.save(update_fields=["published_at", "asks_again"])
        audit.record(actor, "gdpr.text.publish", obj=text, kind=text.kind,
                     purpose=text.purpose, version=text.version, asks_again=text.asks_again)
    return text


def do_discard_policy_draft(actor: Any, text: PolicyText) -> None:
    _check_manager(actor)
    with transaction.atomic():
        text = PolicyText.objects.select_for_update().get(pk=text.pk)
        _check_draft(text)
        audit.record(actor, "gdpr.text.discard", obj=text, version=text.version)
        text.delete()


# --- What each optional purpose processes (the register) --------------------------------


@dataclass(frozen=True)
class PurposeProcessing:
    """What an optional purpose does with personal data, as the register states it.

    Every ``OptionalPurpose`` is a processing activity on the legal basis of
    consent (art. 6(1)(a)); ``gdpr.register`` lists one entry per purpose, so a
    new purpose is in the register the day it is added.
    """

    data: str | Promise
    categories_of_people: str | Promise
    recipients: str | Promise
    retention: str | Promise
    notes: str | Promise = ""


CONSENT_PROOF = gettext_lazy(
    "Only while the consent stands: withdrawing it stops the processing at once. The "
    "proof of each decision (gdpr.ConsentRecord) is kept 7 years."
)

PURPOSE_PROCESSING: dict[str, PurposeProcessing] = {
    OptionalPurpose.SHOW_CANTON: PurposeProcessing(
        data=gettext_lazy("the canton of the person's seat, shown next to their name"),
        categories_of_people=gettext_lazy("members and substitutes who opted in"),
        recipients=gettext_lazy("the other people on the platform who see the name"),
        retention=CONSENT_PROOF,
        notes=gettext_lazy(
            "The canton itself is kept with the membership (public task); only showing it "
            "to others rests on consent."
        ),
    ),
    OptionalPurpose.EMAIL_DIGEST: PurposeProcessing(
        data=gettext_lazy(
            "email address; titles, authors and links of the new messages in the person's "
            "conversations; the time of the last digest"
        ),
        categories_of_people=gettext_lazy("everyone with an account who opted in"),
        recipients=gettext_lazy(
            "the person only, by email through the département's mail server"
        ),
        retention=CONSENT_PROOF,
        notes=gettext_lazy(
            "The digest is built when it is sent and not stored; the time of the last one "
            "is kept with the notification preferences."
        ),
    ),
    OptionalPurpose.RECORDINGS: PurposeProcessing(
        data=gettext_lazy(
            "the person's image and voice in photos, videos and sound recordings of sessions"
        ),
        categories_of_people=gettext_lazy("members, substitutes and staff who opted in"),
        recipients=gettext_lazy(
            "DCCU team; the public for the reports and the information on the assembly's "
            "work; the département's archives"
        ),
        retention=CONSENT_PROOF,
        notes=gettext_lazy(
            "The images are not stored on the platform. When consent is withdrawn, published "
            "images are withdrawn where possible and no new image of the person is used."
        ),
    ),
    OptionalPurpose.WEB_PUSH: PurposeProcessing(
        data=gettext_lazy(
            "for each device the person chose: the address its browser's push service gave "
            "and the device's keys; the time of the last push delivered"
        ),
        categories_of_people=gettext_lazy("everyone with an account who opted in"),
        recipients=gettext_lazy(
            "the push service of the person's browser (Google, Mozilla, Apple or Microsoft), "
            "which sees only an encrypted count of new notifications"
        ),
        retention=gettext_lazy(
            "Only while the consent stands: withdrawing it deletes every device at once; a "
            "device the push service no longer knows, or that fails 5 times in a row, is "
            "deleted. The proof of each decision (gdpr.ConsentRecord) is kept 7 years."
        ),
        notes=gettext_lazy(
            "Offered only when the platform has its own VAPID keys. The push says « you "
            "have N new notifications » and links to the notification page: no name, no "
            "text, encrypted for the device alone (RFC 8291)."
        ),
    ),
}

UNDESCRIBED_PURPOSE = PurposeProcessing(
    data=gettext_lazy("the person's choice, and what the purpose's text describes"),
    categories_of_people=gettext_lazy("everyone with an account who opted in"),
    recipients=gettext_lazy("as the purpose's text describes"),
    retention=CONSENT_PROOF,
)


def purpose_processing(purpose: str) -> PurposeProcessing:
    """What ``purpose`` processes; a purpose not described yet is still in the register."""
    return PURPOSE_PROCESSING.get(purpose, UNDESCRIBED_PURPOSE)
