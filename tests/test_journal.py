"""Rollback journals and files that change under `segpack tag`: the faults the data-driven
corpus (tests/bad/) cannot set up, because they need a run interrupted or a file swapped at a
chosen moment.

Each case runs the real command (`segment.cli.main`) and asserts the exit status, one clear
line, no traceback, and the bytes of every file the command must not change.
"""

from __future__ import annotations

import errno
import hashlib
import os
import resource
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from media import journal
from media.tagging import read_tags
from segment.cli import main
from segment.filecopy import ShortCopy, copy_exact
from tests.media_helpers import payload_hash, write_manifest
from tests.test_tagging import LONG_TITLE, Crash, torn_prefix


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(capsys, *args: str | Path) -> tuple[int, str]:
    capsys.readouterr()
    status = main([str(a) for a in args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return status, out + err


def warnings_in(text: str) -> list[str]:
    return [line for line in text.splitlines() if "warning" in line]


@pytest.fixture
def interrupted(tone, tmp_path, monkeypatch):
    """An MP3 whose in-place re-tag was torn by a crash: the journal is genuine and pending.
    Returns (audio, manifest, bytes before the interrupted write)."""

    def crash(fd, patches):
        offset, new = patches[0]
        os.pwrite(fd, torn_prefix(offset, new), offset)
        raise Crash

    audio = tone(".mp3", seconds=2.0, name="item.mp3")
    manifest = write_manifest(tmp_path)
    assert main(["tag", str(audio), "--from", str(manifest)]) == 0
    before = audio.read_bytes()
    interrupted_manifest = write_manifest(tmp_path / "other", title=LONG_TITLE)
    monkeypatch.setattr(journal, "_apply", crash)
    with pytest.raises(Crash):
        main(["tag", str(audio), "--from", str(interrupted_manifest)])
    monkeypatch.undo()
    assert journal.journal_path(audio).exists() and audio.read_bytes() != before
    return audio, manifest, before


def test_genuine_interrupted_write_is_finished_by_the_next_tag(interrupted, capsys) -> None:
    audio, manifest, before = interrupted
    status, text = run(capsys, "tag", audio, "--dry-run", "--from", manifest)
    assert status == 0 and journal.journal_path(audio).exists()  # a dry run writes nothing
    status, text = run(capsys, "tag", audio, "--from", manifest)
    assert status == 0, text
    assert warnings_in(text) == []  # replayed silently: it was ours, for this very file
    assert audio.read_bytes() == before  # restored, and the tags already matched
    assert "up to date" in text
    assert not list(audio.parent.glob(".item.mp3.segpack-*"))


def test_reading_commands_never_replay_a_journal(interrupted, capsys, tmp_path) -> None:
    audio, _, _ = interrupted
    torn = audio.read_bytes()
    journal_bytes = journal.journal_path(audio).read_bytes()
    status, text = run(capsys, "tags", audio)
    assert status == 0
    assert len(warnings_in(text)) == 1
    assert "a rollback journal from an interrupted write is pending" in text
    assert "`segpack tag` on this file finishes it" in text
    status, text = run(capsys, "import", "audio", audio, "-o", tmp_path / "imported")
    assert "is pending" in text
    assert audio.read_bytes() == torn
    assert journal.journal_path(audio).read_bytes() == journal_bytes


def test_stale_journal_after_a_new_recording_was_moved_in(interrupted, capsys, tone) -> None:
    """The interrupted file was replaced (rename: another inode) by a new recording: its
    journal is for the old one; replayed, it made the new recording undecodable."""
    audio, manifest, _ = interrupted
    new = tone(".mp3", seconds=2.0, name="new-recording.mp3")
    os.replace(new, audio)
    recording, audio_stream = audio.read_bytes(), payload_hash(audio)
    status, text = run(capsys, "tags", audio)
    assert status == 0 and audio.read_bytes() == recording  # reading: still nothing written
    status, text = run(capsys, "tag", audio, "--from", manifest)
    assert status == 0, text
    assert warnings_in(text) == [line for line in text.splitlines()
                                 if "written for another file (device and inode differ" in line]
    aside = audio.with_name(".item.mp3.segpack-journal.set-aside")
    assert aside.exists() and not journal.journal_path(audio).exists()
    assert payload_hash(audio) == audio_stream  # the new recording, tagged, its audio intact


def test_stale_journal_after_a_new_recording_was_copied_over(interrupted, capsys,
                                                             tmp_path) -> None:
    """Copied over in place (`cp new.mp3 item.mp3`: same inode, and here the same size): only
    the bytes tell; they are neither the old nor the new tag, so nothing is replayed."""
    audio, manifest, _ = interrupted
    from tests.conftest import make_tone
    from tests.media_helpers import META

    other = make_tone(tmp_path / "other.mp3", 2.0, freq=330)  # tagged as the same story,
    title = "N" + META["title"][1:]  # retitled, so it is as long as the interrupted file
    retitled = write_manifest(tmp_path / "o", title=title)
    assert main(["tag", str(other), "--from", str(retitled)]) == 0
    assert other.stat().st_size == audio.stat().st_size
    inode = audio.stat().st_ino
    shutil.copyfile(other, audio)
    assert audio.stat().st_ino == inode
    audio_stream = payload_hash(audio)
    status, text = run(capsys, "tag", audio, "--from", manifest)
    assert status == 0, text
    assert "neither the old nor the new tag" in text and len(warnings_in(text)) == 1
    assert payload_hash(audio) == audio_stream


def test_a_recording_moved_in_during_copy_and_rename_is_left_alone(tone, tmp_path, capsys,
                                                                   monkeypatch) -> None:
    """M4A is always rewritten through a temp copy; a new recording renamed over the file
    meanwhile must survive, the temp copy must go."""
    audio = tone(".m4a", seconds=2.0, name="item.m4a")
    manifest = write_manifest(tmp_path)
    newcomer = tone(".wav", seconds=2.0, name="recording.wav")
    expected = digest(newcomer)
    copy = journal._temp_copy

    def swap_meanwhile(write):
        made = copy(write)
        os.replace(newcomer, write.path)  # another program moves a new recording in
        return made

    monkeypatch.setattr(journal, "_temp_copy", swap_meanwhile)
    status, text = run(capsys, "tag", audio, "--from", manifest)
    assert status == 1
    assert [line for line in text.splitlines() if line] == [
        f"segpack: {audio}: {journal.CHANGED}"]
    assert digest(audio) == expected
    assert not list(tmp_path.glob(".item.m4a.segpack-*"))


@pytest.mark.parametrize("how", ["edited-in-place", "replaced", "appended-to"])
def test_a_file_changed_before_its_in_place_patch_is_left_alone(how, tone, tmp_path, capsys,
                                                                 monkeypatch) -> None:
    audio = tone(".mp3", seconds=2.0, name="item.mp3")
    manifest = write_manifest(tmp_path)
    assert main(["tag", str(audio), "--from", str(manifest)]) == 0  # padded: re-tags in place
    retitled = write_manifest(tmp_path / "other", title="Another title")
    write_journals = journal._write_journals

    def change_meanwhile(writes, names, fds):
        write_journals(writes, names, fds)
        if how == "edited-in-place":  # same inode, same size, same second: only bytes differ
            with open(audio, "r+b") as handle:
                handle.seek(20)
                handle.write(b"someone else's edit")
        elif how == "replaced":
            other = tmp_path / "other.mp3"
            shutil.copyfile(audio, other)
            os.replace(other, audio)
        else:
            with open(audio, "ab") as handle:
                handle.write(b"\0" * 417)

    monkeypatch.setattr(journal, "_write_journals", change_meanwhile)
    status, text = run(capsys, "tag", audio, "--from", retitled)
    monkeypatch.undo()
    changed = audio.read_bytes()
    assert status == 1 and f"{audio}: changed while segpack was tagging it" in text
    assert len([line for line in text.splitlines() if line]) == 1
    assert not list(tmp_path.glob(".item.mp3.segpack-*")), "a journal was left behind"
    assert read_tags(audio)["title"] != "Another title"
    assert audio.read_bytes() == changed


def test_tag_through_a_symlink_keeps_the_link(tone, tmp_path, capsys) -> None:
    target = tone(".m4a", seconds=2.0, name="real/item.m4a")
    link = tmp_path / "item.m4a"
    link.symlink_to("real/item.m4a")
    manifest = write_manifest(tmp_path)
    status, text = run(capsys, "tag", link, "--from", manifest)
    assert status == 0 and f"{link}: " in text
    assert link.is_symlink() and os.readlink(link) == "real/item.m4a"
    assert read_tags(target)["title"] == read_tags(link)["title"] is not None
    assert not list(tmp_path.glob(".*segpack*")) and not list(target.parent.glob(".*segpack*"))


@contextmanager
def file_size_limit(limit: int) -> Iterator[None]:
    """The kernel refuses to grow any file past `limit` bytes (RLIMIT_FSIZE: EFBIG, as a full
    disk gives ENOSPC; Python ignores the SIGXFSZ that comes with it) while the block runs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


@pytest.mark.parametrize(("suffix", "room"), [(".mp3", -1000), (".m4a", -1000), (".flac", -1000),
                                              (".m4a", 100)])
def test_a_copy_cut_short_by_the_file_system_never_replaces_the_recording(
        suffix, room, tone, tmp_path, capsys) -> None:
    """The tag must grow, so a tagged copy is written; the file system refuses its last bytes
    (as a nearly full disk does): in the copy of the audio (`room` < 0), or as mutagen grows
    the copy's tag (an M4A with `room` to spare for the copy). The copy once fell back to
    writing the rest of the audio over its own beginning, and the short, scrambled copy
    replaced the recording, exit 0; mutagen's failure was a traceback."""
    audio = tone(suffix, seconds=4.0, name=f"item{suffix}")
    manifest = write_manifest(tmp_path, title=LONG_TITLE)
    before = audio.read_bytes()
    with file_size_limit(len(before) + room):
        status, text = run(capsys, "tag", audio, "--from", manifest)
    assert status == 1, text
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 1 and "File too large" in lines[0] and str(audio) in lines[0], lines
    assert audio.read_bytes() == before
    assert not list(tmp_path.glob(".item*segpack*")), "a temp file was left behind"
    status, text = run(capsys, "tag", audio, "--from", manifest)  # room again: it is tagged
    assert status == 0, text
    assert read_tags(audio)["title"] == LONG_TITLE


@pytest.fixture
def small_disk(tmp_path) -> Iterator[Path]:
    """A 4 MB tmpfs (needs root to mount: CI runs as root; skipped elsewhere)."""
    where = tmp_path / "small"
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(where)],
                          capture_output=True, text=True)
    if made.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def fill(folder: Path, leave: int) -> None:
    """Fill `folder`'s file system until `leave` bytes are free."""
    st = os.statvfs(folder)
    (folder / "ballast").write_bytes(b"1" * max(0, st.f_bavail * st.f_frsize - leave))


def test_tag_on_a_nearly_full_disk_leaves_the_recording_whole(small_disk, tone, tmp_path,
                                                               capsys) -> None:
    """The review's case on a real file system: room for all but the last 30 KB of the copy."""
    audio = small_disk / "rec.mp3"
    shutil.copyfile(tone(".mp3", seconds=40.0), audio)
    manifest = write_manifest(tmp_path, title=LONG_TITLE)
    before = audio.read_bytes()
    fill(small_disk, len(before) - 30_000)
    status, text = run(capsys, "tag", audio, "--from", manifest)
    assert status == 1, text
    lines = [line for line in text.splitlines() if line]
    assert len(lines) == 1 and "No space left on device" in lines[0], lines
    assert audio.read_bytes() == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["ballast", "rec.mp3"]


def test_copy_exact_copies_at_the_offset_asked_even_in_user_space(tmp_path, monkeypatch) -> None:
    """Where the kernel does not copy between the two files, user space writes at `out` too
    (never at the descriptor's position), and a source that ends early is an error."""
    source, target = tmp_path / "source", tmp_path / "target"
    source.write_bytes(bytes(range(256)) * 64)
    target.write_bytes(b"H" * 100)

    def not_offered(*args):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", not_offered)
    with open(source, "rb") as src, open(target, "r+b") as dst:
        copy_exact(src.fileno(), dst.fileno(), 10, 5000, 100)
        assert dst.tell() == 0
        with pytest.raises(ShortCopy, match="the source ended after"):
            copy_exact(src.fileno(), dst.fileno(), 16000, 1000, 5100)
    assert target.read_bytes()[:5100] == b"H" * 100 + source.read_bytes()[10:5010]


@contextmanager
def read_only_folder(files: list[Path]) -> Iterator[Path]:
    """A folder (mode 555) holding `files`, moved in (a rename keeps each inode, so a genuine
    journal still names its file) and writable by the user segpack runs as (`as_other_user`)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="segpack-ro-"))  # in /tmp: any user can reach it
    folder.chmod(0o755)
    for path in files:
        moved = folder / path.name
        shutil.move(path, moved)
        if os.geteuid() == 0:
            os.chown(moved, 65534, 65534)
    folder.chmod(0o555)
    try:
        yield folder
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)


def as_other_user(*args: str | Path) -> tuple[int, str]:
    """`segpack ARGS` as a real process; as root, as uid/gid 65534 (nobody) through setpriv,
    since root may write into a read-only folder anyway (skipped where nobody cannot run
    this Python)."""
    import sys

    command = [sys.executable, "-m", "segment", *map(str, args)]
    if os.geteuid() == 0:
        drop = ["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups"]
        if shutil.which("setpriv") is None or subprocess.run(
                [*drop, sys.executable, "-c", "import segment"], cwd="/",
                capture_output=True).returncode != 0:
            pytest.skip("root, and user 65534 cannot run this Python (or no setpriv)")
        command = drop + command
    done = subprocess.run(command, cwd="/", capture_output=True, text=True, timeout=120)
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize("kind", ["foreign", "genuine"])
def test_a_journal_in_a_read_only_folder_is_one_line(kind, interrupted, tmp_path) -> None:
    """A journal beside a writable file in a read-only folder: a foreign one cannot be set
    aside, a genuine one cannot be removed once replayed; each was a PermissionError
    traceback (review-18 defect 15). Now one line, exit 1, the foreign journal untouched."""
    audio, manifest, _ = interrupted
    jpath = journal.journal_path(audio)
    if kind == "foreign":
        jpath.write_bytes(b"planted by another hand" * 4)
    with read_only_folder([audio, jpath, manifest]) as folder:
        before = digest(folder / jpath.name)
        status, text = as_other_user("tag", folder / audio.name, "--from",
                                     folder / manifest.name)
        assert status == 1, text
        assert "Traceback" not in text
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 1, text
        if kind == "foreign":
            assert "it cannot be set aside (Permission denied): move .item.mp3.segpack-" \
                "journal out of the way or make the folder writable, then tag again" in text
            assert digest(folder / jpath.name) == before
        else:
            assert "its rollback journal .item.mp3.segpack-journal was checked but cannot be " \
                "removed (Permission denied); make the folder writable, then tag again" in text


def examine(path: Path, handle) -> list | str:
    """`journal._examine` of the journal beside `path` for the file open as `handle`."""
    jfd = os.open(journal.journal_path(path), os.O_RDONLY)
    try:
        return journal._examine(jfd, os.fstat(jfd).st_size, os.fsencode(path.name),
                                handle.fileno())
    finally:
        os.close(jfd)


def test_journals_segpack_writes_stay_within_what_it_accepts(tone, monkeypatch) -> None:
    """The writer starts another journal in the folder before one would pass MAX_JOURNAL (or
    MAX_SECTIONS), so every genuine journal is one `_examine` accepts; a planted journal
    listing more files than that is refused before any is looked at (review-18 defect 16)."""
    from contextlib import ExitStack

    paths = [tone(".mp3", name=f"f{n}.mp3") for n in range(5)]
    names: list[Path] = []
    fds: list[int] = []
    with ExitStack() as stack:
        handles = [stack.enter_context(open(path, "r+b")) for path in paths]
        writes = [journal.Write(path, handle, patches=[(10, b"x" * 600)])
                  for path, handle in zip(paths, handles, strict=True)]
        monkeypatch.setattr(journal, "MAX_JOURNAL", 2000)  # two files' sections fit
        try:
            journal._write_journals(writes, names, fds)
        finally:
            for fd in fds:
                os.close(fd)
        assert len({journal.journal_path(path).stat().st_ino for path in paths}) == 3  # 2+2+1
        for path, handle in zip(paths, handles, strict=True):
            assert journal.journal_path(path).stat().st_size <= 2000
            assert examine(path, handle) == []  # genuine; the file still holds the old bytes
        monkeypatch.setattr(journal, "MAX_SECTIONS", 1)
        assert examine(paths[0], handles[0]) == "its rollback journal lists 2 files (segpack " \
            "lists a batch, 1 at most): not segpack's"
    for name in names:
        name.unlink(missing_ok=True)
