"""Find and run ffmpeg: `SEGPACK_FFMPEG`, then a system `ffmpeg` on PATH, then the binary that
ships in the `imageio-ffmpeg` wheel (so a fresh `pip install` is enough; that wheel has no
ffprobe, which is why probing uses mutagen first and ffmpeg's own output second).
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence

from segment.errors import MediaError


@functools.lru_cache(maxsize=1)
def ffmpeg_path() -> str:
    """Path of the ffmpeg binary to use (cached for the process)."""
    override = os.environ.get("SEGPACK_FFMPEG")
    if override:
        if not (os.path.isfile(override) and os.access(override, os.X_OK)):
            raise MediaError(f"SEGPACK_FFMPEG={override!r} is not an executable file")
        return override
    found = shutil.which("ffmpeg")
    if found:
        return found
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # the wheel raises RuntimeError when its binary is missing
        raise MediaError("ffmpeg not found: install it, set SEGPACK_FFMPEG, or "
                         "`pip install imageio-ffmpeg`") from exc


@functools.lru_cache(maxsize=1)
def ffprobe_path() -> str | None:
    """A system ffprobe when present (optional: nothing requires it)."""
    return shutil.which("ffprobe")


def run_ffmpeg(args: Sequence[str], *, timeout: float | None = None,
               check: bool = True) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg quietly (no stdin, no banner); raise MediaError with its last line on failure."""
    cmd = [ffmpeg_path(), "-hide_banner", "-nostdin", "-y", *args]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise MediaError(f"ffmpeg took longer than {timeout:.0f} s") from None
    if check and done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise MediaError(f"ffmpeg failed: {lines[-1] if lines else 'exit ' + str(done.returncode)}")
    return done
