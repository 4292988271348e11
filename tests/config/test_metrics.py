"""/metrics: Prometheus's text for the operators only, labelled without ids or people."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from tests import factories
from tests.metrics import sample, scrape

OUTSIDE = "203.0.113.7"


@pytest.mark.django_db
def test_metrics_are_not_shown_to_the_public(client: Client) -> None:
    assert client.get("/metrics", REMOTE_ADDR=OUTSIDE).status_code == 404
    assert client.get(
        "/metrics", REMOTE_ADDR=OUTSIDE, HTTP_AUTHORIZATION="Bearer guessed"
    ).status_code == 404


@pytest.mark.django_db
def test_metrics_are_shown_on_the_operators_network(client: Client, settings: Any) -> None:
    assert "agora_http_requests_total" in scrape(client)  # the test client is 127.0.0.1
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16"]
    assert client.get("/metrics").status_code == 404
    assert "agora_tasks" in scrape(client, REMOTE_ADDR="10.20.3.4")


@pytest.mark.django_db
def test_metrics_are_shown_with_the_bearer_token(client: Client, settings: Any) -> None:
    settings.METRICS_TOKEN = "un-jeton-de-supervision-assez-long"
    settings.METRICS_ALLOWED_IPS = []
    text = scrape(
        client, REMOTE_ADDR=OUTSIDE,
        HTTP_AUTHORIZATION="Bearer un-jeton-de-supervision-assez-long",
    )
    assert "agora_sockets_open" in text
    assert client.get("/metrics").status_code == 404  # the token, not the address, let it in


@pytest.mark.django_db
def test_requests_are_counted_by_view_name_never_by_path(client: Client) -> None:
    path = f"/discussions/fichier/{uuid.uuid4()}/"
    view = resolve(path).view_name
    before = sample(scrape(client), "agora_http_requests_total", view=view, method="GET")
    client.get(path)
    client.get(path)
    text = scrape(client)
    assert sample(text, "agora_http_requests_total", view=view, method="GET") == before + 2
    assert sample(text, "agora_http_request_duration_seconds_count", view=view) >= 2
    assert path not in text and "fichier" not in text


@pytest.mark.django_db
def test_task_queue_is_read_from_the_table_at_scrape_time(client: Client) -> None:
    now = timezone.now()

    def task(status: str, **fields: Any) -> None:
        DBTaskResult.objects.create(
            status=status, task_path="gdpr.tasks.nightly_retention", args_kwargs={},
            backend_name="default", **fields,
        )

    task(TaskResultStatus.READY, run_after=now - dt.timedelta(minutes=20))
    task(TaskResultStatus.READY, run_after=now + dt.timedelta(hours=3))
    task(TaskResultStatus.FAILED, run_after=now - dt.timedelta(hours=1), finished_at=now,
         exception_class_path="builtins.ValueError")
    text = scrape(client)
    assert sample(text, "agora_tasks", state="due") == 1
    assert sample(text, "agora_tasks", state="scheduled") == 1
    assert sample(text, "agora_tasks", state="failed_24h") == 1
    assert 19 * 60 < sample(text, "agora_tasks_oldest_due_age_seconds") < 21 * 60


@pytest.mark.django_db
def test_chat_messages_are_counted_by_room_kind(client: Client) -> None:
    assembly = factories.make_assembly()
    author = factories.make_titulaire(assembly)
    subgroup = factories.make_subgroup(assembly, members=[author])
    before = sample(scrape(client), "agora_chat_messages_total", room_kind="subgroup")
    factories.send(author, factories.room_of(subgroup), "Bonjour à toutes et à tous")
    text = scrape(client)
    assert sample(text, "agora_chat_messages_total", room_kind="subgroup") == before + 1
    assert "Bonjour" not in text
