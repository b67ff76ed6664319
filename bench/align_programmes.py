"""Test programmes for the aligner: speech whose every sentence start is known.

A programme is read by a *different* synthesizer from the one the aligner uses (espeak-ng
with its default voices and speed), so the aligner never matches its own waveform:

| language | reader |
|---|---|
| en | festival, `kal_diphone` (diphone concatenation; Debian `festival festvox-kallpc16k`) |
| ru | festival, `msu_ru_nsh_clunits` (unit selection from a recorded speaker; `festvox-ru`) |
| es, fa, ... | espeak-ng's Klatt synthesizer (`+klatt3`), 140 wpm, pitch +7%, ffmpeg filters |

Each sentence (one line of the text file; a blank line ends a paragraph) is spoken on its own,
its leading and trailing silence trimmed, so the sentence's true start is the first sample of
its speech. Sentences are joined with random pauses (0.3-1.1 s; 1.0-1.8 s between paragraphs),
after a lead-in, over a pink-noise bed 20 dB below the speech, and encoded to MP3.

    python bench/align_programmes.py LANG OUT.mp3 [TEXT]   # OUT.mp3 and OUT.json (the truth)

TEXT names a file in tests/data/align/ (default: LANG), e.g. `en-other`.

`make_programme` is used by `bench/bench_align.py` and by the tests (on a few sentences). A
programme costs one festival process (the Russian voice alone takes ~1 s to load) and one ffmpeg
run, whatever its number of sentences; each sentence is read and decoded as a run of its own
would (the same bytes as `text2wave` and one ffmpeg a sentence gave).
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import wave
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TEXTS = ROOT / "tests" / "data" / "align"
RATE = 16000
FESTIVAL_VOICES = {"en": "kal_diphone", "ru": "msu_ru_nsh_clunits"}
ESPEAK_READER = {"variant": "+klatt3", "wpm": 140, "pitch": 1.07}


@dataclass
class Truth:
    index: int
    paragraph: int
    text: str
    start: float
    end: float


def read_text(name: str) -> list[list[str]]:
    """Paragraphs of sentences from tests/data/align/NAME.txt (one sentence a line)."""
    paragraphs: list[list[str]] = [[]]
    for line in (TEXTS / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    return [p for p in paragraphs if p]


def transcript(paragraphs: list[list[str]]) -> str:
    """The manifest body: sentences of a paragraph on one line, paragraphs apart."""
    return "\n\n".join(" ".join(p) for p in paragraphs)


def reader_available(lang: str) -> bool:
    if lang in FESTIVAL_VOICES:
        return shutil.which("festival") is not None and _festival_has(FESTIVAL_VOICES[lang])
    return shutil.which("espeak-ng") is not None


def _festival_has(voice: str) -> bool:
    return any(Path("/usr/share/festival/voices").glob(f"*/{voice}"))


def _ffmpeg() -> str:
    sys.path.insert(0, str(ROOT))
    from media.ffmpeg import ffmpeg_path

    return ffmpeg_path()


def _decode_all(paths: list[Path], filters: list[str | None]) -> list[np.ndarray]:
    """Each file as mono float32 samples at RATE, after its `filters` (ffmpeg resamples): one
    ffmpeg run, an output (and a filter graph) per input, so each is as a run of its own."""
    work = paths[0].parent
    args = [_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    for path in paths:
        args += ["-i", str(path)]
    for index, chain in enumerate(filters):
        args += ["-map", f"{index}:a", *(["-af", chain] if chain else []), "-ac", "1",
                 "-ar", str(RATE), "-f", "s16le", str(work / f"decoded-{index}.raw")]
    subprocess.run(args, capture_output=True, check=True)
    return [np.fromfile(work / f"decoded-{index}.raw", dtype="<i2").astype(np.float32) / 32768.0
            for index in range(len(paths))]


FESTIVAL_SCRIPT = """\
(load (path-append datadir "init.scm"))
(gc-status nil)
(defvar fp nil)
(defvar samples 0)
(defvar last_utt nil)
(define (save_wave utt)
  (if (eq? samples 0)
      (wave.save.header fp (utt.wave utt) 'riff nil (list (list "numsamples" 0))))
  (set! samples (+ samples (get_param 'num_samples (wave.info (utt.wave utt)) 0)))
  (wave.save.data.fp (utt.wave utt) fp 'riff nil)
  (set! last_utt utt))
(set! tts_hooks (list utt.synth save_wave))
(define (speak_to infile outfile)
  (set! fp (fopen outfile "wb"))
  (set! samples 0)
  (tts_file infile (tts_find_text_mode infile auto-text-mode-alist))
  (fseek fp 0 0)
  (wave.save.header fp (utt.wave last_utt) 'riff nil (list (list "numsamples" samples)))
  (fclose fp))
"""
"""What festival's `text2wave` does for one text file, as a function: one festival process (and
one load of the voice, ~1 s for the Russian one) reads every sentence of a programme, and each
sentence's WAV has the bytes `text2wave -eval (voice_X) sentence.txt -o sentence.wav` gives."""


def _festival_text(sentence: str) -> str:
    # festival's front ends read ASCII punctuation; curly quotes, guillemets and brackets are
    # spelt out, dropped or (kal, on "[ISIL]. . .") crashed on
    return sentence.replace(". . .", ",").translate(
        str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-",
                       "«": None, "»": None, "[": None, "]": None}))


def _speak_all(lang: str, sentences: list[str], work: Path) -> list[np.ndarray]:
    """Each sentence read on its own (festival in one process, espeak-ng once a sentence),
    then decoded, all in one ffmpeg run."""
    waves = [work / f"sentence-{index}.wav" for index in range(len(sentences))]
    if lang in FESTIVAL_VOICES:
        script = [FESTIVAL_SCRIPT, f"(voice_{FESTIVAL_VOICES[lang]})"]
        for sentence, wav in zip(sentences, waves, strict=True):
            text = wav.with_suffix(".txt")
            text.write_text(_festival_text(sentence) + "\n", encoding="utf-8")
            script.append(f'(speak_to "{text}" "{wav}")')
        (work / "speak.scm").write_text("\n".join(script) + "\n", encoding="utf-8")
        subprocess.run(["festival", "--script", str(work / "speak.scm")], check=True,
                       capture_output=True)
        return _decode_all(waves, [None] * len(waves))
    timbres: list[str | None] = []
    for sentence, wav in zip(sentences, waves, strict=True):
        subprocess.run(["espeak-ng", "-v", lang + ESPEAK_READER["variant"], "-s",
                        str(ESPEAK_READER["wpm"]), "-w", str(wav), sentence],
                       check=True, capture_output=True)
        pitch = ESPEAK_READER["pitch"]
        with wave.open(str(wav)) as w:
            rate = w.getframerate()
        timbres.append(f"asetrate={rate * pitch:.0f},aresample={rate},atempo={1 / pitch:.5f},"
                       "highpass=f=150,lowpass=f=3800,aecho=0.8:0.6:35:0.2")
    return _decode_all(waves, timbres)


def _trim(samples: np.ndarray) -> np.ndarray:
    """Cut leading and trailing silence: 10 ms frames more than 40 dB below the loudest."""
    frame = RATE // 100
    usable = len(samples) // frame * frame
    energy = (samples[:usable].reshape(-1, frame) ** 2).mean(axis=1)
    loud = np.nonzero(energy > energy.max() * 1e-4)[0]
    if not len(loud):
        return samples
    return samples[loud[0] * frame:(loud[-1] + 1) * frame]


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    """Pink noise (1/f power), unit RMS, shaped in the frequency domain."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum))
    spectrum[1:] /= np.sqrt(freqs[1:])
    spectrum[0] = 0
    noise = np.fft.irfft(spectrum, n)
    return (noise / (np.sqrt((noise ** 2).mean()) or 1.0)).astype(np.float32)


def make_programme(lang: str, out: Path, *, paragraphs: list[list[str]] | None = None,
                   seed: int = 16, snr_db: float = 20.0, lead_in: float = 1.5,
                   bitrate: str = "64k") -> list[Truth]:
    """Write the programme to `out` (MP3, or WAV when `out` ends in .wav) and its truth to
    `out` with suffix .json; return the truth."""
    rng = np.random.default_rng(seed)
    pauses = random.Random(seed)
    paragraphs = paragraphs or read_text(lang)
    pieces: list[np.ndarray] = [np.zeros(int(lead_in * RATE), np.float32)]
    truth: list[Truth] = []
    at = len(pieces[0])
    with tempfile.TemporaryDirectory(prefix="segpack-programme-") as tmp:
        spoken = iter(_speak_all(lang, [s for p in paragraphs for s in p], Path(tmp)))
        for p_index, paragraph in enumerate(paragraphs):
            for s_index, sentence in enumerate(paragraph):
                if truth:
                    gap = pauses.uniform(1.0, 1.8) if s_index == 0 else pauses.uniform(0.3, 1.1)
                    pieces.append(np.zeros(int(gap * RATE), np.float32))
                    at += len(pieces[-1])
                speech = _trim(next(spoken))
                speech = 0.25 * speech / (np.sqrt((speech ** 2).mean()) or 1.0)
                truth.append(Truth(len(truth), p_index, sentence, at / RATE,
                                   (at + len(speech)) / RATE))
                pieces.append(speech.astype(np.float32))
                at += len(speech)
        pieces.append(np.zeros(RATE, np.float32))
        signal = np.concatenate(pieces)
        signal += _pink(len(signal), rng) * 0.25 * 10 ** (-snr_db / 20)
        pcm = (np.clip(signal, -1, 1) * 32767).astype("<i2")
        wav = Path(tmp) / "programme.wav"
        with wave.open(str(wav), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm.tobytes())
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".wav":
            shutil.copyfile(wav, out)
        else:
            subprocess.run([_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                            "-i", str(wav), "-c:a", "libmp3lame", "-b:a", bitrate, str(out)],
                           check=True)
    out.with_suffix(".json").write_text(json.dumps([asdict(t) for t in truth], indent=1,
                                                   ensure_ascii=False) + "\n", encoding="utf-8")
    return truth


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print("usage: python bench/align_programmes.py LANG OUT.mp3 [TEXT]", file=sys.stderr)
        return 2
    lang, out = argv[:2]
    if not reader_available(lang):
        print(f"no reader for {lang!r}: apt-get install festival festvox-kallpc16k festvox-ru "
              "espeak-ng", file=sys.stderr)
        return 1
    truth = make_programme(lang, Path(out), paragraphs=read_text(argv[2] if len(argv) > 2
                                                                 else lang))
    print(f"{out}: {len(truth)} sentences, {truth[-1].end:.1f} s of speech")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
