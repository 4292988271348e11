"""A fake speech-to-text server speaking the OpenAI-compatible wire protocol over real HTTP.

`POST /v1/audio/transcriptions`, multipart (`file`, `model`, `language`,
`response_format`), answering `{"text": …}` as faster-whisper-server does. No model can be
downloaded here: the text it "hears" is set by the test. It can also be slow, fail (500),
answer something else than JSON, or refuse a file that is not audio (400), as a real
server does when its decoder cannot read the upload.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

AUDIO_MAGIC = (b"\x1a\x45\xdf\xa3", b"OggS")


@dataclass
class Received:
    path: str
    authorization: str
    fields: dict[str, str]
    filename: str
    content_type: str
    audio: bytes


@dataclass
class FakeSTT:
    url: str = ""
    text: str = "Je propose un minibus le mardi matin."
    mode: str = "ok"  # ok | slow | error | garbage
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)


def _parse(headers: Any, body: bytes) -> tuple[dict[str, str], str, str, bytes]:
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {headers['Content-Type']}\r\n\r\n".encode() + body
    )
    fields: dict[str, str] = {}
    filename = content_type = ""
    audio = b""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            filename = part.get_filename() or ""
            content_type = part.get_content_type()
            audio = part.get_payload(decode=True) or b""
        elif name:
            fields[str(name)] = part.get_content().strip()
    return fields, filename, content_type, audio


def make_handler(state: FakeSTT) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.path != "/v1/audio/transcriptions":
                self.answer(404, b'{"detail":"Not Found"}')
                return
            fields, filename, content_type, audio = _parse(self.headers, body)
            state.received.append(Received(
                self.path, self.headers.get("Authorization", ""), fields, filename,
                content_type, audio,
            ))
            if state.mode == "slow":
                time.sleep(state.delay)
            if state.mode == "error":
                self.answer(500, b'{"detail":"CUDA out of memory"}')
            elif state.mode == "garbage":
                self.answer(200, b"<html><body>502 Bad Gateway</body></html>", "text/html")
            elif not audio.startswith(AUDIO_MAGIC) and audio[4:8] != b"ftyp":
                self.answer(400, b'{"detail":"Invalid data found when processing input"}')
            else:
                self.answer(200, json.dumps({"text": f" {state.text}"}).encode())

    return Handler


@contextmanager
def fake_stt() -> Iterator[FakeSTT]:
    state = FakeSTT()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
