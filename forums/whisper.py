"""whisper.cpp on the worker's machine, through pywhispercpp, on a ggml model file.

An optional dependency (`pip install agora[whisper]`). The model is a file the operator
puts on the server (docs/deploy.md); it is never fetched: pywhispercpp downloads a model
given by name, so only an existing file's path is ever handed to it. The recording is
decoded by ffmpeg (already needed by forums/voice.py) into the 16 kHz mono samples
whisper.cpp reads, with the same one-demuxer, file-only rules.

whisper.cpp runs in a child process (this file run as a script): a damaged model file
makes it crash (a segmentation fault, not an exception), which must end one transcript,
not the background worker and every job after it. The child loads the model for each
recording; it prints `progress <percent>` lines, then the text as one JSON line.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

SAMPLE_RATE = 16_000
GGML_MAGIC = b"lmgg"  # GGML_FILE_MAGIC 0x67676d6c, little endian, opens every model file
DECODE_TIMEOUT = 120  # seconds; a 5-minute recording decodes in a few


class WhisperUnavailable(Exception):
    """pywhispercpp is not installed, the model file is missing or not a model, or
    whisper.cpp stopped (``timeout`` true: it took too long)."""

    def __init__(self, message: str, *, timeout: bool = False) -> None:
        super().__init__(message)
        self.timeout = timeout


class WhisperUnreadable(Exception):
    """ffmpeg could not decode the recording."""


def check_model(model_path: str) -> Path:
    """The model file, after checking it is one: whisper.cpp does not fail on a file that is
    not a model, it hands back an empty context and crashes on first use."""
    path = Path(model_path)
    if not path.is_file():
        raise WhisperUnavailable(f"no whisper.cpp model file at {model_path!r}")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGML_MAGIC:
        raise WhisperUnavailable(f"{model_path!r} is not a whisper.cpp (ggml) model file")
    return path.resolve()


def decode(path: Path, demuxer: str) -> bytes:
    """The recording as 16 kHz mono float32 samples (raw little-endian bytes)."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise WhisperUnavailable("ffmpeg not found")
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, our arguments, no shell
            [ffmpeg, "-nostdin", "-v", "error", "-protocol_whitelist", "file", "-f", demuxer,
             "-i", f"file:{path}", "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE),
             "-f", "f32le", "-"],
            capture_output=True, timeout=DECODE_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise WhisperUnreadable("ffmpeg took too long") from exc
    if done.returncode != 0 or not done.stdout:
        raise WhisperUnreadable(done.stderr[:300].decode("utf-8", "replace"))
    return done.stdout


def transcribe(
    path: Path,
    *,
    demuxer: str,
    model_path: str,
    language: str,
    threads: int = 2,
    timeout: float = 300,
    progress: Callable[[int], None] | None = None,
) -> str:
    """The text whisper.cpp hears in the recording; ``progress`` gets the percent done as
    each segment comes out."""
    model = check_model(model_path)
    samples = decode(path, demuxer)
    with tempfile.TemporaryDirectory(prefix="agora-whisper-") as tmp:
        raw = Path(tmp) / "samples.f32"
        raw.write_bytes(samples)
        child = subprocess.Popen(  # noqa: S603 - this file, our arguments, no shell
            # -P: forums/ is not put on the child's path (its modules would shadow others).
            [sys.executable, "-P", str(Path(__file__).resolve()), str(model), str(raw),
             language or "auto", str(threads)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
            text=True,
        )
        text: str | None = None
        try:
            assert child.stdout is not None  # noqa: S101 - PIPE above
            for line in child.stdout:
                if line.startswith("progress ") and progress is not None:
                    progress(min(99, int(line.split()[1])))
                elif line.startswith("{"):
                    text = json.loads(line)["text"]
            child.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            child.kill()
            raise WhisperUnavailable("whisper.cpp took too long", timeout=True) from exc
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
        if child.returncode != 0 or text is None:
            error = (child.stderr.read() if child.stderr else "")[-300:]
            raise WhisperUnavailable(f"whisper.cpp stopped ({child.returncode}): {error}")
        return text.strip()


def _child(model_path: str, samples_path: str, language: str, threads: int) -> int:
    """Run in the child process: load the model, transcribe, print progress and the text."""
    try:
        import numpy as np
        from pywhispercpp.model import Model
    except ImportError:
        print("pywhispercpp is not installed (pip install 'agora[whisper]')", file=sys.stderr)
        return 3
    samples = np.fromfile(samples_path, dtype=np.float32)
    seconds = max(len(samples) / SAMPLE_RATE, 0.01)
    model = Model(model_path, n_threads=threads, print_progress=False, print_realtime=False,
                  redirect_whispercpp_logs_to=None)

    def on_segment(segment: Any) -> None:  # t1 is in hundredths of a second
        print(f"progress {int(segment.t1 / 100 / seconds * 100)}", flush=True)

    segments = model.transcribe(samples, language=language, new_segment_callback=on_segment)
    text = " ".join(segment.text.strip() for segment in segments).strip()
    print(json.dumps({"text": text}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
