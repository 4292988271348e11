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


# --- One frame, many sockets ---------------------------------------------------------------
# A co-writing relay sends the same bytes to every other socket of a document. Through
# the ASGI send each copy costs daphne's handle_reply, autobahn's framing and checks, and
# a Twisted write; the frame (server to client: never masked) is the same for all, so it
# is built once and written to each open transport (docs/performance.md, issue 18).


def server_send(send: Any) -> Any:
    """The server's own send under the wrappers of the websocket stack: Channels' session
    wrapper (it saves a modified session on "http.response.start" only) and any wrapper
    that names what it wraps in ``__wrapped__`` (config/metrics.py counts accepts and
    closes, never frames). For a relayed frame they are pure overhead, paid once per
    socket per update."""
    from channels.sessions import InstanceSessionWrapper

    for _ in range(16):  # a bound: the stack is a handful of wrappers deep
        owner = getattr(send, "__self__", None)
        if isinstance(owner, InstanceSessionWrapper):
            send = owner.real_send
        elif getattr(send, "__wrapped__", None) is not None:
            send = send.__wrapped__
        else:
            break
    return send


def daphne_protocol(send: Any) -> Any:
    """The daphne protocol behind an application's `send` (daphne passes
    `partial(server.handle_reply, protocol)`, which the websocket stack wraps: see
    ``server_send``), or None under any other server or test."""
    send = server_send(send)
    func = getattr(send, "func", None)
    args: tuple[Any, ...] = getattr(send, "args", ())
    if getattr(func, "__name__", "") != "handle_reply" or len(args) != 1:
        return None
    protocol = args[0]
    if not hasattr(protocol, "STATE_OPEN") or not hasattr(protocol, "transport"):
        return None
    return protocol


def binary_frame(payload: bytes) -> bytes:
    """One unfragmented, unmasked binary websocket frame (RFC 6455 §5.2)."""
    length = len(payload)
    if length < 126:
        header = bytes((0x82, length))
    elif length < 65536:
        header = bytes((0x82, 126)) + length.to_bytes(2, "big")
    else:
        header = bytes((0x82, 127)) + length.to_bytes(8, "big")
    return header + payload


def write_frame(protocol: Any, frame: bytes) -> bool:
    """Write a ready frame to an open socket; False when it is not open (the caller then
    goes through the ASGI send, which drops it cleanly)."""
    if protocol is None or protocol.state != protocol.STATE_OPEN or protocol.transport is None:
        return False
    transport = protocol.transport
    sent = _send_now(transport, frame)
    if sent < len(frame):
        transport.write(frame[sent:] if sent else frame)
    return True


def _send_now(transport: Any, frame: bytes) -> int:
    """Give the frame to the kernel at once when nothing waits in the transport's buffers;
    how many bytes it took (0: let Twisted write it all).

    ``transport.write`` only buffers: Twisted registers the socket for writing, writes at
    the next turn of the loop and unregisters it — three epoll calls and a loop turn per
    frame, a third of daphne's busy time in a 20-writer relay (docs/performance.md). With
    empty buffers, writing now keeps the order; what the kernel does not take goes to
    ``transport.write`` right after, and any doubt (TLS, closing, buffered bytes, another
    transport) leaves everything to Twisted."""
    from twisted.internet import tcp

    if (
        not isinstance(transport, tcp.Connection)
        or transport.TLS
        or not transport.connected
        or transport.disconnecting
        or transport._writeDisconnected  # noqa: SLF001 - Twisted's own state, read only
        or transport._tempDataBuffer  # noqa: SLF001
        or len(transport.dataBuffer) > transport.offset
    ):
        return 0
    try:
        return int(transport.socket.send(frame))
    except (BlockingIOError, InterruptedError):
        return 0
    except OSError:
        return 0  # Twisted's write meets the same error and closes the connection
