"""Oversized frames end with close code 1009, as docs/protocol.md promises.

daphne passes `--websocket-max-message-size` / `--websocket-max-frame-size` to
autobahn, whose default `failByDrop=True` answers a frame over the limit by
dropping the TCP connection: the browser sees 1006 (abnormal closure), the same
as a network failure, and reconnects to send the same frame again. With
`failByDrop=False` autobahn fails the connection the way RFC 6455 §7.1.7 allows:
it sends a close frame with 1009 (message too big) — 1002 for a protocol
error — and then closes. daphne exposes no option for it, so the one place that
sets daphne's websocket options is wrapped here, before daphne builds its factory
(config/asgi.py is imported by daphne's command line before its server starts).
"""

from __future__ import annotations

from typing import Any


def close_oversized_frames_cleanly() -> None:
    """Make daphne's websocket factory send close frames instead of dropping TCP."""
    try:
        from daphne import ws_protocol
    except ImportError:  # another ASGI server: its own rules
        return
    factory = ws_protocol.WebSocketFactory
    if getattr(factory, "agora_clean_close", False):
        return
    set_options = factory.setProtocolOptions

    def set_protocol_options(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("failByDrop", False)
        set_options(self, *args, **kwargs)

    factory.setProtocolOptions = set_protocol_options  # type: ignore[method-assign]
    factory.agora_clean_close = True  # type: ignore[attr-defined]
