"""Encrypted backup archives: AES-256-GCM in authenticated chunks (a STREAM construction).

One archive is one header and a sequence of chunks. The header carries a random salt
from which this archive's own key is derived (HKDF-SHA256 from the backup key, which is
never written in the archive), a key check value, and a random nonce prefix. Each chunk
is at most ``CHUNK`` bytes of plaintext, sealed with AES-GCM under a nonce made of the
prefix, the chunk's counter and a "last chunk" flag, with the header as associated data:
a changed, removed, reordered or truncated chunk fails its authentication tag, and no
plaintext is released before its chunk has been authenticated.
"""

from __future__ import annotations

import base64
import hmac
import os
import struct
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC = b"AGORABK\x01"
SALT_BYTES = 16
CHECK_BYTES = 16
PREFIX_BYTES = 7
HEADER_BYTES = len(MAGIC) + SALT_BYTES + CHECK_BYTES + PREFIX_BYTES
CHUNK = 1024 * 1024
TAG_BYTES = 16
LAST = 0x80000000
KEY_BYTES = 32


class BackupError(Exception):
    """A backup cannot be made or read; the message says why, for the operator."""


class WrongKey(BackupError):
    pass


class Damaged(BackupError):
    pass


def generate_key() -> str:
    """A new backup key, as BACKUP_KEY and key files hold it (URL-safe base64 of 32 bytes)."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def parse_key(text: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise BackupError(
            "The backup key is not valid: expected the URL-safe base64 of 32 bytes "
            "(python manage.py backup --generate-key)."
        ) from exc
    if len(key) != KEY_BYTES:
        raise BackupError(
            f"The backup key must be 32 bytes (base64), not {len(key)} "
            "(python manage.py backup --generate-key)."
        )
    return key


def _derive(key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    material = HKDF(
        algorithm=hashes.SHA256(), length=2 * KEY_BYTES, salt=salt, info=b"agora-backup v1"
    ).derive(key)
    return material[:KEY_BYTES], material[KEY_BYTES : KEY_BYTES + CHECK_BYTES]


def _nonce(prefix: bytes, counter: int, last: bool) -> bytes:
    return prefix + struct.pack(">I", counter) + (b"\x01" if last else b"\x00")


class EncryptingWriter:
    """A write-only file object: what is written to it goes to ``out`` sealed in chunks.
    ``close()`` writes the last chunk; an archive without it is refused as truncated."""

    def __init__(self, out: BinaryIO, key: bytes) -> None:
        salt, prefix = os.urandom(SALT_BYTES), os.urandom(PREFIX_BYTES)
        enc_key, check = _derive(key, salt)
        self._aead = AESGCM(enc_key)
        self._header = MAGIC + salt + check + prefix
        self._prefix = prefix
        self._out = out
        self._buffer = bytearray()
        self._counter = 0
        self.closed = False
        out.write(self._header)

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._seal(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _seal(self, plaintext: bytes, *, last: bool) -> None:
        if self._counter >= 0xFFFFFFFF:
            raise BackupError("Archive too large for one key derivation.")
        nonce = _nonce(self._prefix, self._counter, last)
        sealed = self._aead.encrypt(nonce, plaintext, self._header)
        self._out.write(struct.pack(">I", len(sealed) | (LAST if last else 0)) + sealed)
        self._counter += 1

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        if not self.closed:
            self._seal(bytes(self._buffer), last=True)
            self._buffer.clear()
            self.closed = True


class DecryptingReader:
    """A read-only file object over an archive: yields plaintext chunk by chunk, each
    authenticated before any of its bytes is returned."""

    def __init__(self, source: BinaryIO, key: bytes) -> None:
        header = source.read(HEADER_BYTES)
        if len(header) < HEADER_BYTES or not header.startswith(MAGIC):
            raise Damaged("This file is not an Agora backup archive (or its header is damaged).")
        salt = header[len(MAGIC) : len(MAGIC) + SALT_BYTES]
        check = header[len(MAGIC) + SALT_BYTES : len(MAGIC) + SALT_BYTES + CHECK_BYTES]
        enc_key, expected = _derive(key, salt)
        if not hmac.compare_digest(check, expected):
            raise WrongKey(
                "Wrong backup key: this archive was encrypted with another key "
                "(check BACKUP_KEY or BACKUP_KEY_FILE)."
            )
        self._aead = AESGCM(enc_key)
        self._header = header
        self._prefix = header[-PREFIX_BYTES:]
        self._source = source
        self._counter = 0
        self._plain = b""
        self._done = False
        self.closed = False

    def readable(self) -> bool:
        return True

    def _next_chunk(self) -> None:
        head = self._source.read(4)
        if len(head) < 4:
            raise Damaged("The archive is truncated: its last part is missing.")
        (word,) = struct.unpack(">I", head)
        last, length = bool(word & LAST), word & ~LAST
        if length < TAG_BYTES or length > CHUNK + TAG_BYTES:
            raise Damaged("The archive is damaged or was altered (chunk length).")
        sealed = self._source.read(length)
        if len(sealed) < length:
            raise Damaged("The archive is truncated: its last part is missing.")
        try:
            self._plain = self._aead.decrypt(
                _nonce(self._prefix, self._counter, last), sealed, self._header
            )
        except InvalidTag as exc:
            raise Damaged(
                f"The archive is damaged or was altered: part {self._counter + 1} fails its "
                "authentication tag. Nothing from it is used."
            ) from exc
        self._counter += 1
        if last:
            if self._source.read(1):
                raise Damaged("The archive is damaged or was altered (data after its end).")
            self._done = True

    def read(self, size: int = -1) -> bytes:
        parts: list[bytes] = []
        wanted = size if size is not None and size >= 0 else None
        while wanted is None or wanted > 0:
            if not self._plain:
                if self._done:
                    break
                self._next_chunk()
                continue
            take = self._plain if wanted is None else self._plain[:wanted]
            self._plain = self._plain[len(take) :]
            parts.append(take)
            if wanted is not None:
                wanted -= len(take)
        return b"".join(parts)

    def close(self) -> None:
        self.closed = True


def read_key_file(path: Path) -> bytes:
    try:
        return parse_key(path.read_text(encoding="ascii"))
    except OSError as exc:
        raise BackupError(f"Cannot read the backup key file {path}: {exc.strerror}.") from exc
