"""Align a transcript to its audio: cues, espeak-ng's reading of them, DTW, and a verdict.

The match is measured, not assumed. DTW always finds *some* path, so its cost alone says
little (two different synthetic voices are far apart frame by frame anyway). The yardstick
comes from the same run: the reference is cut at its cue boundaries, the pieces shuffled, and
that scrambled reading is aligned to the same audio. Same voice, same language, same sounds,
wrong order: the cost an unrelated text of this language would reach. The true text must beat
it clearly. On the test programmes a right text costs 6-21% less than its scramble; wrong audio,
another language or an untranslated text cost within 1% of theirs.

Parts are judged too, over 20 s stretches of the text: 30 s of text that fit no better than the
scramble (a paragraph the audio does not read) or a stretch crammed into under half the time
its length asks for (text past the end of the reading) refuse the captions, naming the place;
a stretch spread over 1.6 times its time (music, or speech the text lacks) is a warning naming
the place. Not caught: a short paragraph only the audio has (under ~20 s) may pull the next
sentence onto it.

Per cue, the confidence combines how much cheaper its frames are than the scramble's average
and whether its pace stays near the programme's (a cue squeezed into a fraction of its length,
or stretched over a long stretch, is a cue the audio does not have).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from media.align import dtw
from media.align.cues import Cue, build_cues
from media.align.decode import programme_features
from media.align.espeak import synthesise, voice_for
from media.align.features import HOP, normalise

MATCH_FULL = 0.10
"""Gain over the scramble (1 - cost / scramble's cost) that counts as a full match (score 1)."""
MIN_SCORE = 0.35
"""Below this score the captions are refused: the text does not match the audio (right texts
score 0.6-1 on the test programmes; wrong audio, language or text under 0.1)."""
MIN_CUE_CONFIDENCE = 0.1
"""A cue below this confidence counts as unmatched."""
MAX_UNMATCHED = 0.25
"""A warning (not a refusal) when more than this share of cues is unmatched: per-cue
confidence is noisy (a cue is a few seconds of two different voices), so it only points at
places to check, such as paragraphs the audio may not have."""
HANG = 0.2
"""Seconds a cue stays up after its last word, unless the next cue comes sooner."""


@dataclass
class TimedCue:
    cue: Cue
    start: float
    end: float
    confidence: float


@dataclass
class Alignment:
    cues: list[TimedCue]
    score: float
    unmatched: float
    """Share of cues below MIN_CUE_CONFIDENCE."""
    audio_seconds: float
    voice: str
    problem: str = ""
    """Why the captions must not be published ('' when they may)."""
    warnings: list[str] = field(default_factory=list)

    @property
    def acceptable(self) -> bool:
        return not self.problem

    def verdict(self) -> str:
        """Why the captions are refused, in a few words ('' when they are not)."""
        return self.problem


Progress = Callable[[str, float], None]
"""progress(stage, fraction done)."""


def align_transcript(transcript: str, language: str, audio: Path, *, voice: str | None = None,
                     anchors: tuple[int, ...] = (), progress: Progress | None = None
                     ) -> Alignment:
    """Time every cue of `transcript` against the audio file."""
    chosen = voice_for(language, voice)
    cues = build_cues(transcript, language, anchors)
    done = [0]

    def synth_step(count: int) -> None:
        done[0] += count
        if progress:
            progress("synthesis", done[0] / len(cues))

    ref = synthesise([c.spoken for c in cues], chosen, synth_step)
    prog_mfcc, prog_energy, seconds = programme_features(audio)
    if progress:
        progress("decode", 1.0)
    ref_n, prog_n = normalise(ref.mfcc), normalise(prog_mfcc)
    mapping, local = dtw.align(ref_n, prog_n)
    order, where = _scramble(len(ref_n), ref.starts, ref.ends)
    _, scrambled = dtw.align(ref_n[order], prog_n)
    scrambled = scrambled[where]  # back in the reference's own frame order
    if progress:
        progress("alignment", 1.0)
    gain = 1.0 - float(local.mean()) / (float(scrambled.mean()) or 1.0)
    confidences = _confidences(mapping, local, scrambled, ref.starts, ref.ends)
    last_frame = len(prog_mfcc) - 1
    timed = []
    quiet = _quiet(prog_energy)
    for k, cue in enumerate(cues):
        start = _onset(int(mapping[ref.starts[k]]), quiet) * HOP
        end = (min(mapping[ref.ends[k]], last_frame) + 1) * HOP
        timed.append(TimedCue(cue, round(start, 3), round(max(end, start + HOP), 3),
                              round(float(confidences[k]), 3)))
    for k in range(len(timed) - 1):  # stay up a little, never over the next cue
        nxt = timed[k + 1].start
        timed[k].end = round(max(timed[k].start + HOP, min(timed[k].end + HANG, nxt)), 3)
    if timed:
        timed[-1].end = round(min(timed[-1].end + HANG, seconds), 3)
    score = float(np.clip(gain / MATCH_FULL, 0.0, 1.0))
    unmatched = float(np.mean(confidences < MIN_CUE_CONFIDENCE)) if len(confidences) else 1.0
    result = Alignment(timed, round(score, 3), round(unmatched, 3), round(seconds, 3), chosen)
    _judge(result, mapping, local, scrambled, ref.starts, len(prog_mfcc) / max(len(ref_n), 1))
    return result


STRETCH = 500
"""Reference frames (20 s) over which parts of the text are judged on their own."""
MIN_BELOW_RUN = 3
"""Stretches in a row (20 s each, 5 s apart: 30 s of text) that fit no better than the
scramble before the captions are refused. One alone happens on a right text (once in 1,723 on
the 3-hour test programme); an unread paragraph gives a run (6 on the test programmes)."""
MIN_STRETCH_PACE = 0.5
"""A stretch of text squeezed into less than half the audio its length asks for is not read
in this audio (its cues would be crammed together at wrong times): refused."""
MAX_STRETCH_PACE = 1.6
"""A stretch spread over 1.6 times the audio its length asks for: the audio holds something the
text does not (music, an interview): a warning, since the cues around it may still be right."""


def _judge(result: Alignment, mapping: np.ndarray, local: np.ndarray, scrambled: np.ndarray,
           starts: list[int], pace: float) -> None:
    """Fill in `problem` and `warnings`: the whole first, then 20 s stretches of the text
    (a paragraph the audio lacks or has on its own does not sink the whole's score)."""
    if result.score < MIN_SCORE:
        result.problem = (f"the text does not match the audio (match {result.score:.2f}, needs "
                          f"{MIN_SCORE:.2f}): wrong audio, a different reading or an "
                          "untranslated text?")
        return
    n = len(mapping)
    if n >= 2 * STRETCH:
        below = 0
        for a in _window_starts(n, STRETCH):
            b = a + STRETCH
            gain = 1.0 - local[a:b].mean() / max(float(scrambled[a:b].mean()), 1e-9)
            below = below + 1 if gain < 0 else 0
            if below == 1:
                first_below = a
            if below == MIN_BELOW_RUN:
                result.problem = (f"part of the text does not match the audio: from about "
                                  f"{_cue_at(result.cues, starts, first_below)} on, it fits no "
                                  "better than shuffled text (a paragraph this audio does not "
                                  "read, or reads differently?)")
                return
            stretch = (mapping[b - 1] - mapping[a]) / (b - 1 - a) / pace
            if stretch < MIN_STRETCH_PACE:
                result.problem = (f"the audio does not read all of the text: from about "
                                  f"{_cue_at(result.cues, starts, a)} on, the text is crammed "
                                  f"into {stretch:.0%} of the time it needs")
                return
            if stretch > MAX_STRETCH_PACE and not result.warnings:
                result.warnings.append(f"around {_cue_at(result.cues, starts, a)} the audio "
                                       f"runs {stretch:.1f} times longer than the text there: "
                                       "music, or speech the text lacks? check those captions")
    if result.unmatched > MAX_UNMATCHED and len(result.cues) >= 20:
        first = next(c for c in result.cues if c.confidence < MIN_CUE_CONFIDENCE)
        result.warnings.append(f"{result.unmatched:.0%} of the cues match the audio poorly (the "
                               f"first at {first.start:.1f} s: {first.cue.spoken[:40]!r})")


def _window_starts(n: int, size: int) -> list[int]:
    """Starts of windows of `size` frames a quarter apart, the last one flush with the end
    (text the audio lacks is most often at the end)."""
    starts = list(range(0, n - size + 1, size // 4))
    if starts[-1] != n - size:
        starts.append(n - size)
    return starts


def _cue_at(cues: list[TimedCue], starts: list[int], frame: int) -> str:
    """'1:23.4 ("first words of the cue")' for the first cue starting at or after `frame`."""
    from bisect import bisect_left

    k = min(bisect_left(starts, frame), len(cues) - 1)
    cue = cues[k]
    minutes, seconds = divmod(cue.start, 60)
    return f"{int(minutes)}:{seconds:04.1f} ({cue.cue.spoken[:40]!r})"


SNAP_FORWARD = 15
"""Frames (0.6 s) a start found inside a pause may move on to the speech that ends it."""
SNAP_BACK = 8
"""Frames (0.32 s) a start found just after a pause may move back to where the pause ends."""
MIN_PAUSE = 4
"""Frames (0.16 s) of quiet that make a pause."""


def _quiet(energy: np.ndarray) -> np.ndarray:
    """Frames well below the programme's speech level: its noise floor plus a third of the
    way to its loud frames (log energy), so a noise bed or room tone counts as quiet."""
    floor, loud = np.percentile(energy, 5), np.percentile(energy, 95)
    return energy < floor + (loud - floor) / 3


def _onset(frame: int, quiet: np.ndarray) -> int:
    """Move a cue start onto the start of speech when a pause is next to it. DTW matches the
    reference's short pause to some of the programme's longer one, so a start may land a few
    frames inside the pause, or just past its end; sentences start where the pause ends."""
    n = len(quiet)
    if frame < n and quiet[frame]:
        ahead = np.flatnonzero(~quiet[frame:min(n, frame + SNAP_FORWARD)])
        return frame + int(ahead[0]) if len(ahead) else frame
    lo = max(0, frame - SNAP_BACK)
    before = quiet[lo:frame]
    run_end = np.flatnonzero(before)
    if not len(run_end):
        return frame
    end = lo + int(run_end[-1])  # last quiet frame before the start
    start = end
    while start > 0 and quiet[start - 1]:
        start -= 1
    return end + 1 if end - start + 1 >= MIN_PAUSE else frame


def _scramble(count: int, starts: list[int], ends: list[int]
              ) -> tuple[np.ndarray, np.ndarray]:
    """Frame order of the reference with its cues shuffled (a fixed order; cuts midway
    between cues): (order, where each original frame went)."""
    cuts = [0, *[(starts[k] + ends[k - 1]) // 2 for k in range(1, len(starts))], count]
    shuffle = np.random.default_rng(16).permutation(len(starts))
    if len(shuffle) > 1 and (shuffle == np.arange(len(shuffle))).all():
        shuffle = shuffle[::-1]
    order = np.concatenate([np.arange(cuts[k], cuts[k + 1]) for k in shuffle])
    where = np.empty(count, dtype=np.int64)
    where[order] = np.arange(count)
    return order, where


def _confidences(mapping: np.ndarray, local: np.ndarray, scrambled: np.ndarray,
                 starts: list[int], ends: list[int]) -> np.ndarray:
    """Per cue: how much cheaper its frames are on the true path than the same frames on the
    scramble's (scaled so MATCH_FULL is 1), halved for every doubling of its pace away from
    the programme's median pace beyond the first half."""
    spans = [(a, max(b, a + 1)) for a, b in zip(starts, ends, strict=True)]
    last = len(mapping) - 1
    pace = np.array([max(int(mapping[min(b, last)] - mapping[a]), 1) / (b - a)
                     for a, b in spans])
    off = np.abs(np.log2(pace / np.median(pace)))
    gain = np.array([1.0 - float(local[a:b].mean()) / max(float(scrambled[a:b].mean()), 1e-9)
                     for a, b in spans])
    return np.clip(gain / MATCH_FULL, 0.0, 1.0) * 0.5 ** np.maximum(off - 0.5, 0.0)
