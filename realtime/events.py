"""The base of the typed events domain code publishes to open websockets (docs/protocol.md).

Each app declares its events beside its live feature (``forums/events.py``,
``documents/events.py``); a subclass registers its ``type`` in ``EVENT_TYPES``, which
``check_event`` reads."""

from __future__ import annotations

import dataclasses
import sys
import types
import typing
from typing import Any, ClassVar, Union, get_args, get_origin, get_type_hints

# Each event is sent to the browser as ``to_dict()``: its fields plus ``type``.
# Ids are strings for UUIDs (rooms, threads, users) and integers for messages,
# which double as resync cursors.


EVENT_TYPES: dict[str, type[Event]] = {}


@dataclasses.dataclass(frozen=True)
class Event:
    type: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        registered = EVENT_TYPES.setdefault(cls.type, cls)
        if registered.__qualname__ != cls.__qualname__ or registered.__module__ != cls.__module__:
            raise ValueError(f"event type {cls.type!r} is declared twice")

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **dataclasses.asdict(self)}


def _matches(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if hint is Any:
        return True
    if origin in (Union, types.UnionType):
        return any(_matches(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if origin is dict:
        key_hint, value_hint = get_args(hint)
        return isinstance(value, dict) and all(
            _matches(k, key_hint) and _matches(v, value_hint) for k, v in value.items()
        )
    if origin is list:
        (item_hint,) = get_args(hint)
        return isinstance(value, list) and all(_matches(v, item_hint) for v in value)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return False


def check_event(data: dict[str, Any]) -> type[Event]:
    """Raise ``ValueError`` unless ``data`` is exactly what its event type declares.

    Tests run every event that reaches a socket through this, so a publisher
    cannot drift from the schema the browser client relies on.
    """
    cls = EVENT_TYPES.get(data.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown event type {data.get('type')!r}")
    names = vars(typing) | vars(sys.modules[cls.__module__])
    hints = {
        name: hint for name, hint in get_type_hints(cls, globalns=names).items() if name != "type"
    }
    if set(data) - {"type"} != set(hints):
        raise ValueError(f"{cls.type}: fields {sorted(data)} != {sorted(hints)}")
    for name, hint in hints.items():
        if not _matches(data[name], hint):
            raise ValueError(f"{cls.type}.{name}: {data[name]!r} is not {hint}")
    return cls
