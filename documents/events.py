"""The library's events on open websockets (docs/protocol.md); relayed by
``documents.realtime.LibraryFeature``."""

from __future__ import annotations

import dataclasses
from typing import ClassVar, Literal

from realtime.events import Event


def library_group(audience: str) -> str:
    """Every socket whose person reads the library's documents of this audience."""
    return f"library.{audience}"


@dataclasses.dataclass(frozen=True)
class LibraryDocumentPublishedEvent(Event):
    """A document of the library was just published (``documents.actions``).

    Sent to ``realtime.bus.library_group(audience)`` of the document's audience only;
    the consumer checks again that the person may read ``document`` before relaying
    it. ``url`` is the document's page; ``kind`` a ``documents.models.DocumentKind``.
    """

    type: ClassVar[Literal["library.published"]] = "library.published"
    document: str
    title: str
    kind: str
    url: str
    mandates: list[str]


@dataclasses.dataclass(frozen=True)
class LibraryNotificationEvent(Event):
    """A document was published for a mandate this person follows (their user group only).

    Checked like ``library.published`` by the consumer; ``text`` names the document
    and the mandate, nothing more.
    """

    type: ClassVar[Literal["library.notification"]] = "library.notification"
    document: str
    url: str
    text: str
