"""Idea walls and whiteboards: a plenary wall under load, and cold opens; Agora vs the reference.

Not a test. In one run, on the same machine, it starts Agora (a fresh data directory,
migrations, ONE daphne process serving ``config.asgi:application``) and the reference
``@y/websocket-server`` (Node, in-memory documents, no auth) — see bench/drafts_writers.py,
whose helpers it reuses — then:

1. Cold open (``--only cold`` or both): a wall of 1,000 notes and a board of 2,000
   Excalidraw-like elements, written one update per note or element (as clients do) and
   stored compacted (one snapshot, what the engine keeps once it compacted) or as rows;
   one stock client (yjs + y-websocket) timed from socket creation to ``synced``. Agora:
   the first open of each document in the process (not in memory: read from the database)
   and again while it is open (in memory); the reference gets the same state first (a
   client writes it) and always has it in memory.
2. Plenary (``--only plenary`` or both): 110 participants, each its own person and socket,
   split over ``--procs`` load-generating Node processes (frontend/bench/walls.mjs). Each
   adds a note every 10 s (staggered) during the writing phase; note-to-everyone latency =
   until the last of the other 109 sockets has the note. Then the facilitator opens a vote
   round (the real POST, in daphne) and each participant places ``--dots`` dots as control
   messages ``{"type": "dot", "action": "add", "target": "n:<id>"}``; the round trip to
   the ``dots`` reply is timed. The reference gets the same notes as plain Y.Map writes and
   no vote (it has no equivalent). Every run must converge: all 110 documents equal to the
   state the server stored (Agora: read from the database; the reference: a fresh client).

CPU: the server process (daphne or node) over each window, PostgreSQL's backends for the
bench database, Redis's own counters (the whole redis-server, shared), the load generators.

    .venv/bin/python bench/walls.py --embedded                # quick: 20 s notes, 20 s vote
    .venv/bin/python bench/walls.py --embedded --full         # 60 s notes, 60 s vote
    .venv/bin/python bench/walls.py --full                    # PostgreSQL + Redis
    .venv/bin/python bench/walls.py --embedded --only plenary --profile /tmp/walls.prof
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.drafts_writers import (  # noqa: E402
    FRONTEND,
    PgSampler,
    ProfiledDaphne,
    Reference,
    cpu_seconds,
    create_database,
    drop_database,
    fmt,
    loadavg,
)
from tests.realtime.servers import (  # noqa: E402
    Daphne,
    django_env,
    migrate,
    redis_reachable,
    run_python,
)

WALLS_JS = FRONTEND / "bench" / "walls.mjs"
WALL_ROOTS = ["notes", "clusters", "comments"]

SETUP = """
import time
import pycrdt
from django.test import Client
from accounts.roles import Role
from tests import factories
from workshops import walls, ydocs
from workshops.models import YDocument
from bench.walls import build_board, build_wall
assembly = factories.make_assembly()
mandate = factories.make_mandate(assembly)
people = [factories.make_titulaire(assembly, email=f"mur{i}@example.org")
          for i in range(min(PEOPLE, 108))]
people += [factories.UserFactory(email=f"agent{i}@example.org", roles=[Role.AGENT])
           for i in range(max(0, PEOPLE - 108))]
facilitator = factories.UserFactory(email="anim@example.org", roles=[Role.FACILITATEUR])
room = factories.plenary_room(mandate)
plenary = walls.create_wall(room, question="Que proposer ?", by=facilitator)
warm_board = walls.create_board(room, title="Échauffement", by=facilitator)
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
cold = {}
for kind, build, create, roots, count in (
    ("wall", build_wall, lambda: walls.create_wall(room, question="Mille idées", by=facilitator),
     walls.WALL_ROOTS, NOTES),
    ("board", build_board, lambda: walls.create_board(room, title="Deux mille", by=facilitator),
     walls.BOARD_ROOTS, ELEMENTS),
):
    updates = build(count)
    full = ydocs.new_doc(roots, *updates).get_update()
    Path(OUT, f"{kind}.bin").write_bytes(full)
    rows = create()
    t0 = time.perf_counter()
    for start in range(0, len(updates), 500):
        ydocs.append(rows.pk, [(u, facilitator.pk) for u in updates[start:start + 500]],
                     known_authors=set())
    store_s = time.perf_counter() - t0
    compacted = [create() for _ in range(REPEAT)]
    for start in range(0, len(updates), 500):
        ydocs.append(compacted[0].pk, [(u, facilitator.pk) for u in updates[start:start + 500]],
                     known_authors=set())
    t0 = time.perf_counter()
    merged, snapshot_bytes = ydocs.compact(compacted[0].pk, roots)
    compact_s = time.perf_counter() - t0
    snapshot = bytes(YDocument.objects.get(pk=compacted[0].pk).snapshot)
    YDocument.objects.filter(pk__in=[c.pk for c in compacted[1:]]).update(snapshot=snapshot)
    t0 = time.perf_counter()
    loaded = ydocs.load(rows.pk, roots)
    load_rows_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    ydocs.load(compacted[0].pk, roots)
    load_snapshot_s = time.perf_counter() - t0
    cold[kind] = {
        "entries": count, "updates": len(updates), "update_bytes": sum(map(len, updates)),
        "state_bytes": len(full), "snapshot_bytes": snapshot_bytes, "merged": merged,
        "store_s": store_s, "compact_s": compact_s, "load_rows_s": load_rows_s,
        "load_snapshot_s": load_snapshot_s, "rows": str(rows.pk),
        "compacted": [str(c.pk) for c in compacted],
    }
print(json.dumps({"wall": str(plenary.pk), "cookies": [cookie(p) for p in people],
                  "facilitator": cookie(facilitator), "cold": cold,
                  "warm_board": str(warm_board.pk)}))
"""

STORED = """
from workshops import walls, ydocs
from workshops.models import Dot, NoteAuthor, YDocumentUpdate
from bench.walls import canonical_digest
loaded = ydocs.load(WALL, walls.WALL_ROOTS)
content = ydocs.content(loaded.doc, walls.WALL_ROOTS)
print(json.dumps({
    "digest": canonical_digest(content), "notes": len(content["notes"]),
    "stored_bytes": loaded.stored_bytes,
    "rows": YDocumentUpdate.objects.filter(document_id=WALL).count(),
    "note_authors": NoteAuthor.objects.filter(wall_id=WALL).count(),
    "dots": Dot.objects.filter(round__wall_id=WALL).count(),
}))
"""


DOT_COST = """
import time
from django.db import connection
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from bench.walls import build_wall
from workshops import stores, walls, ydocs
from workshops.models import Dot, Wall
wall = Wall.objects.get(pk=WALL)
updates = build_wall(NOTES)
ydocs.append(wall.pk, [(u, None) for u in updates], known_authors=set())
ydocs.compact(wall.pk, walls.WALL_ROOTS)  # what the engine keeps (it compacts every 500)
people = list(User.objects.filter(email__startswith="mur").order_by("pk")[:REPEAT])
walls.open_round(wall, dots=20, by=None)
store = stores.WallStore()
target = "n:note-0007"

def old_access(user):  # before: access_wall, then get_abilities again
    w = walls.access_wall(user, WALL)
    return w.get_abilities(user)["write"]

def new_access(user):
    w = Wall.objects.select_related("room", "room__subgroup", "document").get(pk=WALL)
    return w.get_abilities(user)["write"]

steps = {
    "access_wall + get_abilities (before)": old_access,
    "one read + get_abilities (after)": new_access,
    "target: wall_content + target_label (before)":
        lambda user: walls.target_label(walls.wall_content(WALL), target) is not None,
    "target: target_exists (after)": lambda user: walls.target_exists(WALL, target),
    "my_dots + voters (the reply)": lambda user: (walls.my_dots(walls.current_round(wall), user),
                                                   walls.voters(walls.current_round(wall))),
    "WallStore.control, whole (a dot placed)":
        lambda user: store.control(user, WALL, {"type": "dot", "action": "add",
                                                "target": target}, None),
}
out = {}
for name, step in steps.items():
    times, queries = [], 0
    for user in people:
        with CaptureQueriesContext(connection) as captured:
            t0 = time.perf_counter()
            step(user)
            times.append(time.perf_counter() - t0)
        queries += len(captured)
    times.sort()
    out[name] = {"p50_ms": times[len(times) // 2] * 1000, "mean_ms": sum(times) / len(times) * 1000,
                 "queries": queries / len(people)}
print(json.dumps(out))
"""


# --- Documents as clients write them (also imported by SETUP in a child process) --------------


IDEA = "un abri vélo sécurisé près de la gare, ouvert le soir et le dimanche matin"


def build_wall(count: int) -> list[bytes]:
    """`count` notes, one update each, as the wall's client writes them (docs/protocol.md)."""
    from tests.workshops.walltools import note_update
    from workshops import rules, walls, ydocs

    doc = ydocs.new_doc(walls.WALL_ROOTS)
    return [
        note_update(
            doc,
            f"note-{n:04d}",
            text=f"Idée {n} : " + IDEA[: 30 + n % 40],
            colour=rules.COLOURS[n % len(rules.COLOURS)],
            author=f"u{n % 110}",
            name=f"Personne {n % 110}",
            order=n,
        )
        for n in range(count)
    ]


def element(n: int) -> dict[str, Any]:
    """An Excalidraw-like element (0.18's fields): rectangles, ellipses, text and arrows."""
    kind = ("rectangle", "ellipse", "text", "arrow")[n % 4]
    base: dict[str, Any] = {
        "id": f"el{n:05d}", "type": kind, "x": (n % 50) * 40.0, "y": (n // 50) * 40.0,
        "width": 120.0, "height": 60.0, "angle": 0, "strokeColor": "#1e1e1e",
        "backgroundColor": "#ffec99" if n % 3 else "transparent", "fillStyle": "solid",
        "strokeWidth": 2, "strokeStyle": "solid", "roughness": 1, "opacity": 100,
        "groupIds": [], "frameId": None, "index": f"a{n:05d}", "roundness": {"type": 3},
        "seed": 100000 + n, "version": 3, "versionNonce": 7 * n + 1, "isDeleted": False,
        "boundElements": None, "updated": 1765000000000 + n, "link": None, "locked": False,
    }  # fmt: skip
    if kind == "text":
        words = f"Étape {n} : réunir les habitants"
        base.update(
            text=words, originalText=words, fontSize=20, fontFamily=5, textAlign="left",
            verticalAlign="top", containerId=None, autoResize=True, lineHeight=1.25,
        )  # fmt: skip
    elif kind == "arrow":
        base.update(
            points=[[0, 0], [120.0, 60.0]], lastCommittedPoint=None, startBinding=None,
            endBinding=None, startArrowhead=None, endArrowhead="arrow", elbowed=False,
        )  # fmt: skip
    return base


def build_board(count: int) -> list[bytes]:
    """`count` elements, one update each, plain JSON objects in `elements` by id."""
    from workshops import walls, ydocs

    doc = ydocs.new_doc(walls.BOARD_ROOTS)
    elements = doc.get("elements", type=dict(walls.BOARD_ROOTS)["elements"])
    updates = []
    for n in range(count):
        before = doc.get_state()
        value = element(n)
        elements[value["id"]] = value
        updates.append(doc.get_update(before))
    return updates


def canonical_digest(content: dict[str, Any]) -> str:
    """The digest walls.mjs computes: sorted keys, integral numbers as integers."""
    import hashlib

    def norm(value: Any) -> Any:
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, dict):
            return {k: norm(v) for k, v in value.items()}
        if isinstance(value, list):
            return [norm(v) for v in value]
        return value

    text = json.dumps(norm(content), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha1(text.encode()).hexdigest()  # noqa: S324 - a checksum, not security


# --- Node clients -----------------------------------------------------------------------------


def node(*options: str, timeout: float = 600) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603
        ["node", str(WALLS_JS), *options],  # noqa: S607
        cwd=FRONTEND, capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"walls.mjs {options[:2]} failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


class Generators:
    """The load-generating processes of one plenary run, each with clients [from, to)."""

    def __init__(self, procs: int, total: int, common: list[str]) -> None:
        self.lines: queue.Queue[tuple[int, str]] = queue.Queue()
        self.processes = []
        for p in range(procs):
            start, end = total * p // procs, total * (p + 1) // procs
            process = subprocess.Popen(  # noqa: S603
                ["node", str(WALLS_JS), "--mode", "plenary", "--from", str(start),  # noqa: S607
                 "--to", str(end), "--total", str(total), *common],
                cwd=FRONTEND, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            threading.Thread(target=self._read, args=(p, process), daemon=True).start()
            self.processes.append(process)
        self.log: list[str] = []

    def _read(self, p: int, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        for line in process.stderr:
            self.lines.put((p, line.strip()))

    def wait(self, word: str, timeout: float = 180) -> list[str]:
        """Until every process said `word` (a line starting with it); their lines."""
        said: dict[int, str] = {}
        deadline = time.monotonic() + timeout
        while len(said) < len(self.processes):
            try:
                p, line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"no {word} from the generators: {self.log[-5:]}") from None
            if line.startswith(word):
                said[p] = line
            elif line:
                self.log.append(line)
            if any(pr.poll() not in (None, 0) for pr in self.processes):
                raise RuntimeError(f"a generator failed: {self.log[-5:]}")
        return list(said.values())

    def tell(self, line: str) -> None:
        for process in self.processes:
            assert process.stdin is not None
            process.stdin.write(line + "\n")
            process.stdin.flush()

    def cpu(self) -> float:
        return sum(cpu_seconds(p.pid) for p in self.processes)

    def results(self) -> list[dict[str, Any]]:
        out = []
        for process in self.processes:
            assert process.stdout is not None
            out.append(json.loads(process.stdout.read().strip().splitlines()[-1]))
            process.wait(timeout=30)
        return out

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


def redis_cpu(url: str | None) -> float:
    if not url:
        return 0.0
    import redis

    info = redis.Redis.from_url(url).info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


class Window:
    """CPU seconds of the server, PostgreSQL, Redis and the generators over a time window."""

    def __init__(self, server_pid: int, gens: Generators, pg: Any, redis: str | None) -> None:
        self.server_pid, self.gens, self.pg, self.redis = server_pid, gens, pg, redis

    def __enter__(self) -> Window:
        self.t = time.monotonic()
        self.server = cpu_seconds(self.server_pid)
        self.load = self.gens.cpu()
        self.redis_s = redis_cpu(self.redis)
        self.sampler = PgSampler(*self.pg).__enter__() if self.pg else None
        return self

    def __exit__(self, *exc: Any) -> None:
        seconds = time.monotonic() - self.t
        if self.sampler:
            self.sampler.__exit__(None, None, None)
        self.result = {
            "seconds": seconds,
            "server_s": cpu_seconds(self.server_pid) - self.server,
            "server_pct": 100 * (cpu_seconds(self.server_pid) - self.server) / seconds,
            "loadgen_pct": 100 * (self.gens.cpu() - self.load) / seconds,
            "pg_pct": 100 * self.sampler.seconds / seconds if self.sampler else None,
            "redis_pct": 100 * (redis_cpu(self.redis) - self.redis_s) / seconds
            if self.redis
            else None,
        }


def sleep_until(t: float) -> None:
    time.sleep(max(0.0, t - time.monotonic()))


def open_round(agora: Daphne, wall: str, cookie: str, dots: int) -> None:
    """The facilitator opens a vote round through the wall's page (in daphne)."""
    page = f"{agora.origin}/ateliers/murs/{wall}/"
    response = urllib.request.urlopen(  # noqa: S310 - our own server
        urllib.request.Request(page, headers={"Cookie": cookie})  # noqa: S310
    )
    html = response.read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    csrf = re.search(r"csrftoken=([^;]+)", response.headers.get("Set-Cookie", ""))
    assert token and csrf, "no CSRF token on the wall's page"
    data = urllib.parse.urlencode(
        {"action": "open", "dots": dots, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    request = urllib.request.Request(  # noqa: S310
        page + "vote/",
        data=data,
        headers={"Cookie": f"{cookie}; csrftoken={csrf.group(1)}", "Origin": agora.origin,
                 "Referer": page},
    )  # fmt: skip

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a: Any, **k: Any) -> None:
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(request)
    except urllib.error.HTTPError as error:
        if error.code != 302:
            raise


def py_spy(args: argparse.Namespace, pid: int, phase: str) -> subprocess.Popen[bytes]:
    """Sample daphne's threads (collapsed stacks to <--py-spy>.<phase>) until stop_spy."""
    return subprocess.Popen(  # noqa: S603
        [os.environ.get("PY_SPY") or shutil.which("py-spy") or "py-spy", "record",
         "--pid", str(pid), "--threads", "--format", "raw", "--rate", "100",
         "--output", f"{args.py_spy}.{phase}", "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def stop_spy(spies: list[subprocess.Popen[bytes]]) -> None:
    while spies:
        spy = spies.pop()
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        spy.wait(timeout=60)


def pct(values: list[float], p: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def plenary(
    name: str,
    server: Any,
    *,
    url: str,
    room: str,
    args: argparse.Namespace,
    cookies_file: Path | None,
    agora: Daphne,
    world: dict[str, Any],
    pg: Any,
    redis: str | None,
) -> dict[str, Any]:
    ours = name == "agora"
    common = ["--url", url, "--room", room, "--seed", str(args.seed)]
    if ours:
        common += ["--agora", "--cookies", str(cookies_file), "--origin", agora.origin]
    gens = Generators(args.procs, args.participants, common)
    spy: list[subprocess.Popen[bytes]] = []
    try:
        t = time.monotonic()
        gens.wait("READY")
        connect_s = time.monotonic() - t
        t0 = time.monotonic() + 1.0
        spy.append(py_spy(args, server.pid, "notes")) if ours and args.py_spy else None
        gens.tell(f"NOTES {t0 * 1000:.3f} {args.notes_seconds}")
        sleep_until(t0)
        whole = Window(server.pid, gens, None, None).__enter__()
        with Window(server.pid, gens, pg if ours else None, redis if ours else None) as notes:
            sleep_until(t0 + args.notes_seconds)
        sent = sum(int(line.split()[1]) for line in gens.wait("SENT"))
        stop_spy(spy)
        votes = None
        # Until every note is everywhere: the server's CPU per note, whatever the backlog
        # (and notes still in flight when the mode switches to « vote » would be refused).
        gens.tell(f"SETTLE {sent}")
        drained = max(float(line.split()[1]) for line in gens.wait("SETTLED", 300))
        whole.__exit__(None, None, None)
        if ours and args.dots:
            open_round(agora, room, world["facilitator"], args.dots)
            time.sleep(2.0)  # every socket re-reads its abilities (mode « vote »)
            t1 = time.monotonic() + 1.0
            gens.tell(f"DOTS {t1 * 1000:.3f} {args.vote_seconds} {args.dots}")
            sleep_until(t1)
            spy.append(py_spy(args, server.pid, "vote")) if args.py_spy else None
            with Window(server.pid, gens, pg, redis) as votes:
                gens.wait("DOTSDONE", timeout=args.vote_seconds + 120)
            stop_spy(spy)
        gens.tell(f"END {sent}")
        parts = gens.results()
    finally:
        gens.stop()
        stop_spy(spy)
    # A note is everywhere when every socket but its writer's has it.
    sent_at: dict[str, float] = {}
    got: dict[str, list[float]] = {}
    for part in parts:
        sent_at.update(part["sent"])
        for key, (count, latest) in part["got"].items():
            seen = got.setdefault(key, [0, 0.0])
            seen[0] += count
            seen[1] = max(seen[1], latest)
    others = args.participants - 1
    latencies = [got[k][1] - t for k, t in sent_at.items() if got.get(k, [0])[0] >= others]
    receipts = sum(min(got.get(k, [0])[0], others) for k in sent_at)
    digests = {d for part in parts for d in part["digests"]}
    result: dict[str, Any] = {
        "server": name,
        "participants": args.participants,
        "procs": args.procs,
        "connect_s": connect_s,
        "notes": len(sent_at),
        "everywhere": len(latencies),
        "receipts": receipts,
        "receipts_expected": len(sent_at) * others,
        "p50_ms": pct(latencies, 50),
        "p99_ms": pct(latencies, 99),
        "max_ms": max(latencies, default=None),
        "digests": sorted(digests),
        "sizes": sorted({s for part in parts for s in part["sizes"]}),
        "socket_closes": sum(part["socket_closes"] for part in parts),
        "refused": [part["refused"] for part in parts if part["refused"]],
        "notes_window": notes.result,
        "drained_ms": drained,
        "until_everywhere": whole.result,
        "server_ms_per_note": 1000 * whole.result["server_s"] / max(1, len(sent_at)),
        "loadgen_cpu_s": sum(part["cpu_notes_s"] or 0 for part in parts),
    }
    if votes is not None:
        rtts = [r for part in parts for r in part["dot_rtts"]]
        errors: dict[str, int] = {}
        for part in parts:
            for code, n in part["dot_errors"].items():
                errors[code] = errors.get(code, 0) + n
        result["dots"] = {
            "sent": sum(part["dots_sent"] for part in parts),
            "answered": len(rtts),
            "p50_ms": pct(rtts, 50),
            "p99_ms": pct(rtts, 99),
            "max_ms": max(rtts, default=None),
            "errors": errors,
            "voters_messages": sum(part["voters_messages"] for part in parts),
            "window": votes.result,
        }
    return result


def cold_open(
    url: str,
    docs: list[str],
    *,
    root: str,
    cookie: str | None,
    origin: str | None,
    repeat: int,
    warm: str = "",
) -> list[dict[str, Any]]:
    """Open each document `repeat` times with one stock client (warmed up on `warm` first,
    untimed, when given): its runs."""
    runs = []
    for doc in docs:
        options = ["--mode", "open", "--url", url, "--room", doc, "--root", root]
        options += ["--repeat", str(repeat), "--warm-room", warm]
        if cookie and origin:
            options += ["--cookie", cookie, "--origin", origin]
        runs += node(*options)["runs"]
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="60 s of notes, a 60 s vote round")
    parser.add_argument("--notes-seconds", type=float, help="writing phase (default 20, --full 60)")
    parser.add_argument("--vote-seconds", type=float, help="vote round (default 20, --full 60)")
    parser.add_argument("--participants", type=int, default=110)
    parser.add_argument("--procs", type=int, default=4, help="load-generating Node processes")
    parser.add_argument("--dots", type=int, default=5, help="dots per person (0: no vote)")
    parser.add_argument("--notes", type=int, default=1000, help="notes of the cold wall")
    parser.add_argument("--elements", type=int, default=2000, help="elements of the cold board")
    parser.add_argument("--repeat", type=int, default=3, help="documents / opens per cold case")
    parser.add_argument(
        "--only", choices=["cold", "plenary", "dotcost"],
        help="dotcost: time a dot's steps in one process on a wall of --notes notes",
    )  # fmt: skip
    parser.add_argument("--servers", nargs="+", default=["agora", "reference"])
    parser.add_argument("--embedded", action="store_true", help="SQLite + in-memory layer")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="h_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/8", help="a spare db index")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", help="run daphne under cProfile, stats to this file")
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument(
        "--py-spy", help="sample daphne with py-spy (PY_SPY or on PATH) during Agora's writing "
        "and vote windows, all threads, collapsed stacks to <this>.notes and <this>.vote",
    )  # fmt: skip
    args = parser.parse_args()
    args.notes_seconds = args.notes_seconds or (60.0 if args.full else 20.0)
    args.vote_seconds = args.vote_seconds or (60.0 if args.full else 20.0)

    data_dir = Path(tempfile.mkdtemp(prefix="agora-walls-bench-"))
    extra = {"DEBUG": "0", "LOG_LEVEL": "WARNING"}
    redis: str | None = None
    if args.embedded:
        extra.update(REDIS_URL="")
    else:
        if not redis_reachable(args.redis):
            sys.exit(f"Redis not reachable at {args.redis} (or use --embedded)")
        create_database(args.pg, args.db)
        extra.update(DATABASE_URL=f"{args.pg}/{args.db}", REDIS_URL=args.redis)
        redis = args.redis
    env = django_env(data_dir, **extra)
    pg = None if args.embedded else (f"{args.pg}/postgres", args.db)
    backend = "SQLite + in-memory layer" if args.embedded else "PostgreSQL + Redis"
    out: dict[str, Any] = {"backend": backend, "loadavg_before": loadavg(), "plenary": []}
    print(f"load average before: {out['loadavg_before']}", flush=True)
    try:
        migrate(env)
        world = run_python(
            env,
            f"PEOPLE = {args.participants}\nNOTES = {args.notes}\nELEMENTS = {args.elements}\n"
            f"REPEAT = {args.repeat}\nOUT = {str(data_dir)!r}\nfrom pathlib import Path\n" + SETUP,
            timeout=900,
        )
        out["stored"] = world["cold"]
        print("cold documents:", json.dumps(world["cold"]), flush=True)
        if args.only == "dotcost":
            code = f"WALL = {world['wall']!r}\nNOTES = {args.notes}\nREPEAT = 100\n" + DOT_COST
            out["dotcost"] = run_python(env, code, timeout=900)
            for name, row in out["dotcost"].items():
                print(f"| {name} | {row['p50_ms']:.1f} ms | {row['mean_ms']:.1f} ms "
                      f"| {row['queries']:.1f} |")  # fmt: skip
            return
        cookies_file = data_dir / "cookies.json"
        cookies_file.write_text(json.dumps(world["cookies"]))
        app = "config.asgi:application"
        daphne = ProfiledDaphne(env, app, args.profile) if args.profile else Daphne(env, app=app)
        with daphne as agora, Reference() as reference:
            if args.only != "plenary":
                out["cold"] = run_cold(args, agora, reference, world, data_dir)
            if args.only != "cold":
                for name in [s for s in ("agora", "reference") if s in args.servers]:
                    server: Any = agora if name == "agora" else reference
                    try:
                        result = plenary(
                            name, server, url=f"ws://127.0.0.1:{server.port}/ws/walls",
                            room=world["wall"], args=args, cookies_file=cookies_file,
                            agora=agora, world=world, pg=pg, redis=redis,
                        )  # fmt: skip
                    except RuntimeError:
                        print(agora.log_tail(3000), file=sys.stderr)
                        raise
                    url = f"ws://127.0.0.1:{server.port}/ws/walls"
                    if name == "agora":
                        result["stored"] = run_python(env, f"WALL = {world['wall']!r}\n" + STORED)
                        stored_digest = result["stored"]["digest"]
                    else:
                        fresh = node("--mode", "open", "--url", url, "--room", world["wall"],
                                     "--roots", ",".join(WALL_ROOTS))  # fmt: skip
                        stored_digest = fresh["runs"][0].get("digest")
                        result["fresh_client_notes"] = fresh["runs"][0]["entries"]
                    result["converged"] = (
                        result["digests"] == [stored_digest]
                        and result["everywhere"] == result["notes"]
                        and result["receipts"] == result["receipts_expected"]
                    )
                    result["loadavg"] = loadavg()
                    out["plenary"].append(result)
                    print(json.dumps(result), flush=True)
                    time.sleep(3)
            if "Traceback" in agora.log_tail(200000):
                print(agora.log_tail(4000), file=sys.stderr)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if not args.embedded:
            drop_database(args.pg, args.db)
    out["loadavg_after"] = loadavg()
    print(f"load average after: {out['loadavg_after']}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    report(args, out)
    if not all(r["converged"] for r in out["plenary"]):
        sys.exit("a run did not converge")


def run_cold(
    args: argparse.Namespace,
    agora: Daphne,
    reference: Reference,
    world: dict[str, Any],
    data_dir: Path,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    # Warm the fresh process up first (imports, first queries) on another document.
    mine = {"cookie": world["facilitator"], "origin": agora.origin}
    cold_open(agora.url("/ws/walls"), [world["wall"]], root="notes", repeat=1, **mine)
    cold_open(agora.url("/ws/boards"), [world["warm_board"]], root="elements", repeat=1, **mine)
    for kind, root in (("wall", "notes"), ("board", "elements")):
        stored = world["cold"][kind]
        mine["warm"] = world["wall"] if kind == "wall" else world["warm_board"]
        ours = agora.url(f"/ws/{kind}s")
        theirs = f"ws://127.0.0.1:{reference.port}/ws/{kind}s"
        row: dict[str, Any] = {
            "agora_rows_first": cold_open(ours, [stored["rows"]], root=root, repeat=1, **mine),
            "agora_first": cold_open(ours, stored["compacted"], root=root, repeat=1, **mine),
            "agora_in_memory": cold_open(
                ours, stored["compacted"][:1], root=root, repeat=args.repeat, **mine
            ),
        }
        filled = node("--mode", "fill", "--url", theirs, "--room", stored["compacted"][0],
                      "--root", root, "--update-file", str(data_dir / f"{kind}.bin"))  # fmt: skip
        row["reference_filled"] = filled["filled"]
        row["reference"] = cold_open(
            theirs, stored["compacted"][:1], root=root, cookie=None, origin=None,
            repeat=args.repeat, warm="warm-up",
        )  # fmt: skip
        result[kind] = row
        print(f"cold {kind}:", json.dumps(row), flush=True)
    return result


def report(args: argparse.Namespace, out: dict[str, Any]) -> None:
    def median(runs: list[dict[str, Any]], key: str) -> float | None:
        return pct([r[key] for r in runs], 50)

    if "cold" in out:
        print(f"\nCold open, one stock client, socket creation → synced; {out['backend']}\n")
        print("| document | stored | Agora, first open (from the database) | Agora, open "
              "in memory | @y/websocket-server | Agora/reference (in memory) |")  # fmt: skip
        print("|---|---|---:|---:|---:|---:|")
        for kind, label in (("wall", "notes"), ("board", "elements")):
            stored, row = out["stored"][kind], out["cold"][kind]
            ref = median(row["reference"], "to_synced_ms")
            warm = median(row["agora_in_memory"], "to_synced_ms")
            ok = all(
                r["entries"] == stored["entries"]
                for key in ("agora_rows_first", "agora_first", "agora_in_memory", "reference")
                for r in row[key]
            )
            first = median(row["agora_first"], "to_synced_ms")
            as_rows = median(row["agora_rows_first"], "to_synced_ms")
            ratio = warm / ref if warm and ref else float("nan")
            print(
                f"| {kind}, {stored['entries']:,} {label}{'' if ok else ' **(incomplete)**'} "
                f"| snapshot {stored['snapshot_bytes']:,} B (updates {stored['update_bytes']:,} B "
                f"in {stored['updates']:,} rows) | {fmt(first)} (as rows: {fmt(as_rows)}) "
                f"| {fmt(warm)} | {fmt(ref)} | {ratio:.2f}× |"
            )
    if out["plenary"]:
        print(
            f"\nPlenary wall, {args.participants} participants in {args.procs} generator "
            f"processes, a note every 10 s each for {args.notes_seconds:g} s; {out['backend']}\n"
        )
        print("| server | notes | to everyone p50 | p99 | max | receipts | converged | server "
              "CPU | PostgreSQL | Redis | generators | server CPU per note |")  # fmt: skip
        print("|---|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|")
        for r in out["plenary"]:
            w = r["notes_window"]
            print(
                f"| {r['server']} | {r['notes']} | {fmt(r['p50_ms'])} | {fmt(r['p99_ms'])} "
                f"| {fmt(r['max_ms'])} | {r['receipts']:,}/{r['receipts_expected']:,} "
                f"| {'yes' if r['converged'] else '**no**'} | {w['server_pct']:.0f} % "
                f"| {fmt(w['pg_pct'], ' %')} | {fmt(w['redis_pct'], ' %')} "
                f"| {w['loadgen_pct']:.0f} % | {r['server_ms_per_note']:.1f} ms |"
            )
        for r in out["plenary"]:
            if "dots" in r:
                d, w = r["dots"], r["dots"]["window"]
                print(
                    f"\nVote round ({args.vote_seconds:g} s, {args.dots} dots each): "
                    f"{d['answered']}/{d['sent']} dots answered, round trip p50 "
                    f"{fmt(d['p50_ms'])}, p99 {fmt(d['p99_ms'])}, max {fmt(d['max_ms'])}; "
                    f"errors {d['errors'] or 'none'}; « voters » messages received "
                    f"{d['voters_messages']:,}; server CPU {w['server_pct']:.0f} %, PostgreSQL "
                    f"{fmt(w['pg_pct'], ' %')}, Redis {fmt(w['redis_pct'], ' %')}, generators "
                    f"{w['loadgen_pct']:.0f} %; stored: {json.dumps(r['stored'])}"
                )
        by = {r["server"]: r for r in out["plenary"]}
        if {"agora", "reference"} <= set(by) and by["reference"]["p50_ms"]:
            a, ref = by["agora"], by["reference"]
            cpu = a["notes_window"]["server_pct"] / max(ref["notes_window"]["server_pct"], 0.1)
            print(
                f"\nAgora/reference: p50 {a['p50_ms'] / ref['p50_ms']:.2f}×, p99 "
                f"{a['p99_ms'] / ref['p99_ms']:.2f}×, server CPU {cpu:.1f}×"
            )


if __name__ == "__main__":
    main()
