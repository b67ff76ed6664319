"""Bad input to `segpack build`: a clear line naming file and problem, exit 1 where
publishing would be wrong, and the previous output left exactly as it was."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.test_build import SHOW_YAML, manifest, run, write_show

LINK = ("audio: {direct_link: 'https://n.example.org/a.mp3', length: 10, type: audio/mpeg}\n"
        "source: {url: 'https://n.example.org/a.html'}\n")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def built(tmp_path, capsys) -> tuple[Path, Path, dict[str, bytes]]:
    """A show built once successfully: (show, output, the output's files)."""
    show = write_show(tmp_path / "show", {"a": manifest("a", audio=LINK),
                                          "b": manifest("b", audio=LINK)})
    out = tmp_path / "public"
    code, _, err = run(show, "-o", out, capsys=capsys)
    assert code == 0, err
    return show, out, snapshot(out)


def fails(show: Path, out: Path, before: dict[str, bytes], capsys, *codes: str) -> str:
    code, _, err = run(show, "-o", out, capsys=capsys)
    assert code == 1, err
    for wanted in codes:
        assert wanted in err, err
    assert "Traceback" not in err
    assert snapshot(out) == before, "the previous output must be left intact"
    assert not list(out.parent.glob(".public.build-*")), "no temp folder left behind"
    return err


def test_show_yaml_missing(built, capsys) -> None:
    show, out, before = built
    (show / "show.yaml").unlink()
    err = fails(show, out, before, capsys, "SEG403")
    assert "show.yaml" in err


def test_show_yaml_invalid(built, capsys) -> None:
    show, out, before = built
    (show / "show.yaml").write_text(SHOW_YAML.replace("language: en", "language: English"),
                                    encoding="utf-8")
    err = fails(show, out, before, capsys, "SEG204")
    assert f"{show / 'show.yaml'}:3:" in err


def test_segment_pointing_at_missing_media(built, capsys) -> None:
    show, out, before = built
    (show / "segments" / "c.md").write_text(manifest("c", audio="audio: {file: media/c.mp3}\n"),
                                            encoding="utf-8")
    err = fails(show, out, before, capsys, "SEG301")
    assert "c.md" in err and "media/c.mp3" in err


@pytest.mark.parametrize("target", ["../../etc/passwd", "/etc/passwd"])
def test_media_path_escaping_the_show_folder(built, capsys, target) -> None:
    show, out, before = built
    (show / "segments" / "c.md").write_text(
        manifest("c", audio=f"audio: {{file: '{target}'}}\n"), encoding="utf-8")
    fails(show, out, before, capsys, "SEG302")


def test_symlink_out_of_the_show_folder(built, tmp_path, tone, capsys) -> None:
    show, out, before = built
    outside = tone(".mp3", name="outside/secret.mp3")
    (show / "media").mkdir()
    os.symlink(outside, show / "media" / "c.mp3")
    (show / "segments" / "c.md").write_text(manifest("c", audio="audio: {file: media/c.mp3}\n"),
                                            encoding="utf-8")
    fails(show, out, before, capsys, "SEG302")


def test_duplicate_ids_and_guids(built, capsys) -> None:
    show, out, before = built
    (show / "segments" / "c.md").write_text(manifest("a", audio=LINK), encoding="utf-8")
    fails(show, out, before, capsys, "SEG401")
    (show / "segments" / "c.md").write_text(
        manifest("c", audio=LINK, extra="guid: shared-guid\n"), encoding="utf-8")
    (show / "segments" / "d.md").write_text(
        manifest("d", audio=LINK, extra="guid: shared-guid\n"), encoding="utf-8")
    fails(show, out, before, capsys, "SEG402")


def test_broken_manifest_stops_the_build_with_its_line(built, capsys) -> None:
    show, out, before = built
    (show / "segments" / "c.md").write_text("---\nid: c\ntitle: [unclosed\n---\nbody\n",
                                            encoding="utf-8")
    err = fails(show, out, before, capsys, "SEG101")
    assert "c.md:" in err


def test_unreadable_audio_is_an_error(built, capsys) -> None:
    show, out, before = built
    (show / "media").mkdir()
    (show / "media" / "c.mp3").write_bytes(b"this is not audio at all\n" * 100)
    (show / "segments" / "c.md").write_text(manifest("c", audio="audio: {file: media/c.mp3}\n"),
                                            encoding="utf-8")
    fails(show, out, before, capsys, "SEG304")


def test_no_base_url(built, capsys) -> None:
    show, out, before = built
    yaml = "\n".join(line for line in SHOW_YAML.splitlines()
                     if not line.startswith(("feed_url", "media_base_url")))
    (show / "show.yaml").write_text(yaml + "\n", encoding="utf-8")
    fails(show, out, before, capsys, "SEG406")


def test_refuses_to_replace_the_show_folder(tmp_path, capsys) -> None:
    """(A folder of other files is built into and kept: tests/test_output_folder.py.)"""
    show = write_show(tmp_path / "show", {"a": manifest("a", audio=LINK)})
    code, _, err = run(show, "-o", show, capsys=capsys)
    assert code == 2 and "show folder" in err
    code, _, err = run(show, "-o", tmp_path, capsys=capsys)
    assert code == 2 and "show folder" in err
    code, _, err = run(tmp_path / "nowhere", "-o", tmp_path / "out", capsys=capsys)
    assert code == 2


def test_a_second_build_waits_for_the_lock_then_gives_up(built, capsys) -> None:
    from filelock import FileLock

    from feeds.cache import lock_path_for

    show, out, before = built
    with FileLock(str(lock_path_for(out))):
        code, _, err = run(show, "-o", out, "--wait", "0.2", capsys=capsys)
    assert code == 1 and "another segpack build" in err
    assert snapshot(out) == before


def test_killed_build_leftovers_are_cleaned(built, capsys) -> None:
    from feeds.output import new_staging

    show, out, before = built
    stale = new_staging(out)  # named in the journal, as a build's staging folder is
    (stale / "feed.xml").write_text("half", encoding="utf-8")
    (show / "segments" / "a.md").write_text(manifest("a", title="Changed", audio=LINK),
                                            encoding="utf-8")
    code, _, err = run(show, "-o", out, capsys=capsys)
    assert code == 0, err
    assert not stale.exists()
    assert snapshot(out) != before


def test_a_killed_builds_cache_shards_are_removed(built, capsys) -> None:
    """Shards of the manifest cache are written into a new folder and swapped in whole; a
    build killed before the swap leaves that folder, and the next build removes it."""
    show, out, _ = built
    cache = out.parent / ".segpack-cache" / out.name
    (cache / "manifests.new-dead").mkdir()
    (cache / "manifests.new-dead" / "1-0.marshal").write_bytes(b"half")
    (cache / ".manifests.old-dead").mkdir()
    (show / "segments" / "a.md").touch()
    code, _, err = run(show, "-o", out, capsys=capsys)
    assert code == 0, err
    assert not (cache / "manifests.new-dead").exists()
    assert not (cache / ".manifests.old-dead").exists()
    assert list((cache / "manifests").iterdir())


def test_corrupt_cache_is_ignored(built, capsys) -> None:
    show, out, _ = built
    cache = out.parent / ".segpack-cache" / out.name
    shards = sorted((cache / "manifests").iterdir())
    assert shards
    for path in [cache / "state.marshal", *shards]:
        path.write_bytes(b"\x80garbage")
    (show / "segments" / "a.md").touch()
    code, _, err = run(show, "-o", out, capsys=capsys)
    assert code == 0, err
    shutil.rmtree(cache)
    assert run(show, "-o", out, capsys=capsys)[0] == 0


def test_a_failed_build_leaves_no_thread_running_and_the_collector_on(built, capsys,
                                                                     monkeypatch) -> None:
    """A build that fails midway (here: the disk fills up while manifests are prepared) says
    so in one line, leaves the previous output and cache as they were, no thread of its own
    running, and the garbage collector as it found it (on, for an in-process caller)."""
    import errno
    import gc
    import threading

    from feeds import compile_all

    real = compile_all.compile_all

    def fill_the_disk(run, paths, jobs, progress=None):
        real(run, paths[:1], jobs, progress)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(compile_all, "compile_all", fill_the_disk)
    show, out, before = built
    (show / "segments" / "a.md").touch()
    cache = out.parent / ".segpack-cache" / out.name
    store = sorted(p.read_bytes() for p in (cache / "manifests").iterdir())
    threads = set(threading.enumerate())
    assert gc.isenabled()
    err = fails(show, out, before, capsys, "build stopped: No space left on device")
    assert err.count("\n") == 1
    assert set(threading.enumerate()) <= threads
    assert gc.isenabled()
    # the manifest cache is the last good build's, and this one's shards are gone
    assert sorted(p.read_bytes() for p in (cache / "manifests").iterdir()) == store
    assert not [p.name for p in cache.iterdir() if "manifests." in p.name]


def test_an_in_process_build_leaves_the_collector_as_it_was(built, capsys) -> None:
    import gc

    show, out, _ = built
    (show / "segments" / "a.md").touch()
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    assert gc.isenabled()
    gc.disable()
    try:
        (show / "segments" / "a.md").touch()
        assert run(show, "-o", out, capsys=capsys)[0] == 0
        assert not gc.isenabled()
    finally:
        gc.enable()
