"""What a migrated feed brings is published again: the hand-made migration feed (block, complete,
locked with its owner, notes, subtitles, xml:base, Podcasting 2.0 tags, no durations) imported,
built, and read back with lxml, feedparser and podcastparser."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

MIGRATION = Path(__file__).parent / "data" / "feeds" / "migration.xml"
NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
      "podcast": "https://podcastindex.org/namespace/1.0",
      "content": "http://purl.org/rss/1.0/modules/content/",
      "media": "http://search.yahoo.com/mrss/"}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    from feeds.commands import build
    from segment.cli import main

    root = tmp_path_factory.mktemp("migrated")
    show = root / "show"
    assert main(["import", "feed", str(MIGRATION), "-o", str(show), "--owner-email",
                 "owner@example.org", "--feed-url", "https://new.example.org/daily.xml"]) == 0
    notes = show / "segments" / "second-episode.md"  # a producer pastes a script into notes
    notes.write_text(notes.read_text(encoding="utf-8").replace(
        "notes: Plain notes &amp; more.",
        "notes: '<p>Plain notes &amp; more.</p><script>steal()</script>'"), encoding="utf-8")
    result = CliRunner().invoke(build, [str(show), "-o", str(root / "public")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return root / "public" / "feed.xml"


def test_channel_flags_and_the_lock_owner(built):
    channel = etree.parse(str(built)).getroot().find("channel")
    assert channel.findtext("itunes:block", namespaces=NS) == "yes"
    assert channel.findtext("itunes:complete", namespaces=NS) == "yes"
    assert channel.findtext("podcast:block", namespaces=NS) == "yes"
    lock = channel.find("podcast:locked", NS)
    assert lock.text == "yes" and lock.get("owner") == "owner@example.org"
    assert channel.find("podcast:funding", NS).get("url") == "https://www.example.org/give"
    assert channel.findtext("itunes:subtitle", namespaces=NS) == "A daily show"
    assert channel.findtext("{http://www.google.com/schemas/play-podcasts/1.0}author") == \
        "Example Radio"  # kept verbatim


def test_items_carry_what_the_feed_said(built):
    items = {i.findtext("guid"): i for i in etree.parse(str(built)).getroot().iter("item")}
    first = items["https://old-host.example.net/shows/daily/episodes/1/"]  # resolved permalink
    assert first.find("enclosure").get("url") == \
        "https://old-host.example.net/shows/daily/media/ep1.mp3"
    assert first.findtext("itunes:title", namespaces=NS) == "Salmon Return"
    assert first.findtext("itunes:subtitle", namespaces=NS).endswith("blond st…")
    assert first.findtext("itunes:block", namespaces=NS) == "yes"
    assert first.find("itunes:duration", NS) is None  # none in the feed: none invented
    assert first.findtext("author") == "desk@example.org (Martha Lindqvist)"
    content = first.findtext("content:encoded", namespaces=NS)
    assert "<script>" not in content and 'href="https://www.example.org/salmon"' in content
    transcripts = [(t.get("url"), t.get("type"), t.get("language"), t.get("rel"))
                   for t in first.findall("podcast:transcript", NS)]
    assert transcripts == [("https://www.example.org/t/ep1.vtt", "text/vtt", "en", "captions"),
                           ("https://www.example.org/t/ep1.html", "text/html", None, None)]
    assert first.find("podcast:chapters", NS).get("url") == "https://www.example.org/c/ep1.json"
    season, episode = first.find("podcast:season", NS), first.find("podcast:episode", NS)
    assert (season.text, season.get("name")) == ("2", "Rivers")
    assert (episode.text, episode.get("display")) == ("1", "Ep. 1")
    bite = first.find("podcast:soundbite", NS)
    assert (bite.get("startTime"), bite.get("duration"), bite.text) == ("73.5", "30",
                                                                         "The first fish")
    assert first.findtext("podcast:location", namespaces=NS) == "Auburn, Washington"
    assert first.find("podcast:license", NS).get("url") == \
        "https://creativecommons.org/licenses/by/4.0/"
    assert first.find("media:content", NS).get("fileSize") == "4032000"  # verbatim
    second = items["rel/2"]  # isPermaLink="false": never resolved
    assert "<script>" not in second.findtext("description")  # sanitised when built too
    assert second.findtext("itunes:duration", namespaces=NS) == "252"


def test_outside_readers_agree(built):
    import feedparser
    import podcastparser

    parsed = feedparser.parse(built.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [e.id for e in parsed.entries] == ["rel/2",
                                              "https://old-host.example.net/shows/daily/episodes/1/"]
    assert parsed.feed.title == "Tom & Jerry Daily"
    with built.open("rb") as handle:
        podcast = podcastparser.parse("https://new.example.org/daily.xml", handle)
    episodes = {e["guid"]: e for e in podcast["episodes"]}
    first = episodes["https://old-host.example.net/shows/daily/episodes/1/"]
    assert first["enclosures"][0]["url"].endswith("/media/ep1.mp3")
    assert first["total_time"] == 0  # no duration in the feed; podcastparser's "unknown"
