"""Every published time refers to the published file (issue 13 item 4): stings conformed with
pydub, and chapters, captions and soundbites moved by what the build put before the item.

Read back with readers nobody here wrote: ffmpeg decodes the published file (its real length),
mutagen reads the CHAP frames, webvtt-py and srt the captions, json the chapters file."""

from __future__ import annotations

import array
import doctest
import json
import shutil
import wave
from pathlib import Path

import pytest
from lxml import etree

import feeds.captions
import media.stings
import segment.timeline
from media.ffmpeg import run_ffmpeg
from media.stings import MAX_SECONDS, RATE, conformed
from segment.cli import main
from segment.errors import MediaError
from tests.test_build import NS, SHOW_YAML, manifest, run, write_show

pytestmark = pytest.mark.ffmpeg


def generate(path: Path, expression: str, seconds: float, rate: int = RATE,
             channels: int = 1) -> Path:
    """Audio from an ffmpeg `aevalsrc` expression (16-bit WAV unless the suffix says else)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    layout = {1: "mono", 2: "stereo", 6: "5.1"}[channels]
    exprs = "|".join([expression] * channels)
    run_ffmpeg(["-f", "lavfi", "-i", f"aevalsrc={exprs}:s={rate}:d={seconds}:c={layout}",
                *(["-c:a", "pcm_s16le"] if path.suffix == ".wav" else ["-b:a", "96k"]),
                str(path)])
    return path


def decoded_samples(path: Path) -> int:
    """Samples per channel ffmpeg decodes from `path` at 44.1 kHz: its real length."""
    done = run_ffmpeg(["-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(RATE), "-f",
                       "s16le", "pipe:1"])
    return len(done.stdout) // 2


def test_doctests() -> None:
    for module in (media.stings, segment.timeline, feeds.captions):
        assert doctest.testmod(module).failed == 0, module.__name__


# --- stings ------------------------------------------------------------------------------

def test_an_intro_loses_its_leading_digital_silence_and_keeps_its_gap(tmp_path) -> None:
    # 0.5 s of zeros, 1 s of tone, 0.25 s of zeros (the gap before the speech)
    sting = generate(tmp_path / "intro.wav", "between(t\\,0.5\\,1.5)*0.5*sin(2*PI*440*t)",
                     1.75)
    made = conformed(sting, "intro", tmp_path / "cache")
    assert made.channels == 1
    assert abs(made.frames - 1.25 * RATE) <= 2, made.frames
    with wave.open(str(made.path)) as kept:  # a second reader: the stdlib's
        assert kept.getframerate() == RATE and kept.getnframes() == made.frames
        samples = array.array("h", kept.readframes(50))
    assert max(map(abs, samples)) > 0, "starts with its first sound"
    outro = conformed(sting, "outro", tmp_path / "cache")
    assert abs(outro.frames - 1.5 * RATE) <= 2, "an outro keeps its leading gap"


def test_a_stereo_48k_sting_is_resampled_and_a_surround_one_folded(tmp_path) -> None:
    stereo = conformed(generate(tmp_path / "s.wav", "0.3*sin(2*PI*440*t)", 1.0, 48000, 2),
                       "outro", tmp_path / "cache")
    assert stereo.channels == 2 and abs(stereo.frames - RATE) <= 2
    surround = conformed(generate(tmp_path / "s51.flac", "0.3*sin(2*PI*440*t)", 0.5, 48000, 6),
                         "intro", tmp_path / "cache")
    assert surround.channels == 2 and abs(surround.frames - RATE / 2) <= 2


def test_a_sting_is_conformed_once_per_content(tmp_path, monkeypatch) -> None:
    sting = generate(tmp_path / "intro.mp3", "0.3*sin(2*PI*440*t)", 1.0)
    first = conformed(sting, "intro", tmp_path / "cache")
    monkeypatch.setattr(media.stings, "load", lambda *a: pytest.fail("decoded again"))
    assert conformed(sting, "intro", tmp_path / "cache") == first
    generate(sting, "0.3*sin(2*PI*550*t)", 1.0)  # new content, same name
    monkeypatch.undo()
    assert conformed(sting, "intro", tmp_path / "cache").path != first.path


def test_a_long_sting_is_refused_from_its_header_before_decoding(tmp_path, monkeypatch) -> None:
    sting = generate(tmp_path / "programme.wav", "0", MAX_SECONDS + 5)
    calls: list[list[str]] = []
    import media.ffmpeg  # what media.stings decodes with

    original = media.ffmpeg.run_ffmpeg
    monkeypatch.setattr(media.ffmpeg, "run_ffmpeg",
                        lambda args, **kw: calls.append(args) or original(args, **kw))
    with pytest.raises(MediaError) as caught:
        conformed(sting, "intro", tmp_path / "cache")
    message = str(caught.value)
    assert "programme.wav" in message and "at most 60 s" in message and "\n" not in message
    assert all("pipe:1" not in args for args in calls), "nothing was decoded"
    assert not (tmp_path / "cache").exists()


def test_a_silent_sting_is_refused(tmp_path) -> None:
    with pytest.raises(MediaError, match="outro is silent"):
        conformed(generate(tmp_path / "quiet.wav", "0", 1.0), "outro", tmp_path / "cache")


# --- the build ---------------------------------------------------------------------------

CAPTIONS = ("WEBVTT\n\nNOTE timed against the source audio\n\n"
            "00:00:00.000 --> 00:00:03.000\nFirst words.\n\n"
            "00:00:10.000 --> 00:00:11.500 line:90%\nLater words.\n")
SRT = ("1\n00:00:00,000 --> 00:00:03,000\nFirst words.\n\n"
       "2\n00:00:10,000 --> 00:00:11,500\nLater words.\n")


def edited_show(tmp_path: Path, audio: str, *, lead: float = 0.0, captions: str = ".vtt",
                duration: str = "0:12", extra: str = "") -> Path:
    """One 12 s item (after `lead` s of silence) with chapters at 0 and 10 s, a soundbite at
    10 s and captions; show.yaml's `audio:` settings are `audio`."""
    root = tmp_path / "show"
    generate(root / "media" / "item.wav",
             f"between(t\\,{lead}\\,{lead + 12})*0.3*sin(2*PI*330*t)", lead + 12)
    generate(root / "stings" / "intro.wav", "0.4*sin(2*PI*660*t)", 2.0)
    generate(root / "stings" / "outro.wav", "0.4*sin(2*PI*440*t)", 1.0)
    caption_file = root / "segments" / f"item{captions}"
    chapters = ("chapters:\n  - {start: 0, title: Opening}\n"
                "  - {start: 10, title: Later, end: 11.5}\n"
                "soundbites:\n  - {start: 10, duration: 1.5, title: Bite}\n")
    write_show(root, {"item": manifest(
        "item", duration=duration, audio="audio: {file: media/item.wav}\n",
        extra=chapters + f"captions: segments/item{captions}\n" + extra)},
        SHOW_YAML + audio)
    caption_file.write_text(CAPTIONS if captions == ".vtt" else SRT, encoding="utf-8")
    return root


def build(root: Path, out: Path, capsys) -> tuple[int, str, str]:
    return run(root, "-o", out, "--jobs", "1", capsys=capsys)


def chapters_file(out: Path) -> list[dict]:
    return json.loads((out / "chapters" / "item.json").read_text())["chapters"]


def chap_frames(path: Path) -> list[tuple[int, int, str]]:
    from mutagen.id3 import ID3

    tags = ID3(path)
    return sorted((f.start_time, f.end_time, str(f.sub_frames["TIT2"]))
                  for f in tags.getall("CHAP"))


def cue_times(path: Path) -> list[tuple[float, float]]:
    import webvtt

    from segment.timecode import parse_duration

    return [(parse_duration(c.start), parse_duration(c.end)) for c in webvtt.read(str(path))]


def test_a_two_second_intro_moves_every_published_time(tmp_path, capsys) -> None:
    root = edited_show(tmp_path, "audio: {encode: mp3, intro: stings/intro.wav}\n")
    out = tmp_path / "public"
    status, _, err = build(root, out, capsys)
    assert status == 0, err
    published = out / "media" / "item.mp3"
    assert abs(decoded_samples(published) - 14 * RATE) <= RATE * 0.03  # 2 s + 12 s, decoded
    assert [c["startTime"] for c in chapters_file(out)] == [2, 12]
    assert chapters_file(out)[1]["endTime"] == 13.5
    frames = chap_frames(published)
    assert [(s, t) for s, _, t in frames] == [(2000, "Opening"), (12000, "Later")]
    assert frames[1][1] == 13500 and abs(frames[0][1] - 12000) <= 1
    vtt = out / "transcripts" / "item.vtt"
    assert cue_times(vtt) == [(2.0, 5.0), (12.0, 13.5)]
    text = vtt.read_text()
    assert "NOTE timed against the source audio" in text and "line:90%" in text
    feed = etree.parse(str(out / "feed.xml"))
    bite = feed.find(".//podcast:soundbite", NS)
    assert (bite.get("startTime"), bite.get("duration")) == ("12", "1.5")
    duration = feed.findtext(".//itunes:duration", namespaces=NS)
    assert duration == "14"


def test_trimmed_lead_intro_and_outro_add_up_and_srt_follows(tmp_path, capsys) -> None:
    root = edited_show(tmp_path, "audio: {encode: mp3, intro: stings/intro.wav, outro: "
                       "stings/outro.wav, trim_silence: true}\n", lead=1.5, captions=".srt")
    out = tmp_path / "public"
    status, _, err = build(root, out, capsys)
    assert status == 0, err
    # 2 s intro + 12 s item (1.5 s of silence trimmed) + 1 s outro
    total = decoded_samples(out / "media" / "item.mp3") / RATE
    assert abs(total - 15.0) < 0.06, total
    # the chapter at 0 (in the trimmed silence) starts with the item, after the intro; the one
    # at 10 s of the source (8.5 s into the item) at 2 + 8.5
    starts = [c["startTime"] for c in chapters_file(out)]
    assert starts[0] == 2 and abs(starts[1] - 10.5) < 0.05, starts
    frames = chap_frames(out / "media" / "item.mp3")
    assert abs(frames[1][0] - 10500) <= 50
    assert frames[1][1] == 12000  # its end, 11.5 s of the source, moved the same way
    import srt

    cues = list(srt.parse((out / "transcripts" / "item.srt").read_text()))
    assert cues[0].start.total_seconds() == 2.0
    assert abs(cues[1].start.total_seconds() - 10.5) < 0.05
    assert all(c.end.total_seconds() <= total - 1.0 + 0.001 for c in cues), "not over the outro"
    vtt = cue_times(out / "transcripts" / "item.vtt")
    assert [round(s, 1) for s, _ in vtt] == [2.0, 10.5]


@pytest.mark.parametrize(("declared", "flagged"), [
    ("0:12", False),  # the item's own length, as the newsroom's page gives it
    ("0:15", False),  # the published length (intro + item + outro)
    ("0:40", True),
])
def test_seg303_compares_with_the_published_and_the_item_length(tmp_path, capsys, declared,
                                                                 flagged) -> None:
    root = edited_show(tmp_path, "audio: {encode: mp3, intro: stings/intro.wav, outro: "
                       "stings/outro.wav}\n", duration=declared)
    status, _, err = run(root, "-o", tmp_path / "public", "--jobs", "1", "--json",
                         capsys=capsys)
    found = [line for line in err.splitlines() if "SEG303" in line]
    assert bool(status) == flagged, err
    if flagged:  # validate --media says the same (tests/test_one_verdict.py): no copy made
        assert len(found) == 1 and "duration is 0:40 but media/item.wav lasts 0:12 (published " \
            "with its intro/outro: up to 0:15)" in found[0], found
    checked = main(["validate", "--media", str(root)])
    assert bool(checked) == flagged


def test_unedited_copies_keep_their_times_byte_for_byte(tmp_path, capsys) -> None:
    root = edited_show(tmp_path, "audio: {encode: mp3}\n")  # a WAV is not published as is
    out = tmp_path / "public"
    status, _, err = build(root, out, capsys)
    assert status == 0, err
    assert (out / "transcripts" / "item.vtt").read_text() == CAPTIONS
    assert [c["startTime"] for c in chapters_file(out)] == [0, 10]


def test_a_sting_too_long_stops_the_build_in_one_line(tmp_path, capsys) -> None:
    root = edited_show(tmp_path, "audio: {encode: mp3, intro: stings/intro.wav}\n")
    generate(root / "stings" / "intro.wav", "0.1*sin(2*PI*440*t)", MAX_SECONDS + 1)
    status, _, err = build(root, tmp_path / "public", capsys)
    assert status == 1
    lines = [line for line in err.splitlines() if line.strip()]
    assert any("show.yaml: audio.intro: stings/intro.wav: intro lasts 1:01; a sting may last "
               "at most 60 s" in line for line in lines), err
    assert "Traceback" not in err and not (tmp_path / "public").exists()
    shutil.rmtree(tmp_path / ".segpack-cache", ignore_errors=True)
