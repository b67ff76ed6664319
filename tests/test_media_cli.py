"""`segpack tag`, `tags`, `fields` through `main()`: the round trip and every bad input."""

from __future__ import annotations

import json
import shutil

import pytest

from media.commands import tags_json
from media.tagging import values_for
from segment.cli import main
from segment.loading import load_segment
from tests.media_helpers import CONTAINERS, png, png_claiming, sha, write_manifest


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_round_trip_segment_tags_json(tmp_path, tone, capsys, suffix):
    manifest = write_manifest(tmp_path, image={"file": "art.png"})
    (tmp_path / "art.png").write_bytes(png())
    audio = tone(suffix, name=f"media/item{suffix}")
    code, out, err = run(capsys, "tag", audio, "--from", manifest)
    assert code == 0, err
    assert "written" in out
    code, out, _ = run(capsys, "tags", audio, "--json")
    assert code == 0
    data = json.loads(out)
    item = load_segment(manifest)
    from segment.loading import load_show_file

    show, _ = load_show_file(tmp_path / "show.yaml")
    want = tags_json(values_for(item.segment, show, png()))
    from media.containers import BY_NAME as CONTAINERS
    from media.fieldtable import BY_NAME

    family = CONTAINERS[data["technical"]["container"]].family
    for name, value in want.items():
        if not getattr(BY_NAME[name], family):
            continue
        got = data["tags"][name]
        if name == "chapters" and family == "vorbis":
            got = [{k: c[k] for k in ("start", "title", "url")} for c in got]
            value = [{k: c[k] for k in ("start", "title", "url")} for c in value]
        assert got == value, name
    assert data["technical"]["duration"] == pytest.approx(1.0, abs=0.1)


def test_dry_run_prints_old_and_new(tmp_path, tone, capsys):
    manifest = write_manifest(tmp_path)
    audio = tone(".mp3")
    before = sha(audio)
    code, out, _ = run(capsys, "tag", audio, "--from", manifest, "--dry-run")
    assert code == 0
    assert "title: (none) -> Momentum Against ISIL Builds" in out
    assert sha(audio) == before
    code, out, _ = run(capsys, "tag", audio, "--from", manifest, "--json")
    assert json.loads(out)[0]["written"] is True


def test_tags_prints_values_as_a_producer_reads_them(tmp_path, tone, capsys):
    """Lists joined, true/false, artwork described, units on the technical facts: no Python
    reprs such as ['Jane Reporter']."""
    manifest = write_manifest(tmp_path, authors=["Jane Reporter", "John Doe"],
                              image={"file": "art.png"})
    (tmp_path / "art.png").write_bytes(png())
    audio = tone(".mp3", name="media/item.mp3")
    assert run(capsys, "tag", audio, "--from", manifest)[0] == 0
    code, out, _ = run(capsys, "tags", audio)
    rows = dict(line.split(None, 1) for line in out.splitlines() if line.strip())
    assert code == 0
    assert rows["author"] == "Jane Reporter, John Doe"
    assert rows["podcast"] in ("true", "false")
    assert rows["artwork"].startswith("image/png, ") and " bytes, sha256 " in rows["artwork"]
    assert rows["size"].endswith(" bytes") and rows["bitrate"].endswith(" kb/s")
    assert rows["duration"].endswith("s (0:01)")
    assert not any(c in out for c in "[]{}") and "True" not in out and "None" not in out


def test_fields_lists_the_table(capsys):
    code, out, _ = run(capsys, "fields")
    assert code == 0 and "TIT2" in out and "©nam" in out and "CHAPTERnnn" in out
    code, out, _ = run(capsys, "fields", "--json")
    rows = {r["field"]: r for r in json.loads(out)}
    assert rows["transcript"]["id3"] == ["USLT"] and rows["transcript"]["vorbis"] == ["LYRICS"]


def test_mp3_named_m4a_is_tagged_by_content(tmp_path, tone, capsys):
    manifest = write_manifest(tmp_path)
    audio = tmp_path / "really.m4a"
    shutil.copyfile(tone(".mp3"), audio)
    code, _, err = run(capsys, "tag", audio, "--from", manifest)
    assert code == 0
    assert "content is MP3" in err
    code, out, _ = run(capsys, "tags", audio, "--json")
    assert json.loads(out)["tags"]["title"] == "Momentum Against ISIL Builds — ü"


def bad_audio(tmp_path, tone):
    from media.ffmpeg import run_ffmpeg

    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    text = tmp_path / "text.mp3"
    text.write_text("not audio at all\n")
    whole = tone(".mp3", seconds=3.0)
    truncated = tmp_path / "truncated.mp3"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    aiff = tmp_path / "x.aiff"
    run_ffmpeg(["-f", "lavfi", "-i", "sine=duration=0.2", str(aiff)])
    readonly = tmp_path / "readonly.mp3"
    shutil.copyfile(tone(".mp3"), readonly)
    readonly.chmod(0o444)
    return {"empty": (empty, "empty file"), "text": (text, "text file"),
            "truncated": (truncated, "truncated MP3"), "aiff": (aiff, "AIFF"),
            "readonly": (readonly, "read-only")}


def test_bad_audio_one_line_nonzero_bytes_unchanged(tmp_path, tone, capsys):
    manifest = write_manifest(tmp_path)
    for name, (path, words) in bad_audio(tmp_path, tone).items():
        before = sha(path)
        code, _, err = run(capsys, "tag", path, "--from", manifest)
        assert code == 1, name
        lines = err.strip().splitlines()
        assert len(lines) == 1 and str(path) in lines[0] and words in lines[0], (name, err)
        assert "Traceback" not in err
        assert sha(path) == before, name


def test_missing_audio_and_many_files_go_on(tmp_path, tone, capsys):
    manifest = write_manifest(tmp_path)
    good = tone(".mp3")
    code, out, err = run(capsys, "tag", tmp_path / "nope.mp3", good, "--from", manifest)
    assert code == 1
    assert "nope.mp3: file not found" in err
    assert "written" in out


@pytest.mark.parametrize("art, words", [(b"not an image", "not an image"),
                                        (png_claiming(20000, 20000), "too many pixels"),
                                        (png_claiming(4000, 4000), "resize it")])
def test_bad_artwork_refused_before_any_write(tmp_path, tone, capsys, art, words):
    manifest = write_manifest(tmp_path, image={"file": "art.png"})
    (tmp_path / "art.png").write_bytes(art)
    audio = tone(".mp3")
    before = sha(audio)
    code, _, err = run(capsys, "tag", audio, "--from", manifest)
    assert code == 1
    assert "art.png" in err and words in err and len(err.strip().splitlines()) == 1
    assert sha(audio) == before


def test_invalid_manifest_is_one_line(tmp_path, tone, capsys):
    manifest = write_manifest(tmp_path, language="English")
    code, _, err = run(capsys, "tag", tone(".mp3"), "--from", manifest)
    assert code == 1 and "SEG204" in err and len(err.strip().splitlines()) == 1


def test_tags_on_bad_file(tmp_path, capsys):
    path = tmp_path / "text.mp3"
    path.write_text("hello\n")
    code, _, err = run(capsys, "tags", path)
    assert code == 1 and "text file" in err


def test_validate_media_rules(example_show, tmp_path, tone, capsys):
    """SEG303 (duration), SEG304 (unreadable), SEG309 (Opus published as it is: Apple lists
    no Ogg), SEG306 (artwork)."""
    seg = example_show / "segments" / "momentum-against-isil-builds.md"
    text = seg.read_text()
    code, out, _ = run(capsys, "validate", "--media", "--format", "json", example_show)
    assert code == 0, out
    media = example_show / "media"
    shutil.copyfile(tone(".opus"), media / "short.opus")
    (media / "art.png").write_bytes(png(500, mode="L"))
    seg.write_text(text.replace("media/momentum-against-isil-builds.mp3", "media/short.opus")
                   .replace("image:\n", "image:\n  file: media/art.png\n"))
    code, out, _ = run(capsys, "validate", "--media", "--format", "json", example_show)
    codes = {f["code"]: f for f in json.loads(out)["findings"]}
    assert {"SEG303", "SEG309", "SEG306"} <= set(codes) and "SEG305" not in codes, codes
    assert codes["SEG303"]["line"] > 1 and codes["SEG303"]["field"] == "duration"
    message = codes["SEG306"]["message"]
    assert "not RGB" in message and "1400-3000 px" in message and "not square" not in message
    (media / "short.opus").write_text("garbage")
    code, out, _ = run(capsys, "validate", "--media", "--format", "json", example_show)
    assert code == 1
    assert "SEG304" in {f["code"] for f in json.loads(out)["findings"]}


def test_chapters_out_of_order_are_refused_before_any_write(tmp_path, tone, capsys):
    """SEG505 is an error for `validate` and `build`; `tag` must not write such chapters."""
    manifest = write_manifest(tmp_path, chapters=[{"start": "1:00", "title": "Late"},
                                                  {"start": 0, "title": "Early"}])
    audio = tone(".mp3")
    before = sha(audio)
    code, _, err = run(capsys, "tag", audio, "--from", manifest)
    assert code == 1, err
    assert "SEG505" in err and str(manifest) in err and len(err.strip().splitlines()) == 1
    assert sha(audio) == before
