"""The example show's feed as readers nobody here wrote see it: the W3C feed validator and the
podcast-partytime parser (tests/readers.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from segment.cli import main
from segment.loading import load_segment, load_show_file
from tests.readers import partytime_read, w3c_check


@pytest.fixture(scope="module")
def example_feed(tmp_path_factory) -> Path:
    from tests.conftest import EXAMPLE

    out = tmp_path_factory.mktemp("readers") / "public"
    assert main(["build", str(EXAMPLE), "-o", str(out)]) == 0
    return out / "feed.xml"


def test_example_feed_has_no_w3c_errors(example_feed: Path) -> None:
    assert w3c_check(example_feed)["errors"] == []


def test_partytime_reads_the_example_as_the_manifest_says(example_feed: Path) -> None:
    from tests.conftest import EXAMPLE

    show, _ = load_show_file(EXAMPLE / "show.yaml")
    item = load_segment(EXAMPLE / "segments" / "momentum-against-isil-builds.md")
    assert show is not None and item.segment is not None
    feed = partytime_read(example_feed)
    assert feed["title"] == show.title
    assert feed["guid"] == show.podcast_guid and feed["locked"] is False
    assert feed["itunesImage"] == f"{show.media_base_url}artwork.png"
    assert feed["itunesCategory"] == ["News > Politics"]
    [episode] = feed["items"]
    assert episode["guid"] == item.segment.item_guid
    assert episode["title"] == item.segment.title
    assert {t["type"] for t in episode["podcastTranscripts"]} >= {"text/plain", "text/html"}
    assert episode["enclosure"]["type"] == "audio/mpeg" and episode["enclosure"]["length"] > 0
