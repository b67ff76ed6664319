"""Concurrent runs as real processes: two builds of one show, tag runs over overlapping files.

Nothing may be corrupted: a second build waits for the first (or, with --wait 0, exits 1 with a
clear line), and two `segpack tag` runs sharing files take each file in turn, whatever order
they list the files in, so every file ends with one run's tags, whole.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys

from lxml import etree

from tests.conftest import ROOT, make_tone
from tests.media_helpers import payload_hash, payload_hashes
from tests.test_crash_safety import SHOW_YAML, manifest

SEGPACK = [sys.executable, "-m", "segment"]


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([*SEGPACK, *map(str, args)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, (out + err).decode()


def make_show(root, count: int = 6):
    (root / "segments").mkdir(parents=True)
    (root / "media").mkdir()
    (root / "show.yaml").write_text(SHOW_YAML, encoding="utf-8")
    seed = root.parent / "seed.mp3"
    if not seed.exists():
        make_tone(seed, 1.0)
    for index in range(count):
        sid = f"s{index}"
        shutil.copyfile(seed, root / "media" / f"{sid}.mp3")
        (root / "segments" / f"{sid}.md").write_text(manifest(sid, f"Story {index}", 50),
                                                    encoding="utf-8")
    return root


def test_two_builds_of_one_show_at_once(tmp_path) -> None:
    show = make_show(tmp_path / "show")
    reference = tmp_path / "reference"
    assert finish(start("build", show, "-o", reference, "--jobs", "1"))[0] == 0
    out = tmp_path / "public"
    for _ in range(3):
        first = start("build", show, "-o", out, "--jobs", "1")
        second = start("build", show, "-o", out, "--jobs", "1")
        results = [finish(first), finish(second)]
        assert [code for code, _ in results] == [0, 0], results
        assert all("Traceback" not in text for _, text in results)
        etree.parse(str(out / "feed.xml"))
        assert (out / "feed.xml").read_bytes() == (reference / "feed.xml").read_bytes()
        shutil.rmtree(out)
        shutil.rmtree(tmp_path / ".segpack-cache" / "public", ignore_errors=True)


def test_second_build_waits_or_says_why(tmp_path) -> None:
    from filelock import FileLock

    from feeds.cache import lock_path_for

    show = make_show(tmp_path / "show", count=2)
    out = tmp_path / "public"
    lock_path_for(out).parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(lock_path_for(out)))
    with lock:  # a build in progress, as far as any other process can tell
        code, text = finish(start("build", show, "-o", out, "--wait", "0"))
        assert code == 1, text
        assert "another segpack build is still writing" in text and "Traceback" not in text
        assert not out.exists()
        waiting = start("build", show, "-o", out, "--wait", "60")
        with contextlib.suppress(subprocess.TimeoutExpired):
            waiting.wait(timeout=1.5)
        assert waiting.returncode is None, "the second build must wait for the lock"
    code, text = finish(waiting)
    assert code == 0, text
    assert "another build is writing" in text
    etree.parse(str(out / "feed.xml"))


def test_tag_runs_over_overlapping_files(tmp_path) -> None:
    """Run A tags files 0-29, run B files 10-39 in the reverse order, at the same time (each
    run holds its batch's locks until it commits: opposite orders once deadlocked)."""
    from media.tagging import read_tags

    seed = tmp_path / "seed.mp3"
    make_tone(seed, 1.0)
    files = []
    for index in range(40):
        path = tmp_path / f"f{index:02d}.mp3"
        shutil.copyfile(seed, path)
        files.append(path)
    audio = payload_hash(seed)
    one, two = tmp_path / "one.md", tmp_path / "two.md"
    one.write_text(manifest("one", "First Version", 300, chapters=2, seconds=5),
                   encoding="utf-8")
    two.write_text(manifest("two", "Second Version", 900, chapters=3, seconds=5),
                   encoding="utf-8")
    for _ in range(3):
        a = start("tag", *files[:30], "--from", one)
        b = start("tag", *reversed(files[10:]), "--from", two)
        results = [finish(a), finish(b)]
        assert [code for code, _ in results] == [0, 0], results
        titles = [read_tags(path)["title"] for path in files]
        assert set(titles[:10]) == {"First Version"}
        assert set(titles[30:]) == {"Second Version"}
        for path in files[10:30]:
            tags = read_tags(path)
            wanted = "First Version" if tags["title"] == "First Version" else "Second Version"
            assert tags["transcript"].startswith(wanted.split()[0].lower()), path.name
            assert len(tags["chapters"]) == (3 if wanted == "Second Version" else 2), path.name
            assert {c["title"].split(" of ")[1] for c in tags["chapters"]} == {wanted}
        assert payload_hashes(files) == [audio] * len(files)  # every file (one ffmpeg run)
        assert not list(tmp_path.glob(".*.segpack-*")), "journal or temp file left behind"


def test_one_file_named_twice_in_one_run(tmp_path) -> None:
    """The same file twice, or through a symlink, is tagged once (it once waited on itself)."""
    from media.tagging import read_tags

    audio = make_tone(tmp_path / "a.mp3", 1.0)
    (tmp_path / "link.mp3").symlink_to("a.mp3")
    (tmp_path / "one.md").write_text(manifest("one", "Only Once", 20), encoding="utf-8")
    process = start("tag", audio, audio, tmp_path / "link.mp3", "--from", tmp_path / "one.md")
    code, text = finish(process)
    assert code == 0, text
    assert read_tags(audio)["title"] == "Only Once"


def test_two_hard_links_to_one_file_in_one_run(tmp_path) -> None:
    """Two hard links to one file (one inode, two real paths) are tagged once; it waited on
    itself forever (review-18 defect 9). The first run grows the tag (a tagged copy renamed
    over one name): the other name is linked to the new file, so both names stay one file and
    both have the tags; the second run patches in place."""
    import os

    from media.tagging import read_tags

    first = make_tone(tmp_path / "h1.mp3", 1.0)
    second = tmp_path / "sub" / "h2.mp3"
    second.parent.mkdir()
    os.link(first, second)
    for title in ("Hard Linked", "Patched In Place"):
        (tmp_path / "one.md").write_text(manifest("one", title, 20), encoding="utf-8")
        code, text = finish(start("tag", first, second, "--from", tmp_path / "one.md"))
        assert code == 0, text
        assert text.count("fields written") == 2, text
        assert first.stat().st_ino == second.stat().st_ino
        assert first.stat().st_nlink == 2
        assert read_tags(second)["title"] == title
    assert not list(tmp_path.rglob(".*.segpack-*")), "journal or temp file left behind"


def test_a_build_process_ends_with_everything_written(tmp_path) -> None:
    """`segpack build` leaves through os._exit once done (`segment.clikit.end_process`): what
    it printed must still arrive whole, its lock be free and its cache saved."""
    import json

    show = make_show(tmp_path / "show", count=2)
    out = tmp_path / "public"
    reports = []
    for _ in range(2):
        process = start("build", show, "-o", out, "--json", "--wait", "0")
        stdout, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr.decode()
        reports.append(json.loads(stdout))
    assert reports[0]["ok"] and reports[0]["episodes"] == 2 and not reports[0]["up_to_date"]
    assert reports[1]["up_to_date"] and reports[1]["episodes"] == 2


def test_a_build_process_with_stdout_closed_still_succeeds(tmp_path) -> None:
    """Nothing to print to is no reason to fail a build that was published."""
    import os

    show = make_show(tmp_path / "show", count=1)
    out = tmp_path / "public"
    done = subprocess.run([*SEGPACK, "build", str(show), "-o", str(out)], cwd=ROOT,
                          stderr=subprocess.PIPE, preexec_fn=lambda: os.close(1), timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    assert b"Traceback" not in done.stderr
    assert (out / "feed.xml").is_file()
