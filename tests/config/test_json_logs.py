"""Production logs: one JSON object per line, the request's id on it, no email address."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from config.logformat import MASK, JsonFormatter, RequestIdFilter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """The root logger also writes JSON lines here, as LOG_FORMAT=json configures it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


@pytest.mark.django_db
def test_a_log_line_written_during_a_request_carries_its_id(
    client: Client, json_lines: io.StringIO
) -> None:
    dead_redis = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=dead_redis):
        response = client.get("/healthz")  # logs the failing check
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    written = [line for line in lines(json_lines) if line["logger"] == "config.health"]
    assert written, json_lines.getvalue()
    line = written[0]
    assert line["request_id"] == request_id
    assert line["level"] == "WARNING"
    assert set(line) >= {"time", "level", "logger", "message", "request_id"}
    assert line["time"].endswith("+00:00")
    # The next request has an id of its own.
    assert client.get("/healthz")["X-Request-ID"] != request_id


def test_an_email_address_in_a_log_argument_is_masked(json_lines: io.StringIO) -> None:
    logger = logging.getLogger("agora.test")
    logger.warning("mail refused for %s", "jeanne.dupont@example.org")
    try:
        raise ValueError("Key (email)=(paul.martin@example.fr) already exists")
    except ValueError:
        logger.exception("saving failed")
    text = json_lines.getvalue()
    assert "example.org" not in text and "paul.martin" not in text
    first, second = lines(json_lines)[-2:]
    assert first["message"] == f"mail refused for {MASK}"
    assert MASK in second["exception"]
    assert first["request_id"] == "-"  # outside any request


@pytest.mark.django_db
def test_an_incoming_request_id_is_kept_only_behind_a_trusted_proxy(
    client: Client, settings: Any
) -> None:
    forged = "id-choisi-par-le-client-1234"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=forged)["X-Request-ID"] != forged
    settings.AGORA_TRUSTED_PROXY_COUNT = 1
    nginx = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=nginx)["X-Request-ID"] == nginx
    # Anything else than a plain token is replaced, even from the proxy.
    bad = "x\ninjected log line"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=bad)["X-Request-ID"] != bad


def test_log_format_json_makes_the_server_log_json(tmp_path: Path) -> None:
    # A real process configured from the environment, as systemd would start it.
    code = (
        "import django, logging; django.setup(); "
        "logging.getLogger('agora.check').warning('refused: %s', 'a.b@example.org')"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(LOG_FORMAT="json", AGORA_DATA_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    line = json.loads(result.stderr.strip().splitlines()[-1])
    assert line["logger"] == "agora.check"
    assert line["message"] == f"refused: {MASK}"
