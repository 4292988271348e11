"""Prometheus metrics: what they are, how every process records them, and who may read them.

One module holds every metric so that names, labels and the no-personal-data rule are
checked in one place: labels are view names, methods, status codes, socket kinds, room
kinds, frame types and task paths — never a URL with an id, a person or a text.

Several daphne processes and the worker share one set of figures through
prometheus-client's multiprocess mode: with ``PROMETHEUS_MULTIPROC_DIR`` set (the same
directory for every process of one machine), each process writes its samples to
memory-mapped files there and ``/metrics``, answered by whichever process nginx picks,
adds up all of them. Without it (``make run``, tests) the process's own registry is read.
The task queue is read from the database at scrape time, so it is right whatever process
answers. See docs/deploy.md « Metrics ».
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")

# Buckets for things a person waits for: a page, a message reaching the others.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter(
    "agora_http_requests", "HTTP requests answered", ["view", "method", "status"]
)
HTTP_DURATION = Histogram(
    "agora_http_request_duration_seconds", "Time to answer an HTTP request",
    ["view", "method"], buckets=LATENCY_BUCKETS,
)
# livesum: the open sockets of the processes alive now (a dead process's file is dropped).
SOCKETS_OPEN = Gauge(
    "agora_sockets_open", "Open websockets", ["kind"], multiprocess_mode="livesum"
)
SOCKETS_OPENED = Counter("agora_sockets_opened", "Websockets accepted", ["kind"])
SOCKETS_CLOSED = Counter(
    "agora_sockets_closed", "Websockets closed, by close code", ["kind", "code"]
)
CHAT_MESSAGES = Counter("agora_chat_messages", "Conversation messages posted", ["room_kind"])
FRAMES = Histogram(
    "agora_ws_frame_seconds",
    "Conversation socket: from a frame's receipt to its handling done (for a chat message, "
    "stored and handed to the channel layer for every reader)",
    ["type"], buckets=LATENCY_BUCKETS,
)
YJS_UPDATES = Counter("agora_yjs_updates_relayed", "Yjs updates stored and relayed", ["kind"])
RELAY_SECONDS = Histogram(
    "agora_yjs_relay_seconds",
    "Yjs: from an update's receipt to its fan-out to the document's other sockets",
    ["kind"], buckets=LATENCY_BUCKETS,
)
TASKS_FINISHED = Counter(
    "agora_tasks_finished", "Background tasks finished, by outcome", ["task", "status"]
)
# max over processes: the worker's own clock of its last task, whatever process reads it.
WORKER_LAST_TASK = Gauge(
    "agora_worker_last_task_timestamp_seconds",
    "When a worker last finished a task (Unix time)", multiprocess_mode="max",
)

SOCKET_KINDS = {"hub"}  # plus the Yjs kinds' paths, read from their registry


def socket_kind(path: str) -> str:
    """The label of a websocket path: ``hub`` for /ws/, a Yjs kind's path, else ``other``."""
    parts = [part for part in path.split("/") if part]
    if parts == ["ws"]:
        return "hub"
    if len(parts) >= 2 and parts[0] == "ws":
        from realtime.yjs.registry import kinds

        if parts[1] in {kind.path for kind in kinds()}:
            return parts[1]
    return "other"


def frame_label(frame_type: Any, known: Iterable[str]) -> str:
    """A frame type as a label: one of the registered ones, else ``unknown`` (a client
    choosing its own types must not grow the number of series)."""
    return frame_type if isinstance(frame_type, str) and frame_type in known else "unknown"


def observe_frame(frame_type: str, started: float) -> None:
    FRAMES.labels(frame_type).observe(time.monotonic() - started)


def observe_relay(kind: str, received: Iterable[float]) -> None:
    """Updates received at these monotonic times have just been fanned out."""
    now = time.monotonic()
    count = 0
    for at in received:
        RELAY_SECONDS.labels(kind).observe(now - at)
        count += 1
    if count:
        YJS_UPDATES.labels(kind).inc(count)


def _message_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if not created:
        return
    # The room's kind only when the sender already holds the room: never a query for this.
    room = instance.room if type(instance).room.is_cached(instance) else None
    CHAT_MESSAGES.labels(getattr(room, "kind", None) or "unknown").inc()


def connect_signals() -> None:
    """Called once per process from an AppConfig.ready() (daphne and the worker alike)."""
    from django.db.models.signals import post_save
    from django_tasks.signals import task_finished as finished

    from forums.models import Message

    post_save.connect(_message_saved, sender=Message, dispatch_uid="agora-metrics-message")
    finished.connect(task_finished, dispatch_uid="agora-metrics-task")


# --- Websockets: counted around the ASGI application ---------------------------------------

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SocketMetrics:
    """Counts open websockets per kind by watching the ASGI messages of each connection,
    so that neither consumer needs to know about metrics. A socket counts from its
    ``websocket.accept`` to the first close, whichever side closes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "websocket":
            await self.app(scope, receive, send)
            return
        kind = socket_kind(scope.get("path", ""))
        state = {"open": False}

        def closed(code: Any) -> None:
            if state["open"]:
                state["open"] = False
                SOCKETS_OPEN.labels(kind).dec()
                SOCKETS_CLOSED.labels(kind, _code_label(code)).inc()

        async def counting_send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.accept" and not state["open"]:
                state["open"] = True
                SOCKETS_OPEN.labels(kind).inc()
                SOCKETS_OPENED.labels(kind).inc()
            elif message["type"] == "websocket.close":
                closed(message.get("code", 1000))
            await send(message)

        # Frames may go past it (realtime.daphne.server_send): only accepts and closes count.
        counting_send.__wrapped__ = send  # type: ignore[attr-defined]

        async def counting_receive() -> dict[str, Any]:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                closed(message.get("code", 1006))
            return message

        try:
            await self.app(scope, counting_receive, counting_send)
        finally:
            closed(1006)


def _code_label(code: Any) -> str:
    try:
        value = int(code)
    except (TypeError, ValueError):
        return "other"
    return str(value) if 1000 <= value <= 4999 else "other"


# --- HTTP ---------------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Counts and times every HTTP request by the name of the view that answered (never the
    path, which holds ids); requests no view answered (static files, 404s) are
    ``<unresolved>``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.monotonic()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name if match is not None else "") or "<unresolved>"
        method = request.method if request.method in KNOWN_METHODS else "other"
        HTTP_DURATION.labels(view, method).observe(time.monotonic() - started)
        HTTP_REQUESTS.labels(view, method, str(response.status_code)).inc()
        return response


KNOWN_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


# --- Background tasks -----------------------------------------------------------------------


def task_finished(sender: Any, task_result: Any, **kwargs: Any) -> None:
    """django_tasks' ``task_finished`` signal, sent in the worker's process."""
    status = getattr(task_result.status, "name", str(task_result.status))
    TASKS_FINISHED.labels(_task_label(task_result), status).inc()
    WORKER_LAST_TASK.set(time.time())


def _task_label(task_result: Any) -> str:
    task = getattr(task_result, "task", None)
    module = getattr(task, "module_path", None)
    return str(module) if module else "unknown"


class TaskQueueCollector(Collector):
    """The task table read at scrape time: what waits, what runs, what failed lately, and how
    late the oldest due task is (it grows when no worker runs)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from config.health import task_queue

        queue = task_queue()
        depth = GaugeMetricFamily(
            "agora_tasks", "Background tasks in the table, by state", labels=["state"]
        )
        for state in ("due", "scheduled", "running", "failed_24h"):
            depth.add_metric([state], queue[state])
        yield depth
        yield GaugeMetricFamily(
            "agora_tasks_oldest_due_age_seconds",
            "How long the oldest task that is due has been waiting for a worker (0: none)",
            value=queue["oldest_due_age"],
        )
        yield GaugeMetricFamily(
            "agora_worker_last_start_age_seconds",
            "Seconds since a worker last took a task from the table (-1: never)",
            value=queue["last_start_age"],
        )


class _ThisProcess(Collector):
    def collect(self) -> Iterator[Any]:
        yield from REGISTRY.collect()


def forget_dead_processes(directory: str) -> None:
    """Drop the live gauges of processes that are gone (a daphne restarted by systemd gets
    a new pid; without this its old sockets would be counted for ever). Counters stay:
    their totals keep the dead process's share, as Prometheus expects of a counter."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    pids: set[int] = set()
    for name in names:
        stem = name.rsplit(".", 1)[0]
        if stem.startswith("gauge_live"):
            number = stem.rsplit("_", 1)[-1]
            if number.isdigit():
                pids.add(int(number))
    for pid in pids:
        if pid != os.getpid() and not _alive(pid):
            multiprocess.mark_process_dead(pid, directory)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def registry() -> CollectorRegistry:
    """What one scrape reads: every process's samples, and the task table."""
    scrape = CollectorRegistry(auto_describe=False)
    if MULTIPROC_DIR:
        forget_dead_processes(MULTIPROC_DIR)
        multiprocess.MultiProcessCollector(scrape, path=MULTIPROC_DIR)
    else:
        scrape.register(_ThisProcess())
    scrape.register(TaskQueueCollector())
    return scrape


# --- Who may read them ----------------------------------------------------------------------


def allowed(request: HttpRequest) -> bool:
    """The operators' networks (``METRICS_ALLOWED_IPS``, default this machine), or anyone
    with the bearer token (``METRICS_TOKEN``, off when empty). The address is the client's
    as our proxies saw it (config.middleware.TrustedProxyMiddleware)."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(
        header[len("Bearer "):].strip().encode(), token.encode()
    ):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks(settings.METRICS_ALLOWED_IPS))


def _networks(entries: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            continue
    return networks


def metrics_view(request: HttpRequest) -> HttpResponse:
    """/metrics in Prometheus's text format; 404 for everyone else, as if it did not exist."""
    if not allowed(request):
        raise Http404
    return HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
