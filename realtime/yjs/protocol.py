"""The y-websocket wire format (lib0 encoding), read strictly.

A message is a varUint type followed by its payload:
- 0 sync: varUint subtype (0 step 1: varUint8Array state vector; 1 step 2 and 2 update:
  varUint8Array update);
- 1 awareness: varUint8Array of [varUint count, then per client varUint id, varUint clock,
  varString JSON state];
- 3 query awareness: nothing;
- 100 Agora control (our extension; stock clients ignore it): varString JSON.
Anything that does not parse raises `ProtocolError`: the socket is closed, nothing applied.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MESSAGE_SYNC = 0
MESSAGE_AWARENESS = 1
MESSAGE_AUTH = 2
MESSAGE_QUERY_AWARENESS = 3
MESSAGE_AGORA = 100

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2

_MAX_VARUINT_BYTES = 8  # 2**56: more than any length or client id we accept


class ProtocolError(ValueError):
    pass


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        value = shift = 0
        for _ in range(_MAX_VARUINT_BYTES):
            if self.pos >= len(self.data):
                raise ProtocolError("truncated varUint")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
        raise ProtocolError("varUint too long")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError("truncated byte array")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("invalid UTF-8") from exc


def var_uint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def var_bytes(data: bytes) -> bytes:
    return var_uint(len(data)) + data


def sync_step1(state_vector: bytes) -> bytes:
    return bytes((MESSAGE_SYNC, SYNC_STEP1)) + var_bytes(state_vector)


def sync_step2(update: bytes) -> bytes:
    return bytes((MESSAGE_SYNC, SYNC_STEP2)) + var_bytes(update)


def sync_update(update: bytes) -> bytes:
    return bytes((MESSAGE_SYNC, SYNC_UPDATE)) + var_bytes(update)


def awareness_message(payload: bytes) -> bytes:
    return bytes((MESSAGE_AWARENESS,)) + var_bytes(payload)


def agora_message(content: dict[str, Any]) -> bytes:
    return var_uint(MESSAGE_AGORA) + var_bytes(json.dumps(content).encode())


@dataclass
class AwarenessEntry:
    client_id: int
    clock: int
    state: str  # JSON text; "null" when the client left


def parse_awareness(payload: bytes) -> list[AwarenessEntry]:
    reader = Reader(payload)
    count = reader.var_uint()
    if count > 1000:
        raise ProtocolError("too many awareness entries")
    return [
        AwarenessEntry(reader.var_uint(), reader.var_uint(), reader.var_string())
        for _ in range(count)
    ]


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    out = bytearray(var_uint(len(entries)))
    for entry in entries:
        out += var_uint(entry.client_id) + var_uint(entry.clock) + var_bytes(entry.state.encode())
    return bytes(out)
