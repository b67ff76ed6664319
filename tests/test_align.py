"""`segpack align` on programmes read by another synthesizer, in four languages.

The programmes are made by `bench/align_programmes.py` (festival for English and Russian,
espeak-ng's Klatt voice with a pitch shift and filters for Spanish and Persian) from the first
sentences of tests/data/align/*.txt, with pauses and a noise bed, so every sentence's true start
is known. Tests skip when espeak-ng, festival or the `align` extra are absent (`.ci/run`
installs them).
"""

from __future__ import annotations

import doctest
import importlib.util
import json
import shutil
import sys
from pathlib import Path

import pytest

pytest.importorskip("numpy")
pytest.importorskip("sentencex")
webvtt = pytest.importorskip("webvtt")

from media.align.cues import MAX_LINE, build_cues  # noqa: E402
from segment.cli import main  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("align_programmes",
                                               ROOT / "bench" / "align_programmes.py")
assert _spec and _spec.loader
programmes = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("align_programmes", programmes)
_spec.loader.exec_module(programmes)

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed (apt-get install espeak-ng)")
SHOW = ("title: Show\ndescription: A show\nlanguage: {lang}\n"
        "feed_url: https://example.org/feed.xml\n"
        # what directories require of a show (SEG407-SEG412)
        "image: {{url: https://example.org/cover.png}}\ncategories: [News]\n"
        "owner: {{name: A Newsroom, email: podcasts@example.org}}\nexplicit: false\n")
SAMPLE = {"en": [[0], [1, 2]], "ru": [[0, 1], [2]], "es": [[0, 1], [2]], "fa": [[0], [1, 2]]}
"""Which sentences of each text the test programmes read (paragraphs of sentence indexes)."""


def _sentences(name: str) -> list[str]:
    return [s for p in programmes.read_text(name) for s in p]


def _paragraphs(lang: str) -> list[list[str]]:
    every = _sentences(lang)
    return [[every[k] for k in para] for para in SAMPLE[lang]]


@pytest.fixture(scope="session")
def made(tmp_path_factory):
    """made(lang, text_name=None) -> (programme.mp3, truth); each made once per session."""
    cache: dict[tuple, tuple] = {}

    def make(lang: str) -> tuple[Path, list]:
        if lang not in cache:
            if not programmes.reader_available(lang) or shutil.which("espeak-ng") is None:
                pytest.skip(f"no reader for {lang}: apt-get install espeak-ng festival "
                            "festvox-kallpc16k festvox-ru")
            out = tmp_path_factory.mktemp(f"programme-{lang}") / f"{lang}.mp3"
            cache[lang] = (out, programmes.make_programme(lang, out,
                                                          paragraphs=_paragraphs(lang)))
        return cache[lang]

    return make


def show_with(tmp_path: Path, lang: str, transcript: str, audio: Path, extra: str = "") -> Path:
    (tmp_path / "segments").mkdir(parents=True)
    (tmp_path / "media").mkdir()
    shutil.copyfile(audio, tmp_path / "media" / "item.mp3")
    (tmp_path / "show.yaml").write_text(SHOW.format(lang=lang), encoding="utf-8")
    manifest = tmp_path / "segments" / "item.md"
    manifest.write_text(
        f"---\nid: item\ntitle: Item\nduration: \"0:40\"\nlanguage: {lang}  # kept\n"
        f"audio:\n  file: media/item.mp3\n{extra}---\n{transcript}\n", encoding="utf-8")
    return manifest


def run_json(capsys, *args: str) -> tuple[int, dict]:
    status = main(["align", *args, "--json"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, json.loads(out) if out.strip() else {"stderr": err}


# -- cues: text only ----------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "ru", "es", "fa"])
def test_cues_follow_sentences_in_two_short_lines(lang):
    """One cue group per sentence (the text files hold one sentence a line), at most two lines
    of at most 42 characters, every cue starting at the start of a word, no word lost."""
    paragraphs = programmes.read_text(lang)
    transcript = programmes.transcript(paragraphs)
    cues = build_cues(transcript, lang)
    lines = [s for p in paragraphs for s in p]
    assert cues[-1].sentence + 1 == len(lines)
    for k, sentence in enumerate(lines):
        assert " ".join(c.spoken for c in cues if c.sentence == k) == sentence
    for cue in cues:
        assert cue.start == 0 or transcript[cue.start - 1].isspace()
        rows = cue.text.split("\n")
        assert len(rows) <= 2
        assert all(len(row) <= MAX_LINE or " " not in row for row in rows), cue.text
    assert [c.spoken for c in cues] == [transcript[c.start:c.end].replace("\n", " ")
                                       for c in cues]


def test_long_sentence_breaks_at_a_phrase_boundary_not_after_an_abbreviation():
    text = ("At a recent press conference, U.S. Defense Secretary Ashton Carter confirmed that "
            "key ISIL leaders were killed by U.S. forces in March.")
    cues = build_cues(text, "en")
    assert len(cues) == 2
    assert cues[0].spoken.endswith("confirmed") or cues[0].spoken.endswith("conference,")
    assert not any(c.text.split("\n")[0].endswith("U.S.") for c in cues)


def test_anchor_doctests_and_forced_cue_start():
    import segment.anchors
    import segment.captions

    assert doctest.testmod(segment.anchors).failed == 0
    assert doctest.testmod(segment.captions).failed == 0
    text = "One sentence here. Another one follows, with the anchor words in the middle."
    offset = segment.anchors.resolve("anchor words", text)
    assert offset in {c.start for c in build_cues(text, "en", (offset,))}


# -- alignment ----------------------------------------------------------------------------------

@needs_espeak
@pytest.mark.parametrize("lang", ["en", "ru", "es", "fa"])
def test_sentence_starts_within_a_quarter_second(lang, made, tmp_path, capsys):
    audio, truth = made(lang)
    manifest = show_with(tmp_path, lang, programmes.transcript(_paragraphs(lang)), audio)
    status, report = run_json(capsys, str(manifest))
    assert status == 0, report
    firsts = {}
    for cue in report["cues"]:
        firsts.setdefault(cue["sentence"], cue["start"])
    assert len(firsts) == len(truth)  # no sentence missing
    for t in truth:
        assert abs(firsts[t.index] - t.start) <= 0.25, (t.text, firsts[t.index], t.start)
    assert report["match"] >= 0.35
    vtt = manifest.with_suffix(".vtt")
    read = webvtt.read(str(vtt))  # a second reader
    assert len(read.captions) == len(report["cues"])
    assert " ".join(c.text.replace("\n", " ") for c in read.captions) == \
        " ".join(t.text for t in truth)
    assert "captions: segments/item.vtt" in manifest.read_text("utf-8")
    assert "language: " + lang + "  # kept" in manifest.read_text("utf-8")


@needs_espeak
def test_rerun_is_a_no_op_and_srt_on_request(made, tmp_path, capsys):
    audio, _ = made("es")
    manifest = show_with(tmp_path, "es", programmes.transcript(_paragraphs("es")), audio)
    assert main(["align", str(manifest), "--srt"]) == 0
    vtt, srt_file = manifest.with_suffix(".vtt"), manifest.with_suffix(".srt")
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (manifest, vtt, srt_file)}
    capsys.readouterr()
    status, report = run_json(capsys, str(manifest), "--srt")
    assert status == 0 and report["status"] == "unchanged"
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in before} == before
    import srt

    subtitles = list(srt.parse(srt_file.read_text("utf-8")))
    assert len(subtitles) == len(webvtt.read(str(vtt)).captions)
    assert main(["validate", str(tmp_path)]) == 0


@needs_espeak
def test_chapters_anchored_to_text_get_aligned_starts(made, tmp_path, capsys):
    audio, truth = made("en")
    chapters = ("chapters:\n  - title: Opening  # first\n    start: 0\n"
                "  - title: Carter on al-Qaduli\n    at: 2\n"
                f"  - title: The quote\n    at: \"{' '.join(truth[2].text.split()[:4])}\"\n")
    manifest = show_with(tmp_path, "en", programmes.transcript(_paragraphs("en")), audio,
                         chapters)
    assert main(["validate", str(manifest)]) == 1  # not aligned yet: SEG506
    assert "SEG506" in capsys.readouterr().out
    status, report = run_json(capsys, str(manifest))
    assert status == 0, report
    starts = [c["start"] for c in report["chapters"]]
    assert abs(starts[0] - truth[1].start) <= 0.25 and abs(starts[1] - truth[2].start) <= 0.25
    text = manifest.read_text("utf-8")
    assert "# first" in text and "at: 2" in text
    assert main(["validate", str(manifest)]) == 0
    from segment.loading import load_segment

    seg = load_segment(manifest).segment
    assert seg is not None
    assert [round(c.start, 2) for c in seg.chapters[1:]] == [round(s, 2) for s in starts]


# -- honest failure -----------------------------------------------------------------------------

def _refused(capsys, manifest: Path) -> str:
    before = manifest.read_bytes()
    status = main(["align", str(manifest)])
    _, err = capsys.readouterr()
    assert status == 1, err
    assert "Traceback" not in err
    assert not manifest.with_suffix(".vtt").exists()
    assert manifest.read_bytes() == before
    assert err.count("\n") == 1 and str(manifest) in err and "captions refused" in err
    return err


@needs_espeak
def test_wrong_audio_is_refused(made, tmp_path, capsys):
    audio, _ = made("ru")  # a Russian programme under an English text
    manifest = show_with(tmp_path, "en", programmes.transcript(_paragraphs("en")), audio)
    assert "does not match the audio" in _refused(capsys, manifest)


@needs_espeak
def test_another_story_in_the_same_language_is_refused(made, tmp_path, capsys):
    audio, _ = made("en")
    other = programmes.transcript(programmes.read_text("en-other"))
    manifest = show_with(tmp_path, "en", other, audio)
    _refused(capsys, manifest)


@needs_espeak
def test_untranslated_text_is_refused(made, tmp_path, capsys):
    audio, _ = made("es")  # the Spanish read, but the manifest kept the English original
    english = programmes.transcript(programmes.read_text("en-other")[:1])
    manifest = show_with(tmp_path, "es", english, audio)
    _refused(capsys, manifest)


def test_no_espeak_is_one_clear_line(tmp_path, capsys, monkeypatch):
    from media.align import espeak

    monkeypatch.setenv("SEGPACK_ESPEAK", str(tmp_path / "no-espeak"))
    espeak.espeak_path.cache_clear()
    tone = tmp_path / "tone.mp3"
    from tests.conftest import make_tone

    make_tone(tone, 1.0)
    manifest = show_with(tmp_path, "en", "Some words here.", tone)
    try:
        assert main(["align", str(manifest)]) == 1
    finally:
        espeak.espeak_path.cache_clear()
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "SEGPACK_ESPEAK" in err and "Traceback" not in err


@needs_espeak
def test_example_captions_are_up_to_date_and_published(tmp_path, capsys):
    example = tmp_path / "example"
    shutil.copytree(ROOT / "examples" / "momentum-against-isil", example)
    manifest = example / "segments" / "momentum-against-isil-builds.md"
    status, report = run_json(capsys, str(manifest))
    assert status == 0 and report["status"] == "unchanged"
    assert main(["build", str(example), "-o", str(tmp_path / "public")]) == 0
    feed = (tmp_path / "public" / "feed.xml").read_text("utf-8")
    assert 'type="text/vtt" language="en" rel="captions"' in feed
    published = webvtt.read(str(tmp_path / "public" / "transcripts" /
                                 "momentum-against-isil-builds.vtt"))
    assert len(published.captions) == len(webvtt.read(str(manifest.with_suffix(".vtt"))).captions)


def test_editing_the_transcript_after_align_makes_validate_warn(tmp_path, capsys):
    """SEG507 needs no aligner: the caption file's note keys the text it was made from."""
    example = tmp_path / "example"
    shutil.copytree(ROOT / "examples" / "momentum-against-isil", example)
    manifest = example / "segments" / "momentum-against-isil-builds.md"
    assert main(["validate", "--format", "json", str(example)]) == 0
    assert "SEG507" not in capsys.readouterr().out
    text = manifest.read_text("utf-8")
    manifest.write_text(text.replace("Ashton Carter confirmed", "Ashton Carter said"), "utf-8")
    assert main(["validate", str(example)]) == 0  # a warning
    out = capsys.readouterr().out
    assert "SEG507" in out and "run `segpack align` again" in out


@needs_espeak
def test_one_refusal_does_not_stop_the_others(made, tmp_path, capsys):
    audio, _ = made("es")
    good = show_with(tmp_path / "a", "es", programmes.transcript(_paragraphs("es")), audio)
    wrong = show_with(tmp_path / "b", "ru", programmes.transcript(_paragraphs("ru")), audio)
    status, reports = run_json(capsys, str(wrong), str(good))
    assert status == 1
    assert [r["status"] for r in reports] == ["refused", "aligned"]
    assert good.with_suffix(".vtt").is_file() and not wrong.with_suffix(".vtt").exists()


@pytest.fixture(scope="session")
def long_es(tmp_path_factory):
    """The whole Spanish text read (15 sentences, ~110 s): long enough to judge 20 s stretches."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng not installed")
    out = tmp_path_factory.mktemp("programme-es-long") / "es.mp3"
    return out, programmes.make_programme("es", out)


@needs_espeak
@pytest.mark.parametrize("order", ["extra-last", "extra-first"])
def test_a_paragraph_the_audio_does_not_read_is_refused(order, long_es, tmp_path, capsys):
    """The whole matches well enough; the part the audio lacks is found and named."""
    audio, _ = long_es
    every, extra = programmes.read_text("es"), programmes.read_text("es-other")
    paragraphs = every + extra if order == "extra-last" else extra + every
    manifest = show_with(tmp_path, "es", programmes.transcript(paragraphs), audio)
    assert "from about" in _refused(capsys, manifest)


def test_without_the_extra_is_one_clear_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "sentencex", None)  # as if not installed
    manifest = tmp_path / "item.md"
    manifest.write_text("---\nid: item\n---\nWords.\n", encoding="utf-8")
    assert main(["align", str(manifest)]) == 1
    err = capsys.readouterr().err
    assert err == ("segpack: segpack align needs the align extra (sentencex is missing): "
                   "pip install 'segpack[align]'\n")
