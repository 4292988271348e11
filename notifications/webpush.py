"""Web push to a person's devices: off unless the platform has VAPID keys and they agree.

A person opts in per device on the notification preferences page; that gives their
consent (``OptionalPurpose.WEB_PUSH``) and stores the device's subscription. When
``notifications.actions`` writes notifications of a kind they want on their phone, a
background task posts to each device's push service, signed with our VAPID key (RFC 8292)
and encrypted for the device alone (aes128gcm, RFC 8291). The payload holds a count and
the address of the notification page, never a name or a word of what was said: the push
service sees nothing, and a locked phone's screen shows nothing private.

A push service answering 404/410 (the browser dropped the subscription) deletes the device;
so do ``WEBPUSH_MAX_FAILURES`` failures in a row. Withdrawing consent deletes them all.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_tasks import task

from gdpr import consent
from gdpr.models import OptionalPurpose
from notifications.models import Notification, PushSubscription

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 10
TTL_SECONDS = 24 * 3600  # a phone switched off for a day still hears of it, not later
GONE = {404, 410}


def is_enabled() -> bool:
    return consent.is_offered(OptionalPurpose.WEB_PUSH)


def public_key() -> str:
    """The VAPID public key a browser subscribes with (``applicationServerKey``)."""
    return str(settings.WEBPUSH_VAPID_PUBLIC_KEY) if is_enabled() else ""


def subject() -> str:
    return str(settings.WEBPUSH_SUBJECT or f"mailto:{settings.DCCU_EMAIL}")


def new_key_pair() -> tuple[str, str]:
    """A fresh VAPID key pair (public, private), both base64url without padding: the
    public key as the browser wants it (uncompressed P-256 point), the private one as its
    raw 32 bytes."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return _b64(public), _b64(private)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- Devices ----------------------------------------------------------------------------


def endpoint_allowed(endpoint: str) -> bool:
    """Only a known push service is ever posted to: a subscription cannot make the server
    request an address of someone's choosing."""
    parts = urlsplit(endpoint)
    for service in settings.WEBPUSH_PUSH_SERVICES:
        if "://" in service:
            if endpoint.startswith(service.rstrip("/") + "/"):
                return True
        elif (
            parts.scheme == "https"
            and parts.hostname
            and (parts.hostname == service or parts.hostname.endswith("." + service))
        ):
            return True
    return False


def _clean_device(endpoint: str, p256dh: str, auth: str) -> tuple[str, str, str]:
    endpoint, p256dh, auth = endpoint.strip(), p256dh.strip(), auth.strip()
    if len(endpoint) > 1000 or not endpoint_allowed(endpoint):
        raise ValidationError(_("This browser's notification service is not accepted here."))
    try:
        point, secret = _unb64(p256dh), _unb64(auth)
    except ValueError as exc:
        raise ValidationError(_("This browser sent keys that cannot be read.")) from exc
    if len(point) != 65 or point[0] != 4 or len(secret) != 16:
        raise ValidationError(_("This browser sent keys that cannot be read."))
    return endpoint, p256dh, auth


def do_add_push_device(actor: Any, *, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """The person ticked « Recevoir les notifications sur cet appareil » and their browser
    subscribed: their consent is recorded (if not yet) and the device kept."""
    if not is_enabled():
        raise Http404
    endpoint, p256dh, auth = _clean_device(endpoint, p256dh, auth)
    with transaction.atomic():
        consent.do_give_consent(actor, OptionalPurpose.WEB_PUSH)
        # An address is one browser profile: if it was someone else's (a shared computer),
        # it is now this person's only.
        PushSubscription.objects.filter(endpoint=endpoint).exclude(user=actor).delete()
        device, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint,
            defaults={"user": actor, "p256dh": p256dh, "auth": auth, "failures": 0},
        )
    return device


def do_remove_push_device(actor: Any, *, endpoint: str) -> int:
    """This device stops: the person's consent stays for their other devices."""
    deleted, _rows = PushSubscription.objects.filter(user=actor, endpoint=endpoint).delete()
    return deleted


def forget_devices(person: Any) -> None:
    """Withdrawing the consent forgets every device of the person (gdpr.consent hook)."""
    PushSubscription.objects.filter(user=person).delete()


# --- Sending ----------------------------------------------------------------------------


def push_after_commit(user_ids: Iterable[Any]) -> None:
    """Queue a push for each of these people who has a device (called by
    ``notifications.actions`` once their notifications are written): never in the request."""
    if not is_enabled():
        return
    ids = set(
        PushSubscription.objects.filter(user_id__in=set(user_ids)).values_list("user_id", flat=True)
    )
    for user_id in ids:
        transaction.on_commit(_enqueue(str(user_id)))


def _enqueue(user_id: str) -> Callable[[], None]:
    def enqueue() -> None:
        send_push_task.enqueue(user_id)

    return enqueue


def payload_for(user_id: Any) -> bytes:
    """What the device receives: a count and an address, in the platform's language."""
    unread = Notification.objects.filter(recipient_id=user_id, read_at__isnull=True).count()
    with translation.override(settings.LANGUAGE_CODE):
        body = ngettext(
            "%(site)s: you have %(count)s new notification",
            "%(site)s: you have %(count)s new notifications",
            unread,
        ) % {"site": settings.AGORA_SITE_NAME, "count": unread}
    return json.dumps(
        {
            "title": settings.AGORA_SITE_NAME,
            "body": body,
            "url": reverse("notifications:list"),
            "count": unread,
        },
        ensure_ascii=False,
    ).encode()


def send_push(user_id: Any) -> int:
    """Post the person's count to each of their devices; how many took it."""
    from py_vapid import Vapid
    from pywebpush import WebPushException, webpush

    if not is_enabled() or str(user_id) not in consent.consenting(
        [user_id], OptionalPurpose.WEB_PUSH
    ):
        return 0
    devices = list(PushSubscription.objects.filter(user_id=user_id))
    if not devices:
        return 0
    data = payload_for(user_id)
    vapid = Vapid.from_raw(settings.WEBPUSH_VAPID_PRIVATE_KEY.encode())
    delivered = 0
    for device in devices:
        try:
            webpush(
                {
                    "endpoint": device.endpoint,
                    "keys": {"p256dh": device.p256dh, "auth": device.auth},
                },
                data=data,
                vapid_private_key=vapid,
                vapid_claims={"sub": subject()},
                content_encoding="aes128gcm",
                ttl=TTL_SECONDS,
                timeout=TIMEOUT_SECONDS,
            )
        except WebPushException as exc:
            status = getattr(exc.response, "status_code", None)
            _failed(device, gone=status in GONE)
            logger.info("web push to a device failed (%s)", status)
        except OSError:  # unreachable, timed out (requests' errors are OSErrors)
            _failed(device, gone=False)
            logger.info("web push service unreachable")
        else:
            PushSubscription.objects.filter(pk=device.pk).update(
                last_success_at=timezone.now(), failures=0
            )
            delivered += 1
    return delivered


def _failed(device: PushSubscription, *, gone: bool) -> None:
    if gone:
        device.delete()
        return
    PushSubscription.objects.filter(pk=device.pk).update(failures=F("failures") + 1)
    PushSubscription.objects.filter(
        pk=device.pk, failures__gte=settings.WEBPUSH_MAX_FAILURES
    ).delete()


@task()
def send_push_task(user_id: str) -> int:
    return send_push(user_id)
