"""Publication dates: what a manifest may say, and that every reader agrees on what we publish.

A UTC offset no time zone uses (`-23:59:59`, `+01:00:00.5`) is refused (SEG203): RFC 822 dates
carry `+HHMM` only, so such an offset was printed as `-235959` or `+010000.500000`, which readers
either misread by a day or cannot parse. Every offset a real zone uses (whole minutes, -14:00 to
+14:00) is built into a feed whose pubDate three readers nobody here wrote (feedparser,
podcastparser, email.utils) read as the very instant the manifest gives.
"""

from __future__ import annotations

import calendar
import email.utils
from datetime import datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from segment.cli import main
from segment.models import Segment
from tests.test_build import DIRECTORY_FIELDS

BASE = {"id": "item", "title": "T", "duration": "0:40", "language": "en",
        "transcript": "Words."}


@pytest.mark.parametrize("stamp", ["2016-03-28T14:00:00-23:59:59", "2016-03-28T14:00:00+01:00:00.5",
                                   "2016-03-28T14:00:00+00:30:15", "2016-03-28T14:00:00+14:01",
                                   "2016-03-28T14:00:00-15:00"])
def test_offsets_no_time_zone_uses_are_refused(stamp: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Segment.model_validate({**BASE, "published": stamp})
    (error,) = caught.value.errors()
    assert error["type"] == "SEG203" and "UTC offset no time zone uses" in error["msg"]


@pytest.mark.parametrize("stamp", ["2016-03-28T14:00:00+14:00", "2016-03-28T14:00:00-12:00",
                                   "2016-03-28T14:00:00+05:45", "2016-03-28T14:00:00-09:30",
                                   "2016-03-28T14:00:00Z"])
def test_offsets_real_zones_use_are_kept(stamp: str) -> None:
    segment = Segment.model_validate({**BASE, "published": stamp})
    assert segment.published == datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def test_every_reader_reads_the_published_instant(tmp_path, capsys) -> None:
    import feedparser
    import podcastparser

    show = tmp_path / "show"
    (show / "segments").mkdir(parents=True)
    (show / "show.yaml").write_text("title: Show\ndescription: d\nlanguage: en\n"
                                    "feed_url: https://example.org/feed.xml\n"
                                    + DIRECTORY_FIELDS, "utf-8")
    stamps = {}
    offsets = range(-14 * 60, 14 * 60 + 1, 45)  # every 45 minutes: 5:45, 9:30-like, +-14:00
    for index, minutes in enumerate(offsets):
        zone = timezone(timedelta(minutes=minutes))
        when = datetime(1900 + index * 131, 1 + index % 12, 1 + index % 28, index % 24,
                        index % 60, 30, tzinfo=zone)
        sid = f"s{index:02d}"
        stamps[sid] = when
        (show / "segments" / f"{sid}.md").write_text(
            f"---\nid: {sid}\ntitle: {sid}\nduration: '0:40'\nlanguage: en\n"
            f"published: '{when.isoformat()}'\naudio: {{direct_link: "
            f"'https://example.org/{sid}.mp3', length: 1000, type: audio/mpeg}}\n"
            "source: {url: 'https://example.org/a'}\n---\nWords.\n", "utf-8")
    assert main(["build", str(show), "-o", str(tmp_path / "public")]) == 0, capsys.readouterr()
    xml = (tmp_path / "public" / "feed.xml").read_bytes()
    parsed = feedparser.parse(xml)
    assert not parsed.bozo
    with open(tmp_path / "public" / "feed.xml", "rb") as handle:
        podcast = podcastparser.parse("https://example.org/feed.xml", handle)
    by_title = {episode["title"]: episode["published"] for episode in podcast["episodes"]}
    assert len(parsed.entries) == len(stamps) == len(by_title)
    for entry in parsed.entries:
        when = stamps[entry.title]
        instant = calendar.timegm(when.astimezone(timezone.utc).timetuple())
        assert calendar.timegm(entry.published_parsed) == instant, entry.published
        assert by_title[entry.title] == instant, entry.published
        assert email.utils.parsedate_to_datetime(entry.published) == when, entry.published
