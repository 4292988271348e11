"""The document kinds the Yjs engine serves: kind name -> store and websocket path.

An app registers its kinds in its `AppConfig.ready()`; /ws/<path>/<document id> then
speaks y-websocket for that kind (docs/protocol.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, re_path

from realtime.yjs.store import DocStore

KIND_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
KIND_PATH = re.compile(r"^[a-z][a-z0-9-]*$")


@dataclass(frozen=True)
class DocKind:
    name: str  # names the layer group of a document, "<name>.<document id>"
    path: str  # the socket is at /ws/<path>/<document id>
    store: DocStore


_kinds: dict[str, DocKind] = {}


def register(name: str, store: DocStore, *, path: str) -> DocKind:
    if not KIND_NAME.match(name) or not KIND_PATH.match(path):
        raise ValueError(f"document kind {name!r} at {path!r}: name or path not allowed")
    for other in _kinds.values():
        if other.name == name or other.path == path:
            raise ValueError(f"document kind {name!r} at {path!r} clashes with {other!r}")
    kind = _kinds[name] = DocKind(name, path, store)
    return kind


def unregister(name: str) -> None:
    """Tests register kinds of their own and remove them after."""
    _kinds.pop(name, None)


def get(name: str) -> DocKind:
    return _kinds[name]


def kinds() -> list[DocKind]:
    return list(_kinds.values())


def urlpatterns(wrap: Callable[[Any], Any] | None = None) -> list[URLPattern]:
    """One websocket route per registered kind (read once the apps are ready); ``wrap``
    puts a middleware around each consumer (the site's: Channels' AuthMiddleware)."""
    from realtime.yjs.consumer import YDocConsumer

    def app(kind: Any) -> Any:
        consumer = YDocConsumer.as_asgi(kind=kind.name)
        return wrap(consumer) if wrap is not None else consumer

    return [
        re_path(rf"^ws/{re.escape(kind.path)}/(?P<doc_id>[^/]+)/?$", app(kind))
        for kind in _kinds.values()
    ]
