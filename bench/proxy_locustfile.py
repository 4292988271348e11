"""Locust users for bench/proxy_load.py: members reading, chatting, co-writing, searching and
downloading through nginx, with their conversation socket open the whole time.

Not run alone: bench/proxy_load.py writes the world (sessions, rooms, drafts, a library
file) to the JSON file named by PROXY_LOAD_WORLD and starts Locust on this file. Each
Locust process writes what it saw (acknowledged messages, acknowledged draft edits, what
its observers received) to PROXY_LOAD_OUT/locust-<pid>.json when the test stops; the
orchestrator checks those against the database.

Actions as Locust reports them (request type / name):
- HTTP pages: GET home, room, library, document, proposal, search; GET download (the
  library file, whose body nginx sends after the application's X-Accel-Redirect);
- WS connect: socket opened through nginx until `hello` (a reconnect after the socket
  dropped is WS reconnect, timed from the drop);
- WS chat: `message.send` until its echo (the acknowledgement) on the sender's socket;
- WS draft open: the draft socket's sync exchange; WS draft edit: one typed paragraph
  until another socket of the draft (this process's watcher) has it — an update is
  relayed only after it is stored (docs/protocol.md), so that is its acknowledgement.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import ssl
import time
import uuid
from pathlib import Path
from typing import Any

import gevent
import pycrdt
import websocket
from gevent.event import Event
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser
from locust.runners import MasterRunner

from realtime.yjs import protocol as yp

WORLD: dict[str, Any] = json.loads(Path(os.environ["PROXY_LOAD_WORLD"]).read_text())
OUT = Path(os.environ["PROXY_LOAD_OUT"])
THINK = tuple(float(x) for x in os.environ.get("PROXY_LOAD_THINK", "20,60").split(","))
BASE = WORLD["base"]  # https://127.0.0.1:18680
WS_BASE = BASE.replace("https://", "wss://")
SSL = {"cert_reqs": ssl.CERT_NONE, "check_hostname": False}  # the bench's self-signed cert
ACK_TIMEOUT = 30.0  # seconds, a reconnection included

# What this process saw, written at test_stop.
ACKED_MESSAGES: list[dict[str, Any]] = []  # {"client_id", "room", "at"}
ACKED_EDITS: list[dict[str, Any]] = []  # {"draft", "token", "at"}
FAILED: list[dict[str, Any]] = []
RECONNECTS: list[float] = []
SEEN_BY_OBSERVERS: dict[str, set[str]] = {}  # room -> client ids its observer received
WATCHERS: dict[str, DraftWatcher] = {}
OBSERVERS: list[RoomSocket] = []
_next_user = itertools.count()


def fire(kind: str, name: str, started: float, error: BaseException | None = None) -> None:
    events.request.fire(
        request_type=kind,
        name=name,
        response_time=(time.monotonic() - started) * 1000,
        response_length=0,
        exception=error,
        context={},
    )


def backoff(attempt: int) -> float:
    """static/js/socket.js's delay: 0.5 s doubling up to 30 s, drawn in [half, all]."""
    ceiling = min(30.0, 0.5 * 2**attempt)
    return random.uniform(ceiling / 2, ceiling)


def open_socket(path: str, cookie: str) -> websocket.WebSocket:
    return websocket.create_connection(
        WS_BASE + path,
        cookie=cookie,
        origin=BASE,
        sslopt=SSL,
        timeout=20,
        enable_multithread=True,
    )


class RoomSocket:
    """The conversation socket (/ws/) of one page, reconnecting like static/js/socket.js:
    after each `hello` it subscribes again, asks `resync` from the last message it saw and
    resends the messages not acknowledged yet, with their original client_id."""

    def __init__(self, cookie: str, rooms: list[str], *, observe: bool = False) -> None:
        self.cookie = cookie
        self.rooms = rooms
        self.observe = observe
        self.ws: websocket.WebSocket | None = None
        self.pending: dict[str, tuple[dict[str, Any], Event]] = {}
        self.last_id: dict[str, int] = {}
        self.closed = False
        self.up = Event()
        self.reader: gevent.Greenlet | None = None

    def start(self) -> None:
        started = time.monotonic()
        try:
            self._connect()
        except Exception as error:
            fire("WS", "connect", started, error)
            raise
        fire("WS", "connect", started)
        self.reader = gevent.spawn(self._read_forever)

    def _connect(self) -> None:
        ws = open_socket("/ws/", self.cookie)
        while True:
            frame = json.loads(ws.recv())
            if frame.get("type") == "hello":
                break
        self.ws = ws
        for room in self.rooms:
            self.send({"type": "subscribe", "room": room})
            if room in self.last_id:
                self.send({"type": "resync", "room": room, "after": self.last_id[room]})
        for frame, _event in list(self.pending.values()):
            self.send(frame)
        self.up.set()

    def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        self.ws.send(json.dumps(frame))

    def _read_forever(self) -> None:
        while not self.closed:
            try:
                assert self.ws is not None
                raw = self.ws.recv()
                if not raw:
                    raise websocket.WebSocketConnectionClosedException("closed")
                self._handle(raw)
            except Exception:  # noqa: BLE001 - any failure of the socket: reconnect
                if self.closed:
                    return
                self._reconnect()

    def _reconnect(self) -> None:
        self.up.clear()
        dropped = time.monotonic()
        for attempt in itertools.count():
            if self.closed:
                return
            gevent.sleep(backoff(attempt))
            try:
                self._connect()
            except Exception:  # noqa: BLE001,S112 - try again, as the browser does
                if time.monotonic() - dropped > 120:
                    fire("WS", "reconnect", dropped, RuntimeError("no hello in 120 s"))
                    self.closed = True
                    return
                continue
            RECONNECTS.append(time.monotonic() - dropped)
            fire("WS", "reconnect", dropped)
            return

    def _handle(self, raw: str) -> None:
        # Most frames are other people's messages: look before parsing.
        if '"message"' not in raw and '"resync"' not in raw:
            return
        frame = json.loads(raw)
        messages = []
        if frame.get("type") == "message":
            messages = [frame["message"]]
        elif frame.get("type") == "resync":
            messages = frame["messages"]
            if frame.get("has_more") and messages:
                self.send({"type": "resync", "room": frame["room"], "after": messages[-1]["id"]})
        for message in messages:
            room = message["room"]
            self.last_id[room] = max(self.last_id.get(room, 0), message["id"])
            client_id = message.get("client_id")
            if self.observe and client_id:
                SEEN_BY_OBSERVERS.setdefault(room, set()).add(client_id)
            waiting = self.pending.pop(client_id, None) if client_id else None
            if waiting is not None:
                waiting[1].set()

    def chat(self, room: str, body: str) -> None:
        client_id = str(uuid.uuid4())
        frame = {"type": "message.send", "room": room, "thread": None, "body": body,
                 "client_id": client_id}
        acked = Event()
        self.pending[client_id] = (frame, acked)
        started = time.monotonic()
        if self.up.is_set():
            try:
                self.send(frame)
            except Exception:  # noqa: BLE001,S110 - resent after the reconnection
                pass
        if acked.wait(ACK_TIMEOUT):
            ACKED_MESSAGES.append({"client_id": client_id, "room": room, "at": time.time()})
            fire("WS", "chat send→echo", started)
        else:
            self.pending.pop(client_id, None)
            FAILED.append({"chat": client_id})
            fire("WS", "chat send→echo", started, TimeoutError("no echo"))

    def close(self) -> None:
        self.closed = True
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:  # noqa: BLE001,S110
                pass


class YSocket:
    """A y-websocket client on pycrdt over the draft socket (as tests/realtime/ydrafts.py,
    synchronous): sync on connect, and again after a reconnection (step 2 carries the
    edits the server lacks)."""

    def __init__(self, draft: str, cookie: str) -> None:
        self.draft = draft
        self.cookie = cookie
        self.doc = pycrdt.Doc()
        self.root = self.doc.get("default", type=pycrdt.XmlFragment)
        self.ws: websocket.WebSocket | None = None

    def connect(self) -> None:
        ws = open_socket(f"/ws/drafts/{self.draft}", self.cookie)
        self.ws = ws
        synced = False
        ws.send_binary(yp.sync_step1(self.doc.get_state()))
        while not synced:
            synced = self.handle(ws.recv())

    def handle(self, message: bytes | str) -> bool:
        """Apply one server message; True when it was the server's step 2."""
        if isinstance(message, str) or not message:
            raise websocket.WebSocketConnectionClosedException("unexpected frame")
        reader = yp.Reader(message)
        if reader.var_uint() != yp.MESSAGE_SYNC:
            return False
        step = reader.var_uint()
        payload = reader.var_bytes()
        if step == yp.SYNC_STEP1:
            assert self.ws is not None
            self.ws.send_binary(yp.sync_step2(self.doc.get_update(payload)))
            return False
        self.doc.apply_update(payload)
        return step == yp.SYNC_STEP2

    def write(self, text: str) -> None:
        before = self.doc.get_state()
        self.root.children.append(pycrdt.XmlElement("paragraph", None, [pycrdt.XmlText(text)]))
        assert self.ws is not None
        self.ws.send_binary(yp.sync_update(self.doc.get_update(before)))

    def text(self) -> str:
        return str(self.root)

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:  # noqa: BLE001,S110
                pass


class DraftWatcher:
    """One socket per draft and Locust process that receives every relayed edit; a writer's
    edit is acknowledged once it is here."""

    def __init__(self, draft: str, cookie: str) -> None:
        self.client = YSocket(draft, cookie)
        self.changed = Event()
        self.closed = False

    def start(self) -> None:
        self.client.connect()
        gevent.spawn(self._read_forever)

    def _read_forever(self) -> None:
        while not self.closed:
            try:
                assert self.client.ws is not None
                self.client.handle(self.client.ws.recv())
                self.changed.set()
                self.changed.clear()
            except Exception:  # noqa: BLE001 - reconnect and resync
                if self.closed:
                    return
                for attempt in itertools.count():
                    gevent.sleep(backoff(attempt))
                    try:
                        self.client.connect()
                        break
                    except Exception:  # noqa: BLE001,S112
                        continue

    def wait_for(self, token: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while token not in self.client.text():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.changed.wait(min(left, 0.5))
        return True


@events.test_start.add_listener
def start_observers(environment: Any, **_kwargs: Any) -> None:
    """This process's observers: one socket per subgroup room and per draft."""
    if isinstance(environment.runner, MasterRunner):
        return  # the users, and so the observers, are in the worker processes
    index = getattr(environment.runner, "worker_index", 0) or 0
    for room, cookies in WORLD["observers"].items():
        observer = RoomSocket(cookies[index % len(cookies)], [room], observe=True)
        observer.start()
        OBSERVERS.append(observer)
    for draft, cookies in WORLD["watchers"].items():
        watcher = DraftWatcher(draft, cookies[index % len(cookies)])
        watcher.start()
        WATCHERS[draft] = watcher


@events.test_stop.add_listener
def results_at_stop(environment: Any, **_kwargs: Any) -> None:
    if isinstance(environment.runner, MasterRunner):
        return
    gevent.sleep(5)  # let the observers' last relays and resyncs arrive
    write_results(final=False)


@events.quitting.add_listener
def results_at_exit(environment: Any, **_kwargs: Any) -> None:
    """The last word: test_stop may come more than once (Locust fires it in a worker for
    every stop it is told), and bench/proxy_load.py reads only files marked final."""
    if isinstance(environment.runner, MasterRunner):
        return
    for observer in OBSERVERS:
        observer.close()
    for watcher in WATCHERS.values():
        watcher.closed = True
    write_results(final=True)


def write_results(*, final: bool) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"locust-{os.getpid()}.json"
    partial = path.with_suffix(".tmp")
    partial.write_text(
        json.dumps(
            {
                "final": final,
                "acked_messages": ACKED_MESSAGES,
                "acked_edits": ACKED_EDITS,
                "failed": FAILED,
                "reconnects": RECONNECTS,
                "seen_by_observers": {k: sorted(v) for k, v in SEEN_BY_OBSERVERS.items()},
                "observed_rooms": [o.rooms[0] for o in OBSERVERS],
                "watched_drafts": sorted(WATCHERS),
            }
        )
    )
    partial.replace(path)  # never read half written


class Member(FastHttpUser):
    """A titulaire with a page open (its socket subscribed to their subgroup's room and the
    plenary), who every THINK seconds does one thing members do."""

    host = BASE
    wait_time = between(*THINK)
    insecure = True
    connection_timeout = 20.0
    network_timeout = 60.0

    def on_start(self) -> None:
        people = WORLD["people"]
        index = getattr(self.environment.runner, "worker_index", 0) or 0
        processes = int(os.environ.get("PROXY_LOAD_PROCESSES", "1"))
        self.me = people[(next(_next_user) * processes + index) % len(people)]
        self.headers = {"Cookie": self.me["cookie"]}
        self.socket = RoomSocket(self.me["cookie"], [self.me["room"], WORLD["plenary"]])
        self.socket.start()

    def on_stop(self) -> None:
        self.socket.close()

    def page(self, name: str, path: str) -> None:
        with self.client.get(path, headers=self.headers, name=name, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif "/comptes/" in (r.url or ""):
                r.failure("sent to the login page")

    @task(3)
    def home(self) -> None:
        self.page("home", "/")

    @task(2)
    def room(self) -> None:
        self.page("room", f"/discussions/salle/{self.me['room']}/")

    @task(2)
    def library(self) -> None:
        self.page("library", "/bibliotheque/")

    @task(1)
    def document(self) -> None:
        self.page("document", f"/bibliotheque/{WORLD['document']}/")

    @task(1)
    def proposal(self) -> None:
        self.page("proposal", f"/propositions/{self.me['proposal']}/")

    @task(1)
    def search(self) -> None:
        word = random.choice(WORLD["search_words"])
        self.page("search", f"/recherche/?q={word}")

    @task(1)
    def download(self) -> None:
        path = f"/bibliotheque/{WORLD['document']}/fichiers/{WORLD['file']}/telecharger/"
        with self.client.get(path, headers=self.headers, name="download",
                             catch_response=True) as r:
            body = r.content or b""
            if r.status_code != 200:
                r.failure(f"HTTP {r.status_code}")
            elif len(body) != WORLD["file_size"] or not body.startswith(b"%PDF"):
                r.failure(f"body of {len(body)} bytes, not the stored file")
            elif "X-Accel-Redirect" in r.headers:
                r.failure("X-Accel-Redirect leaked to the client")

    @task(2)
    def chat(self) -> None:
        self.socket.chat(self.me["room"], f"Message de charge {uuid.uuid4().hex[:8]}")

    @task(1)
    def cowrite(self) -> None:
        """Open the draft (the editor's socket), type three paragraphs a second apart, each
        acknowledged when this process's watcher of the draft has it, then leave."""
        draft = self.me["draft"]
        client = YSocket(draft, self.me["cookie"])
        started = time.monotonic()
        try:
            client.connect()
        except Exception as error:  # noqa: BLE001
            fire("WS", "draft open", started, error)
            return
        fire("WS", "draft open", started)
        reader = gevent.spawn(self._drain, client)
        try:
            for _ in range(3):
                token = f"[{uuid.uuid4().hex[:12]}]"
                started = time.monotonic()
                try:
                    client.write(f"Amendement {token}")
                except Exception:  # noqa: BLE001,S110 - dropped: the reader reconnects, and
                    pass  # the sync exchange then carries the edit (its step 2)
                if WATCHERS[draft].wait_for(token, ACK_TIMEOUT):
                    ACKED_EDITS.append({"draft": draft, "token": token, "at": time.time()})
                    fire("WS", "draft edit→relayed", started)
                else:
                    FAILED.append({"edit": token})
                    fire("WS", "draft edit→relayed", started, TimeoutError("not relayed"))
                gevent.sleep(1)
        finally:
            reader.kill()
            client.close()

    def _drain(self, client: YSocket) -> None:
        """Read what the server relays to the writer; after a drop, reconnect and sync."""
        while True:
            try:
                assert client.ws is not None
                client.handle(client.ws.recv())
            except Exception:  # noqa: BLE001
                self._resync(client)

    def _resync(self, client: YSocket) -> None:
        dropped = time.monotonic()
        for attempt in itertools.count():
            gevent.sleep(backoff(attempt))
            try:
                client.connect()
            except Exception:  # noqa: BLE001,S112
                continue
            fire("WS", "draft reconnect", dropped)
            return
