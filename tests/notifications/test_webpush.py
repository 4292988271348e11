"""Web push, end to end against a real push service on this machine.

The « push service » is a small HTTP server started by the test; the « browser » is a real
P-256 key pair and auth secret, made as a browser makes them. Each push is checked as the
push service and the device would: the VAPID signature verifies with the platform's public
key, and the body decrypts (aes128gcm) with the device's private key alone — and holds a
count and an address, never a name or a word of what was said.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from assembly.models import Assembly
from gdpr import consent
from gdpr.erasure import erase_person
from gdpr.models import ConsentDecision, ConsentRecord, OptionalPurpose
from notifications import webpush
from notifications.models import Kind, Preference, PushSubscription
from tests import factories
from tests.notifications.conftest import ROLES, People, client_for, person_of

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- A push service and a browser -------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """Answers every POST with ``answers[path]`` (201 by default) and keeps what it got."""

    origin: str
    received: list[Received] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    service = PushService(origin="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            service.received.append(
                Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            self.send_response(service.answers.get(self.path, 201))
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.origin = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield service
    server.shutdown()
    server.server_close()


@dataclass
class Browser:
    """One device as a browser subscribes it: its key pair and auth secret."""

    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes

    @property
    def p256dh(self) -> str:
        return b64(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return b64(self.auth_secret)

    def fields(self) -> dict[str, str]:
        return {"endpoint": self.endpoint, "p256dh": self.p256dh, "auth": self.auth}

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(
            body,
            private_key=self.private_key,
            auth_secret=self.auth_secret,
            version="aes128gcm",
        )
        return dict(json.loads(plain.decode()))


@pytest.fixture
def new_browser(push_service: PushService) -> Callable[[], Browser]:
    def make() -> Browser:
        return Browser(
            endpoint=f"{push_service.origin}/push/{b64(os.urandom(12))}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
        )

    return make


@pytest.fixture
def push_on(settings: Any, push_service: PushService) -> tuple[str, str]:
    """The platform with its VAPID keys, the test's push service accepted, tasks run now."""
    public, private = webpush.new_key_pair()
    settings.WEBPUSH_VAPID_PUBLIC_KEY = public
    settings.WEBPUSH_VAPID_PRIVATE_KEY = private
    settings.WEBPUSH_SUBJECT = "mailto:dccu@example.org"
    settings.WEBPUSH_PUSH_SERVICES = [*settings.WEBPUSH_PUSH_SERVICES, push_service.origin]
    settings.TASKS = IMMEDIATE
    return public, private


def verify_vapid(received: Received, public_key: str, origin: str) -> dict[str, Any]:
    """What a push service checks: the token is ours, for it, not expired. Its claims."""
    scheme, _, params = received.headers["authorization"].partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key
    head, claims, signature = parts["t"].split(".")
    raw = unb64(signature)
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key))
    key.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    decoded = json.loads(unb64(claims))
    assert decoded["aud"] == origin
    assert decoded["exp"] > time.time()
    return dict(decoded)


def subscribe(person: User, browser: Browser) -> PushSubscription:
    return webpush.do_add_push_device(person, **browser.fields())


# --- Sending ----------------------------------------------------------------------------


def test_a_mention_pushes_an_encrypted_count_with_no_name_and_no_text(
    people: People,
    push_on: tuple[str, str],
    push_service: PushService,
    new_browser: Callable[[], Browser],
    committed: Callable[..., Any],
) -> None:
    phone = new_browser()
    subscribe(people.bob, phone)
    committed(factories.send, people.alice, people.plenary, "Le minibus du mardi, @Bob D. ?")

    assert len(push_service.received) == 1
    got = push_service.received[0]
    assert got.path == phone.endpoint.removeprefix(push_service.origin)
    assert got.headers["content-encoding"] == "aes128gcm"
    claims = verify_vapid(got, push_on[0], push_service.origin)
    assert claims["sub"] == "mailto:dccu@example.org"
    assert b"minibus" not in got.body
    message = phone.decrypt(got.body)
    assert message == {
        "title": "Agora",
        "body": "Agora : vous avez 1 nouvelle notification",
        "url": "/notifications/",
        "count": 1,
    }
    words = json.dumps(message, ensure_ascii=False)
    for private in ("Alice", "Martin", "Bob", "minibus", "mardi", str(people.plenary.name)):
        assert private not in words
    device = PushSubscription.objects.get(user=people.bob)
    assert device.last_success_at is not None and device.failures == 0


def test_each_device_gets_the_persons_unread_count_under_its_own_key(
    people: People,
    push_on: tuple[str, str],
    push_service: PushService,
    new_browser: Callable[[], Browser],
    committed: Callable[..., Any],
) -> None:
    phone, laptop = new_browser(), new_browser()
    subscribe(people.bob, phone)
    subscribe(people.bob, laptop)
    committed(factories.send, people.alice, people.plenary, "Bonjour @Bob D.")
    committed(factories.send, people.carol, people.plenary, "Et moi aussi @Bob D.")
    assert len(push_service.received) == 4
    by_path = {r.path: r for r in push_service.received[2:]}
    for device in (phone, laptop):
        got = by_path[device.endpoint.removeprefix(push_service.origin)]
        assert device.decrypt(got.body)["body"] == "Agora : vous avez 2 nouvelles notifications"
    with pytest.raises(Exception):  # noqa: B017 - any failure: the other device's key
        laptop.decrypt(by_path[phone.endpoint.removeprefix(push_service.origin)].body)


def test_nothing_is_pushed_without_consent_nor_for_a_kind_off_the_phone(
    people: People,
    push_on: tuple[str, str],
    push_service: PushService,
    new_browser: Callable[[], Browser],
    committed: Callable[..., Any],
) -> None:
    subscribe(people.bob, new_browser())
    Preference.objects.create(
        user=people.bob, choices={Kind.MENTION: {"page": True, "push": False}}
    )
    committed(factories.send, people.alice, people.plenary, "Bonjour @Bob D.")
    # Carol never opted in: her mention is in the page only.
    committed(factories.send, people.alice, people.plenary, "Bonjour @Carol P.")
    assert push_service.received == []
    assert people.bob.notifications.count() == 1 and people.carol.notifications.count() == 1


def test_the_push_is_queued_for_the_worker_never_sent_in_the_request(
    settings: Any,
    people: People,
    push_on: tuple[str, str],
    push_service: PushService,
    new_browser: Callable[[], Browser],
    committed: Callable[..., Any],
) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    subscribe(people.bob, new_browser())
    committed(factories.send, people.alice, people.plenary, "Bonjour @Bob D.")
    assert push_service.received == []
    queued = DBTaskResult.objects.get(task_path=webpush.send_push_task.module_path)
    assert queued.args_kwargs["args"] == [str(people.bob.pk)]
    assert webpush.send_push(people.bob.pk) == 1  # what the worker then does
    assert len(push_service.received) == 1


@pytest.mark.parametrize("status", [404, 410])
def test_a_device_the_push_service_no_longer_knows_is_deleted(
    status: int,
    people: People,
    push_on: tuple[str, str],
    push_service: PushService,
    new_browser: Callable[[], Browser],
) -> None:
    gone, kept = new_browser(), new_browser()
    subscribe(people.bob, gone)
    subscribe(people.bob, kept)
    push_service.answers[gone.endpoint.removeprefix(push_service.origin)] = status
    assert webpush.send_push(people.bob.pk) == 1
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [kept.endpoint]


def test_a_failing_device_is_forgotten_after_the_set_number_of_failures(
    settings: Any,
    people: People,
    push_on: tuple[str, str],
    push_service: PushService,
    new_browser: Callable[[], Browser],
) -> None:
    settings.WEBPUSH_MAX_FAILURES = 3
    phone = new_browser()
    subscribe(people.bob, phone)
    push_service.answers[phone.endpoint.removeprefix(push_service.origin)] = 500
    for failures in (1, 2):
        assert webpush.send_push(people.bob.pk) == 0
        assert PushSubscription.objects.get(user=people.bob).failures == failures
    webpush.send_push(people.bob.pk)
    assert not PushSubscription.objects.exists()


def test_an_unreachable_push_service_counts_as_a_failure(
    settings: Any, people: People, push_on: tuple[str, str]
) -> None:
    settings.WEBPUSH_PUSH_SERVICES = ["http://127.0.0.1:9"]
    device = webpush.do_add_push_device(
        people.bob,
        endpoint="http://127.0.0.1:9/push/x",
        p256dh=Browser("", ec.generate_private_key(ec.SECP256R1()), b"0" * 16).p256dh,
        auth=b64(b"0" * 16),
    )
    assert webpush.send_push(people.bob.pk) == 0
    device.refresh_from_db()
    assert device.failures == 1


# --- Consent, erasure -------------------------------------------------------------------


def test_adding_a_device_records_the_consent_and_withdrawing_it_forgets_every_device(
    people: People, push_on: tuple[str, str], new_browser: Callable[[], Browser]
) -> None:
    subscribe(people.bob, new_browser())
    subscribe(people.bob, new_browser())
    subscribe(people.carol, new_browser())
    assert consent.has_consent(people.bob, OptionalPurpose.WEB_PUSH)
    client = client_for(people.bob)
    response = client.post(f"/confidentialite/choix/{OptionalPurpose.WEB_PUSH}/retirer/")
    assert response.status_code == 302
    assert not consent.has_consent(people.bob, OptionalPurpose.WEB_PUSH)
    assert not PushSubscription.objects.filter(user=people.bob).exists()
    assert PushSubscription.objects.filter(user=people.carol).count() == 1
    record = ConsentRecord.objects.filter(user=people.bob).latest("recorded_at")
    assert record.decision == ConsentDecision.WITHDRAWN


def test_a_withdrawal_on_paper_forgets_the_devices_too(
    assembly: Assembly,
    people: People,
    push_on: tuple[str, str],
    new_browser: Callable[[], Browser],
) -> None:
    dccu = person_of("dccu", assembly)
    subscribe(people.bob, new_browser())
    consent.do_record_paper_consent(
        dccu,
        person=people.bob,
        purpose=OptionalPurpose.WEB_PUSH,
        decision=ConsentDecision.WITHDRAWN,
    )
    assert not PushSubscription.objects.filter(user=people.bob).exists()


def test_erasing_a_person_deletes_their_devices(
    people: People, push_on: tuple[str, str], new_browser: Callable[[], Browser]
) -> None:
    subscribe(people.bob, new_browser())
    subscribe(people.carol, new_browser())
    erase_person(people.bob)
    assert not PushSubscription.objects.filter(user=people.bob).exists()
    assert PushSubscription.objects.filter(user=people.carol).count() == 1


def test_a_device_idle_for_six_months_is_due_for_deletion(
    people: People, push_on: tuple[str, str], new_browser: Callable[[], Browser]
) -> None:
    import datetime as dt

    from django.utils import timezone

    from gdpr.registry import get_declaration
    from gdpr.retention import due_queryset

    old, used, fresh = (subscribe(people.bob, new_browser()) for _ in range(3))
    long_ago = timezone.now() - dt.timedelta(days=200)
    PushSubscription.objects.filter(pk__in=[old.pk, used.pk]).update(created_at=long_ago)
    PushSubscription.objects.filter(pk=used.pk).update(last_success_at=timezone.now())
    due = due_queryset(get_declaration(PushSubscription), now=timezone.now())
    assert set(due.values_list("pk", flat=True)) == {old.pk}


# --- Pages, per role --------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_each_role_may_opt_in_this_device_and_take_it_back(
    role: str,
    assembly: Assembly,
    push_on: tuple[str, str],
    new_browser: Callable[[], Browser],
) -> None:
    person = person_of(role, assembly)
    client = client_for(person)
    page = client.get("/notifications/preferences/").content.decode()
    assert "data-push" in page and f'data-public-key="{push_on[0]}"' in page
    assert "Recevoir les notifications sur cet appareil" in page
    assert 'data-consent="no"' in page
    phone = new_browser()
    answer = client.post("/notifications/appareils/ajouter/", phone.fields())
    assert answer.status_code == 200 and answer.json() == {"ok": True, "devices": 1}
    assert consent.has_consent(person, OptionalPurpose.WEB_PUSH)
    assert 'data-consent="yes"' in client.get("/notifications/preferences/").content.decode()
    answer = client.post("/notifications/appareils/retirer/", {"endpoint": phone.endpoint})
    assert answer.json() == {"ok": True, "devices": 0}
    assert not PushSubscription.objects.exists()


def test_one_cannot_remove_someone_elses_device(
    people: People, push_on: tuple[str, str], new_browser: Callable[[], Browser]
) -> None:
    phone = new_browser()
    subscribe(people.bob, phone)
    answer = client_for(people.carol).post(
        "/notifications/appareils/retirer/", {"endpoint": phone.endpoint}
    )
    assert answer.json() == {"ok": True, "devices": 0}
    assert PushSubscription.objects.filter(user=people.bob).count() == 1


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://intranet.cd31.fr/push/1",
        "http://fcm.googleapis.com/fcm/send/1",  # a known service, but not over https
        "https://fcm.googleapis.com.evil.example/push/1",
    ],
)
def test_a_device_pointing_anywhere_but_a_push_service_is_refused_in_french(
    endpoint: str,
    people: People,
    push_on: tuple[str, str],
    new_browser: Callable[[], Browser],
) -> None:
    fields = {**new_browser().fields(), "endpoint": endpoint}
    answer = client_for(people.bob).post("/notifications/appareils/ajouter/", fields)
    assert answer.status_code == 400
    assert answer.json()["error"] == (
        "Le service de notification de ce navigateur n’est pas accepté ici."
    )
    assert not PushSubscription.objects.exists()
    assert not consent.has_consent(people.bob, OptionalPurpose.WEB_PUSH)


def test_keys_that_are_not_a_browsers_are_refused(
    people: People, push_on: tuple[str, str], new_browser: Callable[[], Browser]
) -> None:
    fields = {**new_browser().fields(), "p256dh": b64(b"\x04" + b"1" * 20)}
    answer = client_for(people.bob).post("/notifications/appareils/ajouter/", fields)
    assert answer.status_code == 400
    assert "ne peuvent pas être lues" in answer.json()["error"]
    assert not PushSubscription.objects.exists()


def test_the_service_worker_is_served_from_the_root_under_the_strict_csp(
    people: People, push_on: tuple[str, str]
) -> None:
    response = Client().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    assert b'addEventListener("push"' in response.content
    page = client_for(people.bob).get("/notifications/preferences/")
    assert "worker-src 'self'" in page["Content-Security-Policy"]
    # A person who has not passed the welcome gate yet still gets the script.
    assert client_for(factories.UserFactory()).get("/sw.js").status_code == 200


def test_without_keys_web_push_is_off_and_shows_nowhere(
    people: People, new_browser: Callable[[], Browser]
) -> None:
    client = client_for(people.bob)
    page = client.get("/notifications/preferences/").content.decode()
    assert "data-push" not in page and "Téléphone" not in page
    assert client.get("/sw.js").status_code == 404
    assert (
        client.post("/notifications/appareils/ajouter/", new_browser().fields()).status_code == 404
    )
    assert client.post("/notifications/appareils/retirer/", {"endpoint": "x"}).status_code == 404
    choices = client.get("/confidentialite/choix/").content.decode()
    assert "Recevoir les notifications sur mon téléphone" not in choices
    give = client.post(
        f"/confidentialite/choix/{OptionalPurpose.WEB_PUSH}/donner/", {"agree": "yes"}
    )
    assert give.status_code == 404
    assert webpush.send_push(people.bob.pk) == 0


def test_with_keys_the_phone_column_and_the_choice_appear(
    people: People, push_on: tuple[str, str]
) -> None:
    client = client_for(people.bob)
    page = client.get("/notifications/preferences/").content.decode()
    assert "Téléphone" in page and 'name="mention__push"' in page
    assert (
        "Recevoir les notifications sur mon téléphone"
        in client.get("/confidentialite/choix/").content.decode()
    )


def test_saving_choices_without_web_push_keeps_the_phone_choices(
    settings: Any, people: People, push_on: tuple[str, str]
) -> None:
    Preference.objects.create(user=people.bob, choices={Kind.REPLY: {"push": True}})
    settings.WEBPUSH_VAPID_PUBLIC_KEY = settings.WEBPUSH_VAPID_PRIVATE_KEY = ""
    client_for(people.bob).post("/notifications/preferences/", {"mention__page": "on"})
    preference = Preference.objects.get(user=people.bob)
    assert preference.wants(Kind.REPLY, "push") is True
    assert preference.wants(Kind.REPLY, "page") is False


def test_webpush_keys_prints_a_pair_that_signs_and_verifies() -> None:
    out = StringIO()
    call_command("webpush_keys", stdout=out, stderr=StringIO())
    values = dict(line.split("=", 1) for line in out.getvalue().split())
    public = unb64(values["WEBPUSH_VAPID_PUBLIC_KEY"])
    private = int.from_bytes(unb64(values["WEBPUSH_VAPID_PRIVATE_KEY"]), "big")
    key = ec.derive_private_key(private, ec.SECP256R1())
    assert (
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        == public
    )
