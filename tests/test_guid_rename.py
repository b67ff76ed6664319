"""SEG416: an episode the output's feed publishes may not change its guid (issue 13 item 2).

Real builds: a renamed manifest (the guid follows the id) is refused with one line naming the
manifest and the fix, the previous output byte for byte as it was; with the published guid
kept in the manifest it builds under that guid; a new episode is no rename. validate --output
reads the same feed and says the same."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from lxml import etree

from segment.cli import main
from tests.conftest import EXAMPLE
from tests.test_build import manifest, write_show

LINK = ("audio: {direct_link: 'https://n.example.org/%s.mp3', length: 10, "
        "type: audio/mpeg}\nsource: {url: 'https://n.example.org/%s.html'}\n")


def episode(sid: str, audio_name: str | None = None, **kw) -> str:
    name = audio_name or sid
    return manifest(sid, audio=LINK % (name, name), **kw)


def tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def guids(feed: Path) -> dict[str, str]:
    """title -> guid of each item."""
    root = etree.parse(str(feed)).getroot()
    return {item.findtext("title"): item.findtext("guid") for item in root.iter("item")}


def built(tmp_path: Path, capsys) -> tuple[Path, Path]:
    show = write_show(tmp_path / "show", {"one": episode("one"), "two": episode(
        "two", published="2024-03-02T09:00:00Z")})
    out = tmp_path / "public"
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()
    capsys.readouterr()
    return show, out


def rename(show: Path, old: str, new: str) -> Path:
    path = show / "segments" / f"{new}.md"
    text = (show / "segments" / f"{old}.md").read_text(encoding="utf-8")
    path.write_text(text.replace(f"id: {old}\n", f"id: {new}\n"), encoding="utf-8")
    (show / "segments" / f"{old}.md").unlink()
    return path


def test_a_renamed_episode_is_refused_and_the_output_kept(tmp_path: Path, capsys) -> None:
    show, out = built(tmp_path, capsys)
    old_guid = guids(out / "feed.xml")["Title of one"]
    before = tree(out)
    renamed = rename(show, "one", "one-renamed")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [ln for ln in err.splitlines() if "SEG416" in ln]
    assert line.startswith(f"{renamed}:2:1: SEG416 ")  # the manifest, at its id
    assert f'put guid: "{old_guid}" in this manifest' in line
    assert tree(out) == before  # nothing published

    # validate reads the same feed when told where it is, and says the same
    assert main(["validate", "--json", "--output", str(out), str(show)]) == 1
    found = [f for f in json.loads(capsys.readouterr().out)["findings"] if f["code"] == "SEG416"]
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [
        (str(renamed), 2, "error")]
    assert main(["validate", str(show)]) == 0  # without the output it cannot know
    assert main(["build", str(show), "-o", str(out), "--check", "--json"]) == 1
    assert [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]
            if f["severity"] == "error"] == ["SEG416"]


def test_a_renamed_episode_keeping_its_guid_builds_under_it(tmp_path: Path, capsys) -> None:
    show, out = built(tmp_path, capsys)
    old_guid = guids(out / "feed.xml")["Title of one"]
    renamed = rename(show, "one", "one-renamed")
    renamed.write_text(renamed.read_text(encoding="utf-8").replace(
        "id: one-renamed\n", f'id: one-renamed\nguid: "{old_guid}"\n'), encoding="utf-8")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()
    assert guids(out / "feed.xml")["Title of one"] == old_guid


def test_an_edited_guid_is_refused(tmp_path: Path, capsys) -> None:
    show, out = built(tmp_path, capsys)
    path = show / "segments" / "two.md"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "id: two\n", "id: two\nguid: brand-new-guid\n"), encoding="utf-8")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 1
    assert f"{path}:3:1: SEG416 " in capsys.readouterr().err  # at the guid's line


def test_new_episodes_are_no_rename(tmp_path: Path, capsys) -> None:
    """A new episode, even one linking audio an episode already links or bearing a published
    title on another date, keeps its own guid."""
    show, out = built(tmp_path, capsys)
    (show / "segments" / "three.md").write_text(
        episode("three", published="2024-03-03T09:00:00Z"), encoding="utf-8")
    (show / "segments" / "four.md").write_text(
        episode("four", "one", published="2024-03-04T09:00:00Z"), encoding="utf-8")
    (show / "segments" / "five.md").write_text(
        episode("five", title="Title of one", published="2024-03-05T09:00:00Z"),
        encoding="utf-8")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()
    assert len(guids(out / "feed.xml")) == 4  # "Title of one" twice: one key
    assert len(set(etree.parse(str(out / "feed.xml")).getroot().xpath("//item/guid/text()"))) \
        == 5


def test_an_episode_in_an_archive_page_is_recognised(tmp_path: Path, capsys) -> None:
    """A paged show publishes older episodes in archive/N.xml: they are published too."""
    show = write_show(tmp_path / "show", {"one": episode("one"), "two": episode(
        "two", published="2024-03-02T09:00:00Z")})
    with (show / "show.yaml").open("a", encoding="utf-8") as handle:
        handle.write("paging: {items_per_page: 1}\n")
    out = tmp_path / "public"
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()
    assert "Title of one" not in guids(out / "feed.xml")  # the older one is archived
    before = tree(out)
    renamed = rename(show, "one", "first")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert f"{renamed}:2:1: SEG416 {out / 'archive' / '1.xml'} publishes this episode" in err
    assert tree(out) == before


def test_a_copy_of_a_published_episode_under_a_new_id_is_a_new_episode(tmp_path: Path,
                                                                         capsys) -> None:
    """Two audio items of one article page, imported with its title and date: the second is
    not the first renamed while the first is still in the show (its guid is not offered:
    taking it would make two segments share a guid, SEG402)."""
    show, out = built(tmp_path, capsys)
    two = (show / "segments" / "two.md").read_text(encoding="utf-8")
    (show / "segments" / "two-b.md").write_text(two.replace("id: two\n", "id: two-b\n"),
                                                encoding="utf-8")
    assert main(["validate", "--output", str(out), str(show)]) == 0, capsys.readouterr()
    # given alone (a pre-commit hook passes the changed file): the same verdict
    copy = show / "segments" / "two-b.md"
    assert main(["validate", "--output", str(out), str(copy)]) == 0, capsys.readouterr()
    assert main(["build", str(show), "-o", str(out), "--check"]) == 0, capsys.readouterr()
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()
    items = etree.parse(str(out / "feed.xml")).getroot().xpath("//item/guid/text()")
    assert len(set(items)) == 3
    # the first one gone now, the copy is what is left of it: nothing renamed either
    (show / "segments" / "two.md").unlink()
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()


def test_a_renamed_undated_episode_with_local_audio_is_refused(tmp_path: Path,
                                                               capsys) -> None:
    """The example show: no date, audio in media/ named after the episode. Its published copy
    is media/<old id>.mp3; the source keeps its name when the manifest is renamed."""
    show = tmp_path / "show"
    shutil.copytree(EXAMPLE, show)
    out = tmp_path / "public"
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0, capsys.readouterr()
    (old,) = set(etree.parse(str(out / "feed.xml")).getroot().xpath("//item/guid/text()"))
    before = tree(out)
    renamed = rename(show, "momentum-against-isil-builds", "isil-momentum")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert f"{renamed}:2:1: SEG416 {out / 'feed.xml'} publishes this episode (same audio " \
           f"media/momentum-against-isil-builds.* and title)" in err
    assert f'put guid: "{old}"' in err
    assert tree(out) == before
    assert main(["validate", "--media", "--output", str(out), str(show)]) == 1
    assert "SEG416" in capsys.readouterr().out


def test_a_broken_published_feed_is_replaced_with_one_warning(tmp_path: Path,
                                                              capsys) -> None:
    """A truncated feed.xml (an upload cut short): nothing to compare with, said once; the
    build replaces it, and the next build has nothing to say about it."""
    show, out = built(tmp_path, capsys)
    feed = out / "feed.xml"
    feed.write_bytes(feed.read_bytes()[:600])
    for sid in ("three", "four"):  # new episodes: their guids are looked for in the items
        (show / "segments" / f"{sid}.md").write_text(episode(sid), encoding="utf-8")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1"]) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (line,) = [line for line in err.splitlines() if "SEG417" in line]
    assert line.startswith(f"{feed}:1:1: SEG417 is not well-formed XML (")
    assert len(guids(feed)) == 4
    (show / "segments" / "five.md").write_text(episode("five"), encoding="utf-8")
    assert main(["build", str(show), "-o", str(out), "--jobs", "1", "--verbose"]) == 0
    assert "SEG417" not in capsys.readouterr().err
