"""A small client for a ClamAV daemon (clamd), speaking its documented INSTREAM protocol.

`zINSTREAM\\0`, then the file in chunks each preceded by its length (4 bytes, big
endian), then a zero length; clamd answers `stream: OK` or `stream: <signature> FOUND`
(NUL-terminated with the `z` prefix). See clamd(8), « INSTREAM ».
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import BinaryIO

CHUNK = 64 * 1024


class ClamAVUnavailable(Exception):
    """The daemon could not be reached, or answered something we do not understand."""


@dataclass(frozen=True)
class ScanResult:
    clean: bool
    signature: str = ""


def connect(address: str, timeout: float) -> socket.socket:
    """`host:port`, `tcp://host:port`, a unix socket path or `unix:///path`."""
    if address.startswith("unix://"):
        address = address[len("unix://") :]
    if address.startswith("tcp://"):
        address = address[len("tcp://") :]
    try:
        if address.startswith("/"):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(address)
            return sock
        host, _sep, port = address.rpartition(":")
        return socket.create_connection((host.strip("[]"), int(port)), timeout=timeout)
    except (OSError, ValueError) as exc:
        raise ClamAVUnavailable(f"cannot reach clamd at {address}: {exc}") from exc


def scan_stream(stream: BinaryIO, address: str, *, timeout: float = 30) -> ScanResult:
    """Send `stream` (from its current position) to clamd and read the verdict."""
    sock = connect(address, timeout)
    try:
        sock.sendall(b"zINSTREAM\0")
        while chunk := stream.read(CHUNK):
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0") and len(reply) < 4096:
            data = sock.recv(4096)
            if not data:
                break
            reply += data
    except OSError as exc:
        raise ClamAVUnavailable(f"clamd at {address} failed: {exc}") from exc
    finally:
        sock.close()
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if answer == "stream: OK":
        return ScanResult(clean=True)
    if answer.startswith("stream: ") and answer.endswith(" FOUND"):
        return ScanResult(clean=False, signature=answer[len("stream: ") : -len(" FOUND")])
    # e.g. "INSTREAM size limit exceeded. ERROR": not a verdict.
    raise ClamAVUnavailable(f"clamd at {address} answered {answer!r}")
