"""The programme's features, streamed through ffmpeg: never the whole audio in memory.

ffmpeg decodes any format it knows to 16 kHz mono 16-bit samples on a pipe; we read ten
seconds at a time into a `FeatureStream`. A 3-hour programme costs the features (~13 MB) and one
block, not the 350 MB of its samples.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from media.align.features import FeatureStream
from media.ffmpeg import ffmpeg_path
from segment.errors import MediaError

RATE = 16000
BLOCK_SECONDS = 10


def programme_features(path: Path, progress: Callable[[float], None] | None = None
                       ) -> tuple[np.ndarray, np.ndarray, float]:
    """(mfcc, log energy, seconds) of the audio file at `path`."""
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
           "-map", "0:a:0", "-vn", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-"]
    stream = FeatureStream(RATE)
    block = RATE * BLOCK_SECONDS * 2
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None and proc.stderr is not None
        while True:
            data = proc.stdout.read(block)
            if not data:
                break
            usable = len(data) // 2 * 2
            stream.feed(np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0)
            if progress:
                progress(len(data) / 2 / RATE)
        errors = proc.stderr.read().decode("utf-8", "replace").strip().splitlines()
        code = proc.wait()
    if code != 0:
        last = errors[-1] if errors else f"ffmpeg exit {code}"
        raise MediaError(f"cannot decode the audio: {last}", path)
    mfcc, energy = stream.finish()
    if not len(mfcc):
        raise MediaError("the audio holds no samples", path)
    return mfcc, energy, stream.samples / RATE
