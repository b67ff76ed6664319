"""A show using every field (tests/data/every-field), built and read back by readers nobody here
wrote: the W3C feed validator's checks, podcast-partytime (the Podcasting 2.0 parser podcast
apps use), feedparser and podcastparser. Every value they read must be the manifest's."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from email.utils import parsedate_to_datetime
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from feeds.feed import NAMESPACES
from media.fieldtable import FIELDS, field_values
from segment.cli import main
from segment.loading import load_segment, load_show_file
from segment.models import Segment, Show
from tests.conftest import make_tone
from tests.media_helpers import png
from tests.readers import partytime_read, w3c_check

DATA = Path(__file__).parent / "data" / "every-field"
IDS = ("first-light", "second-wind")


def make_show(folder: Path) -> Path:
    """The every-field show with its media made here: 3 s tones and 1400 px artwork."""
    shutil.copytree(DATA, folder)
    (folder / "media").mkdir()
    for name in ("first-light.mp3", "second-wind.mp3", "first-light.ogg"):
        make_tone(folder / "media" / name, 3.0)
    (folder / "art").mkdir()
    (folder / "art" / "cover.png").write_bytes(png(1400))
    (folder / "art" / "first-light.png").write_bytes(png(1500))
    return folder


class Built:
    def __init__(self, root: Path, out: Path):
        self.root, self.out, self.feed = root, out, out / "feed.xml"
        show, _ = load_show_file(root / "show.yaml")
        assert show is not None
        self.show: Show = show
        self.segments: dict[str, Segment] = {}
        for sid in IDS:
            loaded = load_segment(root / "segments" / f"{sid}.md")
            assert loaded.segment is not None, loaded.findings
            self.segments[sid] = loaded.segment

    def local(self, url: str) -> Path:
        """The output file a URL of the feed points at."""
        assert self.show.media_base_url and url.startswith(self.show.media_base_url), url
        return self.out / url.removeprefix(self.show.media_base_url)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Built:
    base = tmp_path_factory.mktemp("every-field")
    root = make_show(base / "show")
    assert main(["validate", "--media", "--strict", str(root)]) == 0
    assert main(["build", str(root), "-o", str(base / "public")]) == 0
    return Built(root, base / "public")


def test_validate_and_build_say_nothing(built: Built, capsys) -> None:
    """Every field, each set as directories want it: no finding from validate or build."""
    assert main(["validate", "--media", str(built.root)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().err


def test_w3c_validator_finds_no_error(built: Built) -> None:
    result = w3c_check(built.feed)
    assert result["errors"] == []
    # Podlove Simple Chapters (psc:chapters, beside podcast:chapters: gPodder, AntennaPod and
    # podcastparser read them inline) is a namespace the validator does not know: a note
    # about the validator, not the feed. Nothing else may be warned of.
    assert [w for w in result["warnings"]
            if "unknown namespace: http://podlove.org/simple-chapters" not in w] == []


def _people(seg: Segment) -> list[dict[str, Any]]:
    return [{k: v for k, v in {"name": p.name, "role": p.role.title(), "group": p.group.title(),
                               "href": p.href, "img": p.img}.items() if v is not None}
            for p in seg.persons]


def test_partytime_reads_every_field_as_written(built: Built) -> None:
    show, segs = built.show, built.segments
    feed = partytime_read(built.feed)
    assert feed["title"] == show.title and feed["description"] == show.description
    assert feed["guid"] == show.podcast_guid
    assert feed["locked"] is True and feed["podcastOwner"] == show.owner.email
    assert feed["author"] == show.author and feed["subtitle"] == show.subtitle
    assert feed["owner"] == {"name": show.owner.name, "email": show.owner.email}
    assert feed["copyright"] == show.copyright and feed["itunesType"] == "serial"
    assert feed["itunesCategory"] == ["News > Politics", "Technology"]
    assert built.local(feed["itunesImage"]).read_bytes() == \
        (built.root / show.image.file).read_bytes()
    assert feed["license"] == {"identifier": show.license, "url": show.license_url}
    assert feed["podcastFunding"] == [{"message": f.text, "url": f.url} for f in show.funding]
    assert feed["podcastLocation"]["name"] == show.locations[0].name
    assert [t["url"] for t in feed["trailers"]] == [t.url for t in show.trailers]
    assert [r["address"] for r in feed["value"]["recipients"]] == \
        [r.address for r in show.value.recipients]
    assert feed["pubsub"]["self"] == show.feed_url

    items = {item["guid"]: item for item in feed["items"]}
    assert list(items) == [segs["second-wind"].item_guid, segs["first-light"].item_guid]
    for seg in segs.values():
        item = items[seg.item_guid]
        assert item["title"] == seg.title and item["summary"] == seg.summary
        assert item["link"] == seg.source.url
        assert datetime.fromisoformat(item["pubDate"].replace("Z", "+00:00")) == seg.published
        assert item["duration"] == 3 and item["explicit"] is bool(seg.explicit)
        assert item["itunesSeason"] == seg.season and item["itunesEpisode"] == seg.episode
        assert item["podcastSeason"]["number"] == seg.season
        assert item["podcastEpisode"]["number"] == seg.episode
        assert item.get("podcastPeople") == _people(seg)
        license_url = seg.license_url or f"https://spdx.org/licenses/{seg.license}.html"
        assert item["license"]["identifier"].lower() == seg.license.lower()
        assert item["license"]["url"] == license_url
        transcripts = {t["type"]: t for t in item["podcastTranscripts"]}
        assert {t["language"] for t in transcripts.values()} == {seg.language}
        assert built.local(transcripts["text/plain"]["url"]).read_text("utf-8").strip() == \
            seg.transcript.strip()
        enclosure = item["enclosure"]
        assert enclosure["length"] == built.local(enclosure["url"]).stat().st_size
        alternates = item["alternativeEnclosures"]
        assert alternates[0]["source"][0]["uri"] == seg.audio.direct_link
        assert alternates[0]["length"] == seg.audio.length
        for alt, written in zip(alternates[1:], seg.audio.alternates, strict=True):
            assert alt["title"] == written.title
            if written.file:
                copy = built.local(alt["source"][0]["uri"])
                assert copy.read_bytes() == (built.root / written.file).read_bytes()
                assert alt["length"] == copy.stat().st_size and alt["type"] == "audio/ogg"
                assert [s["uri"] for s in alt["source"][1:]] == [written.url]
            else:
                assert alt["source"][0]["uri"] == written.url
                assert (alt["length"], alt["type"]) == (written.length, written.type)

    first, seg = items[segs["first-light"].item_guid], segs["first-light"]
    assert first["author"] == ", ".join(seg.authors)
    assert built.local(first["itunesImage"]).read_bytes() == \
        (built.root / seg.image.file).read_bytes()
    assert first["podcastSeason"]["name"] == seg.season_name
    assert first["podcastEpisode"]["display"] == seg.episode_display
    captions = [t for t in first["podcastTranscripts"] if t.get("rel") == "captions"]
    assert [t["type"] for t in captions] == ["text/vtt"]
    chapters = json.loads(built.local(first["podcastChapters"]["url"]).read_text("utf-8"))
    assert [(c["startTime"], c["title"]) for c in chapters["chapters"]] == \
        [(c.start, c.title) for c in seg.chapters]
    assert first["podcastSoundbites"] == [{"startTime": b.start, "duration": b.duration,
                                           "title": b.title} for b in seg.soundbites]
    assert first["podcastLocation"]["name"] == seg.locations[0].name
    assert [r["address"] for r in first["value"]["recipients"]] == \
        [r.address for r in seg.value.recipients]


def test_feedparser_and_podcastparser_agree(built: Built) -> None:
    feedparser = pytest.importorskip("feedparser")
    podcastparser = pytest.importorskip("podcastparser")
    segs = built.segments
    parsed = feedparser.parse(str(built.feed))
    assert not parsed.bozo
    # feedparser files itunes:owner as the publisher (and lets its name win as author)
    assert parsed.feed.title == built.show.title
    assert parsed.feed.publisher_detail["email"] == built.show.owner.email
    by_guid = {e.id: e for e in parsed.entries}
    for seg in segs.values():
        entry = by_guid[seg.item_guid]
        assert entry.title == seg.title
        assert (int(entry.itunes_season), int(entry.itunes_episode)) == (seg.season, seg.episode)
    first = by_guid[segs["first-light"].item_guid]
    assert first.author == ", ".join(segs["first-light"].authors)
    assert first.image.href.endswith("images/first-light.png")
    with built.feed.open("rb") as stream:
        podcast = podcastparser.parse(built.show.feed_url, stream)
    assert podcast["itunes_author"] == built.show.author and podcast["type"] == "serial"
    episodes = {e["guid"]: e for e in podcast["episodes"]}
    for seg in segs.values():
        episode = episodes[seg.item_guid]
        assert (episode["season"], episode["number"]) == (seg.season, seg.episode)
    assert episodes[segs["first-light"].item_guid]["episode_art_url"] == first.image.href


# -- the field table's RSS column is where the feed carries each field -------------------------

def _found(built: Built, seg: Segment | None, path: str) -> list[str]:
    """The texts at an `rss` path of the field table: in the segment's item, or the channel."""
    root = etree.parse(str(built.feed)).getroot()
    if seg is None:
        nodes = root.xpath(path, namespaces=NAMESPACES)
    else:
        [item] = root.xpath(f"channel/item[guid='{seg.item_guid}']")
        nodes = item.xpath(path.removeprefix("item/"), namespaces=NAMESPACES)
    return [str(n) if isinstance(n, str) else (n.text or "") for n in nodes]


def _holds(built: Built, name: str, value: Any, texts: list[str]) -> bool:
    """Whether one of `texts` (from the feed) is the field's value; a URL of a published file
    stands for the file's content."""
    for text in texts:
        if name == "artwork":  # the getter has no value: the published file is the image
            return True
        if name == "transcript":
            text = built.local(text).read_text("utf-8")
        if name == "chapters":
            chapters = json.loads(built.local(text).read_text("utf-8"))["chapters"]
            return [(c["startTime"], c["title"]) for c in chapters] == \
                [(c["start"], c["title"]) for c in value]
        if name == "date":
            return parsedate_to_datetime(text) == datetime.fromisoformat(
                value.replace("Z", "+00:00"))
        expected = ", ".join(value) if isinstance(value, list) else str(value)
        if name == "license":
            text, expected = text.lower(), expected.lower()
        if name in ("summary", "transcript"):
            if expected.strip() in unescape(text):
                return True
        elif text == expected:
            return True
    return False


def test_each_rss_path_of_the_field_table_holds_the_field(built: Built) -> None:
    """Item paths hold the segment's value, channel paths the show's. Every field of the
    every-field show has a value no other field has, so a row naming the wrong place fails."""
    seg = built.segments["first-light"]
    own = field_values(seg, built.show)
    bare = Segment(id="bare", title="bare", language=built.show.language)
    shows = field_values(bare, built.show)
    checked = 0
    for field in FIELDS:
        for path in field.rss:
            if field.name == "publisher":
                continue  # only where there is no author: below
            in_item = path.startswith("item/")
            value = own[field.name] if in_item else shows[field.name]
            texts = _found(built, seg if in_item else None, path)
            assert value is not None or field.name == "artwork", (field.name, path)
            assert texts and _holds(built, field.name, value, texts), \
                (field.name, path, value, texts)
            checked += 1
    assert checked >= 25
    # an SPDX identifier goes out lower-cased, as the namespace asks
    assert _found(built, seg, "item/podcast:license") == [seg.license.lower()]


def test_the_publisher_is_the_author_where_there_is_none(tmp_path) -> None:
    """`publisher` is published as itunes:author where the item has no authors and show.yaml
    no author (the field table's note)."""
    root = make_show(tmp_path / "show")
    show_yaml = root / "show.yaml"
    show_yaml.write_text(show_yaml.read_text("utf-8").replace("author: Every Field Author\n",
                                                              ""), "utf-8")
    manifest = root / "segments" / "first-light.md"
    manifest.write_text(manifest.read_text("utf-8").replace(
        "authors: [Ada Reporter, Ben Editor]\n", ""), "utf-8")
    assert main(["build", str(root), "-o", str(tmp_path / "public")]) == 0
    built = Built(root, tmp_path / "public")
    seg = built.segments["first-light"]
    paths = dict.fromkeys(next(f for f in FIELDS if f.name == "publisher").rss)
    assert list(paths) == ["item/itunes:author", "channel/itunes:author"]
    assert _found(built, seg, "item/itunes:author") == [seg.source.publisher]
    assert _found(built, None, "channel/itunes:author") == [built.show.publisher]
