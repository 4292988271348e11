"""The Yjs sync engine: one `YDocSession` per open document per daphne process.

Design (measured in bench/drafts_writers.py, see docs/performance.md and docs/protocol.md):
- A session holds the document (pycrdt) and the sockets of this process that have it
  open. An update from a writer is checked (checked kinds) and applied to the session's
  document (which both validates it and tells what it really adds), then
  - relayed to the other sockets of this process: what arrived since the last send tick
    is merged (Yjs merge_updates) into ONE message per socket, each socket getting the
    others' updates, never its own — before it is stored for kinds that say
    `relay_before_store` (drafts), after the commit for the others (walls, boards: other
    server operations read what was stored);
  - stored by a group commit on a thread of its own (what queued while the previous
    commit ran goes in one transaction), and once stored published to the other
    processes with ONE channel-layer message per commit, sent only to the channels of
    the other processes that have the document open (never read back by this one).
  Durability: an edit is durable once stored. Until then (a few milliseconds) it lives in
  the document of every client that has it; if the server dies inside that window, the
  clients' reconnect sync (step 1 / step 2) gives it back, and it is stored then
  (docs/protocol.md, « Durability »; tests/realtime/test_drafts_crash.py).
- The channel layer may drop messages (capacity, expiry, restart): every few seconds a
  session reads the ids stored since its last look and applies what it has not seen, so
  sockets converge even when a relay was lost. A client that reconnects resyncs with the
  standard sync step 1 / step 2 exchange against the stored state.
- Updates are merged into the snapshot every `compact_every` updates, on a thread of its
  own, deleting only the rows merged.
- After `VERSION_PAUSE` seconds without edits the session records an automatic version.
Storage and rights belong to the document's kind, behind its store (realtime/yjs/store.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import close_old_connections, connections
from django.utils import timezone

from config import metrics
from realtime.daphne import binary_frame
from realtime.threads import keep_connections_here
from realtime.yjs import protocol as yp
from realtime.yjs import relay
from realtime.yjs.registry import get as get_kind
from realtime.yjs.relay import doc_group

if TYPE_CHECKING:
    import pycrdt

    from realtime.yjs.consumer import YDocConsumer
    from realtime.yjs.store import Change, DocAbilities, DocStore, Verdict

logger = logging.getLogger(__name__)
T = TypeVar("T")

CATCHUP_SECONDS: float = getattr(settings, "DRAFT_CATCHUP_SECONDS", 2.0)
VERSION_PAUSE: float = getattr(settings, "DRAFT_VERSION_PAUSE", 60.0)
SESSION_GRACE: float = getattr(settings, "DRAFT_ROOM_GRACE", 10.0)  # empty, then retired
SEND_TICK: float = getattr(settings, "DRAFT_SEND_TICK_MS", 0) / 1000
COMMIT_WAIT: float = getattr(settings, "DRAFT_COMMIT_WAIT_MS", 0) / 1000
LOCK_CHECK_TICKS = 5  # every 5 looks, re-read whether the document is locked (frozen)
AUTHORS_FORGET_TICKS = 5  # and forget which writers are recorded as contributors
# Unchecked updates kept for the shadow copy; past this, rebuilding it is cheaper.
SHADOW_BEHIND_MAX = 500

# One thread appends updates (in order, never behind a slow HTTP view on Channels' own
# database thread); another compacts and records versions, which may take longer.
# Each keeps its database connection (realtime/threads.py).
_writer = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="yjs-db", initializer=keep_connections_here
)
_slow = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="yjs-compact", initializer=keep_connections_here
)


def _in_thread(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    close_old_connections()
    try:
        return function(*args, **kwargs)
    except Exception:
        # A broken connection must not poison the next job of this thread.
        for conn in connections.all(initialized_only=True):
            if conn.in_atomic_block is False:
                conn.close_if_unusable_or_obsolete()
        raise


async def on_writer(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_writer, lambda: _in_thread(function, *args, **kwargs))


async def on_slow(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_slow, lambda: _in_thread(function, *args, **kwargs))


def close_thread_connections() -> None:
    """Close the database connections of the two threads (tests, shutdown)."""
    for executor in (_writer, _slow):
        executor.submit(connections.close_all).result(timeout=10)


def pycrdt_merge(updates: list[bytes]) -> bytes:
    if len(updates) == 1:
        return updates[0]
    import pycrdt

    return pycrdt.merge_updates(*updates)


def _collector(root: str, changes: list[Change]) -> Callable[[list[Any]], None]:
    """A deep observer that writes what each event changed as `Change`s: a map's (or an
    XML element's attribute) keys, and the delta of an array, a text or XML children."""
    from realtime.yjs.store import Change

    def collect(events: list[Any]) -> None:
        for event in events:
            path = (root, *event.path)
            keys = getattr(event, "keys", None)
            if isinstance(keys, dict):
                for key, change in keys.items():
                    changes.append(Change(path, str(key), str(change.get("action", "update"))))
            delta = getattr(event, "delta", None)
            if delta or not isinstance(keys, dict):
                # An XML event has both (attributes and children); a map only keys.
                changes.append(Change(path, None, "edit", list(delta or [])))

    return collect


class DocHub:
    """Every open document of this process, and the one layer channel that feeds them."""

    _hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, DocHub] = (
        weakref.WeakKeyDictionary()
    )

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.sessions: dict[tuple[str, str], YDocSession] = {}
        self.channel = ""
        self.listener: asyncio.Task[None] | None = None
        # With the in-memory layer there is no other process: skip the relay to them.
        self.alone = isinstance(layer, InMemoryChannelLayer)

    @classmethod
    def current(cls) -> DocHub:
        loop = asyncio.get_running_loop()
        hub = cls._hubs.get(loop)
        if hub is None:
            hub = cls._hubs[loop] = DocHub(get_channel_layer())
        return hub

    async def _ensure_channel(self) -> None:
        if not self.channel:
            # The default prefix: channels-redis reads every process-local channel through
            # one receive loop on "specific.<process>!"; another prefix would never be read.
            self.channel = await self.layer.new_channel()
            self.listener = asyncio.create_task(self._listen())

    async def session(self, kind: str, doc_id: str) -> YDocSession:
        await self._ensure_channel()
        session = self.sessions.get((kind, doc_id))
        if session is None:
            session = self.sessions[kind, doc_id] = YDocSession(self, kind, doc_id)
        await session.ready()
        return session

    async def close(self) -> None:
        """Store what is queued, then stop every session's housekeeping and the listener
        (tests; process shutdown)."""
        for session in list(self.sessions.values()):
            await session.store_now()
        for session in list(self.sessions.values()):
            session.closed = True
            session._stop()
        self.sessions.clear()
        if self.listener is not None:
            self.listener.cancel()
            self.listener = None
        self.channel = ""
        DocHub._hubs.pop(asyncio.get_running_loop(), None)

    def forget(self, session: YDocSession) -> None:
        if self.sessions.get(session.key) is session:
            del self.sessions[session.key]

    async def publish(self, session: YDocSession, message: dict[str, Any]) -> None:
        """Send to the other processes that have the document open, not to this one: the
        group holds this process's channel too, and reading one's own relays back from
        Redis cost ~10 % of daphne's CPU with nobody else to serve."""
        if self.alone:
            return
        message = {**message, "kind": session.kind, "doc": session.doc_id, "origin": self.channel}
        peers = session.peers
        try:
            if peers is None:
                await self.layer.group_send(session.group, message)
            else:
                for channel in list(peers):
                    await self.layer.send(channel, message)
        except Exception:
            # Other processes catch up from storage (YDocSession.catch_up).
            logger.warning("yjs relay to other processes failed", exc_info=True)

    async def read_peers(self, session: YDocSession) -> None:
        """The other processes' channels in the document's group (channels-redis: its
        group key holds them); None, meaning "send to the group", for any other layer."""
        layer = self.layer
        if self.alone or not hasattr(layer, "_group_key"):
            session.peers = None
            return
        try:
            connection = layer.connection(layer.consistent_hash(session.group))
            members = await connection.zrange(layer._group_key(session.group), 0, -1)
        except Exception:
            logger.warning("yjs hub: could not read the group's members", exc_info=True)
            session.peers = None
            return
        session.peers = {m.decode() for m in members} - {self.channel}

    async def _listen(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("yjs hub: layer receive failed; retrying", exc_info=True)
                await asyncio.sleep(1)
                continue
            key = (str(message.get("kind", "")), str(message.get("doc", "")))
            session = self.sessions.get(key)
            origin = str(message.get("origin", ""))
            if session is None or origin == self.channel:
                continue
            if origin and session.peers is not None:
                # A process we relay to only if it is known: one that relays to us is.
                session.peers.add(origin)
            try:
                await session.on_layer_message(message)
            except Exception:
                logger.exception("yjs hub: could not handle %s", message.get("type"))


class YDocSession:
    """One document open in this process: its Yjs state, its sockets, its pending writes."""

    def __init__(self, hub: DocHub, kind: str, doc_id: str) -> None:
        self.hub = hub
        self.kind = kind
        self.doc_id = doc_id
        self.key = (kind, doc_id)
        self.group = doc_group(kind, doc_id)
        self.store: DocStore = get_kind(kind).store
        self.relay_first = bool(getattr(self.store, "relay_before_store", False))
        self.sockets: set[YDocConsumer] = set()
        self.doc: pycrdt.Doc | None = None
        self.locked = False
        self.stored_bytes = 0
        self.since_compaction = 0
        self.compacting = False
        self._loading: asyncio.Task[None] | None = None
        self._captured: list[bytes] = []
        self._subscription: Any = None
        # Kinds that check updates (realtime/yjs/store.py, CheckedDocStore): a copy of the
        # document each update is tried on first, built when first needed. What applies
        # without a check (a trusted socket's, another process's) waits in
        # `shadow_behind` and reaches the shadow only when the next check needs it: the
        # unchecked path never pays for the shadow.
        self.shadow: pycrdt.Doc | None = None
        self.shadow_behind: list[bytes] = []
        self.queue: list[tuple[YDocConsumer | None, bytes, Any, list[Any]]] = []
        self.received: list[float] = []  # when each queued update came in (config/metrics)
        self.flushing: asyncio.Task[None] | None = None
        self.hurry = asyncio.Event()  # set: the group commit stops gathering (close)
        self.outbox: list[tuple[list[int], list[bytes]]] = []
        # Updates applied but not yet sent to this process's other sockets, and the task
        # that sends them at the next tick.
        self.unsent: list[tuple[YDocConsumer | None, bytes]] = []
        self.unsent_received: list[float] = []  # when each unsent update came in
        self.sending: asyncio.Task[None] | None = None
        self.last_send = 0.0
        # The channels of the other processes with this document open (None: unknown,
        # publish to the whole group).
        self.peers: set[str] | None = None
        self.publishing: asyncio.Task[None] | None = None
        self.marked_edit = 0.0  # last_local_edit when last_edit_at was last written
        self.closed = False
        # Ids stored or relayed that this session's document already holds, and the
        # watermarks of the catch-up: each look reads ids above the one before last, so
        # a row committed late (PostgreSQL hands out ids before commit) is still seen.
        self.seen: set[int] = set()
        self.watermarks = [0, 0]
        self.known_authors: set[Any] = set()
        # Awareness: client id -> (clock, JSON state, owning socket of this process).
        self.awareness: dict[int, tuple[int, str, YDocConsumer | None]] = {}
        self.last_local_edit = 0.0
        self.versioned_edit = 0.0
        self.ticker: asyncio.Task[None] | None = None
        self.empty_since: float | None = None

    # --- Loading --------------------------------------------------------------------

    async def ready(self) -> None:
        if self.doc is not None:
            return
        if self._loading is None:
            self._loading = asyncio.create_task(self._load())
        await asyncio.shield(self._loading)

    async def _load(self) -> None:
        # Joined even alone: the server's own messages (restore, freeze) come this way.
        await self.hub.layer.group_add(self.group, self.hub.channel)
        if not self.hub.alone:
            await self.hub.read_peers(self)
            # The processes already there add our channel to their peers now, not at
            # their next look (what they publish meanwhile is also in storage).
            await self.hub.layer.group_send(
                self.group,
                {"type": relay.JOINED, "kind": self.kind, "doc": self.doc_id,
                 "origin": self.hub.channel},
            )  # fmt: skip
        try:
            loaded = await on_writer(self.store.load, self.doc_id)
        except Exception:
            self._loading = None
            self.hub.forget(self)
            raise
        self.doc = loaded.doc
        self._subscription = self.doc.observe(self._on_transaction)
        self.locked = loaded.locked
        self.stored_bytes = loaded.stored_bytes
        self.watermarks = [loaded.last_update_id, loaded.last_update_id]
        self.since_compaction = 0
        self.ticker = asyncio.create_task(self._tick())

    def _on_transaction(self, event: Any) -> None:
        self._captured.append(event.update)

    def apply(self, update: bytes, *, shadowed: bool = False) -> bytes:
        """Apply an update to the document; return what it added (b"" if nothing).

        Raises ValueError for an update that does not decode."""
        doc = self._doc()
        self._captured.clear()
        doc.apply_update(update)
        if self.shadow is not None and not shadowed and self._captured:
            if len(self.shadow_behind) >= SHADOW_BEHIND_MAX:
                self.shadow = None  # rebuilt from the document, once, when next needed
                self.shadow_behind.clear()
            else:
                self.shadow_behind.append(update)
        if not self._captured:
            return b""
        if len(self._captured) == 1:
            return self._captured[0]
        import pycrdt

        return pycrdt.merge_updates(*self._captured)

    def check(self, update: bytes, abilities: DocAbilities) -> Verdict | None:
        """Try a writer's update on the shadow copy and ask the kind whether it may apply;
        None for kinds that check nothing and for trusted sockets. On a refusal the shadow
        is dropped (rebuilt from the document when next needed): it holds what was refused.

        Raises ValueError for an update that does not decode."""
        checker = getattr(self.store, "check_update", None)
        if checker is None or abilities.trusted:
            return None
        from realtime.yjs.store import Verdict

        roots = self.store.roots()  # type: ignore[attr-defined]
        shadow = self._shadow(roots)
        if self.shadow_behind:
            shadow.apply_update(pycrdt_merge(self.shadow_behind))
            self.shadow_behind.clear()
        changes: list[Change] = []
        subscriptions = []
        for name, root_type in roots.items():
            root = shadow.get(name, type=root_type)
            subscriptions.append((root, root.observe_deep(_collector(name, changes))))
        try:
            shadow.apply_update(update)
        except Exception:
            self.shadow = None
            raise
        finally:
            for root, subscription in subscriptions:
                root.unobserve(subscription)
        if set(shadow.keys()) - set(roots):
            verdict = Verdict(refused="root")
        else:
            try:
                verdict = checker(self.doc_id, self._doc(), shadow, changes, abilities)
            except Exception:
                logger.exception("%s %s: the update check failed", self.kind, self.doc_id)
                verdict = Verdict(refused="invalid")
        if verdict.refused:
            self.shadow = None
        return verdict

    def _shadow(self, roots: dict[str, type]) -> pycrdt.Doc:
        if self.shadow is None:
            import pycrdt

            shadow: pycrdt.Doc = pycrdt.Doc()
            for name, root_type in roots.items():
                shadow.get(name, type=root_type)
            shadow.apply_update(self._doc().get_update())
            self.shadow = shadow
            self.shadow_behind.clear()
        return self.shadow

    # --- Sockets ----------------------------------------------------------------------

    def add(self, socket: YDocConsumer) -> None:
        self.sockets.add(socket)
        self.empty_since = None

    async def remove(self, socket: YDocConsumer) -> None:
        self.sockets.discard(socket)
        gone = [cid for cid, (_, _, owner) in self.awareness.items() if owner is socket]
        if gone:
            entries = []
            for client_id in gone:
                clock = self.awareness.pop(client_id)[0]
                entries.append(yp.AwarenessEntry(client_id, clock + 1, "null"))
            payload = yp.encode_awareness(entries)
            await self.send_all(yp.awareness_message(payload))
            await self.hub.publish(self, {"type": relay.AWARENESS, "payload": payload})
        if not self.sockets:
            self.empty_since = time.monotonic()

    async def send_all(self, message: bytes, *, but: YDocConsumer | None = None) -> None:
        frame = binary_frame(message)  # built once for every socket
        for socket in list(self.sockets):
            if socket is not but:
                await socket.send_framed(message, frame)

    def _doc(self) -> pycrdt.Doc:
        if self.doc is None:
            raise RuntimeError("document session used before it was loaded")
        return self.doc

    def state_vector(self) -> bytes:
        return self._doc().get_state()

    def update_for(self, state_vector: bytes) -> bytes:
        return self._doc().get_update(state_vector)

    # --- Writes -----------------------------------------------------------------------

    def enqueue(
        self,
        sender: YDocConsumer | None,
        effective: bytes,
        author: Any,
        facts: list[Any] | None = None,
    ) -> None:
        self.queue.append((sender, effective, author, facts or []))
        self.stored_bytes += len(effective)
        self.last_local_edit = time.monotonic()
        if self.flushing is None or self.flushing.done():
            self.flushing = asyncio.create_task(self._flush())
        if not self.relay_first:
            self.received.append(time.monotonic())
        else:
            # Relayed before it is stored (see the module's docstring on durability).
            self.unsent.append((sender, effective))
            self.unsent_received.append(time.monotonic())
            if self.sending is None or self.sending.done():
                self.sending = asyncio.create_task(self._send_tick())

    async def _send_tick(self) -> None:
        """Send what arrived since the last tick: one message per socket, merged."""
        while self.unsent:
            if SEND_TICK:
                wait = self.last_send + SEND_TICK - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
            batch, self.unsent = self.unsent, []
            received, self.unsent_received = self.unsent_received, []
            self.last_send = time.monotonic()
            await self.fan_out(batch)
            metrics.observe_relay(self.kind, received)

    async def fan_out(self, batch: list[tuple[YDocConsumer | None, bytes]]) -> None:
        """Each socket gets the batch's updates but its own (a writer never gets its own
        keystrokes back): one merge for everybody, one more per sender in the batch."""
        if len(batch) == 1:
            sender, update = batch[0]
            await self.send_all(yp.sync_update(update), but=sender)
            return
        senders = {sender for sender, _ in batch}
        everything = yp.sync_update(pycrdt_merge([update for _, update in batch]))
        frame = binary_frame(everything)
        for socket in list(self.sockets):
            if socket not in senders:
                await socket.send_framed(everything, frame)
                continue
            others = [update for sender, update in batch if sender is not socket]
            if others:
                await socket.send_bytes(yp.sync_update(pycrdt_merge(others)))

    async def _flush(self) -> None:
        while self.queue:
            wait = self._commit_wait()
            if wait and not self.hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.hurry.wait(), wait)
            batch, self.queue = self.queue, []
            received, self.received = self.received, []
            try:
                ids = await on_writer(self._store_batch, batch)
            except Exception:
                logger.exception(
                    "%s %s: could not store %d updates", self.kind, self.doc_id, len(batch)
                )
                await self.fail()
                return
            self.seen.update(ids)
            self.since_compaction += len(batch)
            if not self.relay_first:
                await self.fan_out([(sender, update) for sender, update, _, _ in batch])
                metrics.observe_relay(self.kind, received)
            if not self.hub.alone and self.peers != set():
                # Other processes get it from a task of its own, in order: the next batch
                # is stored meanwhile instead of waiting for Redis.
                self.outbox.append((ids, [update for _, update, _, _ in batch]))
                if self.publishing is None or self.publishing.done():
                    self.publishing = asyncio.create_task(self._publish())
        if self.since_compaction >= self.store.limits().compact_every and not self.compacting:
            asyncio.create_task(self.compact())

    def _commit_wait(self) -> float:
        """How long a group commit gathers updates before storing them. Only documents
        relayed before they are stored wait (the others' sockets wait for the commit), and
        only while no other process is known to have the document open: the commit's
        relay is what carries the edits to them. One commit for what ~50 ms brings halves
        the relay's CPU at 20 writers (docs/performance.md, issue 18)."""
        if not self.relay_first or self.peers:
            return 0.0
        return COMMIT_WAIT

    async def store_now(self) -> None:
        """Store what is queued without waiting for the group commit to gather more."""
        self.hurry.set()
        if self.flushing is not None:
            await self.flushing

    def _store_batch(self, batch: list[tuple[Any, bytes, Any, list[Any]]]) -> list[int]:
        items = [(update, author) for _, update, author, _ in batch]
        facts = [(author, fact) for _, _, author, batch_facts in batch for fact in batch_facts]
        if not facts:
            return self.store.append(self.doc_id, items, known_authors=self.known_authors)
        from django.db import transaction

        with transaction.atomic():
            ids = self.store.append(self.doc_id, items, known_authors=self.known_authors)
            self.store.record_facts(self.doc_id, facts)  # type: ignore[attr-defined]
        return ids

    async def _publish(self) -> None:
        while self.outbox:
            ids: list[int] = []
            updates: list[bytes] = []
            for batch_ids, batch_updates in self.outbox:
                ids += batch_ids
                updates += batch_updates
            self.outbox.clear()
            await self.hub.publish(self, {"type": relay.UPDATE, "ids": ids, "updates": updates})

    async def fail(self) -> None:
        """Storage failed: what the document holds may not be stored. Close every socket
        (clients resync against storage when they reconnect) and drop the session."""
        self.closed = True
        self.hub.forget(self)
        for socket in list(self.sockets):
            await socket.close(code=1011)
        self._stop()

    async def compact(self) -> None:
        self.compacting = True
        try:
            started = self.since_compaction
            merged, size = await on_slow(self.store.compact, self.doc_id)
            self.since_compaction = max(0, self.since_compaction - started)
            self.stored_bytes = size + sum(len(u) for _, u, _, _ in self.queue)
            logger.info(
                "%s %s: compacted %d updates into %d bytes", self.kind, self.doc_id, merged, size
            )
        except Exception:
            logger.exception(
                "%s %s: compaction failed (nothing was deleted)", self.kind, self.doc_id
            )
        finally:
            self.compacting = False

    # --- Other processes --------------------------------------------------------------

    async def on_layer_message(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == relay.JOINED:
            return  # the hub added its channel to the peers
        if kind == relay.UPDATE and self.doc is not None:
            relayed: list[bytes] = []
            for update_id, update in zip(
                message.get("ids") or [None] * len(message["updates"]),
                message["updates"],
                strict=False,
            ):
                if update_id is not None:
                    self.seen.add(update_id)
                try:
                    effective = self.apply(update)
                except Exception:
                    logger.warning("%s %s: relayed update does not apply", self.kind, self.doc_id)
                    continue
                if effective:
                    self.stored_bytes += len(effective)
                    relayed.append(effective)
            if relayed:  # one commit of another process: one message per socket
                await self.send_all(yp.sync_update(pycrdt_merge(relayed)))
        elif kind == relay.AWARENESS:
            payload = message["payload"]
            for entry in yp.parse_awareness(payload):
                if entry.state == "null":
                    self.awareness.pop(entry.client_id, None)
                else:
                    self.awareness[entry.client_id] = (entry.clock, entry.state, None)
            await self.send_all(yp.awareness_message(payload))
        elif kind == relay.ABILITIES:
            self.known_authors.clear()  # a change of status may record a version
            await self.refresh_abilities()
        elif kind == relay.CONTROL:
            for socket in list(self.sockets):
                await socket.send_control(dict(message["content"]))

    async def _read_locked(self) -> bool:
        return bool(await on_writer(self.store.locked, self.doc_id))

    async def refresh_abilities(self) -> None:
        self.locked = await self._read_locked()
        for socket in list(self.sockets):
            await socket.refresh_abilities()

    async def check_locked(self) -> None:
        if await self._read_locked() != self.locked:
            await self.refresh_abilities()

    async def catch_up(self) -> None:
        """Apply what other processes stored and this one did not get through the layer."""
        floor = self.watermarks[0]
        top, rows = await on_writer(self.store.since, self.doc_id, floor, self.seen)
        for update_id, data in rows:
            self.seen.add(update_id)
            try:
                effective = self.apply(data)
            except Exception:
                logger.warning(
                    "%s %s: stored update %s does not apply", self.kind, self.doc_id, update_id
                )
                continue
            if effective:
                self.stored_bytes += len(effective)
                await self.send_all(yp.sync_update(effective))
        self.watermarks = [self.watermarks[1], max(top, self.watermarks[1])]
        self.seen = {i for i in self.seen if i > self.watermarks[0]}

    # --- Housekeeping -------------------------------------------------------------------

    async def _tick(self) -> None:
        ticks = 0
        while not self.closed:
            await asyncio.sleep(CATCHUP_SECONDS)
            try:
                if not self.hub.alone:
                    await self.catch_up()
                # Re-join at every look: a Redis restart, a flush or an expiry may have
                # lost the group, and with it relays, awareness and control messages.
                await self.hub.layer.group_add(self.group, self.hub.channel)
                await self.hub.read_peers(self)
                ticks += 1
                if ticks % LOCK_CHECK_TICKS == 0:
                    # A freeze announced while the group was lost still arrives, late.
                    await self.check_locked()
                if ticks % AUTHORS_FORGET_TICKS == 0:
                    # Another process or a page may have recorded a version meanwhile.
                    self.known_authors.clear()
                now = time.monotonic()
                edited = self.last_local_edit
                if edited > self.marked_edit:
                    self.marked_edit = edited
                    await on_writer(self.store.mark_edited, self.doc_id, timezone.now())
                if edited > self.versioned_edit and now - edited >= VERSION_PAUSE:
                    self.versioned_edit = edited
                    await on_slow(self.store.record_version, self.doc_id)
                    self.known_authors.clear()
                if self.empty_since is not None and now - self.empty_since >= SESSION_GRACE:
                    await self._retire()
                    return
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("%s %s: housekeeping failed", self.kind, self.doc_id)

    async def _retire(self) -> None:
        """Nobody left for a while: record the pause as a version, compact, let go."""
        if self.flushing is not None:
            await self.flushing
        if self.sockets:
            return
        self.closed = True
        self.hub.forget(self)
        # Leave the group before the slow work below: a session opened meanwhile for the
        # same document joins after this (and every session re-joins at each look anyway).
        await self.hub.layer.group_discard(self.group, self.hub.channel)
        if self.last_local_edit > self.marked_edit:
            await on_writer(self.store.mark_edited, self.doc_id, timezone.now())
        if self.last_local_edit > self.versioned_edit:
            await on_slow(self.store.record_version, self.doc_id)
        if self.since_compaction:
            await self.compact()
        self._stop(cancel_ticker=False)

    def _stop(self, *, cancel_ticker: bool = True) -> None:
        if self.ticker is not None and cancel_ticker:
            self.ticker.cancel()
        if self._subscription is not None and self.doc is not None:
            self.doc.unobserve(self._subscription)
            self._subscription = None
