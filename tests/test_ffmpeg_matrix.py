"""Every ffmpeg of the matrix measures the same audio alike (within 0.5 LU) and normalises it to
the target.

`.ci/run` sets SEGPACK_FFMPEG_MATRIX to the binaries it tested (4.2.2, Debian's 5.1, 7.0.2, the
newest bundled; separated by os.pathsep) and runs this last; elsewhere it is skipped. The inputs
are made once, by one binary, so every ffmpeg reads the same bytes: real speech (10 s of the
example's stand-in), pink noise, a 5.1 downmix, and a shared real-world fixture when present.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from media import ffmpeg
from media.encode import CORRECT_ABOVE_LU, prepare
from media.loudness import measure
from segment.models import AudioSettings
from tests.conftest import EXAMPLE, SHARED_FIXTURES

pytestmark = pytest.mark.ffmpeg

MATRIX = [p for p in os.environ.get("SEGPACK_FFMPEG_MATRIX", "").split(os.pathsep) if p]
AGREE_LU = 0.5


def inputs(folder: Path) -> list[Path]:
    speech = sorted((EXAMPLE / "media").glob("*.mp3"))[0]
    made = {"pink-stereo.wav": ["-f", "lavfi", "-i", "anoisesrc=d=5:c=pink:a=0.05", "-ac", "2",
                                "-c:a", "pcm_s16le"],
            "surround-5.1.wav": ["-f", "lavfi", "-i", "sine=frequency=330:duration=5",
                                 "-af", "volume=-12dB", "-ac", "6", "-c:a", "pcm_s16le"],
            "speech-10s.mp3": ["-i", str(speech), "-t", "10", "-c", "copy"]}
    paths = []
    for name, args in made.items():
        ffmpeg.run_ffmpeg([*args, "-map_metadata", "-1", str(folder / name)])
        paths.append(folder / name)
    if (SHARED_FIXTURES / "audio").is_dir():
        paths.append(SHARED_FIXTURES / "audio" / "mp3parser-id3v2.3-ucs-2.mp3")
    return paths


@pytest.mark.skipif(len(MATRIX) < 2, reason="SEGPACK_FFMPEG_MATRIX names fewer than two "
                    "ffmpeg binaries (.ci/run sets it)")
def test_every_ffmpeg_measures_alike_and_normalises_to_the_target(tmp_path, monkeypatch, capsys):
    """Measurements of the same bytes agree within 0.5 LU (input loudness, and each version's
    normalised output measured by every version); each normalised output is within the
    correction threshold of its target. The outputs themselves may differ a little more: each
    build encodes with its own LAME, and pink noise at 96 kbit/s loses more or less treble."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    sources = inputs(tmp_path)
    settings = AudioSettings(encode="mp3", bitrate="96k", normalise=True)
    outputs: dict[tuple[str, str], tuple[Path, float]] = {}  # (input, maker) -> file, target
    measured: dict[str, dict[str, list[float]]] = {}  # file name -> version -> [LUFS, dBTP]
    for binary in MATRIX:
        use(monkeypatch, binary)
        version = ffmpeg.tool()[1].version[:12]
        for src in sources:
            out = tmp_path / f"{src.stem}.by-{len(outputs)}.mp3"
            report = prepare(src, out, settings)
            outputs[src.name, version] = out, report.target_lufs
            assert abs(report.after.integrated - report.target_lufs) <= CORRECT_ABOVE_LU
    for binary in MATRIX:  # every file, the inputs and every version's outputs, by every version
        use(monkeypatch, binary)
        version = ffmpeg.tool()[1].version[:12]
        for path in [*sources, *(out for out, _ in outputs.values())]:
            found = measure(path)
            measured.setdefault(path.name, {})[version] = [found.integrated, found.true_peak]
    ffmpeg.reset()
    with capsys.disabled():
        print("\nintegrated loudness (LUFS) as each ffmpeg measures it; normalised: as made by")
        for src in sources:
            row = measured[src.name]
            print(f"  {src.name}: " + "; ".join(f"{v}: {x[0]:.1f}" for v, x in row.items()))
            print("    normalised by " + "; ".join(
                f"{maker}: {measured[out.name][maker][0]:.1f}"
                for (name, maker), (out, _) in outputs.items() if name == src.name))
    for name, by_version in measured.items():
        lufs = [x[0] for x in by_version.values()]
        peaks = [x[1] for x in by_version.values()]
        assert max(lufs) - min(lufs) <= AGREE_LU, (name, by_version)
        assert max(peaks) - min(peaks) <= AGREE_LU, (name, by_version)


def use(monkeypatch, binary: str) -> None:
    monkeypatch.setenv(ffmpeg.ENV, binary)
    ffmpeg.reset()
