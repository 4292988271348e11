"""Logging a failed email without the addresses the mail server quotes back.

An SMTP refusal carries the recipients' addresses (« 550 5.1.1 <x@y>: Recipient
address rejected »), and a logged traceback would write them to the server's log.
For mail errors only the error's class and SMTP code are logged; any other error
(a bug) keeps its traceback, which holds code, not the mail's content.
"""

from __future__ import annotations

import logging
import smtplib
import sys


def mail_failure(logger: logging.Logger, message: str, *args: object) -> None:
    """Log the exception being handled, as ``logger.exception`` would, minus addresses."""
    exc = sys.exc_info()[1]
    if isinstance(exc, smtplib.SMTPException | OSError):
        code = getattr(exc, "smtp_code", None)
        logger.error(message + " (%s%s)", *args, type(exc).__name__,
                     f" {code}" if code else "")
    else:
        logger.exception(message, *args)
