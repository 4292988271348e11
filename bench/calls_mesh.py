"""The largest peer-to-peer (mesh) call that stays usable on this machine.

Not a test. For each N, N members of one subgroup join their room's call (mesh: no Janus),
each in their own page (one Chromium, one browser context per person, 320 px), all speaking
(the fake microphone plays French speech from espeak-ng). After a settle time, every page is
sampled for --seconds through `getStats`:

- peer links connected (expected N-1, one RTCPeerConnection per other person);
- per link: inbound audio bytes/s, energy rising, the loudest audioLevel seen (speech has
  pauses), packets lost / (received + lost), jitter, concealed samples (audio the receiver
  had to invent: late or lost packets), the jitter buffer's mean delay;
- CPU (utime + stime from /proc) over the window: every Chromium process this script started
  (by type: renderers, browser, audio service, network...), daphne, and Playwright's driver;
  and the whole machine's busy share from /proc/stat (other sessions share it).

« Usable » (the verdict column), all of:
1. every page has N-1 links connected, and every link's inbound bytes and energy rose;
2. every link's loudest level > 0.01 (each person hears each other);
3. inbound packet loss < 3 % on every link (Opus with FEC hides a few percent; above that
   speech breaks up);
4. concealed samples < 5 % on every link (what a listener hears as clicks and gaps, which is
   also where a saturated CPU shows: a late decode is a concealment);
5. Chromium's processes < 160 % of one core, i.e. 80 % of the two cores: above that the
   audio threads compete with each other (and everything else on the machine) and
   criteria 3-4 degrade within seconds.

All N browsers run on this one machine, so N pages cost N times what one person's device
pays: see the per-page CPU and outbound streams (N-1 each) to extrapolate.

Media stay inside a private network namespace (shared/WEBRTC.md): run as root, the script
re-runs itself under `unshare -n` with a veth pair (tests/calls/netns.py).

    .venv/bin/python bench/calls_mesh.py --sizes 3 4 6 8 10 --seconds 15
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.calls import netns  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")

WORLD = """
from forums.models import Room
from tests import factories
assembly = factories.make_assembly()
rounds = []
for n in SIZES:
    members = [factories.make_titulaire(assembly, display_name=f"Personne {n}.{i}")
               for i in range(n)]
    subgroup = factories.make_subgroup(assembly, members=members, name=f"Groupe de {n}")
    room = Room.objects.get(subgroup=subgroup)
    rounds.append({"n": n, "room": str(room.pk), "cookies": [cookie(u) for u in members]})
print(json.dumps({"name": settings.SESSION_COOKIE_NAME, "rounds": rounds}))
"""

# Per open RTCPeerConnection (index in window.__connections): its state and audio figures.
LINKS = """async () => {
  const out = [];
  for (const [index, pc] of window.__connections.entries()) {
    if (pc.connectionState === "closed") continue;
    const link = { index, state: pc.connectionState, bytes: 0, packets: 0, lost: 0,
      jitter: 0, level: 0, energy: 0, concealed: 0, samples: 0, bufferDelay: 0,
      emitted: 0, sent: 0, audio: false };
    const stats = await pc.getStats();
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") {
        link.audio = true;
        link.bytes += r.bytesReceived || 0;
        link.packets += r.packetsReceived || 0;
        link.lost += r.packetsLost || 0;
        link.jitter = Math.max(link.jitter, r.jitter || 0);
        link.level = Math.max(link.level, r.audioLevel || 0);
        link.energy += r.totalAudioEnergy || 0;
        link.concealed += r.concealedSamples || 0;
        link.samples += r.totalSamplesReceived || 0;
        link.bufferDelay += r.jitterBufferDelay || 0;
        link.emitted += r.jitterBufferEmittedCount || 0;
      }
      if (r.type === "outbound-rtp" && r.kind === "audio") link.sent += r.bytesSent || 0;
    });
    out.push(link);
  }
  return out;
}"""


# --- CPU from /proc ------------------------------------------------------------------------


def children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def descendants(root: int) -> list[int]:
    tree, out, todo = children_map(), [], [root]
    while todo:
        pid = todo.pop()
        for child in tree.get(pid, []):
            out.append(child)
            todo.append(child)
    return out


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def kind_of(pid: int) -> str:
    try:
        # Zygote-forked children rewrite their title as one string: split on spaces too.
        line = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return "gone"
    argv = line.split()
    if "daphne" in line:
        return "daphne"
    if "chrom" not in line:
        return "driver" if ("node" in line or "playwright" in line) else "other"
    for text in argv:
        if text.startswith("--utility-sub-type="):
            return "chromium " + text.split("=", 1)[1].split(".")[0]
    for text in argv:
        if text.startswith("--type="):
            return "chromium " + text.split("=", 1)[1]
    return "chromium browser"


def snapshot() -> dict[int, tuple[str, float]]:
    return {pid: (kind_of(pid), cpu_seconds(pid)) for pid in descendants(os.getpid())}


def machine_busy() -> tuple[float, float]:
    fields = [float(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


# --- One round ------------------------------------------------------------------------------


def run_round(
    browser: Any, origin: str, name: str, spec: dict[str, Any], args: Any
) -> dict[str, Any]:
    from tests.calls.browser import enter_call, open_page
    from tests.e2e.waiting import wait_until

    n = spec["n"]
    started = time.monotonic()
    pages = []
    for value in spec["cookies"]:
        page = open_page(browser, origin, f"/discussions/salle/{spec['room']}/",
                         {"name": name, "value": value})  # fmt: skip
        enter_call(page)
        pages.append(page)
    joined_s = time.monotonic() - started
    links_up = True
    connected = "() => window.__connections.filter((pc) => pc.connectionState === 'connected')"
    deadline = time.monotonic() + args.link_timeout  # one deadline for every page
    for page in pages:
        try:
            wait_until(
                page,
                f"{connected}.length >= {n - 1}",
                timeout=max(0.5, deadline - time.monotonic()),
            )
        except AssertionError:  # recorded in the verdict below
            links_up = False
    all_linked_s = time.monotonic() - started
    time.sleep(args.settle)

    first = [{x["index"]: x for x in page.evaluate(LINKS)} for page in pages]
    loudest: list[dict[int, float]] = [{} for _ in pages]
    cpu0, busy0, t0 = snapshot(), machine_busy(), time.monotonic()
    samples = 0
    while time.monotonic() - t0 < args.seconds:
        for i, page in enumerate(pages):
            for link in page.evaluate(LINKS):
                loudest[i][link["index"]] = max(loudest[i].get(link["index"], 0), link["level"])
        samples += 1
        time.sleep(0.3)
    last = [{x["index"]: x for x in page.evaluate(LINKS)} for page in pages]
    elapsed = time.monotonic() - t0
    cpu1, busy1 = snapshot(), machine_busy()

    by_kind: dict[str, float] = {}
    for pid, (kind, seconds) in cpu1.items():
        spent_before = cpu0.get(pid, (kind, 0.0))[1]
        by_kind[kind] = by_kind.get(kind, 0.0) + (seconds - spent_before) / elapsed * 100
    chromium = sum(v for k, v in by_kind.items() if k.startswith("chromium"))
    renderers = by_kind.get("chromium renderer", 0.0)
    machine = (busy1[0] - busy0[0]) / max(1.0, busy1[1] - busy0[1]) * 100 * (os.cpu_count() or 1)
    ours = sum(by_kind.values())

    per_link: list[dict[str, Any]] = []
    connected_counts = []
    for i in range(n):
        live = [x for x in last[i].values() if x["state"] == "connected" and x["audio"]]
        connected_counts.append(len(live))
        for link in live:
            before = first[i].get(link["index"])
            if before is None:  # made during the window: count it as a failure
                per_link.append({"ok": False})
                continue
            packets = link["packets"] - before["packets"]
            lost = max(0, link["lost"] - before["lost"])
            samples_in = link["samples"] - before["samples"]
            emitted = link["emitted"] - before["emitted"]
            per_link.append(
                {
                    "kbps": (link["bytes"] - before["bytes"]) * 8 / elapsed / 1000,
                    "energy_rose": link["energy"] > before["energy"],
                    "level": loudest[i].get(link["index"], 0.0),
                    "loss": lost / max(1, packets + lost) * 100,
                    "jitter_ms": link["jitter"] * 1000,
                    "concealed": (link["concealed"] - before["concealed"])
                    / max(1, samples_in)
                    * 100,
                    "buffer_ms": (link["bufferDelay"] - before["bufferDelay"])
                    / max(1, emitted)
                    * 1000,
                    "ok": True,
                }
            )
    good = [x for x in per_link if x["ok"]]
    checks = {
        "links": links_up
        and all(c == n - 1 for c in connected_counts)
        and len(good) == n * (n - 1),
        "heard": bool(good) and all(x["energy_rose"] and x["kbps"] > 1 for x in good),
        "level": bool(good) and all(x["level"] > 0.01 for x in good),
        "loss": bool(good) and all(x["loss"] < 3 for x in good),
        "concealed": bool(good) and all(x["concealed"] < 5 for x in good),
        "cpu": chromium < 160,
    }

    def worst(key: str) -> float:
        return round(max((x[key] for x in good), default=float("nan")), 2)

    result = {
        "n": n,
        "joined_s": round(joined_s, 1),
        "all_linked_s": round(all_linked_s, 1),
        "links_connected_min": min(connected_counts),
        "links_expected": n - 1,
        "inbound_kbps_min": round(min((x["kbps"] for x in good), default=0), 1),
        "inbound_kbps_median": round(statistics.median([x["kbps"] for x in good]), 1)
        if good
        else 0,
        "level_min": round(min((x["level"] for x in good), default=0), 3),
        "loss_pct_max": worst("loss"),
        "jitter_ms_max": worst("jitter_ms"),
        "concealed_pct_max": worst("concealed"),
        "concealed_pct_median": round(statistics.median([x["concealed"] for x in good]), 2)
        if good
        else None,
        "buffer_ms_median": round(statistics.median([x["buffer_ms"] for x in good]), 0)
        if good
        else None,
        "chromium_cpu_pct": round(chromium),
        "chromium_cpu_per_page_pct": round(chromium / n, 1),
        "renderers_cpu_pct": round(renderers),
        "cpu_by_kind": {k: round(v, 1) for k, v in sorted(by_kind.items())},
        "machine_busy_pct_of_200": round(machine),
        "others_on_machine_pct": round(machine - ours),
        "loadavg": os.getloadavg(),
        "samples": samples,
        "outbound_streams_per_page": n - 1,
        "checks": checks,
        "usable": all(checks.values()),
    }
    for page in pages:
        page.context.close()
    return result


def main_inside(args: argparse.Namespace) -> None:
    from tests.calls.browser import light_server, media_browser

    directory = Path(tempfile.mkdtemp(prefix="agora-mesh-bench-"))
    world = f"SIZES = {list(args.sizes)!r}\n" + WORLD
    mesh_max = str(max(args.sizes))
    with (
        light_server(directory, world, CALLS_MESH_MAX=mesh_max) as (origin, made),
        media_browser(directory) as browser,
    ):
        for spec in made["rounds"]:
            try:
                result = run_round(browser, origin, made["name"], spec, args)
            except Exception as error:  # noqa: BLE001 - a round that breaks is a result too
                result = {"n": spec["n"], "usable": False, "error": repr(error)[:300],
                          "loadavg": os.getloadavg()}  # fmt: skip
                for context in browser.contexts:
                    context.close()
            print(json.dumps(result), flush=True)
            time.sleep(args.pause)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 4, 6, 8, 10])
    parser.add_argument("--seconds", type=float, default=15, help="measuring window")
    parser.add_argument("--settle", type=float, default=5, help="after every link is up")
    parser.add_argument("--pause", type=float, default=3, help="between rounds")
    parser.add_argument("--link-timeout", type=float, default=45, help="all links up within")
    args = parser.parse_args()
    if not netns.inside():
        reason = netns.unavailable()
        if reason:
            sys.exit(reason)
        command = netns.command([sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]])
        sys.exit(subprocess.call(command, env=netns.environment(), cwd=ROOT))  # noqa: S603
    main_inside(args)


if __name__ == "__main__":
    main()
