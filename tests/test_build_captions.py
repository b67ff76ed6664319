# ruff: noqa: F811  (`made`, the aligner tests' programme fixture, is imported to be used)
"""show.yaml `captions: align`: `build` times the text of segments that have audio and text but
no captions, and publishes the captions (issue 16 item 3).

The programmes are read by another synthesizer than the aligner's (festival: `bench/
align_programmes.py`, as in tests/test_align.py), so the cue times are earned. What the build
publishes is read back by readers nobody here wrote: webvtt-py (the captions), feedparser and
podcast-partytime (the feed's podcast:transcript), mutagen (CHAP frames), json (chapters).
Skips where espeak-ng, festival or the align extra are absent (`.ci/run` installs them)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("sentencex")
webvtt = pytest.importorskip("webvtt")

from segment.cli import main  # noqa: E402
from segment.timecode import parse_duration  # noqa: E402
from tests.readers import partytime_read  # noqa: E402
from tests.test_align import _paragraphs, made, programmes  # noqa: E402, F401
from tests.test_published_times import chap_frames, generate  # noqa: E402

pytestmark = [pytest.mark.ffmpeg,
              pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                 reason="espeak-ng not installed (apt-get install espeak-ng)")]

SHOW = ("title: Show\ndescription: A show\nlanguage: en\nfeed_url: https://example.org/feed.xml\n"
        "image: {url: https://example.org/cover.png}\ncategories: [News]\n"
        "owner: {name: A Newsroom, email: podcasts@example.org}\nexplicit: false\n"
        "captions: align\n")
NS = {"podcast": "https://podcastindex.org/namespace/1.0"}


def aligned_show(tmp_path: Path, audio: Path, transcript: str, *, audio_settings: str = "",
                 chapters: str = "", name: str = "item", language: str = "en") -> Path:
    root = tmp_path / "show"
    (root / "segments").mkdir(parents=True, exist_ok=True)
    (root / "media").mkdir(exist_ok=True)
    shutil.copyfile(audio, root / "media" / f"{name}.mp3")
    (root / "show.yaml").write_text(SHOW + audio_settings, encoding="utf-8")
    (root / "segments" / f"{name}.md").write_text(
        f"---\nid: {name}\ntitle: Item\nlanguage: {language}\npublished: 2026-12-01T10:00:00Z\n"
        f"source: {{url: https://example.org/{name}}}\naudio:\n  file: media/{name}.mp3\n"
        f"  direct_link: https://example.org/{name}.mp3\n  length: 1000\n{chapters}"
        f"---\n{transcript}\n",
        encoding="utf-8")
    return root


def build(root: Path, out: Path, capsys, *more: str) -> tuple[int, str]:
    status = main(["build", str(root), "-o", str(out), "--jobs", "1", *more])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return status, captured.out + captured.err


def cue_starts(path: Path) -> list[float]:
    return [parse_duration(c.start) for c in webvtt.read(str(path)).captions]


def test_a_show_that_asks_gets_timed_captions_in_its_feed(made, tmp_path, capsys):
    audio, truth = made("en")
    transcript = programmes.transcript(_paragraphs("en"))
    anchor = " ".join(truth[2].text.split()[:4])
    root = aligned_show(tmp_path, audio, transcript, chapters=(
        "chapters:\n  - {start: 0, title: Opening}\n"
        f"  - {{title: The quote, at: \"{anchor}\"}}\n"))  # no start: the build's alignment
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    out = tmp_path / "public"
    status, said = build(root, out, capsys)
    assert status == 0, said
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before, \
        "the build never writes into the show folder"
    vtt = out / "transcripts" / "item.vtt"
    read = webvtt.read(str(vtt))  # a second reader
    assert " ".join(c.text.replace("\n", " ") for c in read.captions) == \
        " ".join(t.text for t in truth)
    firsts = _sentence_starts(read, truth)
    assert all(abs(start - t.start) <= 0.25 for start, t in zip(firsts, truth, strict=True)), \
        (firsts, [t.start for t in truth])
    chapters = json.loads((out / "chapters" / "item.json").read_text())["chapters"]
    assert chapters[0]["startTime"] == 0
    assert abs(chapters[1]["startTime"] - truth[2].start) <= 0.25
    frames = chap_frames(out / "media" / "item.mp3")
    assert [f[0] for f in frames] == [round(c["startTime"] * 1000) for c in chapters]

    feed = out / "feed.xml"
    import feedparser

    entry = feedparser.parse(str(feed)).entries[0]  # keeps the last podcast:transcript
    assert entry["podcast_transcript"] == {
        "url": "https://example.org/transcripts/item.vtt", "type": "text/vtt",
        "language": "en", "rel": "captions"}
    from lxml import etree

    [tag] = etree.parse(str(feed)).findall(".//podcast:transcript[@type='text/vtt']", NS)
    assert tag.get("rel") == "captions" and tag.get("language") == "en"
    assert tag.get("url").endswith("/transcripts/item.vtt")
    [episode] = partytime_read(feed)["items"]
    [captions] = [t for t in episode["podcastTranscripts"] if t["type"] == "text/vtt"]
    assert captions["rel"] == "captions" and captions["language"] == "en"


def _sentence_starts(read, truth) -> list[float]:
    """The start of the first cue of each sentence (cues are sentences or parts of them)."""
    starts, spoken = [], ""
    sentences = iter(truth)
    wanted = next(sentences)
    for cue in read.captions:
        if not spoken:
            starts.append(parse_duration(cue.start))
        spoken = (spoken + " " + cue.text.replace("\n", " ")).strip()
        if spoken == wanted.text:
            spoken = ""
            wanted = next(sentences, wanted)
    return starts


def test_a_two_second_intro_moves_cues_chapters_and_chap_frames(made, tmp_path, capsys):
    audio, truth = made("en")
    transcript = programmes.transcript(_paragraphs("en"))
    chapters = "chapters:\n  - {start: 0, title: Opening}\n  - {title: Second, at: 2}\n"
    plain = aligned_show(tmp_path / "plain", audio, transcript, chapters=chapters,
                         audio_settings="audio: {encode: mp3}\n")
    status, said = build(plain, tmp_path / "plain-out", capsys)
    assert status == 0, said
    edited = aligned_show(tmp_path / "edited", audio, transcript, chapters=chapters,
                          audio_settings="audio: {encode: mp3, intro: stings/intro.wav}\n")
    generate(edited / "stings" / "intro.wav", "0.4*sin(2*PI*660*t)", 2.0)
    status, said = build(edited, tmp_path / "edited-out", capsys)
    assert status == 0, said

    def published(out: Path) -> tuple[list[float], list[float], list[int]]:
        chapters = json.loads((out / "chapters" / "item.json").read_text())["chapters"]
        return (cue_starts(out / "transcripts" / "item.vtt"),
                [c["startTime"] for c in chapters],
                [f[0] for f in chap_frames(out / "media" / "item.mp3")])

    cues, starts, frames = published(tmp_path / "plain-out")
    moved_cues, moved_starts, moved_frames = published(tmp_path / "edited-out")
    assert abs(starts[1] - truth[1].start) <= 0.25  # paragraph 2 starts with sentence 2
    assert moved_cues == pytest.approx([c + 2 for c in cues], abs=0.0015)
    assert moved_starts == pytest.approx([s + 2 for s in starts], abs=0.0015)
    assert moved_frames == pytest.approx([f + 2000 for f in frames], abs=2)


def test_a_mismatched_segment_is_published_without_captions_and_said_so(made, tmp_path,
                                                                        capsys):
    audio, _ = made("ru")  # a Russian programme under an English text
    transcript = programmes.transcript(_paragraphs("en"))
    root = aligned_show(tmp_path, audio, transcript, chapters=(
        "chapters:\n  - {start: 0, title: Opening}\n  - {title: Second, at: 2}\n"))
    out = tmp_path / "public"
    status, said = build(root, out, capsys)
    assert status == 0, said
    [line] = [row for row in said.splitlines() if "SEG509" in row]
    assert "item.md" in line and "captions not published: the text does not match the audio" \
        in line and "1 chapter(s) anchored to the text left out" in line
    assert not (out / "transcripts" / "item.vtt").exists()
    assert "text/vtt" not in (out / "feed.xml").read_text()
    chapters = json.loads((out / "chapters" / "item.json").read_text())["chapters"]
    assert [c["title"] for c in chapters] == ["Opening"]
    assert [f[2] for f in chap_frames(out / "media" / "item.mp3")] == ["Opening"]
    status, said = build(root, tmp_path / "strict", capsys, "--strict")
    assert status == 1 and "SEG509" in said
    assert not (tmp_path / "strict" / "feed.xml").exists()
    status, said = build(root, tmp_path / "checked", capsys, "--check")  # the same verdict
    assert status == 0 and "captions not published: the text does not match" in said
    assert not (tmp_path / ".segpack-cache" / "checked").exists(), "--check writes nothing"


def test_a_second_build_takes_the_alignment_from_the_cache(made, tmp_path, capsys, monkeypatch):
    audio, _ = made("es")
    transcript = programmes.transcript(_paragraphs("es"))
    root = aligned_show(tmp_path, audio, transcript, language="es")  # read with the Spanish
    show_yaml = SHOW.replace("language: en", "language: es")  # voice (an English one: refused)
    root.joinpath("show.yaml").write_text(show_yaml, encoding="utf-8")
    out = tmp_path / "public"
    status, said = build(root, out, capsys)
    assert status == 0, said
    vtt = (out / "transcripts" / "item.vtt").read_bytes()
    # show.yaml changes (the copy is made again), the text and audio do not: not aligned again
    import feeds.align_step

    def no_alignment(*args, **kwargs):
        raise AssertionError("aligned again")

    monkeypatch.setattr(feeds.align_step, "align_one", no_alignment)
    root.joinpath("show.yaml").write_text(show_yaml.replace("A show", "Another show"),
                                          encoding="utf-8")
    status, said = build(root, out, capsys)
    assert status == 0, said
    assert (out / "transcripts" / "item.vtt").read_bytes() == vtt
    assert "Another show" in (out / "feed.xml").read_text()


def test_segments_align_side_by_side_with_jobs(made, tmp_path, capsys):
    """--jobs 2: the alignments run in worker processes; each segment gets its own."""
    audio_en, _ = made("en")
    audio_es, _ = made("es")
    root = aligned_show(tmp_path, audio_en, programmes.transcript(_paragraphs("en")),
                        name="one")
    aligned_show(tmp_path, audio_es, programmes.transcript(_paragraphs("es")), name="two")
    two = root / "segments" / "two.md"
    two.write_text(two.read_text("utf-8").replace("language: en", "language: es"), "utf-8")
    out = tmp_path / "public"
    status = main(["build", str(root), "-o", str(out), "--jobs", "2"])
    said = capsys.readouterr()
    assert status == 0, said
    for name, lang in (("one", "en"), ("two", "es")):
        words = " ".join(c.text.replace("\n", " ")
                         for c in webvtt.read(str(out / "transcripts" / f"{name}.vtt")).captions)
        assert words == programmes.transcript(_paragraphs(lang)).replace("\n\n", " ")


def test_on_dask_the_build_publishes_what_it_publishes_here(dask_cluster, made, tmp_path,
                                                            capsys):
    """--scheduler: the alignment runs on a Dask worker (a refusal too); the build publishes
    the same captions, chapters and findings as a local build."""
    audio, _ = made("en")
    russian, _ = made("ru")
    outputs = {}
    for where, extra in (("here", ["--jobs", "1"]), ("dask", ["--scheduler",
                                                               dask_cluster.address])):
        chapters = "chapters:\n  - {start: 0, title: Opening}\n  - {title: Second, at: 2}\n"
        root = aligned_show(tmp_path / where, audio, programmes.transcript(_paragraphs("en")),
                            chapters=chapters)
        aligned_show(tmp_path / where, russian, programmes.transcript(_paragraphs("en")),
                     name="wrong")
        out = tmp_path / where / "public"
        status = main(["build", str(root), "-o", str(out), *extra])
        said = capsys.readouterr()
        assert status == 0, said
        outputs[where] = ([row.split(": ", 1)[1] for row in said.err.splitlines()
                           if "SEG509" in row],
                          {name: (out / name).read_bytes() for name in (
                              "transcripts/item.vtt", "chapters/item.json")})
        assert not (out / "transcripts" / "wrong.vtt").exists()
    assert outputs["dask"] == outputs["here"]
    assert len(outputs["here"][0]) == 1 and "wrong.md" not in outputs["here"][0][0]


def test_validate_accepts_anchors_the_build_will_align(made, tmp_path, capsys):
    audio, _ = made("en")
    root = aligned_show(tmp_path, audio, programmes.transcript(_paragraphs("en")),
                        chapters="chapters:\n  - {title: Second, at: 2}\n")
    assert main(["validate", str(root)]) == 0, capsys.readouterr().out
    root.joinpath("show.yaml").write_text(SHOW.replace("captions: align\n", ""), "utf-8")
    assert main(["validate", str(root)]) == 1
    assert "SEG506" in capsys.readouterr().out


def test_without_espeak_the_build_stops_in_one_line(tmp_path, capsys, monkeypatch):
    """A set-up problem, as a missing ffmpeg is: exit status 2, the previous output kept (a
    warning would be kept with the build and outlive installing espeak-ng)."""
    from media.align import espeak
    from tests.conftest import make_tone

    tone = tmp_path / "tone.mp3"
    make_tone(tone, 1.0)
    root = aligned_show(tmp_path, tone, "Some words here.")
    root.joinpath("show.yaml").write_text(SHOW.replace("captions: align", "captions: keep"),
                                          encoding="utf-8")
    out = tmp_path / "public"
    status, said = build(root, out, capsys)
    assert status == 0, said
    feed = (out / "feed.xml").read_bytes()
    root.joinpath("show.yaml").write_text(SHOW, encoding="utf-8")
    monkeypatch.setenv("SEGPACK_ESPEAK", str(tmp_path / "no-espeak"))
    espeak.espeak_path.cache_clear()
    try:
        status, said = build(root, out, capsys)
    finally:
        espeak.espeak_path.cache_clear()
    assert status == 2, said
    assert said.count("\n") == 1 and "captions: align (show.yaml) needs the aligner here: " \
        "SEGPACK_ESPEAK=" in said
    assert (out / "feed.xml").read_bytes() == feed


def test_the_example_built_with_align_publishes_what_segpack_align_committed(tmp_path, capsys):
    """The example's captions were made by `segpack align`; with them taken out and
    `captions: align` in show.yaml, the build publishes the same file, byte for byte."""
    import re

    from tests.conftest import EXAMPLE

    root = tmp_path / "show"
    shutil.copytree(EXAMPLE, root)
    [committed] = (root / "segments").glob("*.vtt")
    expected = committed.read_bytes()
    committed.unlink()
    for manifest in (root / "segments").glob("*.md"):
        manifest.write_text(re.sub(r"(?m)^captions:.*\n", "", manifest.read_text("utf-8")),
                            "utf-8")
    with open(root / "show.yaml", "a", encoding="utf-8") as handle:
        handle.write("captions: align\n")
    status, said = build(root, tmp_path / "public", capsys)
    assert status == 0, said
    assert (tmp_path / "public" / "transcripts" / committed.name).read_bytes() == expected
