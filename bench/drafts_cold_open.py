"""Cold open of a 50-page draft, and snapshot compaction: time and size.

Not a test. It builds a draft of about 50 pages (≈ 3,000 characters a page: headings,
paragraphs, some bullet lists and tables with captions, a little bold) the way people
write it — four writers taking turns page by page, text typed in small chunks, every
chunk its own Yjs update — and stores it as that many `DraftUpdate` rows beside the
template snapshot. Then it measures:

- loading alone: reading the rows, and applying them with pycrdt (`deliberation.drafts.load`);
- cold open through daphne: from the start of the socket connection to the full document
  in a client's hands (the client sends sync step 1 with an empty state vector, as the
  stock provider does on open; the server's sync step 2 is applied to a pycrdt document).
  Three opens per state: a fresh daphne process (room not in memory, first request of the
  process), the same process while the room is in memory (warm), and again after the
  room retired (not in memory, warm process);
- compaction (`deliberation.drafts.compact`): time, snapshot size against the sum of the
  updates; then the same loads and opens again, from the snapshot.

    .venv/bin/python bench/drafts_cold_open.py                  # PostgreSQL + Redis
    .venv/bin/python bench/drafts_cold_open.py --embedded       # SQLite + in-memory layer
    .venv/bin/python bench/drafts_cold_open.py --pages 10 --chunk 40
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.realtime.servers import Daphne, django_env, migrate, run_python  # noqa: E402

WORDS = (
    "le la les un une des du de et à au aux pour par avec sans dans sur sous entre "
    "département collège mobilité transport élèves familles trajets horaires ligne bus car "
    "proposition constat impact vigilance budget calendrier usagers territoire communes "
    "accessibilité handicap sécurité vélo piste abri arrêt gratuité tarif solidaire "
    "enquête réunion habitants quartier rural urbain service public qualité durée coût"
).split()

ROOM_RETIRE_WAIT = 14.0  # DRAFT_ROOM_GRACE (10 s) + one housekeeping tick (2 s) + margin


def sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(WORDS) for _ in range(words)]
    return (" ".join(picked)).capitalize() + ". "


def text_of(rng: random.Random, chars: int) -> str:
    out = ""
    while len(out) < chars:
        out += sentence(rng, rng.randint(8, 20))
    return out[:chars].rstrip() + "."


def build_updates(pages: int, chunk: int, writers: int = 4, seed: int = 5) -> dict[str, Any]:
    """Type a `pages`-page document; return its updates (in order) and what it holds."""
    import pycrdt

    from deliberation import drafts

    rng = random.Random(seed)  # noqa: S311 - a bench, not a secret
    base = drafts.template_update()
    docs = []
    for _ in range(writers):
        doc = drafts.new_doc(base)
        docs.append(doc)
    updates: list[bytes] = []
    applied = [0] * writers
    captured: list[bytes] = []
    for doc in docs:
        doc.observe(lambda event: captured.append(event.update))

    def catch_up(w: int) -> None:
        for update in updates[applied[w] :]:
            docs[w].apply_update(update)
        applied[w] = len(updates)
        captured.clear()

    def commit(w: int) -> None:
        # What writer w just did, as the update its editor would send.
        updates.extend(captured)
        applied[w] = len(updates)
        captured.clear()

    def typed(w: int, text: Any, content: str, bold: bool = False) -> None:
        for start in range(0, len(content), chunk):
            piece = content[start : start + chunk]
            attrs = {"bold": True} if bold and start == 0 else None
            text.insert(len(text), piece, attrs)
            commit(w)

    def block(w: int, name: str, attrs: dict[str, Any] | None = None, text: bool = False) -> Any:
        fragment = docs[w].get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
        children = [pycrdt.XmlText()] if text else []
        element = fragment.children.append(pycrdt.XmlElement(name, attrs or {}, children))
        commit(w)
        return element

    def paragraph_in(w: int, parent: Any, name: str = "paragraph") -> Any:
        element = parent.children.append(pycrdt.XmlElement(name, {}, [pycrdt.XmlText()]))
        commit(w)
        return element.children[0]

    lists = tables = 0
    for page in range(pages):
        w = page % writers
        catch_up(w)
        heading = block(w, "heading", {"level": 2 if page % 5 else 1}, text=True)
        typed(w, heading.children[0], f"{page + 1}. " + text_of(rng, 50))
        budget = 3000 - 55
        if page % 5 == 2:
            bullet = block(w, "bulletList")
            for _ in range(4):
                item = bullet.children.append(pycrdt.XmlElement("listItem", {}, []))
                commit(w)
                typed(w, paragraph_in(w, item), text_of(rng, 120))
                budget -= 120
            lists += 1
        if page % 10 == 6:
            table = block(w, "table")
            for r in range(4):
                row = table.children.append(pycrdt.XmlElement("tableRow", {}, []))
                commit(w)
                for _ in range(3):
                    cell = row.children.append(
                        pycrdt.XmlElement("tableHeader" if r == 0 else "tableCell", {}, [])
                    )
                    commit(w)
                    typed(w, paragraph_in(w, cell), text_of(rng, 25))
                    budget -= 25
            caption = block(w, "figureCaption", text=True)
            typed(w, caption.children[0], "Tableau " + str(tables + 1) + " : " + text_of(rng, 40))
            tables += 1
        while budget > 0:
            size = min(budget, rng.randint(400, 900))
            fragment = docs[w].get(drafts.FRAGMENT, type=pycrdt.XmlFragment)
            paragraph = fragment.children.append(
                pycrdt.XmlElement("paragraph", {}, [pycrdt.XmlText()])
            )
            commit(w)
            text = paragraph.children[0]
            words = text_of(rng, size)
            # A few words in bold at the start of some paragraphs.
            if rng.random() < 0.2:
                typed(w, text, words[:30], bold=True)
                words = words[30:]
            typed(w, text, words)
            budget -= size
    final = drafts.new_doc(base, *updates)
    return {
        "base": base,
        "updates": updates,
        "chars": len(drafts.doc_text(final)),
        "lists": lists,
        "tables": tables,
    }


SETUP = """
import time
from django.test import Client
from deliberation import drafts
from deliberation.models import Draft, DraftUpdate, Proposal
from tests import factories
from bench.drafts_cold_open import build_updates
assembly = factories.make_assembly()
mandate = factories.make_mandate(assembly)
writer = factories.make_titulaire(assembly, email="plume@example.org")
subgroup = factories.make_subgroup(assembly, members=[writer], mandate=mandate)
proposal = Proposal.objects.create(mandate=mandate, subgroup=subgroup, title="Cinquante pages")
t0 = time.perf_counter()
built = build_updates(PAGES, CHUNK)
build_s = time.perf_counter() - t0
# The template the writers started from (the same Yjs items, not a fresh copy of it).
draft = Draft.objects.create(proposal=proposal, snapshot=built["base"])
updates = built["updates"]
t0 = time.perf_counter()
for start in range(0, len(updates), 1000):
    DraftUpdate.objects.bulk_create(
        [DraftUpdate(draft=draft, data=u, author=writer) for u in updates[start:start + 1000]]
    )
store_s = time.perf_counter() - t0
client = Client()
client.force_login(writer)
cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
loaded = drafts.load(draft.pk)
assert len(drafts.doc_text(loaded.doc)) == built["chars"], "stored updates do not rebuild the text"
print(json.dumps({
    "draft": str(draft.pk), "cookie": cookie, "updates": len(updates),
    "update_bytes": sum(len(u) for u in updates), "chars": built["chars"],
    "lists": built["lists"], "tables": built["tables"], "build_s": build_s, "store_s": store_s,
}))
"""

LOAD = """
import time
import pycrdt
from deliberation import drafts
from deliberation.models import Draft, DraftUpdate
times = {"read": [], "apply": [], "load": []}
for _ in range(REPEAT):
    t0 = time.perf_counter()
    snapshot = bytes(Draft.objects.get(pk=DRAFT).snapshot or b"")
    rows = [bytes(d) for d in DraftUpdate.objects.filter(draft_id=DRAFT).order_by("id")
            .values_list("data", flat=True)]
    t1 = time.perf_counter()
    doc = drafts.new_doc(snapshot, *rows)
    t2 = time.perf_counter()
    loaded = drafts.load(DRAFT)
    t3 = time.perf_counter()
    times["read"].append(t1 - t0)
    times["apply"].append(t2 - t1)
    times["load"].append(t3 - t2)
print(json.dumps({
    "rows": len(rows), "snapshot_bytes": len(snapshot),
    "chars": len(drafts.doc_text(loaded.doc)),
    "xml_len": len(str(loaded.doc.get(drafts.FRAGMENT, type=pycrdt.XmlFragment))),
    **{k: sorted(v)[len(v) // 2] for k, v in times.items()},
}))
"""

COMPACT = """
import time
from deliberation import drafts
t0 = time.perf_counter()
merged, size = drafts.compact(DRAFT)
print(json.dumps({"merged": merged, "snapshot_bytes": size, "compact_s": time.perf_counter() - t0}))
"""


async def open_once(server: Daphne, draft: str, cookie: str) -> dict[str, float]:
    import pycrdt
    import websockets

    from realtime.yjs import protocol as yp

    t0 = time.perf_counter()
    async with websockets.connect(
        server.url(f"/ws/drafts/{draft}"),
        origin=server.origin,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        max_size=2**24,
        open_timeout=60,
        ping_interval=None,
    ) as socket:
        t_open = time.perf_counter()
        doc = pycrdt.Doc()
        doc.get("default", type=pycrdt.XmlFragment)
        await socket.send(yp.sync_step1(doc.get_state()))
        while True:
            raw = await asyncio.wait_for(socket.recv(), 60)
            reader = yp.Reader(bytes(raw))  # type: ignore[arg-type]
            if reader.var_uint() != yp.MESSAGE_SYNC or reader.var_uint() != yp.SYNC_STEP2:
                continue
            payload = reader.var_bytes()
            t_step2 = time.perf_counter()
            doc.apply_update(payload)
            t_applied = time.perf_counter()
            break
    return {
        "to_open_ms": (t_open - t0) * 1000,
        "to_step2_ms": (t_step2 - t0) * 1000,
        "to_applied_ms": (t_applied - t0) * 1000,
        "client_apply_ms": (t_applied - t_step2) * 1000,
        "step2_bytes": len(payload),
        "xml_len": len(str(doc.get("default", type=pycrdt.XmlFragment))),
    }


async def three_opens(env: dict[str, str], draft: str, cookie: str) -> dict[str, dict[str, float]]:
    with Daphne(env) as server:
        await asyncio.sleep(1)
        cold = await open_once(server, draft, cookie)
        warm = await open_once(server, draft, cookie)  # room still in memory (grace period)
        await asyncio.sleep(ROOM_RETIRE_WAIT)
        retired = await open_once(server, draft, cookie)
        log = server.log_tail(2000)
    if "Traceback" in log:
        print(log, file=sys.stderr)
    return {"fresh process": cold, "room in memory": warm, "room retired": retired}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=50)
    parser.add_argument("--chunk", type=int, default=40, help="characters per typed update")
    parser.add_argument("--embedded", action="store_true", help="SQLite + in-memory layer")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="agora_bench_cold")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    args = parser.parse_args()

    from bench.drafts_writers import create_database, drop_database, loadavg

    data_dir = Path(tempfile.mkdtemp(prefix="agora-cold-bench-"))
    extra = {"DEBUG": "0", "LOG_LEVEL": "WARNING"}
    if args.embedded:
        extra.update(REDIS_URL="")
    else:
        create_database(args.pg, args.db)
        extra.update(DATABASE_URL=f"{args.pg}/{args.db}", REDIS_URL=args.redis)
    env = django_env(data_dir, **extra)
    print(f"load average before: {loadavg()}", flush=True)
    try:
        migrate(env)
        world = run_python(env, f"PAGES = {args.pages}\nCHUNK = {args.chunk}\n" + SETUP, 900)
        print(json.dumps({k: v for k, v in world.items() if k != "cookie"}), flush=True)
        draft, cookie = world["draft"], world["cookie"]
        load_before = run_python(env, f"DRAFT = {draft!r}\nREPEAT = 3\n" + LOAD)
        print("load before:", json.dumps(load_before), flush=True)
        opens_before = asyncio.run(three_opens(env, draft, cookie))
        print("opens before:", json.dumps(opens_before), flush=True)
        compacted = run_python(env, f"DRAFT = {draft!r}\n" + COMPACT)
        print("compaction:", json.dumps(compacted), flush=True)
        load_after = run_python(env, f"DRAFT = {draft!r}\nREPEAT = 3\n" + LOAD)
        print("load after:", json.dumps(load_after), flush=True)
        opens_after = asyncio.run(three_opens(env, draft, cookie))
        print("opens after:", json.dumps(opens_after), flush=True)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
        if not args.embedded:
            drop_database(args.pg, args.db)
    print(f"load average after: {loadavg()}")

    backend = "SQLite" if args.embedded else "PostgreSQL"
    pages = world["chars"] / 3000
    print(
        f"\nDraft: {world['chars']:,} characters (≈ {pages:.0f} pages of 3,000), "
        f"{world['lists']} bullet lists, {world['tables']} tables; typed as "
        f"{world['updates']:,} updates of ≤ {args.chunk} characters by 4 writers "
        f"({world['update_bytes']:,} bytes of updates); {backend}.\n"
    )
    print(
        f"Compaction: {compacted['merged']:,} updates merged in "
        f"{compacted['compact_s'] * 1000:,.0f} ms; snapshot {compacted['snapshot_bytes']:,} bytes "
        f"vs {world['update_bytes']:,} bytes of updates "
        f"({compacted['snapshot_bytes'] / world['update_bytes']:.0%}).\n"
    )
    print(
        "| stored as | read rows | pycrdt apply | drafts.load | open: fresh process | "
        "open: room in memory | open: room retired | sync step 2 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, load, opens in (
        (f"template + {world['updates']:,} updates", load_before, opens_before),
        ("one snapshot (compacted)", load_after, opens_after),
    ):
        cells = [
            f"{opens[k]['to_applied_ms']:,.0f} ms ({opens[k]['to_step2_ms']:,.0f})"
            for k in ("fresh process", "room in memory", "room retired")
        ]
        print(
            f"| {label} | {load['read'] * 1000:,.0f} ms | {load['apply'] * 1000:,.0f} ms "
            f"| {load['load'] * 1000:,.0f} ms | {' | '.join(cells)} "
            f"| {opens['fresh process']['step2_bytes']:,} bytes |"
        )
    print(
        "\nOpen = socket connect → sync step 2 applied in the client (in brackets: → step 2 "
        "received). Every open delivered the full text: "
        + str(
            all(
                o["xml_len"] == load_before["xml_len"]
                for o in [*opens_before.values(), *opens_after.values()]
            )
        )
    )


if __name__ == "__main__":
    main()
