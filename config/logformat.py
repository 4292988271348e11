"""The server log's formatter: what the platform writes to its log carries no email address.

Messages are written to name rows by id, never by person, but a message we do not control
— a database error quoting a row (« Key (email)=(x@y) already exists »), a mail server's
refusal, a library's own warning — may still hold an address. Every record is formatted
as usual, traceback included, then any email address in it is masked.
"""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
MASK = "<adresse masquée>"


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return EMAIL.sub(MASK, super().format(record))
