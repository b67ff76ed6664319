"""Which ffmpeg, what it can do, and what the user is told when it falls short (issue 15).

Tests marked `ffmpeg` run again against every ffmpeg of the matrix in .ci/run (4.2.2, Debian's
5.1, 7.0.2, the newest bundled): `SEGPACK_FFMPEG` names the binary under test, else the bundled
one is used. Binaries that lack a feature are the real binary behind a two-line wrapper that
hides it from `-filters`. The cache and discovery tests do not depend on the version.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from media import ffmpeg
from media.loudness import ebur128_filter, measure
from segment.cli import main
from segment.errors import ToolError


@pytest.fixture
def real() -> str:
    """The ffmpeg under test (SEGPACK_FFMPEG in the matrix, else the bundled one)."""
    return ffmpeg.find().path


@pytest.fixture
def use(monkeypatch, tmp_path):
    """`use(path)`: run with SEGPACK_FFMPEG=path and a private probe cache."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def choose(path: str | None) -> None:
        if path is None:
            monkeypatch.delenv(ffmpeg.ENV, raising=False)
        else:
            monkeypatch.setenv(ffmpeg.ENV, path)
        ffmpeg.reset()

    yield choose
    ffmpeg.reset()  # monkeypatch restores the environment; the next test finds afresh


def wrapper(folder: Path, real: str, *, hide: str | None = None, log: Path | None = None,
            name: str = "ffmpeg") -> Path:
    """An executable that runs `real`, logging each call and hiding `hide` from -filters."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    lines = ["#!/bin/sh"]
    if log:
        lines.append(f'echo "$*" >> "{log}"')
    if hide:
        lines.append(f'if [ "$2" = "-filters" ]; then "{real}" "$@" | grep -v " {hide} "; '
                     "exit 0; fi")
    lines.append(f'exec "{real}" "$@"')
    path.write_text("\n".join(lines) + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_probed_once_then_read_from_the_cache_until_the_binary_changes(use, real, tmp_path):
    log = tmp_path / "calls.txt"
    binary = wrapper(tmp_path / "bin", real, log=log)
    use(str(binary))
    first = ffmpeg.tool()[1]
    probes = log.read_text().splitlines()
    assert "-hide_banner -version" in probes and "-hide_banner -filters" in probes
    ffmpeg.reset()  # a new process: only the cache file remains
    assert ffmpeg.tool()[1] == first
    assert log.read_text().splitlines() == probes, "answered from the cache, no new probe"
    cache = ffmpeg.cache_file()
    assert cache.parent == tmp_path / "cache" / "segpack"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    assert str(binary.resolve()) in json.loads(cache.read_text())["binaries"]
    later = binary.stat().st_mtime_ns + 10**9
    os.utime(binary, ns=(later, later))  # an upgraded ffmpeg at the same path
    ffmpeg.reset()
    ffmpeg.tool()
    assert len(log.read_text().splitlines()) == 2 * len(probes), "probed again"


@pytest.mark.parametrize("garbage", [b"\x00\xff not json", b"[1, 2]", b'{"version": 1, '
                                     b'"binaries": {"BIN": {"stat": [1, 2], "caps": {"version": '
                                     b'3, "filters": "ebur128"}}}}', b'{"version": 99}'])
def test_a_damaged_cache_is_ignored_and_rewritten(use, real, tmp_path, garbage):
    use(real)
    cache = ffmpeg.cache_file()
    cache.parent.mkdir(parents=True)
    cache.write_bytes(garbage.replace(b"BIN", os.path.realpath(real).encode()))
    assert ffmpeg.tool()[1].has("filter", "ebur128")
    assert json.loads(cache.read_text())["version"] == ffmpeg.PROBE_VERSION


def test_a_cache_that_cannot_be_written_costs_only_a_probe(use, real, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "file"))
    use(real)
    assert ffmpeg.tool()[1].has("filter", "ebur128")


def test_segpack_ffmpeg_wins_then_the_bundled_one_then_path(use, real, tmp_path, monkeypatch):
    on_path = wrapper(tmp_path / "path-bin", real)
    monkeypatch.setenv("PATH", f"{on_path.parent}{os.pathsep}{os.environ['PATH']}")
    use(real)
    assert ffmpeg.find() == ffmpeg.Binary(os.path.abspath(real), "SEGPACK_FFMPEG")
    use("ffmpeg")  # a command name is looked up on PATH
    assert ffmpeg.find().path == str(on_path)
    use(None)
    bundled = ffmpeg.bundled_path()
    if bundled:  # the wheel carries a binary for this platform: it comes before PATH
        assert ffmpeg.find() == ffmpeg.Binary(bundled, "bundled")
    monkeypatch.setattr(ffmpeg, "bundled_path", lambda: None)  # a platform without one
    ffmpeg.reset()
    assert ffmpeg.find() == ffmpeg.Binary(str(on_path), "PATH")


@pytest.mark.ffmpeg
def test_framelog_is_a_number_this_binary_takes(use, real, tone):
    use(real)
    caps = ffmpeg.tool()[1]
    expected = "-8" if caps.has_option("ebur128", "quiet") else "40"
    assert ebur128_filter() == f"ebur128=peak=true:framelog={expected}"
    done = ffmpeg.run_ffmpeg(["-nostats", "-i", str(tone(".wav", 3.0)), "-af", ebur128_filter(),
                              "-f", "null", "-"])
    frame_lines = [ln for ln in done.stderr.decode().splitlines() if " M:" in ln]
    assert frame_lines == [], "the per-frame log stays off stderr"
    assert measure(tone(".wav", 3.0)).integrated == pytest.approx(-21.8, abs=0.3)


@pytest.mark.ffmpeg
def test_a_refused_command_blames_ffmpeg_not_the_audio(use, real, tone):
    use(real)
    with pytest.raises(ToolError) as caught:
        ffmpeg.run_ffmpeg(["-i", str(tone(".wav")), "-af", "ebur128=no_such_option=1",
                           "-f", "null", "-"])
    message = str(caught.value)
    assert message.startswith(f"ffmpeg {ffmpeg.tool()[1].version} ({real}, from SEGPACK_FFMPEG)"
                              " refused segpack's command (")
    assert "not with the audio" in message and "\n" not in message
    assert "unset it to use the bundled one" in message


SHOW = """title: Loud show
description: Normalised
language: en
feed_url: https://example.org/feed.xml
audio: {encode: mp3, bitrate: 64k, normalise: true}
categories: [News]
owner: {name: Test Owner, email: owner@example.org}
explicit: false
image: {url: https://example.org/cover.png}
"""
ITEM = """---
id: item
title: An item
duration: "0:03"
language: en
published: 2024-03-01T09:00:00Z
audio: {file: media/item.wav}
---
A transcript.
"""


def loud_show(root: Path, tone) -> Path:
    (root / "segments").mkdir(parents=True)
    (root / "show.yaml").write_text(SHOW)
    (root / "segments" / "item.md").write_text(ITEM)
    tone(".wav", seconds=3.0, name="show/media/item.wav")
    return root


@pytest.mark.ffmpeg
def test_a_normalising_build_works_with_this_ffmpeg(use, real, tone, tmp_path, capsys):
    use(real)
    show = loud_show(tmp_path / "show", tone)
    assert main(["build", str(show), "-o", str(tmp_path / "public"), "--jobs", "1"]) == 0, \
        capsys.readouterr()
    published = tmp_path / "public" / "media" / "item.mp3"
    assert measure(published).integrated == pytest.approx(-19.0, abs=1.0)  # mono target


@pytest.mark.ffmpeg
def test_an_ffmpeg_without_ebur128_is_named_once_and_nothing_is_published(use, real, tone,
                                                                         tmp_path, capsys):
    lacking = wrapper(tmp_path / "old", real, hide="ebur128")
    use(str(lacking))
    show = loud_show(tmp_path / "show", tone)
    code = main(["build", str(show), "-o", str(tmp_path / "public"), "--jobs", "1"])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    lines = [ln for ln in err.splitlines() if "ebur128" in ln]
    version = ffmpeg.tool()[1].version
    assert lines == [f"segpack: ffmpeg {version} ({lacking}, from SEGPACK_FFMPEG) cannot measure "
                     "loudness: it has no ebur128 filter; point SEGPACK_FFMPEG at another ffmpeg "
                     "(4.2 or newer), or unset it to use the bundled one; `segpack doctor` shows "
                     "which is used"], err
    assert "SEG304" not in out + err and "Traceback" not in out + err
    assert not (tmp_path / "public").exists()
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[-1].startswith(f"problem: ffmpeg {version} ({lacking}")


def test_segpack_ffmpeg_that_is_not_a_program_is_one_line(use, tone, tmp_path, capsys):
    use(str(tmp_path / "no-such-ffmpeg"))
    show = loud_show(tmp_path / "show", tone)
    assert main(["build", str(show), "-o", str(tmp_path / "public"), "--jobs", "1"]) == 2
    err = capsys.readouterr().err
    assert f"SEGPACK_FFMPEG='{tmp_path / 'no-such-ffmpeg'}' is not an executable file" in err
    assert "Traceback" not in err and not (tmp_path / "public").exists()


@pytest.mark.ffmpeg
def test_doctor_reports_versions_and_the_ffmpeg_in_use(use, real, capsys):
    from importlib.metadata import version

    use(real)
    assert main(["doctor", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["libraries"]["mutagen"] == version("mutagen")
    assert report["libraries"]["feedgen"] == version("feedgen")
    tool = report["ffmpeg"]
    assert (tool["path"], tool["origin"]) == (os.path.abspath(real), "SEGPACK_FFMPEG")
    assert tool["version"] == ffmpeg.tool()[1].version and tool["problem"] is None
    assert all(tool["works"].values())
    assert main(["doctor"]) == 0
    text = capsys.readouterr().out
    assert ["path", os.path.abspath(real)] in [line.split() for line in text.splitlines()]
    assert text.splitlines()[-1] == "ok: this ffmpeg can do everything segpack asks of it"
