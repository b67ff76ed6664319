"""espeak-ng as the aligner's reference voice: any of its ~100 languages, chosen by data.

espeak-ng (GPL-3.0) is run as a separate program, Debian's `espeak-ng` package or the binary
named by `SEGPACK_ESPEAK`; segpack links nothing of it. A language is supported when espeak-ng
has a voice for it (`espeak-ng --voices`); `--voice` picks another one. Adding a language is
installing or configuring a voice, not changing code.

Cue fragments are spoken in batches, one process per batch, as SSML with a two-second
`<break>` between fragments. espeak-ng writes breaks as exact digital silence, longer than any
pause of its own (those stay under half a second), so the runs of zeros show where each
fragment starts; each run is then shortened to an ordinary pause before features are taken,
so the reference reads like one continuous programme.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

from media.align import AlignerMissing
from media.align.features import FeatureStream
from segment.errors import SegpackError

BREAK_MS = 2000
MIN_BREAK = 1.5
"""Seconds of zeros taken as a break (espeak-ng's own longest pauses are ~0.4 s)."""
KEEP = 0.3
"""Seconds of the break kept: a pause between sentences, as a reader makes."""
BATCH_CHARS = 6000
"""Text per espeak-ng process (~6 minutes of speech, ~16 MB of samples at most in memory)."""


@functools.lru_cache(maxsize=1)
def espeak_path() -> str:
    override = os.environ.get("SEGPACK_ESPEAK")
    if override:
        if not (os.path.isfile(override) and os.access(override, os.X_OK)):
            raise AlignerMissing(f"SEGPACK_ESPEAK={override!r} is not an executable file")
        return override
    found = shutil.which("espeak-ng")
    if not found:
        raise AlignerMissing("espeak-ng not found: `apt-get install espeak-ng` (Debian/Ubuntu), "
                             "`brew install espeak-ng`, or set SEGPACK_ESPEAK")
    return found


@functools.lru_cache(maxsize=1)
def voices() -> dict[str, str]:
    """{language tag (lower case): voice name} from `espeak-ng --voices`."""
    done = subprocess.run([espeak_path(), "--voices"], capture_output=True, check=False)
    ranked: dict[str, tuple[int, str]] = {}

    def offer(tag: str, priority: int, voice: str) -> None:
        if tag not in ranked or priority < ranked[tag][0]:
            ranked[tag] = (priority, voice)

    for line in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 4 and parts[0].isdigit():
            offer(parts[1].lower(), 0, parts[1])  # a voice is first for its own tag
            for tag, priority in _OTHER.findall(line):  # e.g. en-us answers "en" at 3
                offer(tag.lower(), int(priority), parts[1])
    return {tag: voice for tag, (_, voice) in ranked.items()}


_OTHER = re.compile(r"\((\S+) (\d+)\)")


def voice_for(language: str, override: str | None = None) -> str:
    """The espeak-ng voice for a BCP 47 tag: the tag itself, else language-region, else the
    language alone (`pt-BR` -> `pt-br`, `fa-IR` -> `fa`, `en` -> `en`)."""
    if override:
        return override
    table = voices()
    parts = language.lower().replace("_", "-").split("-")
    for n in range(len(parts), 0, -1):
        tag = "-".join(parts[:n])
        if tag in table:
            return table[tag]
    raise AlignerMissing(f"espeak-ng has no voice for language {language!r}; "
                         "pass --voice NAME (`espeak-ng --voices` lists them)")


@dataclass
class Reference:
    """The synthesised reference: features, and each fragment's first and last frame."""

    mfcc: np.ndarray
    energy: np.ndarray
    starts: list[int]
    ends: list[int]
    seconds: float


def synthesise(fragments: Sequence[str], voice: str,
               progress: Callable[[int], None] | None = None) -> Reference:
    """Speak `fragments` in order; return features and fragment boundaries (in frames)."""
    stream: FeatureStream | None = None
    starts: list[float] = []
    ends: list[float] = []
    at = 0.0
    for batch in _batches(fragments):
        rate, spans = _speak_batch([fragments[i] for i in batch], voice)
        if stream is None:
            stream = FeatureStream(rate)
        for samples, lead, length in spans:
            starts.append(at + lead / rate)
            ends.append(at + (lead + length) / rate)
            stream.feed(samples)
            at += len(samples) / rate
        if progress:
            progress(len(batch))
    if stream is None:
        raise SegpackError("nothing to align: the transcript has no words")
    mfcc, energy = stream.finish()
    hop = stream.hop / stream.rate
    last = len(mfcc) - 1
    return Reference(mfcc, energy, [min(last, round(s / hop)) for s in starts],
                     [min(last, round(e / hop)) for e in ends], at)


def _batches(fragments: Sequence[str]) -> list[list[int]]:
    batches: list[list[int]] = [[]]
    size = 0
    for index, text in enumerate(fragments):
        if batches[-1] and size + len(text) > BATCH_CHARS:
            batches.append([])
            size = 0
        batches[-1].append(index)
        size += len(text)
    return batches


def _run(ssml: str, voice: str) -> tuple[int, np.ndarray]:
    done = subprocess.run([espeak_path(), "-m", "-b", "1", "-v", voice, "--stdout"],
                          input=ssml.encode("utf-8"), capture_output=True, check=False)
    if done.returncode != 0 or len(done.stdout) < 44:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise SegpackError(f"espeak-ng failed with voice {voice!r}: "
                           f"{message[-1] if message else 'exit ' + str(done.returncode)}")
    return _wav(done.stdout)


def _wav(data: bytes) -> tuple[int, np.ndarray]:
    """(rate, int16 samples) from espeak-ng's WAV on stdout (its sizes may be unset)."""
    rate = int.from_bytes(data[24:28], "little")
    start = data.find(b"data", 12) + 8
    raw = data[start:start + (len(data) - start) // 2 * 2]
    return rate, np.frombuffer(raw, dtype="<i2")


def _ssml(texts: Sequence[str]) -> str:
    pause = f'<break time="{BREAK_MS}ms"/>'
    return "<speak>" + pause.join(escape(t) for t in texts) + "</speak>"


def _speak_batch(texts: Sequence[str], voice: str
                 ) -> tuple[int, list[tuple[np.ndarray, int, int]]]:
    """Per fragment: (samples with a short pause before, samples of lead-in, speech length)."""
    rate, samples = _run(_ssml(texts), voice)
    cuts = _breaks(samples, rate)
    if len(cuts) != len(texts) - 1:  # a fragment of its own making long silence: one by one
        return rate, [_one(text, voice) for text in texts]
    bounds = [0, *[(a + b) // 2 for a, b in cuts], len(samples)]
    return rate, [_piece(samples[bounds[k]:bounds[k + 1]], rate) for k in range(len(texts))]


def _one(text: str, voice: str) -> tuple[np.ndarray, int, int]:
    rate, samples = _run(_ssml([text]), voice)
    return _piece(samples, rate)


def _piece(samples: np.ndarray, rate: int) -> tuple[np.ndarray, int, int]:
    """The piece's speech with KEEP / 2 of silence before and after it."""
    loud = np.flatnonzero(samples)
    if not len(loud):
        return _DITHER[:int(KEEP * rate)].copy(), 0, 0
    first, last = int(loud[0]), int(loud[-1]) + 1
    keep = int(KEEP * rate / 2)
    body = np.zeros(last - first + 2 * keep, np.float32)
    body[keep:keep + last - first] = samples[first:last] / np.float32(32768.0)
    # a faint, fixed noise floor: digital silence has no spectrum to compare with a
    # programme's room tone
    body += _DITHER[:len(body)] if len(body) <= len(_DITHER) else \
        np.resize(_DITHER, len(body))
    return body, keep, last - first


_DITHER = (np.random.default_rng(16).standard_normal(1 << 16) * 3e-4).astype(np.float32)


def _breaks(samples: np.ndarray, rate: int) -> list[tuple[int, int]]:
    """(start, end) of every run of exact zeros at least MIN_BREAK long."""
    zero = np.concatenate([[False], samples == 0, [False]])
    edges = np.flatnonzero(zero[1:] != zero[:-1])
    runs = edges.reshape(-1, 2)
    return [(int(a), int(b)) for a, b in runs if b - a >= MIN_BREAK * rate]
