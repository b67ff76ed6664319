"""Tagging: one contract per container, a full/empty/unparseable matrix, second readers
(mutagen and ffmpeg), the audio payload untouched, crash safety (journal replay), locking."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading

import mutagen
import pytest

from media import journal
from media.tagging import read_tags, values_for, write_tags
from segment.errors import MediaError
from tests.media_helpers import (
    CONTAINERS,
    TRANSCRIPT,
    ffmetadata,
    payload_hash,
    png,
    segment,
    sha,
    show,
)

FAMILY = {".mp3": "id3", ".m4a": "mp4", ".ogg": "vorbis", ".opus": "vorbis", ".flac": "vorbis"}


def expected(suffix, artwork=None):
    """What read_tags must return: the segment's values, as far as the family stores them."""
    from media.fieldtable import BY_NAME

    family = FAMILY[suffix]
    want = values_for(segment(), show(), artwork)
    want = {k: v for k, v in want.items() if getattr(BY_NAME[k], family)}
    if family == "vorbis":  # Vorbis chapters store no end: the last one is open
        want["chapters"] = [dict(c) for c in want["chapters"]]
        for index, chapter in enumerate(want["chapters"]):
            following = want["chapters"][index + 1:]
            chapter["end"] = following[0]["start"] if following else None
    return want


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_contract(tone, suffix):
    """Segment -> tags -> read back equal, by us, mutagen and ffmpeg; payload unchanged."""
    path = tone(suffix)
    before = payload_hash(path)
    art = png()
    changes = write_tags(path, segment(), show(), artwork=art)
    assert {c.field for c in changes} >= {"title", "transcript", "chapters", "artwork"}
    got = read_tags(path)
    for name, value in expected(suffix, art).items():
        assert got[name] == value, name
    assert payload_hash(path) == before
    assert write_tags(path, segment(), show(), artwork=art) == []  # nothing left to change
    second = mutagen.File(path)
    assert second is not None and second.tags
    seen = ffmetadata(path)
    assert seen.get("title") == segment().title
    assert "Alice A." in seen.get("artist", "")


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_full_file_keeps_unrelated_tags_unless_clean(tone, tmp_path, suffix):
    plain = tone(suffix)
    full = tmp_path / f"full{suffix}"
    from media.ffmpeg import run_ffmpeg

    run_ffmpeg(["-i", str(plain), "-c", "copy", "-metadata", "title=Old title",
                "-metadata", "composer=Somebody Else", str(full)])
    assert "composer" in ffmetadata(full)
    changes = write_tags(full, segment(), show())
    assert next(c for c in changes if c.field == "title").old == "Old title"
    assert read_tags(full)["title"] == segment().title
    assert ffmetadata(full).get("composer") == "Somebody Else"
    write_tags(full, segment(), show(), clean=True)
    assert "composer" not in ffmetadata(full)
    assert read_tags(full)["title"] == segment().title


@pytest.mark.parametrize("suffix", CONTAINERS)
def test_unparseable_file_is_refused_unchanged(tone, tmp_path, suffix):
    good = tone(suffix).read_bytes()
    broken = tmp_path / f"broken{suffix}"
    broken.write_bytes(good[:12] + bytes(range(256)) * 4)
    before = sha(broken)
    with pytest.raises(MediaError) as caught:
        write_tags(broken, segment(), show())
    assert str(broken) in str(caught.value)
    assert sha(broken) == before


def test_dry_run_reports_and_writes_nothing(tone):
    path = tone(".mp3")
    before = sha(path)
    changes = write_tags(path, segment(), show(), dry_run=True)
    assert any(c.field == "title" and c.old is None for c in changes)
    assert sha(path) == before


def test_id3_is_v24_utf8_and_retag_is_in_place(tone):
    from mutagen.id3 import ID3

    path = tone(".mp3")
    write_tags(path, segment(), show())
    tags = ID3(path)
    assert tags.version[:2] == (2, 4)
    assert tags.getall("USLT")[0].encoding == 3 and tags.getall("USLT")[0].text == TRANSCRIPT
    inode, size = path.stat().st_ino, path.stat().st_size
    before = payload_hash(path)
    write_tags(path, segment(title="A new title"), show())
    assert (path.stat().st_ino, path.stat().st_size) == (inode, size)  # patched, not rewritten
    assert read_tags(path)["title"] == "A new title"
    assert payload_hash(path) == before
    assert not journal.journal_path(path).exists()


def test_tag_that_outgrows_padding_rewrites_via_rename_keeping_the_audio(tone):
    path = tone(".mp3")
    write_tags(path, segment(), show())
    inode = path.stat().st_ino
    before = payload_hash(path)
    write_tags(path, segment(), show(), artwork=png())  # a picture does not fit the padding
    assert path.stat().st_ino != inode
    assert payload_hash(path) == before
    assert read_tags(path)["artwork"] == png()
    leftovers = [p.name for p in path.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_id3v1_tail_is_updated_in_place(shared_fixtures, tmp_path):
    path = tmp_path / "v1.mp3"
    shutil.copyfile(shared_fixtures / "audio" / "mutagen-silence-44-s.mp3", path)
    before = payload_hash(path)
    write_tags(path, segment(), show())
    assert path.read_bytes()[-128:-125] == b"TAG"
    assert b"Momentum Against ISIL" in path.read_bytes()[-128:]
    assert payload_hash(path) == before


def test_shared_fixtures_read_and_retag(shared_fixtures, tmp_path):
    for source in sorted((shared_fixtures / "audio").iterdir()):
        path = tmp_path / source.name
        shutil.copyfile(source, path)
        tags = read_tags(path)
        assert set(tags) >= {"title", "chapters", "transcript"}, source.name
        write_tags(path, segment(), show())
        assert read_tags(path)["title"] == segment().title, source.name
    chap = tmp_path / "mp3parser-id3v2.3-chap-iso-8859-1.mp3"
    ucs2 = tmp_path / "mp3parser-id3v2.3-ucs-2.mp3"
    nero = tmp_path / "mutagen-nero-chapters.m4b"
    shutil.copyfile(shared_fixtures / "audio" / chap.name, chap)
    shutil.copyfile(shared_fixtures / "audio" / ucs2.name, ucs2)
    shutil.copyfile(shared_fixtures / "audio" / nero.name, nero)
    assert len(read_tags(chap)["chapters"]) == 2
    assert read_tags(ucs2)["transcript"]
    assert len(read_tags(nero)["chapters"]) == 112


# --- crash safety ------------------------------------------------------------------------------

class Crash(Exception):
    pass


def torn_prefix(offset: int, new: bytes) -> bytes:
    """The part of a write a crash can leave done: the kernel copies a write into the page
    cache page by page (and disks store whole sectors), so a tear falls on a boundary of
    `journal.PIECE` bytes in the file; here, the one nearest the middle of the write."""
    cut = (offset + len(new) // 2) // journal.PIECE * journal.PIECE - offset
    return new[:max(cut, journal.PIECE - offset % journal.PIECE)]


LONG_TITLE = "Half written " * 120  # spans several pieces, so a tear leaves old and new


def _half_then_crash(fd, patches):
    offset, new = patches[0]
    os.pwrite(fd, torn_prefix(offset, new), offset)
    raise Crash


def test_journal_replays_after_a_crash_mid_write(tone, monkeypatch):
    path = tone(".mp3")
    write_tags(path, segment(), show())
    old = path.read_bytes()
    audio = payload_hash(path)
    monkeypatch.setattr(journal, "_apply", _half_then_crash)
    with pytest.raises(Crash):
        write_tags(path, segment(title=LONG_TITLE), show())
    assert journal.journal_path(path).exists()
    torn = path.read_bytes()
    assert torn != old
    monkeypatch.undo()
    read_tags(path)  # reading never replays (nor touches) the journal
    assert path.read_bytes() == torn and journal.journal_path(path).exists()
    write_tags(path, segment(title="Second try"), show())  # the next write replays it first
    assert read_tags(path)["title"] == "Second try"
    assert not journal.journal_path(path).exists()
    assert payload_hash(path) == audio


def test_journal_replay_restores_the_old_bytes(tone, monkeypatch):
    path = tone(".mp3")
    write_tags(path, segment(), show())
    old = path.read_bytes()
    monkeypatch.setattr(journal, "_apply", _half_then_crash)
    with pytest.raises(Crash):
        write_tags(path, segment(title=LONG_TITLE), show())
    monkeypatch.undo()
    assert journal.recover(path) is True
    assert path.read_bytes() == old and not journal.journal_path(path).exists()


def test_torn_journal_is_set_aside_not_replayed(tone, capsys):
    path = tone(".mp3")
    write_tags(path, segment(), show())
    old = path.read_bytes()
    journal.journal_path(path).write_bytes(journal.MAGIC + b"\0\0\0 cut short")
    assert journal.recover(path) is False
    assert path.read_bytes() == old and not journal.journal_path(path).exists()
    aside = journal.journal_path(path).with_name(journal.journal_path(path).name + ".set-aside")
    assert aside.read_bytes() == journal.MAGIC + b"\0\0\0 cut short"
    err = capsys.readouterr().err
    assert "set aside" in err and len(err.strip().splitlines()) == 1


def test_sigkill_during_in_place_write_leaves_old_or_new(tone):
    path = tone(".mp3")
    write_tags(path, segment(), show())
    old = path.read_bytes()
    script = f"""
import os, signal
from media import journal
from media.tagging import write_tags
from tests.media_helpers import segment, show
from tests.test_tagging import torn_prefix
def die(fd, patches):
    offset, new = patches[0]
    os.pwrite(fd, torn_prefix(offset, new), offset)
    os.kill(os.getpid(), signal.SIGKILL)
journal._apply = die
write_tags({str(path)!r}, segment(title="Never finished " * 120), show())
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=os.getcwd(), check=False)
    assert done.returncode == -9
    from segment.cli import main

    torn = path.read_bytes()
    assert torn != old
    assert main(["tags", str(path), "--json"]) == 0  # says a journal is pending; writes nothing
    assert path.read_bytes() == torn and journal.journal_path(path).exists()
    assert journal.recover(path) is True
    assert path.read_bytes() == old


def test_overlapping_runs_take_turns(tone):
    path = tone(".mp3")
    write_tags(path, segment(), show())
    finished = threading.Event()

    def other_run():
        write_tags(path, segment(title="Second run"), show())
        finished.set()

    with journal.locked(path, write=True):
        worker = threading.Thread(target=other_run)
        worker.start()
        assert not finished.wait(0.3)  # blocked while we hold the lock
    worker.join(10)
    assert finished.is_set()
    assert read_tags(path)["title"] == "Second run"


def test_long_programme_is_patched_in_place(tmp_path):
    """The in-place path does not read the audio: a long file keeps its inode and payload."""
    from media.ffmpeg import run_ffmpeg

    path = tmp_path / "long.mp3"
    run_ffmpeg(["-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "600", "-c:a",
                "libmp3lame", "-b:a", "8k", str(path)])
    write_tags(path, segment(), show())
    inode = path.stat().st_ino
    before = payload_hash(path)
    write_tags(path, segment(title="Retitled"), show())
    assert path.stat().st_ino == inode
    assert payload_hash(path) == before


def test_fast_path_and_mutagen_path_agree(tone, tmp_path):
    """The frame-level re-tag and mutagen's full rewrite (--clean) read back the same."""
    fast = tone(".mp3", name="fast.mp3")
    slow = tone(".mp3", name="slow.mp3")
    art = png()
    write_tags(fast, segment(), show(), artwork=art)
    write_tags(slow, segment(), show(), artwork=art, clean=True)
    assert read_tags(fast) == read_tags(slow)
    assert write_tags(slow, segment(), show(), artwork=art) == []  # same frames, byte for byte


def test_group_commit_crash_restores_every_file_of_the_batch(tone, monkeypatch):
    from media.tagging import write_many

    paths = [tone(".mp3", name=f"f{n}.mp3") for n in range(3)]
    write_many(paths, segment(), show())
    old = [p.read_bytes() for p in paths]
    calls = []

    def crash_on_second(fd, patches):
        calls.append(fd)
        if len(calls) == 2:
            raise Crash
        for offset, new in patches:
            os.pwrite(fd, new, offset)

    monkeypatch.setattr(journal, "_apply", crash_on_second)
    with pytest.raises(Crash):
        write_many(paths, segment(title="Batch"), show())
    monkeypatch.undo()
    assert all(journal.journal_path(p).exists() for p in paths)
    for path, before in zip(paths, old, strict=True):
        journal.recover(path)  # replays: the second file was torn; the third untouched
        assert read_tags(path)["title"] == segment().title
        assert path.read_bytes() == before


def test_leftover_temp_from_a_crashed_rewrite_is_removed(tone):
    path = tone(".mp3")
    journal.temp_path(path).write_bytes(b"half a file")
    old = path.read_bytes()
    assert read_tags(path)["title"] is None and path.read_bytes() == old
    write_tags(path, segment(), show())
    assert not journal.temp_path(path).exists()
    assert read_tags(path)["title"] == segment().title
