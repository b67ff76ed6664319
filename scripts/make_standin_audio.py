"""Make the example show's stand-in audio: espeak-ng reading the transcript, fitted to 3:41.

The reference page's player has no media, so the example commits this stand-in instead. espeak-ng
is needed only to run this script (`apt-get install espeak-ng`), never by tests or CI, which read
the committed MP3.

    python scripts/make_standin_audio.py

Steps: speak the manifest's transcript with espeak-ng, choosing the words-per-minute that lands
closest to the declared duration; fit the rest with ffmpeg (`atempo` for the last few percent,
`apad`/`atrim` to the exact length); then encode a tagless mono MP3 normalised to -19 LUFS with
segpack's own `media.encode.prepare`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "momentum-against-isil"
MANIFEST = EXAMPLE / "segments" / "momentum-against-isil-builds.md"
OUTPUT = EXAMPLE / "media" / "momentum-against-isil-builds.mp3"
TARGET_SECONDS = 3 * 60 + 41
#: Speech ends this much before the end: a short tail of silence, as a newsroom file has.
TAIL_SECONDS = 0.8
VOICE = "en-us"
BITRATE = "48k"


def wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def speak(text_file: Path, wpm: int, out: Path) -> float:
    espeak = shutil.which("espeak-ng")
    if not espeak:
        sys.exit("espeak-ng not found: apt-get install espeak-ng (needed only to make the file)")
    subprocess.run([espeak, "-v", VOICE, "-s", str(wpm), "-f", str(text_file), "-w", str(out)],
                   check=True)
    return wav_seconds(out)


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from media.encode import prepare
    from media.ffmpeg import run_ffmpeg
    from segment.manifest import read_manifest
    from segment.models import AudioSettings

    transcript = read_manifest(MANIFEST).body
    with tempfile.TemporaryDirectory(prefix="segpack-standin-") as tmp:
        work = Path(tmp)
        text_file = work / "transcript.txt"
        text_file.write_text(transcript + "\n", encoding="utf-8")
        speech = work / "speech.wav"
        speech_target = TARGET_SECONDS - TAIL_SECONDS
        wpm = 150
        for _ in range(4):  # speech length is close to inversely proportional to wpm
            seconds = speak(text_file, wpm, speech)
            better = round(wpm * seconds / speech_target)
            if better == wpm:
                break
            wpm = better
        tempo = seconds / speech_target
        if not 0.5 <= tempo <= 2.0:
            sys.exit(f"speech is {seconds:.1f} s at {wpm} wpm: too far from {speech_target} s")
        fitted = work / "fitted.wav"
        run_ffmpeg(["-i", str(speech), "-af",
                    f"atempo={tempo:.5f},aresample=44100,apad=whole_dur={TARGET_SECONDS},"
                    f"atrim=end={TARGET_SECONDS}", "-ac", "1", "-c:a", "pcm_s16le", str(fitted)])
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        report = prepare(fitted, OUTPUT, AudioSettings(encode="mp3", bitrate=BITRATE,
                                                       normalise=True))
    after = report.after
    print(f"{OUTPUT.relative_to(ROOT)}: {wpm} wpm, atempo {tempo:.4f}, "
          f"{report.duration:.2f} s, {OUTPUT.stat().st_size:,} bytes, "
          f"{after.integrated} LUFS, {after.true_peak} dBTP (gain {report.gain_db:+.2f} dB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
