"""The output folder belongs to the user too: segpack replaces or deletes only the files it
listed in `.segpack-files`, builds through a symbolic link into its target, and touches only
the folders beside the output that its own journal names. Every refused case asserts the exit
status, one line, no traceback, and the output (and what lies beside it) byte-identical."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from feeds import output as output_mod
from tests.test_build import manifest, run, write_show

LINK = ("audio: {direct_link: 'https://n.example.org/a.mp3', length: 10, type: audio/mpeg}\n"
        "source: {url: 'https://n.example.org/a.html'}\n")
BROKEN = manifest("a", duration="forever", audio=LINK)


def tree(folder: Path) -> dict[str, bytes | str]:
    """Every entry under `folder`: file bytes, link targets, and folders (as "dir")."""
    found: dict[str, bytes | str] = {}
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder))
        if path.is_symlink():
            found[rel] = "link:" + os.readlink(path)
        elif path.is_dir():
            found[rel] = "dir"
        else:
            found[rel] = path.read_bytes()
    return found


def listed(folder: Path) -> set[str]:
    record = output_mod.read_record(folder)
    assert record is not None, "no .segpack-files"
    return record


def show_of(tmp_path: Path, *ids: str) -> Path:
    return write_show(tmp_path / "show", {sid: manifest(sid, audio=LINK) for sid in ids})


def refused(tmp_path: Path, capsys, *args, code: int = 2, lines: int = 1) -> str:
    """Run a build that must be refused; the folder holding show and output is unchanged.
    `lines`: a refusal is one line; bad input is its finding and the line saying so."""
    before = tree(tmp_path)
    status, _, err = run(*args, capsys=capsys)
    assert status == code, err
    assert "Traceback" not in err
    assert err.count("\n") == lines, err
    after = tree(tmp_path)
    changed = {k for k in before.keys() | after.keys()
               if before.get(k) != after.get(k) and not k.startswith(".segpack-cache")}
    assert not changed, f"changed by a refused build: {sorted(changed)}"
    return err


def test_gh_pages_checkout_keeps_its_git_cname_and_nojekyll(tmp_path, capsys) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git not installed")
    show = show_of(tmp_path, "a", "b", "c")
    out = tmp_path / "public"
    out.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run([git, "init", "-q", "-b", "gh-pages", str(out)], check=True, env=env)
    (out / "CNAME").write_text("podcast.example.org\n", encoding="utf-8")
    (out / ".nojekyll").write_bytes(b"")
    subprocess.run([git, "-C", str(out), "add", "-A"], check=True, env=env)
    subprocess.run([git, "-C", str(out), "commit", "-qm", "site"], check=True, env=env)
    git_files = {k: v for k, v in tree(out).items() if k.startswith(".git")}

    assert run(show, "-o", out, capsys=capsys)[0] == 0
    assert listed(out) >= {"feed.xml", "index.html", "transcripts/a.txt"}
    assert not {name for name in listed(out) if name.startswith((".git", "CNAME", ".noj"))}
    (show / "segments" / "c.md").unlink()  # an episode dropped: its files go, nothing else
    (show / "segments" / "a.md").write_text(manifest("a", title="New title", audio=LINK),
                                            encoding="utf-8")
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    now = tree(out)
    assert (out / "CNAME").read_text(encoding="utf-8") == "podcast.example.org\n"
    assert (out / ".nojekyll").read_bytes() == b""
    assert {k: v for k, v in now.items() if k.startswith(".git")} == git_files
    assert "transcripts/c.txt" not in now and "transcripts/a.txt" in now
    assert b"New title" in (out / "feed.xml").read_bytes()
    assert "transcripts/c.txt" not in listed(out)
    status = subprocess.run([git, "-C", str(out), "status", "--porcelain"], check=True,
                            capture_output=True, text=True, env=env).stdout
    assert " CNAME" not in status and "feed.xml" in status  # the repository still works
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".public.")]


def test_first_build_into_a_folder_of_other_files_deletes_nothing(tmp_path, capsys) -> None:
    show = show_of(tmp_path, "a")
    precious = tmp_path / "precious"
    (precious / "media").mkdir(parents=True)
    (precious / "thesis.txt").write_text("years of work", encoding="utf-8")
    (precious / "media" / "interview.wav").write_bytes(b"RIFF....")
    before = tree(precious)
    assert run(show, "-o", precious, capsys=capsys)[0] == 0
    after = tree(precious)
    assert {k: after[k] for k in before} == before
    assert (precious / "feed.xml").is_file()
    assert "thesis.txt" not in listed(precious)


def test_a_web_root_holding_a_segpack_feed_keeps_the_rest_of_the_site(tmp_path, capsys) -> None:
    """The swept case: a web root that happens to hold a feed.xml segpack made was replaced
    whole. Only that feed.xml is segpack's now."""
    show = show_of(tmp_path, "a")
    elsewhere = tmp_path / "elsewhere"
    assert run(show, "-o", elsewhere, capsys=capsys)[0] == 0
    root = tmp_path / "www"
    (root / "css").mkdir(parents=True)
    shutil.copyfile(elsewhere / "feed.xml", root / "feed.xml")
    (root / "about.html").write_text("<p>about</p>\n", encoding="utf-8")
    (root / "css" / "site.css").write_text("body{}\n", encoding="utf-8")
    site = {k: v for k, v in tree(root).items() if k != "feed.xml"}
    assert run(show, "-o", root, capsys=capsys)[0] == 0
    after = tree(root)
    assert {k: after[k] for k in site} == site


@pytest.mark.parametrize("name", ["index.html", "feed.xml"])
def test_the_sites_own_index_or_feed_is_refused_then_overwritten_on_request(
        tmp_path, capsys, name) -> None:
    show = show_of(tmp_path, "a")
    root = tmp_path / "public"
    root.mkdir()
    (root / name).write_text("<html>the site's own</html>\n", encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\n", encoding="utf-8")
    err = refused(tmp_path, capsys, show, "-o", root)
    assert f"{root / name} was not written by segpack" in err and "--overwrite" in err
    err = refused(tmp_path, capsys, show, "-o", root, "--check")  # CI's check says so too
    assert "--overwrite" in err

    assert run(show, "-o", root, "--overwrite", capsys=capsys)[0] == 0
    assert b"the site's own" not in (root / name).read_bytes()
    assert (root / "robots.txt").read_text(encoding="utf-8") == "User-agent: *\n"
    assert name in listed(root)
    (show / "segments" / "a.md").touch()
    assert run(show, "-o", root, capsys=capsys)[0] == 0  # segpack's now: no flag needed


def test_a_user_file_where_a_new_episode_goes_is_refused_after_the_work(tmp_path,
                                                                        capsys) -> None:
    show = show_of(tmp_path, "a")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    (out / "transcripts" / "b.txt").write_text("my notes\n", encoding="utf-8")
    (show / "segments" / "b.md").write_text(manifest("b", audio=LINK), encoding="utf-8")
    err = refused(tmp_path, capsys, show, "-o", out)
    assert f"{out / 'transcripts' / 'b.txt'} was not written by segpack" in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".public.")]


def test_user_files_inside_segpacks_folders_are_kept(tmp_path, tone, capsys) -> None:
    show = show_of(tmp_path, "a")
    (show / "media").mkdir()
    shutil.copyfile(tone(".mp3", seconds=1.0), show / "media" / "b.mp3")
    (show / "segments" / "b.md").write_text(
        manifest("b", duration="0:01", audio="audio: {file: media/b.mp3}\n"), encoding="utf-8")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    (out / "media" / "trailer.mp3").write_bytes(b"ID3 the trailer")
    (show / "segments" / "b.md").unlink()
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    assert (out / "media" / "trailer.mp3").read_bytes() == b"ID3 the trailer"
    assert not (out / "media" / "b.mp3").exists()  # segpack's, and no longer published
    assert "media/b.mp3" not in listed(out)


def test_an_unreadable_or_planted_list_is_not_trusted(tmp_path, capsys) -> None:
    show = show_of(tmp_path, "a")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    (out / "keep.txt").write_text("mine\n", encoding="utf-8")
    with open(out / output_mod.RECORD, "a", encoding="utf-8") as handle:
        handle.write("../show/show.yaml\n/etc/hostname\nkeep.txt/../../x\n")
    (show / "segments" / "a.md").touch()
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    assert (out / "keep.txt").read_text(encoding="utf-8") == "mine\n"
    assert (show / "show.yaml").is_file()
    assert listed(out) == {"feed.xml", "index.html", "transcripts/a.txt", "transcripts/a.html",
                          "transcripts/style.css"}


def test_output_through_a_symbolic_link_builds_into_its_target(tmp_path, capsys) -> None:
    show = show_of(tmp_path, "a")
    site = tmp_path / "srv" / "podcast"
    site.mkdir(parents=True)
    link = tmp_path / "public"
    link.symlink_to(site)
    for title in ("First", "Second"):
        (show / "segments" / "a.md").write_text(manifest("a", title=title, audio=LINK),
                                                encoding="utf-8")
        status, _, err = run(show, "-o", link, capsys=capsys)
        assert status == 0, err
        assert link.is_symlink() and os.readlink(link) == str(site)
        assert title.encode() in (site / "feed.xml").read_bytes()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".public.")]
    assert [p.name for p in site.parent.iterdir()] == ["podcast"]  # no cache in the web root
    assert (tmp_path / ".segpack-cache" / "public").is_dir()
    (show / "segments" / "a.md").touch()
    assert run(show, "-o", link, capsys=capsys)[0] == 0  # up to date through the link too


def test_a_link_to_a_folder_not_made_yet_is_followed(tmp_path, capsys) -> None:
    show = show_of(tmp_path, "a")
    (tmp_path / "srv").mkdir()
    link = tmp_path / "public"
    link.symlink_to(tmp_path / "srv" / "podcast")
    assert run(show, "-o", link, capsys=capsys)[0] == 0
    assert link.is_symlink() and (tmp_path / "srv" / "podcast" / "feed.xml").is_file()


def test_glob_characters_in_the_output_name_touch_no_other_folder(tmp_path, capsys,
                                                                   monkeypatch) -> None:
    show = show_of(tmp_path, "a")
    other = tmp_path / "p1"
    assert run(show, "-o", other, capsys=capsys)[0] == 0
    lookalikes = [tmp_path / ".p1.build-0123456789abcdef", tmp_path / ".p1.old-0123456789abcdef",
                  tmp_path / ".p1.trash-0123456789abcdef"]
    for folder in lookalikes:
        folder.mkdir()
        (folder / "feed.xml").write_text("someone else's\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for _ in range(2):
        (show / "segments" / "a.md").touch()
        assert run(show, "-o", "p*", capsys=capsys)[0] == 0
    assert (tmp_path / "p*" / "feed.xml").is_file()
    for folder in lookalikes:
        assert (folder / "feed.xml").read_text(encoding="utf-8") == "someone else's\n"


def test_an_old_folder_segpack_never_recorded_is_never_restored(tmp_path, capsys) -> None:
    show = show_of(tmp_path, "a")
    planted = tmp_path / ".public.old-0123456789abcdef"
    planted.mkdir()
    (planted / "feed.xml").write_text("<rss>planted</rss>\n", encoding="utf-8")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    assert b"planted" not in (out / "feed.xml").read_bytes()
    assert (planted / "feed.xml").read_text(encoding="utf-8") == "<rss>planted</rss>\n"


def test_a_swap_killed_between_its_renames_is_put_back_only_by_a_build_that_publishes(
        tmp_path, capsys, monkeypatch) -> None:
    """Where RENAME_EXCHANGE is missing the swap takes two renames; a build killed between
    them leaves no output, only the old one aside, named in the journal. A refused build leaves
    that as it is; the next good build puts it back, then replaces it."""
    show = show_of(tmp_path, "a")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    journal = output_mod.Journal(out)
    aside = journal.new_folder("old", sync=True, make=False)
    os.rename(out, aside)  # what `_swap_whole` does right before the kill
    kept = tree(aside)

    (show / "segments" / "a.md").write_text(BROKEN, encoding="utf-8")
    err = refused(tmp_path, capsys, show, "-o", out, code=1, lines=2)
    assert "nothing published" in err
    assert not out.exists() and tree(aside) == kept

    monkeypatch.setattr(output_mod, "_exchange", lambda new, current: False)
    (show / "segments" / "a.md").write_text(manifest("a", title="Fixed", audio=LINK),
                                            encoding="utf-8")
    status, _, err = run(show, "-o", out, capsys=capsys)
    assert status == 0, err
    assert "put back the previous output" in err
    assert b"Fixed" in (out / "feed.xml").read_bytes()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".public.")]
    assert not journal.entries()


def test_leftovers_of_killed_builds_are_removed_by_the_next_build(tmp_path, capsys) -> None:
    """Temp folders the journal names are removed by any later build of the output, even an
    up-to-date or refused one; an old output set aside (above) only by one that publishes."""
    show = show_of(tmp_path, "a")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    dead = output_mod.new_staging(out)  # a build killed while writing left this
    (dead / "feed.xml").write_text("half", encoding="utf-8")
    status, stdout, _ = run(show, "-o", out, capsys=capsys)
    assert status == 0 and "up to date" in stdout
    assert not dead.exists()
    assert not output_mod.Journal(out).entries()


def unprivileged(args: list[str]) -> tuple[int, str]:
    """`segpack ARGS` in a child process without root's power to ignore permissions (as
    nobody when the tests run as root; forked, so it needs no interpreter nobody may run):
    (exit status, stderr)."""
    import io

    from segment.cli import main

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop root, run, report, leave without cleanup
        status = 99
        try:
            os.close(read)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
            sys.stderr = sys.stdout = io.StringIO()
            status = main(args)
            os.write(write, sys.stderr.getvalue().encode())
        finally:
            os._exit(status)
    os.close(write)
    with os.fdopen(read, "rb") as handle:
        err = handle.read().decode()
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]), err


def test_a_read_only_old_output_leaves_no_trash(capsys) -> None:
    """Deleting the old output made its read-only folders writable first (the swept case:
    a `.public.trash-*` copy piled up on every build)."""
    work = Path(tempfile.mkdtemp(prefix="segpack-ro-"))
    try:
        os.chmod(work, 0o777)
        show = show_of(work, "a")
        build = ["build", str(show), "-o", str(work / "public"), "--jobs", "1"]
        assert run(*build[1:], capsys=capsys)[0] == 0  # as ourselves: imports what it needs
        if os.geteuid() == 0:
            for path in [work, *work.rglob("*")]:
                os.chown(path, 65534, 65534, follow_symlinks=False)
        for n in range(3):
            for path in [work / "public", *(work / "public").rglob("*")]:
                path.chmod(0o555 if path.is_dir() else 0o444)
            (show / "segments" / "a.md").write_text(manifest("a", title=f"T{n}", audio=LINK),
                                                    encoding="utf-8")
            status, err = unprivileged(build)
            assert status == 0, err
            assert "Traceback" not in err
            assert f"T{n}".encode() in (work / "public" / "feed.xml").read_bytes()
            left = [p.name for p in work.iterdir() if p.name.startswith(".public.")]
            assert not left, left
    finally:
        for path in [work, *work.rglob("*")]:
            if path.is_dir() and not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(work)


# -- review-18 second read: the user's files inside and around the output ---------------------

def write_during_sync(monkeypatch, write) -> None:
    """Run `write()` the first time the build syncs before publishing: after it looked for
    the user's files, before it swaps (a user saving a file into the output meanwhile)."""
    real = output_mod.sync_file_system
    calls = []

    def sync(folder):
        if not calls:
            calls.append(folder)
            write()
        real(folder)

    monkeypatch.setattr(output_mod, "sync_file_system", sync)


def test_a_file_put_in_the_output_during_the_swap_is_kept(tmp_path, capsys,
                                                          monkeypatch) -> None:
    """The whole-folder swap took the user's new files along into the old output, which was
    deleted whole (8 of 10 notes lost in the review's race). Now the old output loses only
    its listed files; the rest goes back into the output."""
    show = show_of(tmp_path, "a", "b")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0

    def user_saves():
        (out / "notes.txt").write_text("the user's notes\n", encoding="utf-8")
        (out / "transcripts" / "mine.txt").write_text("mine\n", encoding="utf-8")
        (out / "drafts").mkdir()
        (out / "drafts" / "d.txt").write_text("draft\n", encoding="utf-8")

    write_during_sync(monkeypatch, user_saves)
    (show / "segments" / "a.md").write_text(manifest("a", title="New title", audio=LINK),
                                            encoding="utf-8")
    status, _, err = run(show, "-o", out, capsys=capsys)
    assert status == 0 and err == "", err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "the user's notes\n"
    assert (out / "transcripts" / "mine.txt").read_text(encoding="utf-8") == "mine\n"
    assert (out / "drafts" / "d.txt").read_text(encoding="utf-8") == "draft\n"
    assert b"New title" in (out / "feed.xml").read_bytes()
    assert not {"notes.txt", "transcripts/mine.txt", "drafts/d.txt"} & listed(out)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".public.")]


def test_a_file_put_in_the_output_during_the_swap_under_a_name_the_build_writes(
        tmp_path, capsys, monkeypatch) -> None:
    """The new build wrote a file of that name: the user's stays in the old output beside
    it, said in one line, until moved back by hand; no build deletes it."""
    show = show_of(tmp_path, "a")
    out = tmp_path / "public"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    write_during_sync(monkeypatch, lambda: (out / "transcripts" / "b.txt").write_text(
        "the user's b\n", encoding="utf-8"))
    (show / "segments" / "b.md").write_text(manifest("b", audio=LINK), encoding="utf-8")
    status, _, err = run(show, "-o", out, capsys=capsys)
    assert status == 0, err
    lines = err.splitlines()
    assert len(lines) == 1 and "transcripts/b.txt" in lines[0] and "move them back" in lines[0]
    [old] = [p for p in tmp_path.iterdir() if p.name.startswith(".public.")]
    assert (old / "transcripts" / "b.txt").read_text(encoding="utf-8") == "the user's b\n"
    assert sorted(str(p.relative_to(old)) for p in old.rglob("*")) == [
        "transcripts", "transcripts/b.txt"]
    monkeypatch.undo()
    (show / "segments" / "a.md").touch()
    status, _, err = run(show, "-o", out, capsys=capsys)
    assert status == 0 and "transcripts/b.txt" in err  # said again, kept again
    assert (old / "transcripts" / "b.txt").read_text(encoding="utf-8") == "the user's b\n"


@pytest.mark.parametrize("where", ["..", "."])
def test_a_relative_output_keeps_its_cache_beside_it(tmp_path, capsys, monkeypatch,
                                                     where) -> None:
    """`-o ..` from inside the output put the cache (hashes.json, media/, state) in the
    current folder and replaced the user's manifests/ folder there; `-o .` put it inside the
    output, to be uploaded."""
    show = show_of(tmp_path, "a")
    out = tmp_path / "w3"
    (out / "notes" / "manifests").mkdir(parents=True)
    (out / "notes" / "manifests" / "important.txt").write_text("x\n", encoding="utf-8")
    monkeypatch.chdir(out / "notes" if where == ".." else out)
    for _ in range(2):
        (show / "segments" / "a.md").touch()
        status, _, err = run(show, "-o", where, capsys=capsys)
        assert status == 0, err
    assert (out / "notes" / "manifests" / "important.txt").read_text(encoding="utf-8") == "x\n"
    assert sorted(p.name for p in (out / "notes").iterdir()) == ["manifests"]
    assert not (out / ".segpack-cache").exists()
    assert (tmp_path / ".segpack-cache" / "w3").is_dir()
    assert (out / "feed.xml").is_file() and "notes/manifests/important.txt" not in listed(out)


def test_files_reached_through_a_linked_folder_in_the_output_are_never_deleted(
        tmp_path, tone, capsys) -> None:
    """The user moved media/ to a server's folder and linked it back; the episode became
    direct-link only, so its media file is no longer segpack's to publish: it was deleted
    through the link. Now it is kept (one line), and no longer listed."""
    show = show_of(tmp_path, "b")
    (show / "media").mkdir()
    shutil.copyfile(tone(".mp3", seconds=1.0), show / "media" / "a.mp3")
    (show / "segments" / "a.md").write_text(
        manifest("a", duration="0:01", audio="audio: {file: media/a.mp3}\n"), encoding="utf-8")
    out = tmp_path / "lpub"
    assert run(show, "-o", out, "--jobs", "1", capsys=capsys)[0] == 0
    served = tmp_path / "srvmedia"
    shutil.move(out / "media", served)
    (out / "media").symlink_to("../srvmedia")
    kept = tree(served)
    (show / "segments" / "a.md").write_text(manifest("a", audio=LINK), encoding="utf-8")
    status, _, err = run(show, "-o", out, capsys=capsys)
    assert status == 0, err
    assert tree(served) == kept and (served / "a.mp3").is_file()
    assert len(err.splitlines()) == 1 and "lpub/media/a.mp3" in err and "symbolic link" in err
    assert "media/a.mp3" not in listed(out)
    assert (out / "media").is_symlink()
    (show / "segments" / "b.md").touch()
    status, _, err = run(show, "-o", out, capsys=capsys)
    assert status == 0 and err == "", err  # the user's now: nothing more to say
    assert tree(served) == kept


@pytest.mark.parametrize("kind", ["symlink", "fifo"])
def test_a_link_or_fifo_under_the_lists_temp_name(tmp_path, capsys, kind) -> None:
    """`.segpack-files.tmp` was opened as it was: a link made the build overwrite the file it
    points to with the list; a FIFO blocked the build forever."""
    from tests.test_bad_inputs import run_with_deadline

    show = show_of(tmp_path, "a")
    out = tmp_path / "outC"
    out.mkdir()
    (out / "CNAME").write_text("podcast.example.org\n", encoding="utf-8")  # file by file
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    precious = tmp_path / "precious.txt"
    precious.write_text("precious\n", encoding="utf-8")
    temp = out / output_mod.RECORD_TEMP
    if kind == "symlink":
        temp.symlink_to("../precious.txt")
    else:
        os.mkfifo(temp)
    (show / "segments" / "a.md").write_text(manifest("a", title="Again", audio=LINK),
                                            encoding="utf-8")
    capsys.readouterr()
    assert run_with_deadline(["build", str(show), "-o", str(out)], 60) == 0
    assert precious.read_text(encoding="utf-8") == "precious\n"
    assert temp.is_symlink() if kind == "symlink" else stat.S_ISFIFO(temp.lstat().st_mode)
    assert b"Again" in (out / "feed.xml").read_bytes() and "feed.xml" in listed(out)


@pytest.mark.parametrize("cache", ["kept", "deleted"])
def test_an_output_without_its_list_keeps_the_users_files_among_segpacks(
        tmp_path, capsys, cache) -> None:
    """An output whose list is gone (made by an older segpack, or deleted) counted whole as
    segpack's when it held only segpack-like names: a trailer put in by hand and an
    `artwork.psd` were deleted. Now only the names segpack writes are segpack's."""
    show = show_of(tmp_path, "a", "b")
    out = tmp_path / "upub"
    assert run(show, "-o", out, capsys=capsys)[0] == 0
    (out / output_mod.RECORD).unlink()
    if cache == "deleted":
        shutil.rmtree(tmp_path / ".segpack-cache")
    (out / "transcripts" / "trailer-by-hand.txt").write_text("x\n", encoding="utf-8")
    (out / "artwork.psd").write_text("layers\n", encoding="utf-8")
    (show / "segments" / "b.md").unlink()
    (show / "segments" / "a.md").write_text(manifest("a", title="Again", audio=LINK),
                                            encoding="utf-8")
    status, _, err = run(show, "-o", out, capsys=capsys)
    assert status == 0, err
    assert (out / "transcripts" / "trailer-by-hand.txt").read_text(encoding="utf-8") == "x\n"
    assert (out / "artwork.psd").read_text(encoding="utf-8") == "layers\n"
    assert b"Again" in (out / "feed.xml").read_bytes()
    assert not {"transcripts/trailer-by-hand.txt", "artwork.psd"} & listed(out)
    # the dropped episode's files: segpack's per the cache's record; else left as the user's
    assert (out / "transcripts" / "b.txt").exists() == (cache == "deleted")


def test_two_names_for_one_output_share_its_lock(tmp_path, capsys) -> None:
    """Builds through two links to one folder (or a link and the folder's own path) took
    two locks and ran at once (a lost temp list, files left unlisted). The folder itself is
    locked now: a build through the other name waits, then gives up, touching nothing."""
    import fcntl

    show = show_of(tmp_path, "a")
    site = tmp_path / "site"
    site.mkdir()
    (site / "CNAME").write_text("podcast.example.org\n", encoding="utf-8")
    for name in ("siteL1", "siteL2"):
        (tmp_path / name).symlink_to("site")
    assert run(show, "-o", tmp_path / "siteL1", capsys=capsys)[0] == 0
    fd = os.open(site, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a build through siteL1 is writing
        for other in ("siteL2", "site"):
            (show / "segments" / "a.md").touch()
            err = refused(tmp_path, capsys, show, "-o", tmp_path / other, "--wait", "0.3",
                          code=1, lines=2)
            assert "another segpack build is still writing" in err.splitlines()[-1]
    finally:
        os.close(fd)
    (show / "segments" / "a.md").write_text(manifest("a", title="Through L2", audio=LINK),
                                            encoding="utf-8")
    assert run(show, "-o", tmp_path / "siteL2", capsys=capsys)[0] == 0
    assert b"Through L2" in (site / "feed.xml").read_bytes()


def test_a_build_waiting_for_a_swapped_output_locks_the_new_one(tmp_path) -> None:
    """The lock is on the folder, and a swap puts another folder in its place: the build that
    swapped holds the new one too, and one that waited on the old one looks again."""
    import fcntl

    out = tmp_path / "public"
    out.mkdir()
    with output_mod._FolderLock(out, time.monotonic() + 5):
        staging = tmp_path / "staging"
        staging.mkdir()
        output_mod._FolderLock.hold(staging)
        os.rename(out, tmp_path / "gone")
        os.rename(staging, out)
        fd = os.open(out, os.O_RDONLY | os.O_DIRECTORY)
        with pytest.raises(BlockingIOError):
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.close(fd)
    assert not output_mod._FolderLock.held
    with output_mod._FolderLock(out, time.monotonic() + 1):
        assert len(output_mod._FolderLock.held) == 1
        held = os.fstat(output_mod._FolderLock.held[0])
        assert (held.st_dev, held.st_ino) == (out.stat().st_dev, out.stat().st_ino)


@pytest.fixture(params=["tmpfs", "bind"])
def mounted(request, tmp_path) -> Iterator[Path]:
    """An output folder that is a mount point (a Docker volume): a small tmpfs, or a bind
    mount of a folder of the same file system. Needs root (CI runs as root; skipped else)."""
    where = tmp_path / "vol"
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting needs root")
    if request.param == "tmpfs":
        args = ["-t", "tmpfs", "-o", "size=8m", "tmpfs", str(where)]
    else:
        (tmp_path / "volume-data").mkdir()
        args = ["--bind", str(tmp_path / "volume-data"), str(where)]
    made = subprocess.run(["mount", *args], capture_output=True, text=True)
    if made.returncode:
        pytest.skip(f"cannot mount here: {made.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


@pytest.mark.parametrize("holding", ["nothing", "CNAME"])
def test_an_output_that_is_a_mount_point_is_built_in_place(mounted, tmp_path, capsys,
                                                           holding) -> None:
    """An empty mount could never be built ("Device or resource busy"); one holding CNAME
    failed across file systems after listing files it never wrote. Now the staging folder is
    made inside the mount, and files are moved in one by one."""
    show = show_of(tmp_path, "a", "b")
    if holding == "CNAME":
        (mounted / "CNAME").write_text("podcast.example.org\n", encoding="utf-8")
    for title in ("First", "Second"):
        (show / "segments" / "a.md").write_text(manifest("a", title=title, audio=LINK),
                                                encoding="utf-8")
        status, _, err = run(show, "-o", mounted, capsys=capsys)
        assert status == 0 and err == "", err
        assert title.encode() in (mounted / "feed.xml").read_bytes()
        names = {p.name for p in mounted.iterdir()}
        assert not [n for n in names if n.startswith(".vol.")], names
        assert listed(mounted) == {str(p.relative_to(mounted)) for p in mounted.rglob("*")
                                   if p.is_file() and p.name not in (output_mod.RECORD,
                                                                     "CNAME")}
    if holding == "CNAME":
        assert (mounted / "CNAME").read_text(encoding="utf-8") == "podcast.example.org\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".vol.")]


def test_a_staging_folder_on_another_file_system_fails_before_the_list_widens(
        mounted, tmp_path, capsys, monkeypatch) -> None:
    """Were the staging folder beside a mount point after all (say, the mount came after the
    build started), the first rename across fails: the output is left as it was, and no
    file it does not hold is listed."""
    show = show_of(tmp_path, "a")
    (mounted / "CNAME").write_text("podcast.example.org\n", encoding="utf-8")
    assert run(show, "-o", mounted, capsys=capsys)[0] == 0
    monkeypatch.setattr(output_mod, "is_mount_point", lambda folder: False)
    before = tree(mounted)
    (show / "segments" / "b.md").write_text(manifest("b", audio=LINK), encoding="utf-8")
    status, _, err = run(show, "-o", mounted, capsys=capsys)
    assert status == 1 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "cross-device" in err
    assert tree(mounted) == before
