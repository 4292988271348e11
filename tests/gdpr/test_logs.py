"""Application logs hold no personal data: no address, no name, through an erasure, logins
and invitations — including when the mail server refuses an address and quotes it back."""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from accounts.roles import Role
from assembly.invitations import do_invite_person
from gdpr.access_copy import do_request_access_copy
from gdpr.erasure import erase_person
from tests import factories
from tests.gdpr.personal_data import PASSWORD, run_worker

INVITED = ("Gwendoline", "Kerbrat-Fouché", "gwendoline.kerbrat@example.org")
MEMBER = ("Sylvie", "Martin", "sylvie.martin@example.org")


class RefusingSMTP(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: every recipient refused, the address quoted back as
    Postfix does (« 550 5.1.1 <x@y>: Recipient address rejected »)."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 mail.test ESMTP")
        for raw in self.rfile:
            command = raw.decode("utf-8", "replace").strip()
            verb = command.split(" ")[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 mail.test")
            elif verb == "RCPT":
                address = command.split(":", 1)[1].strip()
                self.reply(f"550 5.1.1 {address}: Recipient address rejected")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 ok")


@pytest.fixture
def refusing_smtp(settings: Any) -> Iterator[None]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), RefusingSMTP)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = server.server_address
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield
    server.shutdown()
    server.server_close()


def personal_data_in(records: list[logging.LogRecord], needles: list[str]) -> list[str]:
    """The log lines (message and traceback, as a handler would write them) holding one."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    lowered = [n.casefold() for n in needles]
    lines = [formatter.format(record) for record in records]
    return [line[:300] for line in lines if any(n in line.casefold() for n in lowered)]


@pytest.mark.django_db(transaction=True)
def test_logins_invitations_and_an_erasure_log_no_address_and_no_name(
    caplog: Any, refusing_smtp: None, settings: Any, tmp_path: Path
) -> None:
    settings.PRIVATE_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    caplog.set_level(logging.DEBUG)
    assembly = factories.make_assembly()
    first, last, email = MEMBER
    sylvie = factories.make_titulaire(assembly, first_name=first, last_name=last,
                                      display_name="Sylvie M.", email=email)
    marcel = factories.make_titulaire(assembly, first_name="Marcel", last_name="Dubois",
                                      display_name="Marcel D.", email="marcel@example.org")
    dccu = factories.UserFactory(roles=[Role.DCCU], email="dccu@example.org")
    room = factories.room_of(factories.make_subgroup(assembly, members=[sylvie, marcel]))
    caplog.clear()

    # Logins: a wrong password, a right one, a code asked for (the mail server refuses).
    Client().post("/comptes/login/", {"login": email, "password": "wrong"})
    Client().post("/comptes/login/", {"login": email, "password": PASSWORD})
    Client().post("/comptes/login/code/", {"email": email})
    # An invitation whose email the server refuses.
    given, family, address = INVITED
    do_invite_person(dccu, email=address, first_name=given, last_name=family,
                     role=Role.FACILITATEUR, base_url="http://testserver/")
    # People write about each other, ask for their copy, and one is erased.
    factories.send(marcel, room, "Merci @Sylvie M. !")
    do_request_access_copy(marcel, base_url="http://testserver/")
    run_worker()
    erase_person(sylvie, actor=dccu, reason="test")
    run_worker()

    assert caplog.records, "the flows above log something (else this test proves nothing)"
    assert any(r.levelno >= logging.ERROR for r in caplog.records), "the refusals are logged"
    needles = [email, first + " " + last, "Sylvie M.", address, given, family, "Marcel D.",
               "marcel@example.org"]
    assert personal_data_in(caplog.records, needles) == []
    assert mail.outbox == []  # everything went to the (refusing) server


def test_the_server_log_masks_addresses_that_errors_quote_back() -> None:
    """A database error or a library's warning may quote an address we never meant to log:
    the server log's formatter masks it, traceback included (config/logformat.py)."""
    import io

    from django.conf import settings
    from django.utils.log import configure_logging

    configure_logging(settings.LOGGING_CONFIG, settings.LOGGING)
    handler = next(h for h in logging.getLogger().handlers
                   if isinstance(h, logging.StreamHandler) and h.formatter is not None
                   and type(h.formatter).__name__ == "RedactingFormatter")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        try:
            raise ValueError('Key (email)=(sylvie.martin@example.org) already exists.')
        except ValueError:
            logging.getLogger("gdpr.access_copy").exception(
                "Access copy %s failed for %s", "c0ffee", "marc.l+agora@mairie-muret.fr"
            )
    finally:
        handler.setStream(previous)
    written = stream.getvalue()
    assert "Access copy c0ffee failed" in written and "Traceback" in written
    assert "sylvie.martin@example.org" not in written
    assert "marc.l+agora@mairie-muret.fr" not in written
    assert written.count("<adresse masquée>") >= 2
