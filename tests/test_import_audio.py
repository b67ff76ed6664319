"""`segpack import audio`: tags already in a file (title, lyrics, chapters, date) -> a manifest."""

from __future__ import annotations

import json

from segment.manifest import read_manifest
from segment.timecode import parse_duration


def tag_mp3(path):
    from mutagen.id3 import CHAP, COMM, CTOC, ID3, TDRC, TIT2, TLAN, TPE1, USLT, CTOCFlags

    tags = ID3()
    tags.add(TIT2(encoding=3, text="Evening Bulletin"))
    tags.add(COMM(encoding=3, lang="eng", desc="", text="Tonight's headlines."))
    tags.add(USLT(encoding=3, lang="eng", desc="", text="First paragraph.\n\nSecond paragraph."))
    tags.add(TDRC(encoding=3, text="2024-05-01T18:00:00"))
    tags.add(TLAN(encoding=3, text="eng"))
    tags.add(TPE1(encoding=3, text=["Amal Example", "Bo Example"]))
    tags.add(CHAP(element_id="c1", start_time=0, end_time=400,
                  sub_frames=[TIT2(encoding=3, text="Intro")]))
    tags.add(CHAP(element_id="c2", start_time=400, end_time=1000, sub_frames=[]))
    tags.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED,
                  child_element_ids=["c1", "c2"], sub_frames=[]))
    tags.save(path, v2_version=4)
    return path


def test_tagged_mp3_becomes_a_manifest(tone, tmp_path, run_import):
    audio = tag_mp3(tone(".mp3", seconds=1.0, name="show/media/bulletin.mp3"))
    out = tmp_path / "show" / "segments"
    code, _, err = run_import("audio", str(audio), "-o", str(out), "--json")
    assert code == 0, err
    made = read_manifest(out / "evening-bulletin.md")
    meta = made.meta.data
    assert meta["title"] == "Evening Bulletin"
    assert meta["summary"] == "Tonight's headlines."
    assert meta["audio"]["file"] == "media/bulletin.mp3"
    assert meta["language"] == "en"
    assert meta["authors"] == ["Amal Example", "Bo Example"]
    assert [c["title"] for c in meta["chapters"]] == ["Intro", "Chapter 2"]
    assert meta["chapters"][1]["start"] == "0:00.400"
    assert 0.9 < parse_duration(meta["duration"]) < 1.2
    assert made.body == "First paragraph.\n\nSecond paragraph."
    # ID3 timestamps carry no zone; segpack's field table writes and reads them as UTC
    assert meta["published"] == "2024-05-01T18:00:00+00:00"


def test_untagged_file_reports_what_is_missing(tone, tmp_path, run_import):
    audio = tone(".ogg", seconds=1.0, name="plain.ogg")
    code, out, _ = run_import("audio", str(audio), "-o", str(tmp_path / "segments"), "--json")
    assert code == 0
    gaps = json.loads(out)["results"][0]["gaps"]
    assert "title: no title tag (TIT2 / ©nam / TITLE)" in gaps
    assert any(g.startswith("transcript:") for g in gaps)
    assert (tmp_path / "segments" / "plain.md").exists()


def test_real_tagged_files(shared_fixtures, tmp_path, run_import):
    audio = shared_fixtures / "audio"
    files = [audio / "mp3parser-id3v2.3-chap-iso-8859-1.mp3", audio / "mp3parser-id3v2.3-ucs-2.mp3",
             audio / "mutagen-silence-44-s.flac", audio / "mutagen-has-tags.m4a"]
    code, out, err = run_import("audio", *map(str, files), "-o", str(tmp_path / "segments"),
                                "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["imported"] == 4
    chap = read_manifest(report["results"][0]["manifest"]).meta.data
    assert len(chap["chapters"]) == 2


def test_not_audio(tmp_path, run_import):
    fake = tmp_path / "notes.mp3"
    fake.write_text("not audio at all")
    code, _, err = run_import("audio", str(fake), "-o", str(tmp_path / "segments"))
    assert code == 1 and "notes.mp3" in err
