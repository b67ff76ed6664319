"""Shared fixtures: small real audio made with the real ffmpeg, and paths to shared fixtures."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A shell without job control starts background commands (`pytest ... &`, a CI runner's) with
# Ctrl-C ignored, and Python and every segpack the tests start inherit that: the tests that
# press Ctrl-C would then see a build run on to exit 0. The tests are the terminal here.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)
EXAMPLE = ROOT / "examples" / "momentum-against-isil"
SHARED_FIXTURES = ROOT.parent / "shared" / "fixtures"

CODECS = {
    ".mp3": ["-c:a", "libmp3lame", "-b:a", "64k"],
    ".m4a": ["-c:a", "aac", "-b:a", "64k"],
    ".ogg": ["-c:a", "libvorbis", "-q:a", "2"],
    ".opus": ["-c:a", "libopus", "-b:a", "32k"],
    ".flac": ["-c:a", "flac"],
    ".wav": ["-c:a", "pcm_s16le"],
}


_TONES: dict[tuple, bytes] = {}
"""Tones made in this process, by what made them (the ffmpeg binary too): made once, written
again as often as tests ask (each ffmpeg start costs ~50 ms, more on a loaded machine)."""


def make_tone(path: Path, seconds: float = 1.0, *, freq: int = 440, channels: int = 1,
              rate: int = 44100) -> Path:
    """Write `seconds` of a sine tone in the container given by the suffix."""
    from media.ffmpeg import ffmpeg_path, run_ffmpeg

    key = (path.suffix, seconds, freq, channels, rate, ffmpeg_path())
    if key not in _TONES:
        run_ffmpeg(["-f", "lavfi", "-i", f"sine=frequency={freq}:sample_rate={rate}:"
                    f"duration={seconds}", "-ac", str(channels), *CODECS[path.suffix],
                    "-map_metadata", "-1", str(path)])
        _TONES[key] = path.read_bytes()
    else:
        path.write_bytes(_TONES[key])
    return path


@pytest.fixture(scope="session")
def tone_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("tones")


@pytest.fixture
def tone(tone_cache, tmp_path):
    """`tone(".mp3", seconds=1.0)` -> a fresh copy of a cached generated tone in tmp_path."""

    def make(suffix: str = ".mp3", seconds: float = 1.0, channels: int = 1,
             name: str | None = None) -> Path:
        cached = tone_cache / f"tone-{seconds}-{channels}{suffix}"
        if not cached.exists():
            make_tone(cached, seconds, channels=channels)
        target = tmp_path / (name or cached.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(cached, target)
        return target

    return make


@pytest.fixture
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"shared fixtures not found at {SHARED_FIXTURES}")
    return SHARED_FIXTURES


@pytest.fixture
def example_show(tmp_path) -> Path:
    """A writable copy of the example show."""
    target = tmp_path / "show"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture
def run_import(capsys):
    """`segpack import ...` through the real entry point -> (status, stdout, stderr)."""
    from segment.cli import main

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main(["import", *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture(scope="session")
def dask_cluster_session(tmp_path_factory):
    """A real Dask scheduler and two `--nthreads 1` workers on 127.0.0.1 (`tests.dask_cluster`),
    started once and ended however the run ends; skipped when Dask is not installed
    (`pip install -e '.[dask]'`; `.ci/run` installs it)."""
    pytest.importorskip("distributed")
    from tests.dask_cluster import local_cluster

    with local_cluster(tmp_path_factory.mktemp("dask")) as cluster:
        yield cluster


@pytest.fixture
def dask_cluster(dask_cluster_session, monkeypatch):
    """The session's cluster with two workers again (a test may have killed some), and
    SEGPACK_SCHEDULER unset: tests name the scheduler with --scheduler."""
    dask_cluster_session.wait_for_workers(2)
    monkeypatch.delenv("SEGPACK_SCHEDULER", raising=False)
    return dask_cluster_session
