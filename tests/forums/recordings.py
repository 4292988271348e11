"""Real recordings made by ffmpeg, as browsers' MediaRecorder makes them (Opus in WebM or
Ogg, AAC in MP4), for the voice-message tests."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

FORMATS = {
    # Chromium and Firefox write WebM as a live stream: no duration, no cues.
    "webm": ["-c:a", "libopus", "-f", "webm", "-live", "1"],
    "webm-seekable": ["-c:a", "libopus", "-f", "webm"],
    "ogg": ["-c:a", "libopus", "-f", "ogg"],
    "m4a": ["-c:a", "aac", "-f", "mp4"],
}


@functools.cache
def recording(kind: str = "webm", seconds: float = 4.2, *, video: bool = False) -> bytes:
    """`seconds` of a 440 Hz tone in the container and codec `kind` names."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        inputs = ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
        if video:
            inputs += ["-f", "lavfi", "-i", f"testsrc=size=64x64:rate=5:duration={seconds}",
                       "-c:v", "libvpx"]
        subprocess.run(  # noqa: S603 - our fixed arguments
            ["ffmpeg", "-nostdin", "-v", "error", *inputs, *FORMATS[kind], str(out)],  # noqa: S607
            check=True, timeout=120,
        )
        return out.read_bytes()
