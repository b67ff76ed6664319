"""Property tests: any valid segment survives segment -> tags -> read back (MP3 and Ogg Vorbis)
and segment -> feed -> feedparser / podcastparser with every field equal.

Text comes in any script (letters, marks, numbers, punctuation, symbols and emoji), with the
bidi controls of right-to-left writing; transcripts run to tens of KB and chapters to a hundred.
"""

from __future__ import annotations

import html
import io
import shutil
from datetime import timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from feeds.itunes import ITUNES_NS as ITUNES
from segment.manifest import render_manifest
from segment.models import Chapter, Segment, Show
from tests.conftest import make_tone
from tests.test_build import DIRECTORY_FIELDS
from tests.test_properties import SLUG, URL, WHEN

BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
TEXT = st.text(st.characters(categories=("L", "M", "N", "P", "S", "Zs"),
                             exclude_characters="\u2028\u2029\x85", include_characters=BIDI),
               min_size=1, max_size=60).filter(lambda s: s.strip() == s and s.strip())
RTL = st.text(st.characters(min_codepoint=0x0600, max_codepoint=0x06FF,
                            categories=("L", "M", "N")), min_size=1, max_size=30)
WORDS = st.one_of(TEXT, RTL, st.sampled_from(["😀", "👩🏽‍💻", "🇺🇦", "שלום", "مرحبا", "日本語"]))
SHOW = Show.model_validate({"title": "Property Show", "description": "Any segment.",
                            "language": "en", "feed_url": "https://example.org/p/feed.xml",
                            "author": "Newsroom"})
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


@st.composite
def segments(draw) -> Segment:
    duration = draw(st.integers(min_value=60, max_value=3 * 3600))
    starts = sorted(draw(st.sets(st.integers(min_value=0, max_value=duration - 1),
                                 max_size=draw(st.sampled_from([0, 3, 100])))))
    paragraph = st.lists(WORDS, min_size=1, max_size=20).map(" ".join)
    paragraphs = draw(st.lists(paragraph, min_size=1, max_size=4))
    repeat = draw(st.sampled_from([1, 1, 200]))  # now and then a transcript of tens of KB
    return Segment.model_validate({
        "id": draw(SLUG), "title": draw(WORDS.filter(lambda s: s.strip() == s)),
        "summary": draw(st.none() | TEXT), "duration": float(duration),
        "language": draw(st.sampled_from(["en", "ar", "fa", "he", "zh-Hant", "ru", "ps"])),
        "transcript": "\n\n".join(paragraphs * repeat),
        "published": draw(WHEN.map(lambda d: d.replace(microsecond=0))),
        "audio": {"direct_link": draw(URL) + ".mp3", "length": draw(st.integers(1, 10**9)),
                  "type": "audio/mpeg"},
        "source": {"url": draw(st.none() | URL), "publisher": draw(st.none() | TEXT)},
        "authors": draw(st.lists(TEXT, max_size=3)),
        "chapters": [Chapter(start=float(s), title=draw(TEXT)) for s in starts],
        "season": draw(st.none() | st.integers(1, 99)),
        "episode": draw(st.none() | st.integers(1, 9999)),
        "copyright": draw(st.none() | TEXT),
    })


# --- segment -> tags -> read back -------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("roundtrip-seeds")
    return {suffix: make_tone(folder / f"seed{suffix}", 1.0) for suffix in (".mp3", ".ogg")}


def expected_tags(segment: Segment, family: str) -> dict:
    from media.fieldtable import BY_NAME
    from media.tagging import values_for

    want = {k: v for k, v in values_for(segment, SHOW).items() if getattr(BY_NAME[k], family)}
    if family == "vorbis" and want.get("chapters"):  # Vorbis chapters store no end
        chapters = [dict(c) for c in want["chapters"]]
        for index, chapter in enumerate(chapters):
            chapter["end"] = chapters[index + 1]["start"] if index + 1 < len(chapters) else None
        want["chapters"] = chapters
    return want


@pytest.mark.parametrize(("suffix", "family"), [(".mp3", "id3"), (".ogg", "vorbis")])
@SETTINGS
@given(segment=segments())
def test_segment_tags_read_back(seeds, tmp_path, suffix, family, segment) -> None:
    from media.tagging import read_tags, write_tags

    path = tmp_path / f"item{suffix}"
    shutil.copyfile(seeds[suffix], path)
    write_tags(path, segment, SHOW)
    got = read_tags(path)
    for name, value in expected_tags(segment, family).items():
        if name == "language" and family == "id3":  # TLAN holds ISO 639-2: no script/region
            assert got[name] == value.split("-")[0], name
            continue
        assert got[name] == value, name
    assert write_tags(path, segment, SHOW) == []  # read back equal: nothing left to change


# --- segment -> feed -> feedparser / podcastparser --------------------------------------------

def build_feed(tmp_path: Path, segment: Segment) -> bytes:
    from segment.cli import main

    show = tmp_path / "show"
    if show.exists():
        shutil.rmtree(show)
    (show / "segments").mkdir(parents=True)
    (show / "show.yaml").write_text("title: Property Show\ndescription: Any segment.\n"
                                    "language: en\nauthor: Newsroom\n"
                                    "feed_url: https://example.org/p/feed.xml\n"
                                    + DIRECTORY_FIELDS,
                                    encoding="utf-8")
    data = segment.model_dump(mode="json", exclude={"transcript"}, exclude_defaults=True)
    (show / "segments" / f"{segment.id}.md").write_text(
        render_manifest(data, segment.transcript), encoding="utf-8")
    out = tmp_path / "public"
    shutil.rmtree(out, ignore_errors=True)  # each example is a new show, not the last renamed
    shutil.rmtree(tmp_path / ".segpack-cache", ignore_errors=True)
    assert main(["build", str(show), "-o", str(out), "--jobs", "1", "--quiet"]) == 0
    return (out / "feed.xml").read_bytes()


def feedparser_repairs(text: str) -> bool:
    """feedparser "repairs" text that reads like UTF-8 decoded as Latin-1 or Windows-1252
    ('Â¡' comes back as '¡'), whatever the feed says: such text is checked with lxml only."""
    for codec in ("latin-1", "cp1252"):
        try:
            if text.encode(codec).decode("utf-8") != text:
                return True
        except UnicodeError:
            continue
    return False


@SETTINGS
@given(segment=segments())
def test_segment_feed_read_back(tmp_path, capsys, segment) -> None:
    import feedparser
    import podcastparser

    feed = build_feed(tmp_path, segment)
    capsys.readouterr()
    parsed = feedparser.parse(feed)
    assert not parsed.bozo, parsed.bozo_exception
    entry = parsed.entries[0]
    if not feedparser_repairs(segment.title):
        assert entry.title == segment.title
    assert entry.id == segment.item_guid
    assert entry.get("link") == (segment.source.url or entry.get("link"))
    assert entry.published_parsed[:6] == segment.published.astimezone(timezone.utc) \
        .timetuple()[:6]
    assert entry.enclosures[0].href == segment.audio.direct_link
    assert int(entry.enclosures[0].length) == segment.audio.length
    assert int(entry.itunes_duration) == round(segment.duration)
    summary = segment.summary or segment.title
    if not feedparser_repairs(summary):
        assert html.unescape(entry.description).startswith(f"<p>{summary}</p>")
    if segment.episode is not None:
        assert int(entry.itunes_episode) == segment.episode
    if segment.season is not None:
        assert int(entry.itunes_season) == segment.season
    author = ", ".join(segment.authors) or segment.source.publisher
    if author and not feedparser_repairs(author):
        assert entry.author == author
    item_element = etree.fromstring(feed).find("channel/item")  # lxml reads text as written
    assert item_element.findtext("title") == segment.title
    assert html.unescape(item_element.findtext("description")).startswith(f"<p>{summary}</p>")
    if author:
        assert item_element.findtext(f"{{{ITUNES}}}author") == author

    episode = podcastparser.parse("https://example.org/p/feed.xml", io.BytesIO(feed))
    item = episode["episodes"][0]
    assert item["title"] == " ".join(segment.title.split())  # podcastparser squashes spaces
    assert item["guid"] == segment.item_guid
    assert item["published"] == int(segment.published.timestamp())
    assert item["total_time"] == round(segment.duration)
    assert item["enclosures"][0]["url"] == segment.audio.direct_link
    assert item["enclosures"][0]["file_size"] == segment.audio.length
    if segment.source.url:
        assert item["link"] == segment.source.url
    transcripts = {t["url"] for t in item.get("transcripts", [])}
    assert not transcripts or f"https://example.org/p/transcripts/{segment.id}.txt" in transcripts
    if segment.chapters:
        import json

        chapters = json.loads((tmp_path / "public" / "chapters" / f"{segment.id}.json")
                              .read_text("utf-8"))["chapters"]
        assert [(c["startTime"], c["title"]) for c in chapters] == \
            [(c.start, c.title) for c in segment.chapters]
    text = (tmp_path / "public" / "transcripts" / f"{segment.id}.txt").read_text("utf-8")
    assert text.strip() == segment.transcript.strip()
