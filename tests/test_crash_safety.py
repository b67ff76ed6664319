"""Crash safety: `segpack tag` and `segpack build` killed with SIGKILL at random moments.

After each kill, the next segpack run that touches a file replays its rollback journal; then every
audio file must be the old version or the new one, whole: mutagen opens it, its audio stream
(ffmpeg `-map 0:a -c copy -f md5`) is the one it always had, and its tags are the old set or the
new set. A build's public/feed.xml must be the previous complete feed or the new one (it parses
and equals one of them) and the show's own files are never written.

The same rig drives `scripts/soak.py` (hundreds of kills); here a few kills each keep the suite
fast. Kill moments are random but seeded and printed, so a failure can be replayed.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import ROOT, make_tone
from tests.media_helpers import payload_hash as audio_md5
from tests.media_helpers import payload_hashes

SEGPACK = [sys.executable, "-m", "segment"]

SHOW_YAML = """\
title: Crash Show
description: Killed at random moments
language: en
author: Test Newsroom
feed_url: https://example.org/crash/feed.xml
media_base_url: https://example.org/crash/
categories: [News]
owner: {name: Test Owner, email: owner@example.org}
explicit: false
image: {url: https://example.org/cover.png}
"""


def manifest(sid: str, title: str, words: int, *, chapters: int = 0, seconds: int = 1) -> str:
    """A valid manifest; `words` sizes the transcript (and so the tag)."""
    body = " ".join(f"{title.split()[0].lower()}{i % 97}" for i in range(words))
    marks = "".join(f"  - {{start: '0:{i:02d}', title: Part {i} of {title}}}\n"
                    for i in range(chapters))
    return (f"---\nid: {sid}\ntitle: {title}\nsummary: Summary of {title}.\n"
            f"duration: '0:{seconds:02d}'\nlanguage: en\npublished: 2024-03-01T09:00:00Z\n"
            f"audio: {{file: media/{sid}.mp3}}\n"
            + (f"chapters:\n{marks}" if chapters else "") + f"---\n{body}\n")


def segpack(*args: str | Path) -> subprocess.Popen:
    """`segpack ARGS` in a session of its own, as from a terminal: its process group is what
    Ctrl-C reaches, and what is left of it after a kill can be counted (`session`)."""
    return subprocess.Popen([*SEGPACK, *map(str, args)], cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def run_to_end(*args: str | Path) -> None:
    done = subprocess.run([*SEGPACK, *map(str, args)], cwd=ROOT, capture_output=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr.decode()


KILLS = (("pid", signal.SIGKILL), ("pid", signal.SIGTERM), ("group", signal.SIGKILL),
         ("group", signal.SIGINT))
"""How a run is stopped: a signal to its PID alone (its workers must notice), or to its whole
process group (SIGINT: Ctrl-C at a terminal)."""


def kill_after(process: subprocess.Popen, delay: float,
               how: tuple[str, int] = ("pid", signal.SIGKILL)) -> bool:
    """Send `how` to `process` after `delay` s and wait for it to end; False when it had
    already finished by then."""
    try:
        process.wait(timeout=delay)
        return False
    except subprocess.TimeoutExpired:
        target, signum = how
        try:
            if target == "group":
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)
        except ProcessLookupError:
            pass
        process.wait()
        return True


def session(sid: int) -> list[tuple[int, str]]:
    """(pid, command) of the live (not zombie) processes in session `sid` (Linux /proc; empty
    elsewhere)."""
    found = []
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
            with open(f"/proc/{entry.name}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z" and int(fields[3]) == sid:
            found.append((int(entry.name), command[:100]))
    return found


def left_after(process: subprocess.Popen, limit: float = 10.0) -> list[tuple[int, str]]:
    """The processes left of `process`'s session once it ended (after up to `limit` s)."""
    process.wait()
    deadline = time.monotonic() + limit
    while (left := session(process.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def kill_moment(rng: random.Random, duration: float, writes_from: float) -> float:
    """Seconds to wait before the kill: any moment of the run, but mostly after `writes_from`
    (how long a run that writes nothing takes), where the writing happens."""
    if rng.random() < 0.25:
        return rng.uniform(0.0, duration * 1.1)
    return rng.uniform(writes_from * 0.9, duration * 1.05)


def timed(*args: str | Path) -> float:
    started = time.monotonic()
    run_to_end(*args)
    return time.monotonic() - started


def kill_when_writing(process: subprocess.Popen, folder: Path, marker: str, extra: float,
                      limit: float, how: tuple[str, int] = ("pid", signal.SIGKILL)) -> bool:
    """SIGKILL `process` `extra` s after a name containing `marker` (a journal, temp file or
    staging folder) appears in `folder`: aims at the few milliseconds where bytes change.
    False when the process finished first."""
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:
        if any(marker in entry.name for entry in os.scandir(folder)):
            return kill_after(process, extra, how)
        time.sleep(0.0005)
    return kill_after(process, 0.0, how)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Figures:
    kills: int = 0
    kills_mid_write: int = 0  # the kill left journals, temp files or folders, or a mix of files
    runs_finished_first: int = 0  # the process ended before its kill moment
    files_checked: int = 0
    files_new_bytes: int = 0  # neither the old nor the reference new bytes, yet valid
    feeds_checked: int = 0
    leftovers: int = 0  # processes still running once a killed run ended (must stay 0)
    corruptions: list[str] = field(default_factory=list)

    def line(self) -> str:
        return (f"kills {self.kills} (mid-write {self.kills_mid_write}), finished before the "
                f"kill {self.runs_finished_first}, "
                f"files checked {self.files_checked} (valid but other bytes "
                f"{self.files_new_bytes}), feeds checked {self.feeds_checked}, "
                f"processes left {self.leftovers}, corruptions {len(self.corruptions)}")


# --- segpack tag -------------------------------------------------------------------------------

@dataclass
class TagRig:
    """`count` audio files in every state that takes a different write path, their old bytes
    and tags, and the tags (and usual bytes) a complete `segpack tag --from new.md` gives."""

    folder: Path
    files: list[Path]
    new_manifest: Path
    old: dict[Path, bytes]
    old_tags: dict[Path, dict]
    new_tags: dict[Path, dict]
    new_digest: dict[Path, str]
    audio: dict[Path, str]
    duration: float  # seconds of an uninterrupted run
    planning: float  # seconds of a --dry-run (no writes)

    @classmethod
    def make(cls, folder: Path, count: int = 40) -> TagRig:
        from media.tagging import read_tags, write_tags
        from segment.loading import load_segment

        folder.mkdir(parents=True, exist_ok=True)
        seeds = folder / "seeds"
        seeds.mkdir(exist_ok=True)
        specs = {name: (folder / f"{name}.md", text) for name, text in {
            "big": manifest("big", "Big Old Tag", 2500, chapters=8, seconds=10),
            "small": manifest("small", "Small Old Tag", 20),
            "new": manifest("new", "Brand New Title", 900, chapters=4, seconds=10)}.items()}
        for path, text in specs.values():
            path.write_text(text, encoding="utf-8")
        old_big = load_segment(specs["big"][0]).segment
        old_small = load_segment(specs["small"][0]).segment
        kinds = ["bare", "padded-fits", "padded-grows", "v23", "v1", "m4a", "flac"]
        files = []
        for index in range(count):
            kind = kinds[index % len(kinds)] if index < 2 * len(kinds) else \
                ["bare", "padded-fits", "padded-grows"][index % 3]
            suffix = {"m4a": ".m4a", "flac": ".flac"}.get(kind, ".mp3")
            seed = seeds / f"{index % 3}{suffix}"
            if not seed.exists():
                make_tone(seed, 1.0 + index % 3, freq=330 + 110 * (index % 3))
            path = folder / f"{index:03d}-{kind}{suffix}"
            shutil.copyfile(seed, path)
            if kind in ("padded-fits", "m4a", "flac"):
                write_tags(path, old_big)  # a large old tag: the new one fits its region
            elif kind == "padded-grows":
                write_tags(path, old_small)  # small tag + padding: the new one must grow
            elif kind in ("v23", "v1"):
                from mutagen.id3 import ID3, TIT2

                tags = ID3()
                tags.add(TIT2(encoding=1, text=["An ID3v2.3 title"]))
                tags.save(path, v2_version=3, v1=2 if kind == "v1" else 0)
            files.append(path)
        old = {p: p.read_bytes() for p in files}
        old_tags = {p: read_tags(p) for p in files}
        audio = dict(zip(files, payload_hashes(files), strict=True))
        duration = planning = 1e9
        for _ in range(2):  # steady-state lengths of a run and of its planning, to aim kills
            for path in files:
                path.write_bytes(old[path])
            planning = min(planning, timed("tag", *files, "--from", specs["new"][0],
                                           "--dry-run"))
            duration = min(duration, timed("tag", *files, "--from", specs["new"][0]))
        new_tags = {p: read_tags(p) for p in files}
        new_digest = {p: digest(p.read_bytes()) for p in files}
        assert all(new_tags[p] != old_tags[p] for p in files)
        assert payload_hashes(files) == [audio[p] for p in files]
        rig = cls(folder, files, specs["new"][0], old, old_tags, new_tags, new_digest, audio,
                  duration, planning)
        rig.restore()
        return rig

    def restore(self) -> None:
        """Every file back to its old version (and no journal or temp left)."""
        for path in self.files:
            for leftover in path.parent.glob(f".{path.name}.segpack-*"):
                leftover.unlink()
            path.write_bytes(self.old[path])

    def round(self, rng: random.Random, figures: Figures, *, kills: int = 1) -> None:
        """Start the tag run `kills` times (each on what the last one left), kill each at a
        random moment, then check every file."""
        for _ in range(kills):
            process = segpack("tag", *self.files, "--from", self.new_manifest)
            if rng.random() < 0.5:
                killed_now = kill_when_writing(process, self.folder, ".segpack-",
                                               rng.uniform(0.0, 0.008), self.duration * 3)
            else:
                killed_now = kill_after(process, kill_moment(rng, self.duration, self.planning))
            if not killed_now:
                figures.runs_finished_first += 1
                continue
            figures.kills += 1
            leftovers = any(self.folder.glob(".*.segpack-*"))
            new = sum(digest(p.read_bytes()) == self.new_digest[p] for p in self.files)
            if leftovers or 0 < new < len(self.files):
                figures.kills_mid_write += 1
        self.check(figures)

    def check(self, figures: Figures) -> None:
        from media.journal import recover
        from media.tagging import read_tags

        for path in self.files:
            figures.files_checked += 1
            try:
                recover(path)  # as the next `segpack tag` run does first (reading does not)
                tags = read_tags(path)
            except Exception as exc:  # any failure to read is a corruption
                figures.corruptions.append(f"{path.name}: unreadable after a kill: {exc}")
                continue
            data = path.read_bytes()
            if data == self.old[path] or digest(data) == self.new_digest[path]:
                continue
            figures.files_new_bytes += 1
            problems = []
            if tags not in (self.old_tags[path], self.new_tags[path]):
                problems.append("tags are neither the old nor the new set")
            try:
                import mutagen

                if mutagen.File(path) is None:
                    problems.append("mutagen does not recognise it")
                if audio_md5(path) != self.audio[path]:
                    problems.append("audio stream changed")
            except Exception as exc:
                problems.append(f"{exc.__class__.__name__}: {exc}")
            if problems:
                figures.corruptions.append(f"{path.name}: " + "; ".join(problems))
        aside = list(self.folder.glob(".*.set-aside*"))
        if aside:  # every journal a kill leaves is segpack's own, for that very file
            figures.corruptions.append(f"journals from kills were set aside: {aside}")


# --- segpack build -----------------------------------------------------------------------------

@dataclass
class BuildRig:
    """A show of `count` local-audio segments in two versions (titles differ) and the complete
    feed each version builds; the build alternates between them so each run changes something."""

    show: Path
    output: Path
    feeds: dict[str, bytes]
    sources: dict[Path, str]
    duration: float
    planning: float = 0.0
    version: str = "a"
    user_files: dict[str, bytes] = field(default_factory=dict)
    """Files of the user's in the output (a gh-pages CNAME, .git): kept through every kill."""
    jobs: str = "1"
    kills: tuple[tuple[str, int], ...] = (("pid", signal.SIGKILL),)

    @classmethod
    def make(cls, folder: Path, count: int = 12, user_files: bool = False,
             workers: bool = False) -> BuildRig:
        """`workers`: show.yaml asks to encode, so media work runs in 2 worker processes, and
        the kills vary (`KILLS`)."""
        show = folder / "show"
        (show / "segments").mkdir(parents=True)
        (show / "media").mkdir()
        (show / "show.yaml").write_text(
            SHOW_YAML + ("audio: {encode: mp3, bitrate: 64k}\n" if workers else ""),
            encoding="utf-8")
        seed = folder / "seed.mp3"
        make_tone(seed, 1.0)
        for index in range(count):
            shutil.copyfile(seed, show / "media" / f"s{index:03d}.mp3")
        rig = cls(show, folder / "public", {}, {}, 0.0)
        if workers:
            rig.jobs, rig.kills = "2", KILLS
        for version in ("b", "a"):
            rig.write_version(version)
            reference = folder / f"reference-{version}"
            started = time.monotonic()
            run_to_end("build", show, "-o", reference, "--jobs", rig.jobs)
            rig.duration = max(rig.duration, time.monotonic() - started)
            rig.feeds[version] = (reference / "feed.xml").read_bytes()
        rig.sources = {p: digest(p.read_bytes()) for p in show.rglob("*") if p.is_file()}
        if user_files:  # the output is then updated file by file, not swapped whole
            rig.output.mkdir()
            rig.user_files = {"CNAME": b"podcast.example.org\n", ".git/HEAD": b"ref: x\n"}
            for rel, data in rig.user_files.items():
                (rig.output / rel).parent.mkdir(parents=True, exist_ok=True)
                (rig.output / rel).write_bytes(data)
        run_to_end("build", show, "-o", rig.output, "--jobs", rig.jobs)
        rig.planning = timed("build", show, "-o", rig.output, "--check", "--jobs", rig.jobs)
        return rig

    def write_version(self, version: str) -> None:
        count = len(list((self.show / "media").glob("*.mp3")))
        for index in range(count):
            sid = f"s{index:03d}"
            title = f"{'Alpha' if version == 'a' else 'Bravo'} story {index}"
            (self.show / "segments" / f"{sid}.md").write_text(
                manifest(sid, title, 40 + index), encoding="utf-8")
        self.version = version

    def round(self, rng: random.Random, figures: Figures) -> None:
        """Switch the show to the other version, start a build, kill it at a random moment,
        check; then the next build runs to the end and must publish the new version whole."""
        previous = (self.output / "feed.xml").read_bytes()
        self.write_version("b" if self.version == "a" else "a")
        process = segpack("build", self.show, "-o", self.output, "--jobs", self.jobs)
        how = rng.choice(self.kills)
        if rng.random() < 0.5:
            killed = kill_when_writing(process, self.output.parent, f".{self.output.name}.",
                                       rng.uniform(0.0, 0.1), self.duration * 3, how)
        else:
            killed = kill_after(process, kill_moment(rng, self.duration, self.planning), how)
        if killed:
            figures.kills += 1
            if any(self.output.parent.glob(f".{self.output.name}.*-*")):
                figures.kills_mid_write += 1
        else:
            figures.runs_finished_first += 1
        left = left_after(process)
        if left:
            figures.leftovers += len(left)
            figures.corruptions.append(f"processes left running after {how}: {left}")
        self.check_feed(figures, previous)
        started = time.monotonic()
        run_to_end("build", self.show, "-o", self.output, "--jobs", self.jobs)
        self.duration = 0.7 * self.duration + 0.3 * (time.monotonic() - started)
        self.check_feed(figures, previous, must_be_new=True)
        leftovers = list(self.output.parent.glob(f".{self.output.name}.*-*"))
        if leftovers:
            figures.corruptions.append(f"temp folders left by killed builds: {leftovers}")

    def check_feed(self, figures: Figures, previous: bytes, must_be_new: bool = False) -> None:
        from lxml import etree

        figures.feeds_checked += 1
        feed = self.output / "feed.xml"
        try:
            data = feed.read_bytes()
            etree.fromstring(data)
        except Exception as exc:  # a missing or broken feed is a corruption
            figures.corruptions.append(f"feed.xml after a kill: {exc}")
            return
        allowed = [self.feeds[self.version]] if must_be_new else [previous,
                                                                  self.feeds[self.version]]
        if data not in allowed:
            figures.corruptions.append("feed.xml is neither the previous nor the new feed")
        for path, sha in self.sources.items():
            if path.parent.name == "media" and digest(path.read_bytes()) != sha:
                figures.corruptions.append(f"{path.name}: the build wrote a show file")
        import mutagen

        for published in (self.output / "media").glob("*.mp3"):
            if mutagen.File(published) is None:
                figures.corruptions.append(f"public/media/{published.name}: not audio")
        for rel, data in self.user_files.items():
            if (self.output / rel).read_bytes() != data:
                figures.corruptions.append(f"public/{rel}: the user's file changed")
        from feeds.output import RECORD, RECORD_TEMP, read_record

        listed = read_record(self.output) or set()  # (a kill may leave the list's temp file)
        unlisted = [p for p in self.output.rglob("*") if p.is_file() and
                    str(p.relative_to(self.output)) not in {*listed, *self.user_files,
                                                             RECORD, RECORD_TEMP}]
        if unlisted:
            figures.corruptions.append(f"files segpack wrote but did not list: {unlisted}")


# --- the tests ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def tag_rig(tmp_path_factory) -> TagRig:
    return TagRig.make(tmp_path_factory.mktemp("crash-tag"), count=40)


def test_tag_killed_at_random_moments_leaves_each_file_old_or_new(tag_rig: TagRig) -> None:
    rng = random.Random(int(os.environ.get("SEGPACK_CRASH_SEED", "7")))
    figures = Figures()
    for attempt in range(4):
        tag_rig.restore()
        tag_rig.round(rng, figures, kills=1 + attempt % 2)
    assert not figures.corruptions, figures.corruptions
    assert figures.files_checked == 4 * len(tag_rig.files)


def test_tag_after_a_kill_completes_every_file(tag_rig: TagRig) -> None:
    from media.tagging import read_tags

    tag_rig.restore()
    kill_after(segpack("tag", *tag_rig.files, "--from", tag_rig.new_manifest),
               tag_rig.duration / 2)
    run_to_end("tag", *tag_rig.files, "--from", tag_rig.new_manifest)
    for path in tag_rig.files:
        assert read_tags(path) == tag_rig.new_tags[path], path.name
        left = list(path.parent.glob(f".{path.name}.segpack-*"))
        assert not left, f"journal, temp file or set-aside journal left: {left}"
    assert audio_md5(tag_rig.files[0]) == tag_rig.audio[tag_rig.files[0]]


@pytest.mark.parametrize("user_files", [False, True], ids=["whole", "beside-user-files"])
def test_build_killed_at_random_moments_keeps_a_complete_feed(tmp_path, user_files) -> None:
    rng = random.Random(int(os.environ.get("SEGPACK_CRASH_SEED", "7")))
    rig = BuildRig.make(tmp_path, count=8, user_files=user_files)
    figures = Figures()
    for _ in range(3):
        rig.round(rng, figures)
    assert not figures.corruptions, figures.corruptions
    assert figures.feeds_checked == 6
