"""/healthz answers 200 only when the database and the channel layer answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_layer_answer(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "channel_layer": True}


@pytest.mark.django_db
def test_healthz_is_503_when_the_channel_layer_is_down(client: Client) -> None:
    dead_redis = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }
    with override_settings(CHANNEL_LAYERS=dead_redis):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["channel_layer"] is False


def test_healthz_is_503_when_the_database_is_down(tmp_path: Any) -> None:
    # A real server process whose database cannot be reached (nothing listens on port 1).
    code = (
        "import django, json; django.setup(); from django.test import Client; "
        "r = Client().get('/healthz'); print(r.status_code, json.dumps(r.json()))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
               DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    status, _sep, body = result.stdout.strip().splitlines()[-1].partition(" ")
    assert status == "503"
    assert '"database": false' in body
