"""The migration report never claims "kept" for what the rebuilt feed drops or alters.

For every feed we migrate in tests (the real ones in ../shared/fixtures/feeds/, ours in
tests/data/feeds/ shaped on real hosts' markup), `segpack import feed --json` then `segpack
build`, and each element the report lists as *kept* (channel and item) is looked up in the rebuilt
feed with lxml: the same elements, with the same meaning (text as a reader shows it, attributes,
children; yes/true and 62:03/1:02:03 alike), as often. An element the report lists as kept must
also not appear among its changes; one it lists as verbatim is in the rebuilt feed as written;
and every element of the original is accounted for: kept, changed, verbatim or not carried
over.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree

from tests.feedcompare import (
    accounted,
    item_elements,
    producer_fills_gaps,
    rebuilt_items,
    signature,
)

DATA = Path(__file__).parent / "data" / "feeds"
OURS = sorted([*DATA.glob("*.xml"), *(DATA / "hosts").glob("*.xml")])
REAL = ["jbierfeldt-bc-sample.xml", "jbierfeldt-replyall-sample-ordering.xml",
        "lukaswhite-feed.rss", "lukaswhite-serial.rss", "podcastindex-example.xml",
        "podcastparser-multi_enclosures.rss", "podcastparser-permalink.rss"]
OWNERS = {"podcastindex-example.xml": "podcastowner@example.com",
          "migration.xml": "owner@example.org", "simplecast.xml": "rights@example.net",
          "anchor.xml": "nightdesk@lateshift.example.net"}
NEW_FEED = "https://podcasts.example.org/show/feed.xml"


def _migrate(original: Path, tmp_path: Path, capsys) -> tuple[dict, Path]:
    """Import (report as JSON) and build; what the feed does not say, the producer adds."""
    from click.testing import CliRunner

    from feeds.commands import build
    from segment.cli import main

    show = tmp_path / "show"
    args = ["import", "feed", str(original), "-o", str(show), "--feed-url", NEW_FEED, "--json"]
    if original.name in OWNERS:
        args += ["--owner-email", OWNERS[original.name]]
    capsys.readouterr()
    assert main(args) == 0, capsys.readouterr().err
    report = json.loads(capsys.readouterr().out)
    producer_fills_gaps(show)
    result = CliRunner().invoke(build, [str(show), "-o", str(tmp_path / "public")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return report, tmp_path / "public" / "feed.xml"


def _check(original: Path, tmp_path: Path, capsys) -> list[str]:
    report, rebuilt = _migrate(original, tmp_path, capsys)
    old_root = etree.parse(str(original)).getroot()
    new_root = etree.parse(str(rebuilt)).getroot()
    rows = [r["migration"] for r in report["results"]]
    problems: list[str] = []
    new_items = rebuilt_items(new_root)
    pairs = [(rows[0], old_root.find("channel"), new_root.find("channel"))]
    old_items = old_root.find("channel").findall("item")
    for result in report["results"][1:]:
        row = result["migration"]
        position = int(row["label"].split()[1])
        guid = next(c["new"] for c in result["changes"] if c["field"] == "guid")
        pairs.append((row, old_items[position - 1], new_items[guid]))
    for row, old, new in pairs:
        changed = {c["field"] for c in row["changed"]}
        for name, count in Counter(row["kept"]).items():
            before = Counter(signature(el) for el in item_elements(old, name))
            after = Counter(signature(el) for el in item_elements(new, name))
            if name in changed:
                problems.append(f"{row['label']}: {name} is both kept and changed")
            if len(item_elements(old, name)) != count:
                problems.append(f"{row['label']}: kept {count} {name}, the feed has "
                                f"{len(item_elements(old, name))}")
            if before != after:
                problems.append(f"{row['label']}: {name} reported kept, but "
                                f"{sorted(before)} -> {sorted(after)}")
        for name, count in Counter(row["verbatim"]).items():
            before = Counter(signature(el) for el in item_elements(old, name))
            after = Counter(signature(el) for el in item_elements(new, name))
            if sum((before & after).values()) < count:
                problems.append(f"{row['label']}: {count} {name} reported verbatim, but the "
                                f"rebuilt feed has {sorted(before & after)} of {sorted(before)}")
        problems += [f"{row['label']}: {line}" for line in accounted(old, row)]
    return problems


@pytest.mark.parametrize("name", REAL)
def test_kept_means_published_real_feeds(shared_fixtures, tmp_path, name, capsys):
    problems = _check(shared_fixtures / "feeds" / name, tmp_path, capsys)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("feed", OURS, ids=[f.stem for f in OURS])
def test_kept_means_published_host_shaped_feeds(tmp_path, feed, capsys):
    problems = _check(feed, tmp_path, capsys)
    assert not problems, "\n".join(problems)
