"""The feed layer alone: feedgen + our extensions, asserted with XPath on the produced XML."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from lxml import etree

from feeds.chapters import chapters_document
from feeds.episode import Enclosure, Episode
from feeds.feed import build_feed
from feeds.podcastindex import AlternateEnclosure, Transcript
from feeds.transcripts import timed_files, transcript_html
from feeds.xmltext import clean, has_invalid
from segment.models import Segment, Show

NS = {"podcast": "https://podcastindex.org/namespace/1.0",
      "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}


def show(**extra) -> Show:
    data = {"title": "Show", "description": "About", "language": "en",
            "feed_url": "https://example.org/feed.xml"}
    return Show.model_validate({**data, **extra})


def segment(sid: str = "a", **extra) -> Segment:
    data = {"id": sid, "title": f"Title {sid}", "duration": "1:00", "language": "en",
            "transcript": "Words."}
    return Segment.model_validate({**data, **extra})


def channel(xml: bytes):
    return etree.fromstring(xml).find("channel")


def test_no_dates_means_no_lastbuilddate_and_no_pubdate() -> None:
    xml = build_feed(show(), [Episode(segment())], "https://example.org/")
    ch = channel(xml)
    assert ch.find("lastBuildDate") is None
    assert ch.find("item/pubDate") is None


def test_same_input_same_bytes_whatever_the_order() -> None:
    eps = [Episode(segment(s, published=f"2024-01-0{n}T00:00:00Z"))
           for n, s in enumerate("abc", 1)]
    first = build_feed(show(), eps, "https://example.org/")
    assert build_feed(show(), list(reversed(eps)), "https://example.org/") == first
    assert channel(first).xpath("item/title/text()") == ["Title c", "Title b", "Title a"]
    assert channel(first).findtext("lastBuildDate") == "Wed, 03 Jan 2024 00:00:00 +0000"


@pytest.mark.parametrize("flag", [True, False])
def test_itunes_explicit_is_true_or_false(flag) -> None:
    ch = channel(build_feed(show(explicit=flag), [Episode(segment(explicit=not flag))],
                            "https://example.org/"))
    assert ch.findtext("itunes:explicit", namespaces=NS) == str(flag).lower()
    assert ch.findtext("item/itunes:explicit", namespaces=NS) == str(not flag).lower()


def test_locked_without_owner_and_explicit_guid() -> None:
    ch = channel(build_feed(show(locked=True, guid="1b9e2fb4-5b1b-5d2a-9c71-6bbc1f3b25c0"),
                            [], "https://example.org/"))
    locked = ch.find("podcast:locked", NS)
    assert locked.text == "yes" and locked.get("owner") is None
    assert ch.findtext("podcast:guid", namespaces=NS) == "1b9e2fb4-5b1b-5d2a-9c71-6bbc1f3b25c0"


def test_item_extension_elements() -> None:
    ep = Episode(segment(persons=[{"name": "Host", "href": "https://example.org/host"}]),
                 enclosure=Enclosure("https://example.org/media/a.mp3", 10, "audio/mpeg"),
                 duration=59.6,
                 alternates=[AlternateEnclosure("audio/mpeg", None,
                                                ["https://cdn.example.org/a.mp3"])],
                 transcripts=[Transcript("https://example.org/t/a.vtt", "text/vtt", "en",
                                         "captions")],
                 chapters_url="https://example.org/chapters/a.json",
                 image_url="https://example.org/a.jpg?w=3000")
    item = channel(build_feed(show(), [ep], "https://example.org/")).find("item")
    assert item.findtext("itunes:duration", namespaces=NS) == "60"
    alt = item.find("podcast:alternateEnclosure", NS)
    assert alt.get("length") is None and alt.get("type") == "audio/mpeg"
    assert alt.find("podcast:source", NS).get("uri") == "https://cdn.example.org/a.mp3"
    assert item.xpath("podcast:transcript/@rel", namespaces=NS) == ["captions"]
    assert item.find("podcast:person", NS).get("href") == "https://example.org/host"
    assert item.find("podcast:person", NS).get("role") == "host"
    # feedgen refuses artwork URLs with a query string; ours keeps them
    assert item.xpath("itunes:image/@href", namespaces=NS) == ["https://example.org/a.jpg?w=3000"]


def test_invalid_xml_characters_are_dropped_not_fatal() -> None:
    seg = segment(transcript="ok\x00\x0b\ufffe text")
    assert has_invalid(seg.transcript) and clean(seg.transcript) == "ok text"
    ep = Episode(seg)
    root = etree.fromstring(build_feed(show(), [ep], "https://example.org/"))
    assert root is not None
    page = transcript_html(seg, "Show\x0c")
    assert "\x0c" not in page and "\x00" not in page


def test_chapters_document_shape() -> None:
    seg = segment(chapters=[{"start": 0, "title": "Intro"},
                            {"start": "0:30.5", "title": "Main", "url": "https://e.org/x",
                             "end": 50}])
    doc = chapters_document(seg, "Show")
    assert doc["version"] == "1.2.0" and doc["podcastName"] == "Show"
    assert doc["chapters"] == [{"startTime": 0, "title": "Intro"},
                               {"startTime": 30.5, "title": "Main", "endTime": 50,
                                "url": "https://e.org/x"}]
    json.dumps(doc)


def test_timed_files(tmp_path) -> None:
    srt = tmp_path / "a.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,250\nHi\n", encoding="utf-8")
    files = timed_files(srt)
    assert files[".vtt"][1] == "WEBVTT\n\n00:00:01.000 --> 00:00:02.250\nHi\n"
    assert files[".srt"][0] == "application/x-subrip"
    bad = tmp_path / "b.vtt"
    bad.write_text("not a vtt", encoding="utf-8")
    from segment.errors import PublishError

    with pytest.raises(PublishError, match="WEBVTT"):
        timed_files(bad)


def test_pubdate_keeps_the_timezone() -> None:
    seg = segment(published=datetime(2016, 3, 28, 14, 0, tzinfo=timezone.utc).isoformat())
    item = channel(build_feed(show(), [Episode(seg)], "https://example.org/")).find("item")
    assert item.findtext("pubDate") == "Mon, 28 Mar 2016 14:00:00 +0000"


def test_our_podcast_elements_match_the_official_example(shared_fixtures) -> None:
    """Every podcast:* element and attribute we write appears so in the namespace's own
    example feed (an independent reference, read from /work/shared/fixtures)."""
    official = etree.parse(str(shared_fixtures / "feeds" / "podcastindex-example.xml"))
    known: dict[str, set[str]] = {}
    for node in official.iter(f"{{{NS['podcast']}}}*"):
        known.setdefault(etree.QName(node).localname, set()).update(node.attrib)
    ep = Episode(segment(persons=[{"name": "Host", "href": "https://example.org/host"}]),
                 enclosure=Enclosure("https://example.org/media/a.mp3", 10, "audio/mpeg"),
                 alternates=[AlternateEnclosure("audio/mpeg", 5, ["https://cdn.example.org/a"],
                                                title="Direct link")],
                 transcripts=[Transcript("https://example.org/a.vtt", "text/vtt", "en",
                                         "captions")],
                 chapters_url="https://example.org/a.json")
    ours = etree.fromstring(build_feed(show(locked=True, owner={"name": "O",
                                                                "email": "o@example.org"},
                                            license="cc-by-4.0"), [ep], "https://example.org/"))
    seen = set()
    for node in ours.iter(f"{{{NS['podcast']}}}*"):
        name = etree.QName(node).localname
        seen.add(name)
        assert name in known, name
        assert set(node.attrib) <= known[name], (name, set(node.attrib) - known[name])
    assert {"guid", "locked", "license", "medium", "transcript", "chapters", "person",
            "alternateEnclosure", "source"} <= seen


def test_clean_removes_exactly_what_xml_cannot_carry() -> None:
    """Checked over every code point against XML 1.0's Char production."""
    def xml_char(c: int) -> bool:
        return c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD or \
            0x10000 <= c <= 0x10FFFF

    refused = [c for c in range(0x110000) if has_invalid(chr(c))]
    assert refused == [c for c in range(0x110000) if not xml_char(c)]
