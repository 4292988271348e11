"""What the account emails carry, read as a person would: the one-time login code."""

from __future__ import annotations

import re

from django.core import mail

CODE_LINE = re.compile(r"^\s*([A-Z0-9]{4,}(?:-[A-Z0-9]{4,})*)\s*$", re.MULTILINE)


def code_from(message: mail.EmailMessage) -> str:
    """The one-time code: the line of the email that holds only the code."""
    match = CODE_LINE.search(message.body)
    assert match, message.body
    return match.group(1)
