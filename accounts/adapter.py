"""allauth adapter: no open sign-up (accounts come from invitations); our name in emails."""

from __future__ import annotations

import logging
import smtplib
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from config.logs import mail_failure

logger = logging.getLogger(__name__)


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {  # noqa: RUF012 - allauth's own shape
        **DefaultAccountAdapter.error_messages,
        # allauth's « try again later » leaves a locked-out member stuck at the door of
        # a plenary: say what works now (the emailed code counts apart).
        "too_many_login_attempts": _(
            "Too many attempts with a wrong password. To log in now, ask for a code by "
            "email (« Receive a code by email »). You can try your password again in a "
            "few minutes."
        ),
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Give every account email the platform's name and the DCCU contact.

        Emails are rendered without a request context, so the template context
        processor does not reach them; without this they would greet people with
        the bare host name and point unknown addresses to the (closed) sign-up.
        """
        request = context.get("request") or self.request
        extra: dict[str, Any] = {
            "site_name": settings.AGORA_SITE_NAME,
            "assembly_name": settings.AGORA_ASSEMBLY_NAME,
            "organisation": settings.AGORA_ORGANISATION,
            "dccu_email": settings.DCCU_EMAIL,
            "site_url": request.build_absolute_uri("/") if request is not None else "",
        }
        try:
            super().send_mail(template_prefix, email, {**extra, **context})
        except (smtplib.SMTPException, OSError):
            # A refused or unreachable address must not end in an error page whose
            # logged traceback quotes it; the person sees the usual « code sent » page.
            mail_failure(logger, "Account email %s could not be sent", template_prefix)
