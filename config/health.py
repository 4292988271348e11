"""/healthz: whether this process can serve, and which component fails, in plain words.

Two kinds of component. Without the database, the cache or the channel layer this process
cannot serve: the answer is 503, so that the load balancer sends people to another one.
The worker, the disk and Janus are needed, but their failure does not make this process
worse than any other: the answer stays 200 with ``"status": "degraded"``, so that a
stopped worker does not take every daphne out of the balancer; monitoring alerts on it.

Everyone gets the status and the names of the failing components (what a load balancer
and a status page need); the operators' networks and token (the same as /metrics) also get
each component's figures and a sentence saying what is wrong. No secret, no address of a
server, no person is ever in it. Every check is bounded by a short timeout and the whole
takes a few milliseconds (docs/performance.md), so it can be polled every 10 s.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Max, Min, Q
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext

logger = logging.getLogger(__name__)

CHECK_TIMEOUT = 3.0
SERVING = ("database", "cache", "channel_layer")

Check = dict[str, Any]  # {"ok": bool, "detail": str, ...figures}


def _log(component: str, exc: BaseException) -> None:
    # The class only: a driver's message may quote a server address or a row.
    logger.warning("healthz: the %s check failed (%s)", component, type(exc).__name__)


def _ok(**figures: Any) -> Check:
    return {"ok": True, "detail": "", **figures}


def _failed(detail: str, **figures: Any) -> Check:
    return {"ok": False, "detail": detail, **figures}


def _connect_within(seconds: float) -> None:
    """PostgreSQL's pool (``DATABASE_POOL_SIZE``) waits ``DATABASE_POOL_TIMEOUT`` for a
    connection, and that long every time while the server is down: the check borrows one
    itself and waits ``seconds`` at most (its cursor then takes it from the pool)."""
    pool = getattr(connection, "pool", None)
    if pool is None or connection.connection is not None:
        return
    pool.open()
    pool.putconn(pool.getconn(timeout=seconds))


def _database() -> Check:
    try:
        _connect_within(CHECK_TIMEOUT)
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            if cursor.fetchone() == (1,):
                return _ok()
    except Exception as exc:  # noqa: BLE001 - any failure means unhealthy
        _log("database", exc)
    return _failed(gettext("The database does not answer."))


def _cache() -> Check:
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, 1, 10)
        found = cache.get(key)
        cache.delete(key)
        if found == 1:
            return _ok()
    except Exception as exc:  # noqa: BLE001
        _log("cache", exc)
    return _failed(gettext("The cache (Redis) does not answer."))


async def _channel_layer() -> Check:
    layer = get_channel_layer()
    if layer is None:
        return _failed(gettext("No channel layer is configured."))
    try:
        channel = await layer.new_channel("healthz.")
        token = uuid.uuid4().hex
        await layer.send(channel, {"type": "healthz", "token": token})
        message = await asyncio.wait_for(layer.receive(channel), CHECK_TIMEOUT)
        if message.get("token") == token:
            return _ok()
    except Exception as exc:  # noqa: BLE001
        _log("channel layer", exc)
    return _failed(gettext("Live messages between processes (Redis) do not get through."))


def task_queue() -> dict[str, float]:
    """The task table in four counts and two ages (seconds), in two queries."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    due = Q(status=TaskResultStatus.READY) & (
        Q(run_after__lte=now) | Q(run_after=get_date_max())
    )
    figures = DBTaskResult.objects.aggregate(
        due=_count(due),
        scheduled=_count(Q(status=TaskResultStatus.READY) & ~due),
        running=_count(Q(status=TaskResultStatus.RUNNING)),
        failed_24h=_count(
            Q(status=TaskResultStatus.FAILED, finished_at__gte=now - dt.timedelta(days=1))
        ),
        last_start=Max("started_at"),
    )
    oldest = (
        DBTaskResult.objects.filter(due).aggregate(
            oldest=Min("run_after", filter=Q(run_after__lte=now)),
            oldest_enqueued=Min("enqueued_at"),
        )
    )
    # A task without a date (enqueued to run at once) waits since it was enqueued.
    since = [value for value in oldest.values() if value is not None]
    last_start = figures.pop("last_start")
    return {
        **{key: float(value or 0) for key, value in figures.items()},
        "oldest_due_age": max(0.0, (now - min(since)).total_seconds()) if since else 0.0,
        "last_start_age": (now - last_start).total_seconds() if last_start else -1.0,
    }


def _count(condition: Q) -> Any:
    from django.db.models import Count

    return Count("pk", filter=condition)


def _worker() -> Check:
    try:
        queue = task_queue()
    except Exception:  # noqa: BLE001
        return _failed(gettext("The task table cannot be read."))
    figures = {
        "due": int(queue["due"]),
        "oldest_due_age": round(queue["oldest_due_age"]),
        "failed_24h": int(queue["failed_24h"]),
    }
    if queue["oldest_due_age"] > settings.HEALTH_WORKER_MAX_LAG:
        return _failed(
            gettext("No worker has taken the tasks that are due for %(minutes)d minutes: "
                    "is the worker (db_worker) running?")
            % {"minutes": queue["oldest_due_age"] // 60},
            **figures,
        )
    return _ok(**figures)


def _disk() -> Check:
    free = []
    for folder in dict.fromkeys([settings.DATA_DIR, settings.MEDIA_ROOT, settings.PRIVATE_ROOT]):
        try:
            free.append(shutil.disk_usage(folder).free)
        except OSError:
            continue
    if not free:
        return _failed(gettext("The data folder cannot be read."))
    least = min(free) // (1024 * 1024)
    if least < settings.HEALTH_DISK_MIN_FREE_MB:
        return _failed(
            gettext("Only %(mb)d MB are left on the data disk.") % {"mb": least}, free_mb=least
        )
    return _ok(free_mb=least)


def _janus() -> Check | None:
    if not (settings.CALLS_JANUS_URL or settings.CALLS_JANUS_SERVERS):
        return None
    from calls import janus

    failing = 0
    try:
        servers = janus.clients()
    except Exception:  # noqa: BLE001 - e.g. no secrets
        return _failed(gettext("The media server (Janus) is not configured correctly."))
    for server in servers:
        server.timeout = min(server.timeout, 2)
        try:
            server.ping()
        except Exception:  # noqa: BLE001
            failing += 1
    if failing:
        return _failed(
            gettext("%(failing)d of %(total)d media servers (Janus) do not answer: large "
                    "calls fall back to peer-to-peer.") % {"failing": failing,
                                                           "total": len(servers)},
        )
    return _ok(servers=len(servers))


def _sync_checks() -> dict[str, Check]:
    checks: dict[str, Callable[[], Check | None]] = {
        "database": _database, "cache": _cache, "worker": _worker, "disk": _disk,
        "janus": _janus,
    }
    results: dict[str, Check] = {}
    for name, check in checks.items():
        if name == "worker" and not results["database"]["ok"]:
            # Its figures are in the database: not waited for a second time.
            results[name] = _failed(gettext("The task table cannot be read."))
            continue
        result = check()
        if result is not None:
            results[name] = result
    return results


async def components() -> dict[str, Check]:
    results = await sync_to_async(_sync_checks, thread_sensitive=True)()
    results["channel_layer"] = await _channel_layer()
    return results


async def healthz(request: HttpRequest) -> JsonResponse:
    from config.metrics import allowed

    results = await components()
    failing = sorted(name for name, result in results.items() if not result["ok"])
    serving = not any(name in SERVING for name in failing)
    body: dict[str, Any] = {
        "status": "ok" if not failing else ("degraded" if serving else "unavailable"),
        "failing": failing,
    }
    # The components this process needs to serve, as they always were here (load
    # balancers and the e2e tests read them).
    body.update({name: results[name]["ok"] for name in ("database", "channel_layer")})
    if allowed(request):
        body["components"] = results
    response = JsonResponse(body, status=200 if serving else 503)
    response["Cache-Control"] = "no-cache"  # always asked again (not no-store: public)
    return response
