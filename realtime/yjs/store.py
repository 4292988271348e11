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


@dataclass(frozen=True)
class Change:
    """One change an update made, as the checker sees it: `path` from a root type (its
    name first), then `key` for a map entry (or an XML element's attribute) with action
    "add", "update" or "delete", or key None and action "edit" for an array, a text or an
    XML element's children. An edit carries its Yjs `delta`: `{"retain": n}` (with
    `"attributes"` when it formats a text), `{"delete": n}`, `{"insert": ...}` (a string,
    with its `"attributes"`, or a list of the values and types inserted, read in the
    `after` document)."""

    path: tuple[str | int, ...]
    key: str | None
    action: str
    delta: list[dict[str, Any]] | None = field(default=None, compare=False)


@dataclass
class Verdict:
    """A checker's answer on one update: `refused` names why it may not apply (the code the
    client gets in a "refused" control message); `facts` are what the kind stores beside
    the accepted update, in the same transaction (`DocStore.record_facts`)."""

    refused: str = ""
    facts: list[Any] = field(default_factory=list)


@dataclass
class DocAbilities:
    write: bool
    # The name and colour imposed on the person's awareness state (nobody writes under
    # another name).
    identity: dict[str, str]
    # Told to the client in the "abilities" control message beside "edit" (see
    # docs/protocol.md); the kind decides what it holds.
    extra: dict[str, Any] = field(default_factory=dict)
    # For a kind that checks updates (CheckedDocStore): this socket's updates skip the
    # check and the shadow copy altogether (the drafts' editors, whose keystrokes must not
    # pay for what only suggesters need). Ignored by kinds that check nothing.
    trusted: bool = False


class DocStore(Protocol):
    # Optional attribute `relay_before_store = True`: the engine relays an update to this
    # process's other sockets before the group commit stores it (drafts: every keystroke
    # of 100 writers; an edit is durable once stored, restored by the clients' reconnect
    # sync until then). Without it: stored, then relayed — for kinds whose other server
    # operations read what was stored (a dot on a wall's note).

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


class CheckedDocStore(DocStore, Protocol):
    """A kind whose updates the server validates one by one (an idea wall: who may write
    what, in which mode). The engine keeps a shadow copy of the document, applies the
    update there first, and applies it to the real document only if the kind accepts it.
    A refused update is never applied, stored or relayed; the socket stays open and is
    told `{"type": "refused", "reason": ...}` (its client then resyncs from scratch)."""

    def roots(self) -> dict[str, type]:
        """The root types the document may hold, by name (pycrdt.Map, pycrdt.Array, …); an
        update that adds any other root is refused ("root")."""
        ...

    def check_update(
        self,
        doc_id: str,
        before: pycrdt.Doc,
        after: pycrdt.Doc,
        changes: list[Change],
        abilities: DocAbilities,
    ) -> Verdict:
        """Runs in the event loop, on every update from a writer whose abilities are not
        `trusted`: no database here, so what it needs about the person travels in
        `abilities.extra`."""
        ...

    def record_facts(self, doc_id: str, facts: list[tuple[Any, Any]]) -> None:
        """Store the facts of accepted updates, as (author id, fact) pairs, in the
        transaction that stores the updates."""
        ...


class ControlledDocStore(DocStore, Protocol):
    """A kind that answers control messages of its own on the document's socket (beside
    "hello"): a dot vote on a wall."""

    def control(
        self, user: Any, doc_id: str, content: dict[str, Any], abilities: DocAbilities
    ) -> dict[str, Any] | None:
        """Runs on Channels' database thread; the answer (if any) goes back to the sender
        only. Raise `realtime.frames.FrameError` for a refusal: the sender gets
        `{"type": "error", "code", "message"}`."""
        ...
