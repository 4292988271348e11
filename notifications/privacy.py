"""Personal data held by the notification centre: who was told what, and their choices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import DateTimeField, ExpressionWrapper, F, Value
from django.db.models.functions import Coalesce, Least
from django.utils.translation import gettext_lazy as _

from gdpr.registry import Anchor, Erasure, LegalBasis, Retention, declare
from notifications.models import Notification, Preference, PushSubscription

PEOPLE = _("members, substitutes, facilitators, agents, DCCU team, follow-up committee")
READ_DAYS = 90
UNREAD_DAYS = 365

# Read: 90 days after it was read; never read: a year after it was written; in any case a
# year after it was written. The anchor is the date the 90 days count from.
_LATEST_START = ExpressionWrapper(
    F("created_at") + Value(dt.timedelta(days=UNREAD_DAYS - READ_DAYS)),
    output_field=DateTimeField(),
)
DUE_FROM = Anchor(
    "read, or 9 months after it was written",
    Least(Coalesce(F("read_at"), _LATEST_START), _LATEST_START, output_field=DateTimeField()),
)


def _forget_actor(person: Any, pseudonym: str) -> dict[str, int] | None:
    """An erased person no longer shows in anyone's notifications: « Quelqu'un » instead."""
    Notification.objects.filter(actor=person).update(actor=None)
    return None


declare(
    Notification,
    subject="recipient",
    fields=(
        "kind",
        "verb",
        "room",
        "message",
        "proposal",
        "document",
        "vote",
        "session",
        "session_document",
        "count",
        "created_at",
        "read_at",
    ),
    actors={"actor": ("kind", "created_at")},
    machine_text=("kind", "verb"),
    purpose=_(
        "Tell a person, in the page, what concerns them: mentions, replies, direct messages, "
        "moderation of what they wrote, their proposals' stages, new documents they follow, "
        "the plenary's votes they may take part in, the sessions they are convened to, the "
        "session documents they must deliver."
    ),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(
        _(
            "Deleted 90 days after it was read, and in any case 1 year after it was written. "
            "It holds no text: the sentence is written when it is shown."
        ),
        days=READ_DAYS,
        since=DUE_FROM,
    ),
    erasure=Erasure.DELETE,
    eraser=_forget_actor,
    categories_of_people=PEOPLE,
    recipients=_("the person only"),
    notes=_(
        "The person who acted (who mentioned or answered) is a link, never a name: once "
        "that person is erased the link is cut and the notification says « Quelqu'un »."
    ),
)

declare(
    Preference,
    subject="user",
    fields=("choices", "updated_at"),
    purpose=_("Tell a person only what they want, where they want it (page, email, summary)."),
    legal_basis=LegalBasis.PUBLIC_TASK,
    retention=Retention(_("As long as the account exists.")),
    erasure=Erasure.DELETE,
    categories_of_people=PEOPLE,
    recipients=_("the person only"),
)

# A device that took no push for 6 months (a phone given away, a browser reinstalled) is
# forgotten: counted from its last delivery, or from when it was added.
PUSH_IDLE_DAYS = 180
PUSH_LAST_USED = Anchor(
    "last delivery to the device, or when it was added",
    Coalesce(F("last_success_at"), F("created_at"), output_field=DateTimeField()),
)

declare(
    PushSubscription,
    subject="user",
    fields=("endpoint", "p256dh", "auth", "created_at", "last_success_at", "failures"),
    purpose=_(
        "Show a notification on the devices a person chose (web push): only a count of new "
        "notifications and a link to them, never a name or a text."
    ),
    legal_basis=LegalBasis.CONSENT,
    retention=Retention(
        _(
            "Only while the consent stands: withdrawing it deletes every device at once. A "
            "device is also deleted when its push service no longer knows it, after 5 failed "
            "pushes in a row, after 6 months without a push, and with the account."
        ),
        days=PUSH_IDLE_DAYS,
        since=PUSH_LAST_USED,
    ),
    erasure=Erasure.DELETE,
    categories_of_people=_("everyone with an account who opted in"),
    recipients=_(
        "the push service of the person's browser (Google, Mozilla, Apple or Microsoft), "
        "which sees only an encrypted count"
    ),
    notes=_(
        "Offered only when the platform has its own VAPID keys (docs/deploy.md). The "
        "address and keys are given by the person's browser; the payload is encrypted for "
        "the device alone (RFC 8291)."
    ),
)
