"""A plenary votes: every full member submits a ballot within 10 s through the real pages.

One daphne process serves the real app (``bench.chat_asgi``: the project's settings, the
channel layer chosen by ``--layer``) on a fresh database: the embedded default (SQLite,
in-memory layer) or PostgreSQL and Redis (``--postgres URL --layer redis``). The assembly
has its 108 seats: 108 full members vote, each from their own session, at random moments
spread over 10 s; 10 of them submit a second time at the same instant (a double click);
a substitute and a facilitator submit too (2 refusals): 110 people, 120 submissions. Every
voter also holds the vote's page open on /ws/ (``vote.watch``), like the plenary does.

Each ballot is a majority judgment of 3 options (the heaviest form), secret ballot: the
path is GET the vote page (CSRF token), POST the form (``/voter/``), 302 back.

Measured: the POST's answer time (p50/p99); the lag from the last accepted POST to the
count (``vote.count``) reaching every open page; after the facilitator's closing POST, the
time until each page holds the result (``vote.closed``: the time to result, p50/p99).
Checked: 108 participations, 108 secret ballots, the result counts 108 ballots, and
``manage.py recount_vote`` finds the stored result again.

    .venv/bin/python bench/votes.py                                   # embedded default
    .venv/bin/python bench/votes.py --layer redis --postgres postgres://postgres@127.0.0.1:5432/h_votes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.chat_fanout import open_socket, percentile  # noqa: E402
from tests.realtime.servers import ROOT, Daphne, django_env, migrate, run_python  # noqa: E402

SETUP = """
from django.test import Client
from accounts.roles import Role
from decisions.actions import do_create_vote, do_open_vote
from tests import factories
assembly = factories.make_assembly()
mandate = factories.make_mandate(assembly)
members = [factories.make_titulaire(assembly, email=f"membre{i}@example.org") for i in range(108)]
substitute = factories.make_substitute(assembly, factories.seat(assembly, "Revel"))
facilitator = factories.UserFactory(roles=[Role.FACILITATEUR])
vote = do_create_vote(facilitator, mandate, "Quelle version retenir ?", "jugement",
                      options=["Version A", "Version B", "Version C"], secret=True)
vote = do_open_vote(facilitator, vote)
def cookie(user):
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
print(json.dumps({
    "vote": str(vote.pk),
    "options": [str(pk) for pk in vote.options.order_by("position").values_list("pk", flat=True)],
    "members": [cookie(m) for m in members],
    "outsiders": [cookie(substitute), cookie(facilitator)],
    "facilitator": cookie(facilitator),
}))
"""

CHECK = """
from django.core.management import call_command
from decisions.models import Participation, SecretBallot, Vote
vote = Vote.objects.get(pk=VOTE)
import io
out = io.StringIO()
call_command("recount_vote", VOTE, "--json", stdout=out)
recount = json.loads(out.getvalue())
print(json.dumps({
    "participations": Participation.objects.filter(vote=vote).count(),
    "secret_ballots": SecretBallot.objects.filter(vote=vote).count(),
    "result_ballots": vote.result["ballots"],
    "status": vote.status,
    "recount_equals_stored": recount["equals_stored"],
}))
"""

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
GRADES = ["tres_bien", "bien", "assez_bien", "passable", "insuffisant", "a_rejeter"]


class Page:
    """One person's open vote page: their session, its CSRF token, its /ws/ socket."""

    def __init__(self, server: Daphne, http: aiohttp.ClientSession, cookie: str, vote: str) -> None:
        self.server, self.http, self.cookie, self.vote = server, http, cookie, vote
        self.csrf = ""
        self.csrf_cookie = ""
        self.socket: Any = None
        self.frames: list[tuple[float, dict[str, Any]]] = []

    @property
    def base(self) -> str:
        return self.server.origin

    async def open(self) -> None:
        async with self.http.get(
            f"{self.base}/decisions/votes/{self.vote}/", headers={"Cookie": self.cookie}
        ) as response:
            assert response.status == 200, response.status
            html = await response.text()
            self.csrf_cookie = response.cookies["csrftoken"].value
        match = TOKEN.search(html)
        assert match is not None
        self.csrf = match.group(1)
        self.socket = await open_socket(self.server, "/ws/", self.cookie)
        assert json.loads(await self.socket.recv())["type"] == "hello"
        await self.socket.send(json.dumps({"type": "vote.watch", "vote": self.vote}))
        while True:
            frame = json.loads(await self.socket.recv())
            if frame["type"] == "vote.state":
                break

    async def resync(self) -> None:
        """What votes.js does: ask for the state again every 5 s until the vote is closed."""
        while True:
            await asyncio.sleep(5)
            await self.socket.send(json.dumps({"type": "vote.watch", "vote": self.vote}))

    async def listen(self) -> None:
        async for raw in self.socket:
            frame = json.loads(raw)
            if frame["type"].startswith("vote."):
                self.frames.append((time.perf_counter(), frame))

    async def post(self, path: str, data: dict[str, str]) -> tuple[int, float, float]:
        headers = {
            "Cookie": f"{self.cookie}; csrftoken={self.csrf_cookie}",
            "Origin": self.base,
            "Referer": f"{self.base}/decisions/votes/{self.vote}/",
        }
        t0 = time.perf_counter()
        async with self.http.post(
            f"{self.base}/decisions/votes/{self.vote}/{path}",
            data={"csrfmiddlewaretoken": self.csrf, **data},
            headers=headers,
            allow_redirects=False,
        ) as response:
            body = await response.read()
            if response.status >= 500:
                print(f"{path}: {response.status}\n{body.decode(errors='replace')[-4000:]}")
            return response.status, t0, time.perf_counter()


async def run(server: Daphne, world: dict[str, Any], spread: float) -> dict[str, Any]:
    vote, options = world["vote"], world["options"]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        members = [Page(server, http, c, vote) for c in world["members"]]
        outsiders = [Page(server, http, c, vote) for c in world["outsiders"]]
        chair = Page(server, http, world["facilitator"], vote)
        for page in [*members, *outsiders, chair]:  # the plenary opens the page, one by one
            await page.open()
        everyone = [*members, *outsiders, chair]
        listeners = [asyncio.create_task(p.listen()) for p in everyone]
        listeners += [asyncio.create_task(p.resync()) for p in everyone]
        rng = random.Random(15)

        def ballot() -> dict[str, str]:
            return {f"grade-{o}": rng.choice(GRADES) for o in options}

        plan: list[tuple[float, Page, dict[str, str], str]] = []
        for page in members:
            plan.append((rng.uniform(0, spread), page, ballot(), "member"))
        for page in rng.sample(members, 10):  # a double click: the same instant, twice
            at = next(t for t, p, _b, kind in plan if p is page and kind == "member")
            plan.append((at, page, ballot(), "double"))
        for page in outsiders:
            plan.append((rng.uniform(0, spread), page, ballot(), "outsider"))
        start = time.perf_counter()

        async def submit(at: float, page: Page, data: dict[str, str], kind: str) -> Any:
            await asyncio.sleep(max(0.0, start + at - time.perf_counter()))
            status, t0, t1 = await page.post("voter/", data)
            return kind, status, t0, t1

        answers = await asyncio.gather(*(submit(*item) for item in plan))
        submitted_in = time.perf_counter() - start
        accepted = [a for a in answers if a[0] in ("member", "double") and a[1] == 302]
        latencies = [(t1 - t0) * 1000 for _k, _s, t0, t1 in answers]
        last_accepted = max(t1 for _k, _s, _t0, t1 in accepted)
        await asyncio.sleep(6)  # one resync period, at most
        pages = everyone
        count_lag = []
        for page in pages:
            full = [
                t
                for t, f in page.frames
                if f["type"] in ("vote.count", "vote.state") and f["voted"] == 108
            ]
            count_lag.append((full[0] - last_accepted) * 1000 if full else float("inf"))
        dropped = sum(
            1
            for p in pages
            if not any(f["type"] == "vote.count" and f["voted"] == 108 for _t, f in p.frames)
        )
        status, close_t0, close_t1 = await chair.post("fermer/", {})
        assert status == 302, status
        deadline = time.perf_counter() + 20

        def result_at(page: Page) -> float | None:
            return next(
                (
                    t
                    for t, f in page.frames
                    if f["type"] == "vote.closed"
                    or (f["type"] == "vote.state" and f["status"] == "clos")
                ),
                None,
            )

        def closed_event_at(page: Page) -> float | None:
            return next((t for t, f in page.frames if f["type"] == "vote.closed"), None)

        # Until every page holds the result, and (20 s at most) until the event reached it.
        while time.perf_counter() < deadline and not all(
            result_at(p) and closed_event_at(p) for p in pages
        ):
            await asyncio.sleep(0.05)
        event_lag = [(at - close_t0) * 1000 for at in map(closed_event_at, pages) if at]
        to_result = [(at - close_t0) * 1000 for at in map(result_at, pages) if at is not None]
        closed_by_event = sum(
            1 for p in pages if any(f["type"] == "vote.closed" for _t, f in p.frames)
        )
        frame_types: dict[str, int] = {}
        for page in pages:
            for _t, frame in page.frames:
                frame_types[frame["type"]] = frame_types.get(frame["type"], 0) + 1
        for task in listeners:
            task.cancel()
        for page in pages:
            await page.socket.close()
    kinds: dict[str, dict[int, int]] = {}
    for kind, code, _t0, _t1 in answers:
        kinds.setdefault(kind, {}).setdefault(code, 0)
        kinds[kind][code] += 1
    return {
        "submissions": len(plan),
        "submitted_in_s": submitted_in,
        "answers": kinds,
        "post_p50": statistics.median(latencies),
        "post_p99": percentile(latencies, 99),
        "count_lag_p50": statistics.median(count_lag),
        "count_lag_p99": percentile(count_lag, 99),
        "final_count_by_event": len(pages) - dropped,
        "result_by_event": closed_by_event,
        "close_post_ms": (close_t1 - close_t0) * 1000,
        "frames_received": frame_types,
        "pages_with_result": len(to_result),
        "pages": len(pages),
        "to_result_p50": statistics.median(to_result),
        "to_result_p99": percentile(to_result, 99),
        "closed_event_p50": statistics.median(event_lag) if event_lag else None,
        "closed_event_p99": percentile(event_lag, 99) if event_lag else None,
    }


def fresh_postgres(url: str) -> str:
    """Drop and create the database of ``url`` (the bench's own), return it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return url


def bench(layer: str, postgres: str, spread: float) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="agora-bench-votes-"))
    extra = {"DJANGO_SETTINGS_MODULE": "bench.votes_settings", "BENCH_LAYER": layer}
    if postgres:
        extra["DATABASE_URL"] = fresh_postgres(postgres)
    env = django_env(data_dir, **extra)
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    try:
        migrate(env)
        world = run_python(env, SETUP, timeout=900)
        with Daphne(env, app="bench.chat_asgi:application") as server:
            measured = asyncio.run(run(server, world, spread))
        checked = run_python(env, f"VOTE = {world['vote']!r}\n" + CHECK)
        return {
            "database": "PostgreSQL" if postgres else "SQLite",
            "layer": layer,
            **measured,
            **checked,
        }
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layer", default="memory", choices=["memory", "redis"])
    parser.add_argument("--postgres", default="", help="a database URL the bench may recreate")
    parser.add_argument("--spread", type=float, default=10.0, help="seconds to submit in")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    commit = subprocess.run(  # noqa: S603
        ["/usr/bin/git", "rev-parse", "--short", "HEAD"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"commit: {commit}")
    r = bench(args.layer, args.postgres, args.spread)
    print(json.dumps(r, indent=1, default=str))
    print(
        "\n| database, layer | submissions (in s) | answers | POST p50 / p99 | count on every "
        "page, after the last ballot (p50 / p99) | time to result p50 / p99 (pages) | stored |"
    )
    print("|---|---|---|---|---|---|---|")
    cells = [
        f"{r['database']}, {r['layer']}",
        f"{r['submissions']} ({r['submitted_in_s']:.1f} s)",
        str(r["answers"]),
        f"{r['post_p50']:.0f} / {r['post_p99']:.0f} ms",
        f"{r['count_lag_p50']:.0f} / {r['count_lag_p99']:.0f} ms "
        f"({r['final_count_by_event']} by event)",
        f"{r['to_result_p50']:.0f} / {r['to_result_p99']:.0f} ms "
        f"({r['pages_with_result']}/{r['pages']}, {r['result_by_event']} by event)",
        f"{r['participations']} participations, {r['secret_ballots']} ballots, result "
        f"{r['result_ballots']}, recount {'=' if r['recount_equals_stored'] else '≠'} stored",
    ]
    print("| " + " | ".join(cells) + " |")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
