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

from realtime.origin import SameOriginValidator
from realtime.yjs import protocol as yp
from realtime.yjs import registry
from realtime.yjs.consumer import CLOSE_NOT_FOUND
from realtime.yjs.hub import DocHub
from realtime.yjs.store import DocAbilities, Limits, Loaded
from tests import factories
from tests.realtime.ydrafts import HOST, ORIGIN, YClient, cookie_of

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
    # Stored in the kind's store before it was relayed.
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


def test_a_kind_cannot_take_a_used_name_or_path() -> None:
    store = MemoryStore(writers=set())
    with pytest.raises(ValueError):
        registry.register("draft", store, path="other")
    with pytest.raises(ValueError):
        registry.register("other", store, path="drafts")
    assert [k.name for k in registry.kinds()] == ["draft"]
