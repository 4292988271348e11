"""whisper.cpp in the worker's own process, through pywhispercpp, on a ggml model file.

An optional dependency (`pip install agora[whisper]`): imported only when a transcript is
made. The model is a file the operator puts on the server (docs/deploy.md); it is never
fetched: pywhispercpp downloads a model given by name, so only an existing file's path is
ever handed to it. The recording is decoded by ffmpeg (already needed by forums/voice.py)
into the 16 kHz mono samples whisper.cpp reads, with the same one-demuxer, file-only rules.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

SAMPLE_RATE = 16_000
GGML_MAGIC = b"lmgg"  # GGML_FILE_MAGIC 0x67676d6c, little endian, opens every model file
DECODE_TIMEOUT = 120  # seconds; a 5-minute recording decodes in a few


class WhisperUnavailable(Exception):
    """pywhispercpp is not installed, or the model file is missing or not a model."""


class WhisperUnreadable(Exception):
    """ffmpeg could not decode the recording."""


_models: dict[tuple[str, int], Any] = {}
_lock = threading.Lock()


def load_model(model_path: str, *, threads: int = 2) -> Any:
    """The model at ``model_path``, loaded once per worker process (a load takes seconds)."""
    path = Path(model_path)
    if not path.is_file():
        raise WhisperUnavailable(f"no whisper.cpp model file at {model_path!r}")
    with path.open("rb") as fh:
        magic = fh.read(4)
    if magic != GGML_MAGIC:
        # whisper.cpp does not fail on a file that is not a model: it hands back an empty
        # context, and the first transcription then crashes the whole worker.
        raise WhisperUnavailable(f"{model_path!r} is not a whisper.cpp (ggml) model file")
    try:
        from pywhispercpp.model import Model
    except ImportError as exc:
        raise WhisperUnavailable(
            "pywhispercpp is not installed (pip install 'agora[whisper]')"
        ) from exc
    key = (str(path.resolve()), threads)
    with _lock:
        if key not in _models:
            try:
                _models[key] = Model(
                    str(path.resolve()), n_threads=threads, print_progress=False,
                    print_realtime=False, redirect_whispercpp_logs_to=None,
                )
            except Exception as exc:  # the binding raises bare RuntimeErrors on a bad file
                raise WhisperUnavailable(f"cannot load {model_path!r}: {exc}") from exc
        return _models[key]


def decode(path: Path, demuxer: str) -> Any:
    """The recording as 16 kHz mono float32 samples (a numpy array)."""
    import numpy as np

    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise WhisperUnavailable("ffmpeg not found")
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, our arguments, no shell
            [ffmpeg, "-nostdin", "-v", "error", "-protocol_whitelist", "file", "-f", demuxer,
             "-i", f"file:{path}", "-map", "0:a:0", "-ac", "1", "-ar", str(SAMPLE_RATE),
             "-f", "s16le", "-"],
            capture_output=True, timeout=DECODE_TIMEOUT, check=False, stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise WhisperUnreadable("ffmpeg took too long") from exc
    if done.returncode != 0 or not done.stdout:
        raise WhisperUnreadable(done.stderr[:300].decode("utf-8", "replace"))
    return np.frombuffer(done.stdout, dtype=np.int16).astype(np.float32) / 32768.0


def transcribe(
    path: Path,
    *,
    demuxer: str,
    model_path: str,
    language: str,
    threads: int = 2,
    progress: Callable[[int], None] | None = None,
) -> str:
    """The text whisper.cpp hears in the recording; ``progress`` gets the percent done as
    each segment comes out."""
    model = load_model(model_path, threads=threads)
    samples = decode(path, demuxer)
    seconds = max(len(samples) / SAMPLE_RATE, 0.01)

    def on_segment(segment: Any) -> None:
        if progress is not None:  # t1 is in hundredths of a second
            progress(min(99, int(segment.t1 / 100 / seconds * 100)))

    segments = model.transcribe(
        samples, language=language or "auto", new_segment_callback=on_segment
    )
    return " ".join(segment.text.strip() for segment in segments).strip()
