"""A client for a speech-to-text server speaking the OpenAI-compatible transcription API.

`POST {base}/v1/audio/transcriptions`, a multipart form with the recording as `file`, the
`model` and `language` names and `response_format=json`; the server answers
`{"text": "…"}`. Self-hosted servers speak it (faster-whisper-server / speaches,
whisper.cpp's own `whisper-server` with `--inference-path /v1/audio/transcriptions`,
LocalAI). The base URL is the département's own server: nothing here knows of any other.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
import uuid
from typing import BinaryIO

PATH = "/v1/audio/transcriptions"


class STTUnavailable(Exception):
    """The server could not be reached, or did not answer in time (``timeout`` true)."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


class STTRefused(Exception):
    """The server answered, but not with a transcript: it could not read the recording, or
    its answer is not the API's (``status`` is the HTTP status, 200 for a garbled body)."""

    def __init__(self, message: str, *, status: int) -> None:
        super().__init__(message)
        self.status = status


def _multipart(fields: dict[str, str], filename: str, content_type: str,
               audio: bytes) -> tuple[bytes, str]:
    boundary = f"agora-{uuid.uuid4().hex}"
    parts: list[bytes] = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"'
        f"\r\nContent-Type: {content_type}\r\n\r\n".encode()
        + audio + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def transcribe(
    stream: BinaryIO,
    *,
    base_url: str,
    filename: str,
    content_type: str,
    model: str,
    language: str,
    api_key: str = "",
    timeout: float = 300,
) -> str:
    """The text the server hears in the recording (possibly empty: nothing was said)."""
    fields = {"model": model, "response_format": "json"}
    if language:
        fields["language"] = language
    body, form_type = _multipart(fields, filename, content_type, stream.read())
    url = base_url.rstrip("/")
    url = url if url.endswith(PATH) else (url.removesuffix("/v1") + PATH)
    if not url.startswith(("http://", "https://")):
        raise STTUnavailable(f"not an http(s) address: {url!r}")
    request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 - checked above
    request.add_header("Content-Type", form_type)
    request.add_header("Accept", "application/json")
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            raw = response.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace")
        if exc.code >= 500 or exc.code in (401, 403, 404, 429):
            # The server's fault or its setup's, not the recording's.
            raise STTUnavailable(f"{url} answered {exc.code}: {detail}") from exc
        raise STTRefused(f"{url} answered {exc.code}: {detail}", status=exc.code) from exc
    except TimeoutError as exc:
        raise STTUnavailable(f"{url} did not answer within {timeout} s", timeout=True) from exc
    except urllib.error.URLError as exc:
        timed_out = isinstance(exc.reason, TimeoutError | socket.timeout)
        raise STTUnavailable(f"cannot reach {url}: {exc.reason}", timeout=timed_out) from exc
    except OSError as exc:
        raise STTUnavailable(f"{url} failed: {exc}") from exc
    try:
        text = json.loads(raw)["text"]
    except (ValueError, KeyError, TypeError) as exc:
        raise STTRefused(f"{url} answered something else than a transcript: {raw[:200]!r}",
                         status=200) from exc
    if not isinstance(text, str):
        raise STTRefused(f"{url} answered a transcript that is not text: {text!r}", status=200)
    return text.strip()
