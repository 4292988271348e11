"""/healthz: 503 when this process cannot serve, « degraded » when the worker, the disk or
Janus fail, and which component fails, in plain words for the operators only."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parents[2]


OUTSIDE = "203.0.113.7"


@pytest.mark.django_db
def test_healthz_is_ok_when_database_and_layer_answer(client: Client) -> None:
    response = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    assert response.status_code == 200
    # The public form: no figures, no sentences.
    assert response.json() == {
        "status": "ok", "failing": [], "database": True, "channel_layer": True
    }


@pytest.mark.django_db
def test_operators_see_every_component(client: Client) -> None:
    components = client.get("/healthz").json()["components"]  # from 127.0.0.1
    assert set(components) == {"database", "cache", "channel_layer", "worker", "disk"}
    assert all(check["ok"] for check in components.values())
    assert components["disk"]["free_mb"] > 0


@pytest.mark.django_db
def test_a_worker_that_takes_no_task_is_named_without_failing_the_process(
    client: Client,
) -> None:
    DBTaskResult.objects.create(
        status=TaskResultStatus.READY, task_path="gdpr.tasks.nightly_retention",
        args_kwargs={}, backend_name="default",
        run_after=timezone.now() - dt.timedelta(minutes=30),
    )
    public = client.get("/healthz", REMOTE_ADDR=OUTSIDE)
    # 200: a stopped worker must not take every daphne out of the load balancer.
    assert public.status_code == 200
    assert public.json()["status"] == "degraded"
    assert public.json()["failing"] == ["worker"]
    assert "components" not in public.json()
    worker = client.get("/healthz").json()["components"]["worker"]
    assert worker["ok"] is False
    assert "db_worker" in worker["detail"] and "30 minutes" in worker["detail"]


@pytest.mark.django_db
def test_a_full_disk_is_named(client: Client, settings: Any) -> None:
    settings.HEALTH_DISK_MIN_FREE_MB = 10**12
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["failing"] == ["disk"]
    assert "Mo" in body["components"]["disk"]["detail"]  # in French, as the site


@pytest.mark.django_db
def test_the_token_shows_the_components_from_anywhere(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "un-jeton-de-supervision-assez-long"
    body = client.get(
        "/healthz", REMOTE_ADDR=OUTSIDE,
        HTTP_AUTHORIZATION="Bearer un-jeton-de-supervision-assez-long",
    ).json()
    assert "components" in body
    assert settings.SECRET_KEY not in str(body)


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
    assert response.json()["status"] == "unavailable"
    assert "channel_layer" in response.json()["failing"]
    assert "Redis" in response.json()["components"]["channel_layer"]["detail"]


def test_healthz_is_503_when_the_database_is_down(tmp_path: Any) -> None:
    # A real server process whose database cannot be reached (nothing listens on port 1).
    code = (
        "import django, json, time; django.setup(); from django.test import Client; "
        "t = time.monotonic(); r = Client().get('/healthz'); "
        "print(round(time.monotonic() - t, 1), r.status_code, json.dumps(r.json()))"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"REDIS_URL"}}
    env.update(DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
               DJANGO_SETTINGS_MODULE="config.settings")
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    seconds, status, body = result.stdout.strip().splitlines()[-1].split(" ", 2)
    assert status == "503"
    assert '"database": false' in body
    # Bounded (CHECK_TIMEOUT, 3 s), not the pool's wait for a connection (10 s) once for
    # the database and again for the worker's task table: 21 s before.
    assert float(seconds) < 9, seconds


@pytest.mark.django_db
def test_a_media_server_that_does_not_answer_is_named(client: Client, settings: Any) -> None:
    # Nothing listens on port 1: the Admin API's ping fails at once.
    settings.CALLS_JANUS_URL = "http://127.0.0.1:1/janus"
    settings.CALLS_JANUS_ADMIN_URL = "http://127.0.0.1:1/admin"
    settings.CALLS_JANUS_ADMIN_SECRET = "secret-de-test"
    settings.CALLS_JANUS_PLUGIN_KEY = "cle-de-test"
    body = client.get("/healthz").json()
    assert body["status"] == "degraded"
    assert body["failing"] == ["janus"]
    detail = body["components"]["janus"]["detail"]
    assert "Janus" in detail and "secret-de-test" not in detail and "127.0.0.1" not in detail
