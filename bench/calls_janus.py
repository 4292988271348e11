"""Plenary call through Janus: one speaker, N simulated listeners (aiortc), on one machine.

Not a test. Starts Janus on the configuration Agora generates (calls/mediaserver.py), creates
a call with calls/janus.py exactly as the app does (AudioBridge + Streaming + VideoRoom, one
token per person), then:

- the speaker (aiortc) joins the AudioBridge and publishes a tone burst (100 ms of 1 kHz every
  second, silence between);
- N listeners (aiortc) watch the Streaming mountpoint that carries the mix, joined 10 at a
  time; join time = from the first HTTP request to the first decoded audio frame;
- for --seconds, every listener's inbound RTP packets are counted (getStats) and Janus's CPU
  is read from /proc; a few listeners decode every frame and time the burst's onset against
  its emission (mouth-to-ear delay, same clock: Janus's mix, the forward, aiortc's jitter
  buffer and decoder included).

Media stay inside a private network namespace (shared/WEBRTC.md): run as root, the script
re-runs itself under `unshare -n` with a veth pair. Loops are bounded by the counts and fixed
timeouts.

    .venv/bin/python -m pip install -c constraints.txt -e ".[bench]"   # aiortc
    .venv/bin/python bench/calls_janus.py --listeners 50 100 --seconds 15
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from array import array
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
NETNS = """
ip link set lo up
ip link add veth0 type veth peer name veth1
ip addr add 10.99.0.1/24 dev veth0 && ip link set veth0 up
ip addr add 10.99.0.2/24 dev veth1 && ip link set veth1 up
exec "$@"
"""
RATE = 48000
FRAME = 960  # 20 ms
PERIOD_FRAMES = 50  # one burst a second
BURST_FRAMES = 5  # 100 ms of tone
DELAY_PROBES = 5

HTTP = ThreadPoolExecutor(max_workers=256)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


class JanusHTTP:
    """The browser's side of Janus's HTTP API (what janus.js does), blocking calls in threads."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.session = 0

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        body = {"transaction": os.urandom(6).hex(), "token": self.token, **body}
        request = urllib.request.Request(  # noqa: S310
            self.url + path, data=json.dumps(body).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    def _get(self) -> dict[str, Any]:
        url = f"{self.url}/{self.session}?maxev=1&token={self.token}&rid={time.time()}"
        with urllib.request.urlopen(url, timeout=40) as response:  # noqa: S310
            answer: dict[str, Any] = json.loads(response.read())
        return answer

    async def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.get_running_loop().run_in_executor(HTTP, self._post, path, body)

    async def create_and_attach(self, plugin: str) -> int:
        answer = await self.post("", {"janus": "create"})
        self.session = answer["data"]["id"]
        answer = await self.post(f"/{self.session}", {"janus": "attach", "plugin": plugin})
        return int(answer["data"]["id"])

    async def message(self, handle: int, body: dict[str, Any], jsep: Any = None) -> None:
        payload: dict[str, Any] = {"janus": "message", "body": body}
        if jsep:
            payload["jsep"] = jsep
        await self.post(f"/{self.session}/{handle}", payload)

    async def event(self, want_jsep: bool, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = await asyncio.get_running_loop().run_in_executor(HTTP, self._get)
            if event.get("janus") == "event":
                data = event.get("plugindata", {}).get("data", {})
                if data.get("error_code"):
                    raise RuntimeError(f"Janus refused: {data}")
                if not want_jsep or "jsep" in event:
                    return dict(event)
        raise TimeoutError("no event from Janus")

    async def keepalive(self) -> None:
        await self.post(f"/{self.session}", {"janus": "keepalive"})


def make_burst_track() -> Any:
    from aiortc import MediaStreamTrack
    from av import AudioFrame

    tone = array("h", (int(12000 * math.sin(2 * math.pi * 1000 * n / RATE)) for n in range(FRAME)))
    silence = array("h", [0] * FRAME)

    class Bursts(MediaStreamTrack):
        kind = "audio"

        def __init__(self) -> None:
            super().__init__()
            self.start = 0.0
            self.index = 0
            self.emitted: list[float] = []

        async def recv(self) -> AudioFrame:
            if not self.start:
                self.start = time.monotonic()
            due = self.start + self.index * FRAME / RATE
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            in_burst = self.index % PERIOD_FRAMES < BURST_FRAMES
            if self.index % PERIOD_FRAMES == 0:
                self.emitted.append(time.monotonic())
            frame = AudioFrame(format="s16", layout="mono", samples=FRAME)
            frame.planes[0].update((tone if in_burst else silence).tobytes())
            frame.sample_rate = RATE
            frame.pts = self.index * FRAME
            frame.time_base = fractions.Fraction(1, RATE)
            self.index += 1
            return frame

    return Bursts()


async def speaker(media: dict[str, Any], url: str) -> tuple[Any, Any, JanusHTTP]:
    from aiortc import RTCPeerConnection, RTCSessionDescription

    client = JanusHTTP(url, media["token"])
    handle = await client.create_and_attach("janus.plugin.audiobridge")
    await client.message(
        handle,
        {"request": "join", "room": media["room"], "id": media["participant"],
         "token": media["token"], "muted": True},
    )  # fmt: skip
    await client.event(want_jsep=False)
    pc = RTCPeerConnection()
    track = make_burst_track()
    pc.addTrack(track)
    await pc.setLocalDescription(await pc.createOffer())
    offer = {"type": "offer", "sdp": pc.localDescription.sdp}
    await client.message(handle, {"request": "configure", "muted": False}, offer)
    answer = await client.event(want_jsep=True)
    await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))
    return pc, track, client


class Listener:
    def __init__(self, media: dict[str, Any], url: str, probe: bool) -> None:
        self.media = media
        self.client = JanusHTTP(url, media["token"])
        self.probe = probe
        self.pc: Any = None
        self.join_seconds = float("nan")
        self.onsets: list[float] = []
        self.reader: asyncio.Task[None] | None = None

    async def join(self) -> None:
        from aiortc import RTCPeerConnection, RTCSessionDescription

        started = time.monotonic()
        handle = await self.client.create_and_attach("janus.plugin.streaming")
        await self.client.message(
            handle, {"request": "watch", "id": self.media["stream"], "pin": self.media["pin"]}
        )
        offer = await self.client.event(want_jsep=True)
        self.pc = RTCPeerConnection()
        first_frame: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        @self.pc.on("track")
        def on_track(track: Any) -> None:
            self.reader = asyncio.ensure_future(self.read(track, first_frame))

        await self.pc.setRemoteDescription(RTCSessionDescription(**offer["jsep"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        answer = {"type": "answer", "sdp": self.pc.localDescription.sdp}
        await self.client.message(handle, {"request": "start"}, answer)
        await asyncio.wait_for(first_frame, timeout=30)
        self.join_seconds = time.monotonic() - started

    async def read(self, track: Any, first_frame: asyncio.Future[None]) -> None:
        loud = False
        while True:
            try:
                frame = await track.recv()
            except Exception:  # noqa: BLE001 (the track ended)
                return
            if not first_frame.done():
                first_frame.set_result(None)
                if not self.probe:
                    # Keep draining (aiortc queues decoded frames) without looking at them.
                    while True:
                        try:
                            await track.recv()
                        except Exception:  # noqa: BLE001
                            return
            samples = array("h", bytes(frame.planes[0]))
            rms = math.sqrt(sum(s * s for s in samples[::8]) / max(1, len(samples[::8])))
            if rms > 1500 and not loud:
                self.onsets.append(time.monotonic())
            loud = rms > 1500

    async def packets(self) -> int:
        stats = await self.pc.getStats()
        return sum(s.packetsReceived for s in stats.values() if s.type == "inbound-rtp")


async def worker(url: str, seconds: float) -> None:
    """A load-generator process: joins the listeners it is given on stdin (one JSON list of
    media dicts), says "ready", measures their packets over the window, prints the result."""
    medias = json.loads(sys.stdin.readline())
    listeners = [Listener(m, url, probe=False) for m in medias]
    gate = asyncio.Semaphore(10)

    async def join(listener: Listener) -> None:
        async with gate:
            await listener.join()

    results = await asyncio.gather(*(join(x) for x in listeners), return_exceptions=True)
    ok = [x for x in listeners if x.pc is not None and not math.isnan(x.join_seconds)]
    failures = [repr(r)[:200] for r in results if isinstance(r, BaseException)]
    print(json.dumps({"ready": True}), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
    before = {id(x): await x.packets() for x in ok}
    own0, t0 = time.process_time(), time.monotonic()
    deadline = t0 + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(min(10, deadline - time.monotonic()))
        await asyncio.gather(*(x.client.keepalive() for x in ok))
    elapsed = time.monotonic() - t0
    rates = [((await x.packets()) - before[id(x)]) / elapsed for x in ok]
    print(
        json.dumps(
            {
                "join_ms": [x.join_seconds * 1000 for x in ok],
                "failures": failures,
                "rates": rates,
                "cpu_percent": (time.process_time() - own0) / elapsed * 100,
            }
        ),
        flush=True,
    )
    for x in ok:
        await x.pc.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_round(
    count: int, seconds: float, server: Any, janus_pid: int, workers_count: int
) -> dict[str, Any]:
    from calls import janus

    call = f"bench-{count}-{os.urandom(3).hex()}"
    t = time.perf_counter()
    media = janus.media_for(call, "Plénière", "speaker", True)
    issue_ms = [(time.perf_counter() - t) * 1000]
    pc, track, speaker_client = await speaker(media, server.api_url)
    probes, others = [], []
    for n in range(count):
        t = time.perf_counter()
        listened = janus.media_for(call, "Plénière", f"listener-{n}", False)
        issue_ms.append((time.perf_counter() - t) * 1000)
        if n < DELAY_PROBES:
            probes.append(Listener(listened, server.api_url, probe=True))
        else:
            others.append(listened)
    # The other listeners live in worker processes (one Python process saturates near 100).
    workers = []
    for w in range(workers_count):
        share = others[w::workers_count]
        process = await asyncio.create_subprocess_exec(
            sys.executable, __file__, "--worker", server.api_url, "--seconds", str(seconds),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )  # fmt: skip
        assert process.stdin is not None
        process.stdin.write((json.dumps(share) + "\n").encode())
        await process.stdin.drain()
        workers.append(process)

    joined_at = time.monotonic()
    results = await asyncio.gather(*(x.join() for x in probes), return_exceptions=True)
    for process in workers:
        assert process.stdout is not None
        await asyncio.wait_for(process.stdout.readline(), timeout=300)  # ready
    all_joined_s = time.monotonic() - joined_at
    failures = [repr(r)[:200] for r in results if isinstance(r, BaseException)]
    ok = [x for x in probes if x.pc is not None and not math.isnan(x.join_seconds)]

    await asyncio.sleep(2)  # settle
    for process in workers:
        assert process.stdin is not None
        process.stdin.write(b"go\n")
        await process.stdin.drain()
    before = {id(x): await x.packets() for x in ok}
    cpu0, own0, t0 = cpu_seconds(janus_pid), time.process_time(), time.monotonic()
    deadline = t0 + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(min(10, deadline - time.monotonic()))
        await asyncio.gather(speaker_client.keepalive(), *(x.client.keepalive() for x in ok))
    elapsed = time.monotonic() - t0
    janus_cpu = (cpu_seconds(janus_pid) - cpu0) / elapsed * 100
    own_cpu = (time.process_time() - own0) / elapsed * 100
    rates = [((await x.packets()) - before[id(x)]) / elapsed for x in ok]
    joins = [x.join_seconds * 1000 for x in ok]
    worker_cpu = []
    for process in workers:
        assert process.stdout is not None
        report = json.loads(await asyncio.wait_for(process.stdout.readline(), timeout=120))
        joins += report["join_ms"]
        rates += report["rates"]
        failures += report["failures"]
        worker_cpu.append(round(report["cpu_percent"]))
        await process.wait()

    delays = []  # bursts heard during the steady window only (not while others joined)
    for x in ok:
        if not x.probe:
            continue
        for onset in (o for o in x.onsets if t0 <= o <= t0 + elapsed):
            emitted = [e for e in track.emitted if e <= onset]
            if emitted and onset - emitted[-1] < 0.9:
                delays.append((onset - emitted[-1]) * 1000)

    for x in ok:
        if x.reader:
            x.reader.cancel()
        await x.pc.close()
    await pc.close()
    janus.end(call)
    return {
        "listeners": count,
        "joined": len(joins),
        "failed": len(failures),
        "first_failure": failures[0] if failures else "",
        "token_issue_ms_p50": round(statistics.median(issue_ms), 1),
        "token_issue_ms_p99": round(pct(issue_ms, 99), 1),
        "join_ms_p50": round(statistics.median(joins), 0) if joins else None,
        "join_ms_p99": round(pct(joins, 99), 0) if joins else None,
        "all_joined_s": round(all_joined_s, 1),
        "packets_per_s_per_listener_min": round(min(rates), 1) if rates else None,
        "packets_per_s_per_listener_median": round(statistics.median(rates), 1) if rates else None,
        "janus_cpu_percent_of_one_core": round(janus_cpu, 0),
        "load_generator_cpu_percent": [round(own_cpu)] + worker_cpu,
        "mouth_to_ear_ms_p50": round(statistics.median(delays), 0) if delays else None,
        "mouth_to_ear_ms_p99": round(pct(delays, 99), 0) if delays else None,
        "delay_samples": len(delays),
    }


async def baseline(seconds: float) -> dict[str, Any]:
    """The floor: the same aiortc speaker and listener connected directly, without Janus."""
    from aiortc import RTCPeerConnection

    sender, receiver = RTCPeerConnection(), RTCPeerConnection()
    track = make_burst_track()
    sender.addTrack(track)
    probe = Listener({"token": ""}, "", probe=True)
    first: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    @receiver.on("track")
    def on_track(remote: Any) -> None:
        probe.reader = asyncio.ensure_future(probe.read(remote, first))

    await sender.setLocalDescription(await sender.createOffer())
    await receiver.setRemoteDescription(sender.localDescription)
    await receiver.setLocalDescription(await receiver.createAnswer())
    await sender.setRemoteDescription(receiver.localDescription)
    await asyncio.wait_for(first, timeout=30)
    await asyncio.sleep(seconds)
    delays = []
    for onset in probe.onsets:
        emitted = [e for e in track.emitted if e <= onset]
        if emitted and onset - emitted[-1] < 0.9:
            delays.append((onset - emitted[-1]) * 1000)
    if probe.reader:
        probe.reader.cancel()
    await sender.close()
    await receiver.close()
    return {
        "baseline": "aiortc to aiortc, no Janus",
        "mouth_to_ear_ms_p50": round(statistics.median(delays), 0) if delays else None,
        "mouth_to_ear_ms_p99": round(pct(delays, 99), 0) if delays else None,
        "delay_samples": len(delays),
    }


async def main_inside(args: argparse.Namespace) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import logging

    for noisy in ("aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from django.conf import settings
    from django.test.utils import override_settings

    from calls import mediaserver
    from tests.calls.janus_server import Server

    directory = Path(tempfile.mkdtemp(prefix="agora-janus-bench-"))
    server = Server(directory, 8088, 7088)
    overrides = override_settings(**server.settings())
    overrides.enable()
    mediaserver.write_configuration(http_port=8088, admin_port=7088)
    process = subprocess.Popen(  # noqa: S603
        mediaserver.command_line(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT
    )
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(server.api_url + "/info", timeout=1)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        print(f"janus {process.pid} up; settings dir {settings.CALLS_JANUS_DIR}", file=sys.stderr)
        print(json.dumps(await baseline(min(args.seconds, 10))), flush=True)
        for count in args.listeners:
            result = await run_round(count, args.seconds, server, process.pid, args.workers)
            print(json.dumps(result), flush=True)
    finally:
        process.terminate()
        process.wait(timeout=10)
        overrides.disable()
        shutil.rmtree(directory, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listeners", type=int, nargs="+", default=[50, 100])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--workers", type=int, default=2, help="listener processes")
    parser.add_argument("--worker", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        import logging

        logging.basicConfig(level=logging.WARNING)
        asyncio.run(worker(args.worker, args.seconds))
        return
    if os.environ.get("AGORA_CALLS_NETNS") != "1":
        if os.geteuid() != 0 or not shutil.which("unshare"):
            sys.exit("needs root and unshare: media stay in a private network namespace")
        env = {**os.environ, "AGORA_CALLS_NETNS": "1"}
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
        command = ["unshare", "-n", "bash", "-c", NETNS, "_", sys.executable, *sys.argv]
        sys.exit(subprocess.call(command, env=env, cwd=ROOT))  # noqa: S603
    asyncio.run(main_inside(args))


if __name__ == "__main__":
    main()
