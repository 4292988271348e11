"""What the Yjs engine asks of a document kind: storage, rights and limits.

A kind (drafts today; walls and boards next) provides one object with these methods and
registers it (realtime/yjs/registry.py). The engine never reads a model itself. Every
method but `abilities` runs on the engine's own database threads (appends in order on
one, compaction and versions on another); `abilities` runs on Channels' database thread
so that a crowd connecting does not delay anyone's keystrokes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pycrdt


@dataclass(frozen=True)
class Limits:
    max_update_bytes: int  # one update above this closes the socket (4413)
    max_document_bytes: int  # and so does an update that would make the document larger
    compact_every: int  # updates stored beside the snapshot before they are merged into it


@dataclass
class Loaded:
    doc: pycrdt.Doc
    last_update_id: int  # the highest stored update id merged into `doc`
    stored_bytes: int
    locked: bool  # nobody may write, whatever their abilities (a frozen draft)


@dataclass
class DocAbilities:
    write: bool
    # The name and colour imposed on the person's awareness state (nobody writes under
    # another name).
    identity: dict[str, str]
    # Told to the client in the "abilities" control message beside "edit" (see
    # docs/protocol.md); the kind decides what it holds.
    extra: dict[str, Any] = field(default_factory=dict)


class DocStore(Protocol):
    def limits(self) -> Limits: ...

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        """None when the document does not exist or may not be read: the socket gets the
        same answer for both (nobody learns that a document exists)."""
        ...

    def load(self, doc_id: str) -> Loaded:
        """The full state: the snapshot merged with every update stored since."""
        ...

    def append(
        self, doc_id: str, items: list[tuple[bytes, Any]], *, known_authors: set[Any]
    ) -> list[int]:
        """Store accepted updates, given as (update, author id), in one transaction; return
        their ids once committed (nothing is relayed before). `known_authors` holds the
        authors this process already recorded; the store adds those it records."""
        ...

    def since(self, doc_id: str, after: int, seen: set[int]) -> tuple[int, list[tuple[int, bytes]]]:
        """The highest stored id above `after`, and the updates above `after` whose ids are
        not in `seen` (the catch-up of what another process stored)."""
        ...

    def compact(self, doc_id: str) -> tuple[int, int]:
        """Merge stored updates into the snapshot, deleting only the rows merged; return
        (updates merged, snapshot bytes)."""
        ...

    def locked(self, doc_id: str) -> bool: ...

    def mark_edited(self, doc_id: str, when: datetime) -> None:
        """Record when the document was last written (every few seconds, not per update)."""
        ...

    def record_version(self, doc_id: str) -> None:
        """Nobody wrote for a while: keep the state as an automatic version, unless it is
        the same as the last one."""
        ...
