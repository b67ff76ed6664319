"""`segpack build` end to end on real audio: every feed is read back by feedparser,
podcastparser and lxml, and every published file is checked against what the feed says."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from lxml import etree

from segment.cli import main
from tests.conftest import EXAMPLE

NS = {"podcast": "https://podcastindex.org/namespace/1.0",
      "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
      "atom": "http://www.w3.org/2005/Atom"}
SHOW_YAML = """\
title: Test Show
description: Segments for the build tests
language: en
link: https://example.org/
author: Test Newsroom
owner: {name: Test Owner, email: owner@example.org}
categories: [News, News/Politics]
explicit: false
feed_url: https://example.org/show/feed.xml
media_base_url: https://example.org/show/
license: cc-by-4.0
image: {url: https://example.org/show/cover.png}
"""
IMAGE_LINE = "image: {url: https://example.org/show/cover.png}\n"
DIRECTORY_FIELDS = ("categories: [News]\nowner: {name: Test Owner, email: owner@example.org}\n"
                    "explicit: false\n" + IMAGE_LINE)
"""What podcast directories require of show.yaml (SEG407-SEG412): a build refuses a show
without it, as validate does."""


def manifest(sid: str, *, title: str | None = None, duration: str = "0:02",
             published: str | None = "2024-03-01T09:00:00Z", audio: str = "",
             extra: str = "", body: str = "A short transcript.\n\nA second paragraph.") -> str:
    lines = [f"id: {sid}", f"title: {title or 'Title of ' + sid}",
             f"summary: Summary of {sid}.", f'duration: "{duration}"', "language: en"]
    if published:
        lines.append(f"published: {published}")
    text = "\n".join(lines) + "\n" + audio + extra
    return f"---\n{text}---\n{body}\n"


def write_show(root: Path, manifests: dict[str, str], show_yaml: str = SHOW_YAML) -> Path:
    (root / "segments").mkdir(parents=True, exist_ok=True)
    (root / "show.yaml").write_text(show_yaml, encoding="utf-8")
    for sid, text in manifests.items():
        (root / "segments" / f"{sid}.md").write_text(text, encoding="utf-8")
    return root


def run(*args: str, capsys=None) -> tuple[int, str, str]:
    code = main(["build", *map(str, args)])
    if capsys is None:
        return code, "", ""
    out, err = capsys.readouterr()
    return code, out, err


def build_json(show: Path, out: Path, capsys, *extra: str) -> dict:
    code, stdout, stderr = run(show, "-o", out, "--json", "--jobs", "1", *extra, capsys=capsys)
    assert code == 0, stderr
    return json.loads(stdout)


def parse(feed: Path):
    return etree.parse(str(feed))


@pytest.fixture
def audio_show(tmp_path, tone) -> Path:
    """Two local-audio segments (mp3 with a direct link, m4a with chapters and captions) and
    one direct-link-only segment."""
    root = tmp_path / "show"
    media = root / "media"
    media.mkdir(parents=True)
    shutil.move(tone(".mp3", seconds=2.0), media / "one.mp3")
    shutil.move(tone(".m4a", seconds=3.0), media / "two.m4a")
    (media / "two.srt").write_text("1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n"
                                   "2\n00:00:01,500 --> 00:00:03,000\nGoodbye.\n",
                                   encoding="utf-8")
    write_show(root, {
        "one": manifest("one", audio="audio:\n  file: media/one.mp3\n"
                        "  direct_link: https://news.example.org/a/one.mp3\n"
                        "  length: 12345\n  type: audio/mpeg\n",
                        extra="source: {url: 'https://news.example.org/one.html'}\n"
                        "persons:\n  - {name: Ann Reporter, role: reporter}\n"
                        "episode: 1\nseason: 2\n"),
        "two": manifest("two", duration="0:03", published="2024-03-02T09:00:00Z",
                        audio="audio: {file: media/two.m4a}\n",
                        extra="captions: media/two.srt\nchapters:\n"
                        "  - {start: 0, title: Opening}\n  - {start: '0:01.5', title: End}\n"),
        "three": manifest("three", duration="1:40", published="2024-02-01T09:00:00Z",
                          audio="audio:\n  direct_link: https://news.example.org/a/three.mp3\n"
                          "  length: 1600000\n  type: audio/mpeg\n"),
    })
    return root


def test_built_feed_reads_back_with_three_parsers(audio_show, tmp_path, capsys) -> None:
    import feedparser
    import podcastparser

    from media.probe import probe

    out = tmp_path / "public"
    summary = build_json(audio_show, out, capsys)
    assert summary["episodes"] == 3 and summary["media_made"] == 2
    feed = out / "feed.xml"

    parsed = feedparser.parse(str(feed))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert len(parsed.entries) == 3
    with open(feed, "rb") as handle:
        pod = podcastparser.parse("https://example.org/show/feed.xml", handle)
    assert len(pod["episodes"]) == 3
    tree = parse(feed)
    items = tree.findall("channel/item")
    guids = [i.findtext("guid") for i in items]
    assert len(set(guids)) == 3
    assert {e.id for e in parsed.entries} == set(guids)
    assert {e["guid"] for e in pod["episodes"]} == set(guids)

    for item in items:
        enclosure = item.find("enclosure")
        url, length = enclosure.get("url"), int(enclosure.get("length"))
        if url.startswith("https://example.org/show/media/"):
            published = out / "media" / url.rsplit("/", 1)[1]
            assert published.stat().st_size == length
            info = probe(published, accurate=True)
            assert enclosure.get("type") == info.mime
            duration = int(item.findtext("itunes:duration", namespaces=NS))
            assert abs(duration - info.duration) <= 1
        else:  # direct link only: length and type from the manifest
            assert url == "https://news.example.org/a/three.mp3"
            assert length == 1600000 and enclosure.get("type") == "audio/mpeg"
            assert item.findtext("itunes:duration", namespaces=NS) == "100"
        for transcript in item.findall("podcast:transcript", NS):
            rel = transcript.get("url").removeprefix("https://example.org/show/")
            assert (out / rel).is_file(), rel
        chapters = item.find("podcast:chapters", NS)
        if chapters is not None:
            doc = json.loads((out / chapters.get("url").removeprefix(
                "https://example.org/show/")).read_text(encoding="utf-8"))
            assert doc["version"].startswith("1.") and doc["chapters"][0]["startTime"] == 0
    # every feed parser sees the same durations and enclosure sizes
    by_guid = {e["guid"]: e for e in pod["episodes"]}
    for item in items:
        episode = by_guid[item.findtext("guid")]
        assert episode["enclosures"][0]["file_size"] == int(item.find("enclosure").get("length"))
        assert episode["total_time"] == int(item.findtext("itunes:duration", namespaces=NS))


def test_namespace_output(audio_show, tmp_path, capsys) -> None:
    from segment.models import Show

    out = tmp_path / "public"
    build_json(audio_show, out, capsys)
    tree = parse(out / "feed.xml")
    channel = tree.find("channel")
    show = Show.model_validate(__import__("yaml").safe_load(SHOW_YAML))
    assert channel.findtext("podcast:guid", namespaces=NS) == show.podcast_guid
    assert channel.xpath("podcast:locked/@owner", namespaces=NS) == ["owner@example.org"]
    assert channel.findtext("podcast:license", namespaces=NS) == "cc-by-4.0"
    assert channel.findtext("podcast:medium", namespaces=NS) == "podcast"
    assert channel.findtext("itunes:explicit", namespaces=NS) == "false"
    assert channel.xpath("atom:link[@rel='self']/@href", namespaces=NS) == [
        "https://example.org/show/feed.xml"]
    assert channel.xpath("itunes:category/@text", namespaces=NS) == ["News"]
    assert channel.xpath("itunes:category/itunes:category/@text", namespaces=NS) == ["Politics"]
    assert channel.findtext("generator").startswith("segpack")
    # newest first; lastBuildDate is the newest segment date, not the clock
    assert channel.findtext("lastBuildDate") == "Sat, 02 Mar 2024 09:00:00 +0000"
    titles = channel.xpath("item/title/text()")
    assert titles == ["Title of two", "Title of one", "Title of three"]

    one = channel.xpath("item[title='Title of one']")[0]
    alt = one.xpath("podcast:alternateEnclosure", namespaces=NS)
    assert len(alt) == 1 and alt[0].get("type") == "audio/mpeg" and alt[0].get("length") == "12345"
    assert alt[0].xpath("podcast:source/@uri", namespaces=NS) == [
        "https://news.example.org/a/one.mp3"]
    assert one.find("enclosure").get("url") == "https://example.org/show/media/one.mp3"
    assert one.findtext("link") == "https://news.example.org/one.html"
    assert one.xpath("guid/@isPermaLink") == ["false"]
    assert one.findtext("itunes:episode", namespaces=NS) == "1"
    assert one.findtext("itunes:season", namespaces=NS) == "2"
    assert one.xpath("podcast:person[@role='reporter']/text()", namespaces=NS) == ["Ann Reporter"]
    description = one.findtext("description")
    assert description.index("Summary of one") < description.index("transcripts/one.html") \
        < description.index("https://news.example.org/a/one.mp3")
    assert sorted(one.xpath("podcast:transcript/@type", namespaces=NS)) == [
        "text/html", "text/plain"]

    two = channel.xpath("item[title='Title of two']")[0]
    assert two.find("enclosure").get("type") == "audio/x-m4a"  # Apple's type for M4A
    assert two.xpath("podcast:chapters/@type", namespaces=NS) == ["application/json+chapters"]
    captions = two.xpath("podcast:transcript[@rel='captions']/@type", namespaces=NS)
    assert sorted(captions) == ["application/x-subrip", "text/vtt"]
    vtt = (out / "transcripts" / "two.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT") and "00:00:01.500 --> 00:00:03.000" in vtt


def test_published_audio_carries_the_tags_and_the_source_is_untouched(audio_show, tmp_path,
                                                                       capsys) -> None:
    from media.tagging import read_tags

    before = (audio_show / "media" / "one.mp3").read_bytes()
    build_json(audio_show, tmp_path / "public", capsys)
    assert (audio_show / "media" / "one.mp3").read_bytes() == before
    tags = read_tags(tmp_path / "public" / "media" / "one.mp3")
    assert "Title of one" in json.dumps(tags, default=str)


def test_rebuild_is_byte_identical_and_cached(audio_show, tmp_path, capsys) -> None:
    out = tmp_path / "public"
    build_json(audio_show, out, capsys)
    first = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    again = build_json(audio_show, out, capsys)
    assert again["up_to_date"]
    # touch a manifest: a real rebuild, still byte-identical, media from the cache
    manifest_path = audio_show / "segments" / "one.md"
    manifest_path.write_text(manifest_path.read_text(encoding="utf-8"), encoding="utf-8")
    inode = (out / "transcripts" / "two.txt").stat().st_ino
    third = build_json(audio_show, out, capsys)
    # unchanged files are linked from the previous output, not written again
    assert (out / "transcripts" / "two.txt").stat().st_ino == inode
    assert not third["up_to_date"] and third["media_made"] == 0 and third["media_cached"] == 2
    assert third["manifests_parsed"] == 1
    # and without any cache at all
    shutil.rmtree(tmp_path / ".segpack-cache")
    build_json(audio_show, out, capsys)
    second = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert first == second


def test_an_m4a_copy_cached_by_an_older_segpack_is_published_as_audio_x_m4a(
        audio_show, tmp_path, capsys) -> None:
    """Older cache entries recorded the type as probe then said it (audio/mp4) and no
    container: the copy's first bytes give its container, and the table its type."""
    out = tmp_path / "public"
    build_json(audio_show, out, capsys)
    [info] = [p for p in (tmp_path / ".segpack-cache").rglob("info.json")
              if json.loads(p.read_text())["mime"] == "audio/x-m4a"]
    old = json.loads(info.read_text())
    del old["container"]
    info.write_text(json.dumps({**old, "mime": "audio/mp4"}))
    manifest_path = audio_show / "segments" / "two.md"
    manifest_path.write_text(manifest_path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert build_json(audio_show, out, capsys)["media_cached"] == 2
    two = parse(out / "feed.xml").xpath("channel/item[title='Title of two']")[0]
    assert two.find("enclosure").get("type") == "audio/x-m4a"


def test_editing_a_title_keeps_the_guid(audio_show, tmp_path, capsys) -> None:
    out = tmp_path / "public"
    build_json(audio_show, out, capsys)
    guid = parse(out / "feed.xml").xpath("channel/item[title='Title of one']/guid/text()")
    path = audio_show / "segments" / "one.md"
    path.write_text(path.read_text(encoding="utf-8").replace("title: Title of one",
                                                             "title: A New Title"), "utf-8")
    summary = build_json(audio_show, out, capsys)
    assert summary["media_made"] == 1  # the tags changed, so the copy is re-tagged
    tree = parse(out / "feed.xml")
    assert tree.xpath("channel/item[title='A New Title']/guid/text()") == guid


def test_jobs_two_gives_the_same_feed(audio_show, tmp_path, capsys) -> None:
    # encoding is the work --jobs spreads over processes
    show_yaml = audio_show / "show.yaml"
    show_yaml.write_text(show_yaml.read_text(encoding="utf-8") + "audio: {encode: mp3}\n",
                         encoding="utf-8")
    summary = build_json(audio_show, tmp_path / "a", capsys, "--jobs", "2")
    assert summary["media_made"] == 2
    assert (tmp_path / "a" / "media" / "two.mp3").is_file()  # the m4a was encoded to MP3
    build_json(audio_show, tmp_path / "b", capsys)
    assert (tmp_path / "a" / "feed.xml").read_bytes() == (tmp_path / "b" / "feed.xml").read_bytes()


def test_example_show_builds_and_prints_where_the_feed_is(tmp_path, capsys) -> None:
    show = tmp_path / "example"
    shutil.copytree(EXAMPLE, show)
    code, out, err = run(show, "-o", tmp_path / "public", capsys=capsys)
    assert code == 0, err
    assert f"feed: {(tmp_path / 'public' / 'feed.xml').resolve()}" in out
    assert "SEG210" in err  # no publication date: a warning, and no invented pubDate
    tree = parse(tmp_path / "public" / "feed.xml")
    assert tree.xpath("channel/item/pubDate") == []
    assert tree.xpath("channel/lastBuildDate") == []
    code, _, err = run(show, "-o", tmp_path / "public", "--strict", capsys=capsys)
    assert code == 1 and "--strict" in err


def test_direct_link_only_with_unknown_size(tmp_path, capsys) -> None:
    show = write_show(tmp_path / "show", {"x": manifest(
        "x", audio="audio: {direct_link: 'https://news.example.org/x.mp3'}\n")})
    code, _, err = run(show, "-o", tmp_path / "public", capsys=capsys)
    assert code == 0 and "SEG307" in err
    enclosure = parse(tmp_path / "public" / "feed.xml").find("channel/item/enclosure")
    assert enclosure.get("length") == "0" and enclosure.get("type") == "audio/mpeg"
    assert enclosure.get("url") == "https://news.example.org/x.mp3"
    assert run(show, "-o", tmp_path / "public", "--strict", capsys=capsys)[0] == 1


def test_drafts_are_skipped(tmp_path, capsys) -> None:
    link = ("audio: {direct_link: 'https://n.example.org/a.mp3', length: 10}\n"
            "source: {url: 'https://n.example.org/a.html'}\n")
    show = write_show(tmp_path / "show", {"a": manifest("a", audio=link),
                                          "b": manifest("b", audio=link, extra="draft: true\n",
                                                        published=None)})
    summary = build_json(show, tmp_path / "public", capsys, "--strict")
    assert summary["episodes"] == 1 and summary["drafts"] == 1
    assert parse(tmp_path / "public" / "feed.xml").xpath("channel/item/title/text()") == [
        "Title of a"]


def test_check_writes_nothing(audio_show, tmp_path, capsys) -> None:
    code, out, err = run(audio_show, "-o", tmp_path / "public", "--check", capsys=capsys)
    assert code == 0, err
    assert "check passed: 3 episodes" in out
    assert not (tmp_path / "public").exists()
    assert not (tmp_path / ".segpack-cache").exists()


def test_control_characters_and_big_transcript(tmp_path, capsys) -> None:
    import feedparser

    body = "Bell\x07 form feed\x0c and U+FFFE \ufffe survive.\n\n" + (
        "A long transcript paragraph with words. " * 50 + "\n\n") * 1000
    assert len(body.encode()) > 2_000_000
    show = write_show(tmp_path / "show", {"c": manifest(
        "c", audio="audio: {direct_link: 'https://n.example.org/c.mp3', length: 10}\n",
        body=body)})
    code, _, err = run(show, "-o", tmp_path / "public", capsys=capsys)
    assert code == 0, err
    assert "SEG214" in err
    parsed = feedparser.parse(str(tmp_path / "public" / "feed.xml"))
    assert not parsed.bozo
    text = (tmp_path / "public" / "transcripts" / "c.txt").read_text(encoding="utf-8")
    assert "\x07" not in text and len(text) > 2_000_000
    html = (tmp_path / "public" / "transcripts" / "c.html").read_text(encoding="utf-8")
    etree.parse(io.StringIO(html), etree.HTMLParser())
