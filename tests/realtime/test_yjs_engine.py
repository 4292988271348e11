"""The Yjs engine (realtime/yjs) serves any registered document kind and knows no app."""

from __future__ import annotations

import ast
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pycrdt
import pytest
from asgiref.sync import sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.conf import settings

from realtime.frames import FrameError
from realtime.origin import SameOriginValidator
from realtime.yjs import protocol as yp
from realtime.yjs import registry
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from realtime.yjs.store import Change, DocAbilities, Limits, Loaded, Verdict
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of, until_stored

YJS = Path(settings.BASE_DIR) / "realtime" / "yjs"


def domain_apps() -> set[str]:
    """The project's own apps but the transport core itself."""
    root = Path(settings.BASE_DIR).resolve()
    return {
        config.name.split(".")[0]
        for config in apps.get_app_configs()
        # The project's apps are folders at its root (the virtualenv may live there too).
        if Path(config.path).resolve().parent == root and config.name != "realtime"
    }


def imported_modules(path: Path) -> Iterator[str]:
    """Every module a file imports, at the top, inside functions or for type checking."""
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_the_yjs_engine_imports_no_domain_app() -> None:
    domain = domain_apps()
    assert {"deliberation", "accounts", "forums"} <= domain
    offending = sorted(
        f"{path.relative_to(settings.BASE_DIR)} imports {module}"
        for path in YJS.rglob("*.py")
        for module in imported_modules(path)
        if module.split(".")[0] in domain
    )
    assert offending == []


def test_drafts_are_a_registered_kind_at_their_documented_path() -> None:
    from deliberation.draft_store import DraftStore

    kind = registry.get("draft")
    assert kind.path == "drafts" and isinstance(kind.store, DraftStore)


# --- A second kind: a store and a registration, no fork -------------------------------------


class MemoryStore:
    """A document kind kept in memory, for this test only: anyone signed in reads; only
    the people in `writers` write."""

    def __init__(self, writers: set[Any]) -> None:
        self.writers = writers
        self.updates: dict[str, list[tuple[int, bytes]]] = {}
        self.ids = itertools.count(1)

    def limits(self) -> Limits:
        return Limits(64 * 1024, 1024 * 1024, 1000)

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        if doc_id not in self.updates:
            return None
        return DocAbilities(
            write=user.pk in self.writers,
            identity={"name": str(user.pk), "color": "#000000"},
            extra={"wall": True},
        )

    def load(self, doc_id: str) -> Loaded:
        doc: pycrdt.Doc = pycrdt.Doc()
        rows = self.updates[doc_id]
        for _, update in rows:
            doc.apply_update(update)
        last = max((i for i, _ in rows), default=0)
        return Loaded(doc, last, sum(len(u) for _, u in rows), locked=False)

    def append(
        self, doc_id: str, items: list[tuple[bytes, Any]], *, known_authors: set[Any]
    ) -> list[int]:
        ids = [next(self.ids) for _ in items]
        self.updates[doc_id] += [(i, update) for i, (update, _) in zip(ids, items, strict=True)]
        return ids

    def since(self, doc_id: str, after: int, seen: set[int]) -> tuple[int, list[tuple[int, bytes]]]:
        rows = [(i, u) for i, u in self.updates[doc_id] if i > after]
        return max((i for i, _ in rows), default=after), [r for r in rows if r[0] not in seen]

    def compact(self, doc_id: str) -> tuple[int, int]:
        return 0, 0

    def locked(self, doc_id: str) -> bool:
        return False

    def mark_edited(self, doc_id: str, when: datetime) -> None:
        pass

    def record_version(self, doc_id: str) -> None:
        pass


@pytest.fixture
async def memo_kind() -> AsyncIterator[MemoryStore]:
    store = MemoryStore(writers=set())
    store.updates["wall-1"] = []
    registry.register("memo", store, path="test-memos")
    try:
        yield store
    finally:
        await DocHub.current().close()
        registry.unregister("memo")


async def connect(application: Any, user: Any, path: str) -> YClient:
    cookie = await sync_to_async(cookie_of)(user)
    socket = WebsocketCommunicator(application, path, headers=[HOST, ORIGIN, (b"cookie", cookie)])
    connected, _ = await socket.connect()
    assert connected
    client = YClient(socket)
    await client.sync()
    return client


async def write(client: YClient, text: str) -> bytes:
    before = client.doc.get_state()
    client.doc.get("memo", type=pycrdt.Text).insert(0, text)
    update = client.doc.get_update(before)
    await client.socket.send_to(bytes_data=yp.sync_update(update))
    return update


@pytest.mark.django_db(transaction=True)
async def test_a_second_kind_syncs_two_clients_through_its_own_store(
    memo_kind: MemoryStore,
) -> None:
    alice, bob, reader = await sync_to_async(lambda: [factories.UserFactory() for _ in range(3)])()
    memo_kind.writers |= {alice.pk, bob.pk}
    # The same routes the project's application builds, now with the new kind among them.
    application = SameOriginValidator(AuthMiddlewareStack(URLRouter(registry.urlpatterns())))

    a = await connect(application, alice, "/ws/test-memos/wall-1")
    b = await connect(application, bob, "/ws/test-memos/wall-1")
    await write(a, "Idée : un banc devant la mairie")
    await b.drain_until(lambda: b.received_updates)
    assert str(b.doc.get("memo", type=pycrdt.Text)) == "Idée : un banc devant la mairie"
    # Relayed at once, stored by the group commit right after (the durability rule of
    # docs/protocol.md: durable once stored; until then the clients hold it).
    await until_stored(lambda: memo_kind.updates["wall-1"])
    assert len(memo_kind.updates["wall-1"]) == 1

    await write(b, "Oui ! ")
    await a.drain_until(lambda: a.received_updates)
    assert str(a.doc.get("memo", type=pycrdt.Text)) == "Oui ! Idée : un banc devant la mairie"

    # The store's abilities decide: a reader syncs, what it sends is dropped.
    c = await connect(application, reader, "/ws/test-memos/wall-1")
    assert str(c.doc.get("memo", type=pycrdt.Text)) == "Oui ! Idée : un banc devant la mairie"
    await c.socket.send_to(bytes_data=yp.agora_message({"type": "hello"}))
    await c.drain_until(lambda: c.controls)
    assert c.controls[-1] == {"type": "abilities", "edit": False, "wall": True}
    await write(c, "Non. ")
    assert await a.nothing_more()
    assert len(memo_kind.updates["wall-1"]) == 2

    # A document the store does not know: the same answer as one the person may not read.
    socket = WebsocketCommunicator(
        application,
        "/ws/test-memos/wall-2",
        headers=[HOST, ORIGIN, (b"cookie", await sync_to_async(cookie_of)(alice))],
    )
    await socket.connect()
    closed = await socket.receive_output(timeout=3)
    assert closed["type"] == "websocket.close" and closed["code"] == CLOSE_NOT_FOUND
    for client in (a, b, c):
        await client.close()


# --- A checked kind: the server validates each update before it applies ---------------------


class CheckedStore(MemoryStore):
    """Notes in a map, each at most 10 characters; only its author may change one. The
    author travels in the abilities, as a real kind does (no database in the check)."""

    def __init__(self, writers: set[Any]) -> None:
        super().__init__(writers)
        self.facts: list[tuple[Any, Any]] = []
        self.seen: list[list[Change]] = []
        self.trusted: set[Any] = set()
        self.shadows: list[dict[str, Any]] = []  # the document each check saw, after

    def abilities(self, user: Any, doc_id: str) -> DocAbilities | None:
        abilities = super().abilities(user, doc_id)
        if abilities is not None:
            abilities.extra = {"me": f"p{user.pk}"}
            abilities.trusted = user.pk in self.trusted
        return abilities

    def roots(self) -> dict[str, type]:
        return {"notes": pycrdt.Map}

    def check_update(
        self,
        doc_id: str,
        before: pycrdt.Doc,
        after: pycrdt.Doc,
        changes: list[Change],
        abilities: DocAbilities,
    ) -> Verdict:
        self.seen.append(changes)
        self.shadows.append(after.get("notes", type=pycrdt.Map).to_py() or {})
        me = abilities.extra["me"]
        old, new = before.get("notes", type=pycrdt.Map), after.get("notes", type=pycrdt.Map)
        facts = []
        for change in changes:
            key = str(change.path[1]) if len(change.path) > 1 else str(change.key)
            if key in old and old[key]["author"] != me:
                return Verdict(refused="not_yours")
            if key in new:
                if new[key]["author"] != me or len(new[key]["text"]) > 10:
                    return Verdict(refused="invalid")
                if key not in old:
                    facts.append(("note", key))
        return Verdict(facts=facts)

    def record_facts(self, doc_id: str, facts: list[tuple[Any, Any]]) -> None:
        self.facts += facts

    def control(
        self, user: Any, doc_id: str, content: dict[str, Any], abilities: DocAbilities
    ) -> dict[str, Any] | None:
        if content.get("type") == "ping":
            return {"type": "pong", "me": abilities.extra["me"]}
        raise FrameError("unknown", "Message inconnu.")


@pytest.fixture
async def checked_kind() -> AsyncIterator[CheckedStore]:
    store = CheckedStore(writers=set())
    store.updates["wall-1"] = []
    registry.register("checked", store, path="test-checked")
    try:
        yield store
    finally:
        await DocHub.current().close()
        registry.unregister("checked")


async def add_note(client: YClient, key: str, **note: Any) -> None:
    before = client.doc.get_state()
    notes = client.doc.get("notes", type=pycrdt.Map)
    if key in notes:
        for field, value in note.items():
            notes[key][field] = value
    else:
        notes[key] = pycrdt.Map(note)
    await client.socket.send_to(bytes_data=yp.sync_update(client.doc.get_update(before)))


@pytest.mark.django_db(transaction=True)
async def test_a_checked_kind_refuses_updates_before_they_apply(checked_kind: CheckedStore) -> None:
    alice, bob = await sync_to_async(lambda: [factories.UserFactory() for _ in range(2)])()
    checked_kind.writers |= {alice.pk, bob.pk}
    application = SameOriginValidator(AuthMiddlewareStack(URLRouter(registry.urlpatterns())))
    a = await connect(application, alice, "/ws/test-checked/wall-1")
    b = await connect(application, bob, "/ws/test-checked/wall-1")
    for client in (a, b):
        await client.socket.send_to(bytes_data=yp.agora_message({"type": "hello"}))
        await client.drain_until(lambda c=client: c.controls)

    await add_note(a, "n1", text="Un banc", author=f"p{alice.pk}")
    await b.drain_until(lambda: b.received_updates)
    assert b.doc.get("notes", type=pycrdt.Map)["n1"]["text"] == "Un banc"
    await until_stored(lambda: checked_kind.facts)
    assert checked_kind.facts == [(alice.pk, ("note", "n1"))]
    assert checked_kind.seen[-1] == [Change(("notes",), "n1", "add")]

    # Bob changes Alice's note: refused, told to him only, never stored or relayed.
    stored = len(checked_kind.updates["wall-1"])
    await add_note(b, "n1", text="Pas de banc")
    await b.drain_until(lambda: b.controls[-1].get("type") == "refused")
    assert b.controls[-1] == {"type": "refused", "reason": "not_yours"}
    assert await a.nothing_more()
    assert len(checked_kind.updates["wall-1"]) == stored
    # Too long, or written under another's name: refused too.
    await add_note(b, "n2", text="Beaucoup trop long", author=f"p{bob.pk}")
    await add_note(b, "n3", text="Court", author=f"p{alice.pk}")
    await b.drain_until(lambda: len([c for c in b.controls if c["type"] == "refused"]) == 3)
    # A root the kind does not declare.
    before = b.doc.get_state()
    b.doc.get("other", type=pycrdt.Map)["x"] = 1
    await b.socket.send_to(bytes_data=yp.sync_update(b.doc.get_update(before)))
    await b.drain_until(lambda: b.controls[-1] == {"type": "refused", "reason": "root"})
    assert await a.nothing_more()

    # The shadow was rebuilt from what was accepted: Alice writes on; Bob, told his
    # updates were refused, starts again from a fresh document (as our client does) and
    # sees only what was accepted, then writes a valid note.
    await add_note(a, "n4", text="Fontaine", author=f"p{alice.pk}")
    c = await connect(application, bob, "/ws/test-checked/wall-1")
    await c.drain_until(lambda: "n4" in c.doc.get("notes", type=pycrdt.Map))
    assert sorted(c.doc.get("notes", type=pycrdt.Map).keys()) == ["n1", "n4"]
    await add_note(c, "n5", text="Bancs", author=f"p{bob.pk}")
    await a.drain_until(lambda: "n5" in a.doc.get("notes", type=pycrdt.Map))
    await until_stored(lambda: len(checked_kind.facts) == 3)
    assert [key for _, (_, key) in checked_kind.facts] == ["n1", "n4", "n5"]
    assert checked_kind.facts[-1][0] == bob.pk

    # The kind's own control messages: an answer to the sender, or a coded refusal.
    await a.socket.send_to(bytes_data=yp.agora_message({"type": "ping"}))
    await a.drain_until(lambda: a.controls[-1].get("type") == "pong")
    assert a.controls[-1] == {"type": "pong", "me": f"p{alice.pk}"}
    await a.socket.send_to(bytes_data=yp.agora_message({"type": "what"}))
    await a.drain_until(lambda: a.controls[-1].get("type") == "error")
    assert a.controls[-1] == {"type": "error", "code": "unknown", "message": "Message inconnu."}
    for client in (a, b, c):
        await client.close()


@pytest.mark.django_db(transaction=True)
async def test_a_trusted_socket_skips_the_check_and_the_next_check_sees_its_writes(
    checked_kind: CheckedStore,
) -> None:
    alice, bob = await sync_to_async(lambda: [factories.UserFactory() for _ in range(2)])()
    checked_kind.writers |= {alice.pk, bob.pk}
    checked_kind.trusted.add(alice.pk)
    application = SameOriginValidator(AuthMiddlewareStack(URLRouter(registry.urlpatterns())))
    a = await connect(application, alice, "/ws/test-checked/wall-1")
    b = await connect(application, bob, "/ws/test-checked/wall-1")
    await add_note(b, "n1", text="Banc", author=f"p{bob.pk}")
    await a.drain_until(lambda: "n1" in a.doc.get("notes", type=pycrdt.Map))
    assert len(checked_kind.seen) == 1

    # Alice (trusted) changes Bob's note and writes a long one: never checked, applied.
    await add_note(a, "n1", text="Pas de banc")
    await add_note(a, "n2", text="Bien trop long pour la règle", author=f"p{alice.pk}")
    await b.drain_until(lambda: "n2" in b.doc.get("notes", type=pycrdt.Map))
    assert len(checked_kind.seen) == 1
    assert b.doc.get("notes", type=pycrdt.Map)["n1"]["text"] == "Pas de banc"

    # Bob's next update is checked against a shadow that caught up with Alice's writes:
    # a new note of his is accepted.
    await add_note(b, "n3", text="Fontaine", author=f"p{bob.pk}")
    await a.drain_until(lambda: "n3" in a.doc.get("notes", type=pycrdt.Map))
    assert len(checked_kind.seen) == 2
    assert checked_kind.seen[-1] == [Change(("notes",), "n3", "add")]
    assert sorted(checked_kind.shadows[-1]) == ["n1", "n2", "n3"]
    assert checked_kind.shadows[-1]["n1"]["text"] == "Pas de banc"
    for client in (a, b):
        await client.close()


def test_the_checker_gets_the_delta_of_an_xml_text() -> None:
    from realtime.yjs.hub import _collector

    doc: pycrdt.Doc = pycrdt.Doc()
    fragment = doc.get("default", type=pycrdt.XmlFragment)
    paragraph = fragment.children.append(pycrdt.XmlElement("paragraph"))
    text = paragraph.children.append(pycrdt.XmlText())
    text.insert(0, "Un banc")
    changes: list[Change] = []
    subscription = fragment.observe_deep(_collector("default", changes))
    with doc.transaction():
        text.insert(7, " vert", {"insertion": {"author": 1}})
        text.format(0, 2, {"deletion": {"author": 1}})
        paragraph.attributes["level"] = "2"
    fragment.unobserve(subscription)
    assert Change(("default", 0), "level", "add") in changes
    edit = next(c for c in changes if c.action == "edit")
    assert edit.path == ("default", 0, 0)
    assert edit.delta == [
        {"retain": 2, "attributes": {"deletion": {"author": 1.0}}},
        {"retain": 5},
        {"insert": " vert", "attributes": {"insertion": {"author": 1.0}}},
    ]


def test_a_kind_cannot_take_a_used_name_or_path() -> None:
    store = MemoryStore(writers=set())
    with pytest.raises(ValueError):
        registry.register("draft", store, path="other")
    with pytest.raises(ValueError):
        registry.register("other", store, path="drafts")
    assert sorted(k.name for k in registry.kinds()) == [
        "board", "draft", "practicedraft", "sessiondoc", "wall", "wallsheet"
    ]


class _NoHub:
    """A session's hub, for a test that neither relays nor stores."""

    layer = None
    alone = True


@pytest.fixture
def checked_kind_sync() -> Iterator[CheckedStore]:
    store = CheckedStore(writers=set())
    registry.register("checked", store, path="test-checked")
    try:
        yield store
    finally:
        registry.unregister("checked")


def test_unchecked_updates_wait_for_the_shadow_and_too_many_drop_it(
    checked_kind_sync: CheckedStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from realtime.yjs import hub as yhub
    from realtime.yjs.hub import YDocSession

    session = YDocSession(_NoHub(), "checked", "wall-1")  # type: ignore[arg-type]
    session.doc = pycrdt.Doc()
    session._subscription = session.doc.observe(session._on_transaction)
    source: pycrdt.Doc = pycrdt.Doc()
    notes = source.get("notes", type=pycrdt.Map)

    def note(key: str) -> bytes:
        state = source.get_state()
        notes[key] = pycrdt.Map({"text": key, "author": "p1"})
        return source.get_update(state)

    checker = DocAbilities(write=True, identity={}, extra={"me": "p1"})
    verdict = session.check(note("a"), checker)  # builds the shadow
    assert verdict is not None and not verdict.refused
    session.apply(source.get_update(), shadowed=True)
    for key in ("b", "c"):  # unchecked: not applied to the shadow yet
        session.apply(note(key))
    assert len(session.shadow_behind) == 2 and session.shadow is not None
    assert "b" not in session.shadow.get("notes", type=pycrdt.Map)
    session.check(note("d"), checker)
    assert session.shadow is not None
    assert session.shadow_behind == []
    assert sorted(session.shadow.get("notes", type=pycrdt.Map).keys()) == ["a", "b", "c", "d"]
    # Past SHADOW_BEHIND_MAX the shadow goes (rebuilt from the document when next needed).
    monkeypatch.setattr(yhub, "SHADOW_BEHIND_MAX", 1)
    session.apply(source.get_update())
    session.apply(note("e"))
    session.apply(note("f"))
    assert session.shadow is None and session.shadow_behind == []
    verdict = session.check(note("g"), checker)
    assert verdict is not None and not verdict.refused and session.shadow is not None
    assert sorted(session.shadow.get("notes", type=pycrdt.Map).keys()) == list("abcdefg")
