"""The store of compiled episodes: an episode is taken from it only while everything it was
compiled from is unchanged, segpack's own code included (output that other code rendered is
never published as this code's, neither by the no-change shortcut nor episode by episode)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.test_build import audio_show, build_json  # noqa: F401  (audio_show: a fixture)
from tests.test_build_parallel import add_segments, tree


def build_with(code: Path, show: Path, out: Path) -> dict:
    """`segpack build --json` run by the copy of segpack in `code` (a fresh process)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-m", "segment", "build", str(show), "-o", str(out),
                           "--json", "--jobs", "1"], cwd=code, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_changed_renderer_re_renders_every_episode(example_show, tmp_path) -> None:
    code = tmp_path / "code"
    for package in ("segment", "media", "feeds"):
        shutil.copytree(ROOT / package, code / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    add_segments(example_show)
    out = tmp_path / "public"
    first = build_with(code, example_show, out)
    assert build_with(code, example_show, out)["up_to_date"]
    renderer = code / "feeds" / "feed.py"
    source = renderer.read_text(encoding="utf-8")
    assert ">Transcript</a>" in source
    renderer.write_text(source.replace(">Transcript</a>", ">Read the transcript</a>"),
                        encoding="utf-8")
    # one manifest edited as well: the others must not be taken from the cache either
    edited = example_show / "segments" / "direct-03.md"
    edited.write_text(edited.read_text(encoding="utf-8").replace("number 3", "number three"),
                      encoding="utf-8")

    again = build_with(code, example_show, out)
    assert not again["up_to_date"]
    assert again["episodes"] == first["episodes"] and again["episodes_reused"] == 0
    feed = (out / "feed.xml").read_text(encoding="utf-8")
    assert feed.count("&gt;Read the transcript&lt;") == first["episodes"]
    assert "&gt;Transcript&lt;" not in feed
    cold = tmp_path / "cold" / "public"
    build_with(code, example_show, cold)
    assert tree(out) == tree(cold)


def test_an_episode_is_compiled_again_when_a_file_it_read_changes(
        audio_show, tmp_path, capsys) -> None:  # noqa: F811 (the fixture imported above)
    """Episodes are reused while their manifest and the files they read (audio, captions,
    images) are unchanged; show artwork is read for every episode with local audio."""
    out = tmp_path / "public"
    first = build_json(audio_show, out, capsys)
    assert first["media_made"] == 2
    captions = audio_show / "media" / "two.srt"
    captions.write_text(captions.read_text(encoding="utf-8").replace("Goodbye", "Farewell"),
                        encoding="utf-8")
    again = build_json(audio_show, out, capsys)
    assert again["manifests_parsed"] == 1 and again["episodes_reused"] == 2
    assert again["media_made"] == 0 and again["media_cached"] == 2
    assert "Farewell" in (out / "transcripts" / "two.vtt").read_text(encoding="utf-8")
    shutil.copyfile(audio_show / "media" / "two.m4a", audio_show / "media" / "one.mp3")
    manifest = audio_show / "segments" / "one.md"  # the new audio lasts 0:03
    manifest.write_text(manifest.read_text(encoding="utf-8").replace('"0:02"', '"0:03"'),
                        encoding="utf-8")
    third = build_json(audio_show, out, capsys)
    assert third["media_made"] == 1 and third["episodes_reused"] == 2
    cold = tmp_path / "cold" / "public"
    build_json(audio_show, cold, capsys)
    assert tree(out) == tree(cold)
