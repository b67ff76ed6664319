"""What long commands tell a person: progress of long steps (a bar on a terminal, lines in a
log), findings grouped by code with errors first, colour by severity that honours NO_COLOR, and
the settings every command reads from the show folder upward."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from segment.cli import main
from segment.progress import Steps
from segment.report import GROUP_FROM, grouped
from segment.rules import Finding
from tests.test_build import manifest, write_show

LINK = "audio: {direct_link: 'https://n.example.org/x.mp3', length: 10, type: audio/mpeg}\n"
SGR_COLOUR = re.compile(r"\x1b\[[0-9;]*3[0-7]m")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([*map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def noisy_show(tmp_path: Path) -> Path:
    """Six direct-link segments without a source URL (SEG213 each) and one without a date."""
    items = {f"s{n}": manifest(f"s{n}", audio=LINK) for n in range(6)}
    items["late"] = manifest("late", audio=LINK, published=None)
    return write_show(tmp_path / "show", items)


def test_repeated_findings_are_grouped_by_code_errors_first(capsys, noisy_show: Path) -> None:
    (noisy_show / "segments" / "bad.md").write_text(manifest("bad", duration="3m"),
                                                    encoding="utf-8")
    code, _, err = run(capsys, "build", noisy_show, "-o", noisy_show.parent / "public")
    lines = err.splitlines()
    assert code == 1
    assert "SEG202" in lines[0]  # the error first, on its own line (found once)
    [group] = [line for line in lines if line.startswith("SEG213 ")]
    assert group.startswith("SEG213 warning in 7 files: ")
    example = lines[lines.index(group) + 1]
    assert example.startswith(f"  e.g. {noisy_show / 'segments'}/") and "source.url" in example
    assert sum("SEG213" in line for line in lines) == 1
    assert sum("SEG210" in line for line in lines) == 1  # once: listed, not grouped
    assert "--verbose lists each one" in err
    code, _, err = run(capsys, "build", noisy_show, "-o", noisy_show.parent / "public",
                       "--verbose")
    assert sum(line.split(": ")[1].startswith("SEG213") for line in err.splitlines()
               if ": " in line) == 7


def test_grouping_counts_places_and_files() -> None:
    found = [Finding("SEG213", "m", "a.md", n) for n in range(GROUP_FROM)]
    found += [Finding("SEG202", "bad", "b.md", 4), Finding("SEG213", "m", "c.md", 1)]
    lines = [str(line) for line in grouped(found)]
    assert lines[0] == "b.md:4:1: SEG202 bad"
    assert lines[1].startswith(f"SEG213 warning in {GROUP_FROM + 1} places in 2 files: ")
    assert len(grouped(found, verbose=True)) == len(found)


def test_a_no_change_build_counts_its_warnings_instead_of_replaying_them(
        capsys, noisy_show: Path) -> None:
    out = noisy_show.parent / "public"
    assert run(capsys, "build", noisy_show, "-o", out)[0] == 0
    code, stdout, err = run(capsys, "build", noisy_show, "-o", out)
    assert code == 0 and stdout.startswith("up to date")
    assert err.splitlines() == ["8 warnings from that build (1 SEG210, 7 SEG213); "
                                "segpack build --verbose lists them"]
    code, _, err = run(capsys, "build", noisy_show, "-o", out, "--verbose")
    assert code == 0 and err.count("SEG213") == 7
    code, _, err = run(capsys, "build", noisy_show, "-o", out, "--quiet")
    assert code == 0 and err == ""


def test_build_reads_the_shows_settings_and_takes_ignore_select_and_strict(
        capsys, noisy_show: Path, tmp_path: Path, monkeypatch) -> None:
    out = tmp_path / "public"
    monkeypatch.chdir(tmp_path)  # not the show folder: its settings are found all the same
    (noisy_show.parent / "pyproject.toml").write_text(
        '[tool.segpack]\nignore = ["SEG213"]\nstrict = true\n', encoding="utf-8")
    code, _, err = run(capsys, "build", noisy_show, "-o", out)
    assert code == 1 and "SEG213" not in err and "SEG210" in err and "--strict" in err
    assert not out.exists()
    code, _, err = run(capsys, "build", noisy_show, "-o", out, "--ignore", "SEG21")
    assert code == 0 and "SEG21" not in err, err
    code, stdout, _ = run(capsys, "build", noisy_show, "-o", out, "--no-strict", "--json")
    assert code == 0 and {f["code"] for f in json.loads(stdout)["findings"]} == {"SEG210"}
    code, stdout, _ = run(capsys, "build", noisy_show, "-o", out, "--no-strict", "--json",
                          "--select", "SEG213", "--ignore", "SEG4")  # options replace settings
    assert code == 0 and {f["code"] for f in json.loads(stdout)["findings"]} == {"SEG213"}


def test_an_ignored_error_still_stops_the_build(capsys, noisy_show: Path) -> None:
    (noisy_show / "segments" / "bad.md").write_text(manifest("bad", duration="3m"),
                                                    encoding="utf-8")
    code, _, err = run(capsys, "build", noisy_show, "-o", noisy_show.parent / "public",
                       "--ignore", "SEG2")
    assert code == 1 and "SEG202" in err and "nothing published" in err


def test_tag_reads_the_shows_settings(capsys, example_show: Path, tone, tmp_path: Path,
                                      monkeypatch) -> None:
    """tag reads the settings of the manifest's show (a broken one stops it), wherever it
    runs from."""
    audio = tone(".mp3", seconds=1.0)
    manifest_path = next((example_show / "segments").glob("*.md"))
    monkeypatch.chdir(tmp_path)
    (example_show / "pyproject.toml").write_text("[tool.segpack]\nmax-title-length = 0\n",
                                                 encoding="utf-8")
    code, _, err = run(capsys, "tag", audio, "--from", manifest_path, "--dry-run")
    assert code == 2 and "max-title-length = 0" in err and "pyproject.toml" in err
    (example_show / "pyproject.toml").write_text("[tool.segpack]\nmax-title-length = 5\n",
                                                 encoding="utf-8")
    code, _, err = run(capsys, "tag", audio, "--from", manifest_path, "--dry-run")
    assert code == 0, err


@pytest.mark.parametrize("folder, words", [
    ("show/segments", ["is not a show folder (it has no show.yaml) but is inside one: "
                       "segpack build show\n"]),
    ("show/media/more", ["but is inside one: segpack build show\n"]),
    ("elsewhere", ["is not a show folder: it has no show.yaml and no segments/ folder "
                   "(segpack new elsewhere makes one)"]),
])
def test_building_a_folder_that_is_not_a_show_says_what_to_build(
        capsys, example_show: Path, folder: str, words: list[str], monkeypatch) -> None:
    monkeypatch.chdir(example_show.parent)
    Path(folder).mkdir(exist_ok=True, parents=True)
    code, _, err = run(capsys, "build", folder, "-o", "public")
    assert code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err
    assert all(word in err for word in words), err
    assert not (example_show.parent / "public").exists()


def test_plain_progress_lines_in_a_log(capsys, noisy_show: Path, tone, monkeypatch) -> None:
    """Not a terminal: `label: done/total` lines (here every time: the interval is 0)."""
    media = noisy_show / "media"
    media.mkdir()
    for n in range(3):
        shutil.move(tone(".mp3", name=f"a{n}.mp3"), media / f"a{n}.mp3")
        (noisy_show / "segments" / f"a{n}.md").write_text(
            manifest(f"a{n}", duration="0:01", audio=f"audio: {{file: media/a{n}.mp3}}\n"),
            encoding="utf-8")
    monkeypatch.setattr(Steps, "LINE_EVERY", 0.0)
    code, _, err = run(capsys, "build", noisy_show, "-o", noisy_show.parent / "public",
                       "--jobs", "1")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("making audio: ")]
    assert lines[:3] == ["making audio: 1/3", "making audio: 2/3", "making audio: 3/3"]
    assert re.fullmatch(r"making audio: 3/3 in \d+\.\d s", lines[-1])
    code, _, err = run(capsys, "build", noisy_show, "-o", noisy_show.parent / "public2",
                       "--quiet")
    assert code == 0 and err == ""


def test_steps_print_nothing_for_a_short_step(capsys) -> None:
    with Steps("lines") as steps:
        steps.start("reading", 10)
        steps.advance(10)
    assert capsys.readouterr().err == ""


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run segpack with standard error on a pseudo-terminal; what the terminal received."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "segment", *args], cwd=cwd, env=env,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=follower)
    os.close(follower)
    received = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the child closed its end
                break
            if not chunk:
                break
            received += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(leader)
    return received.decode("utf-8", "replace")


@pytest.mark.parametrize("no_color", [False, True])
def test_a_terminal_gets_a_bar_and_colour_unless_no_color(tmp_path: Path, tone,
                                                          no_color: bool) -> None:
    show = write_show(tmp_path / "show", {})
    (show / "media").mkdir()
    for n in range(3):
        shutil.move(tone(".mp3", name=f"a{n}.mp3"), show / "media" / f"a{n}.mp3")
        (show / "segments" / f"a{n}.md").write_text(
            manifest(f"a{n}", duration="0:01", audio=f"audio: {{file: media/a{n}.mp3}}\n"),
            encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NO_COLOR", "FORCE_COLOR")}
    env.update(TERM="xterm-256color", PYTHONPATH=str(Path(__file__).parent.parent))
    if no_color:
        env["NO_COLOR"] = "1"
    shown = _on_a_terminal(["build", "show", "-o", "public", "--jobs", "1"], env, tmp_path)
    assert "making audio" in shown and "3/3" in shown  # the bar, drawn and then cleared
    assert "━" in shown
    assert "SEG213" in shown
    assert bool(SGR_COLOUR.search(shown)) is not no_color, shown


def test_message_helpers_doctests() -> None:
    import doctest

    import segment.messages

    assert doctest.testmod(segment.messages).failed == 0


def test_import_groups_what_many_pages_lack_and_shows_progress(capsys, tmp_path: Path,
                                                                monkeypatch) -> None:
    """Five saved copies of one real page: each lacks the same things; said once with a
    count (each with --verbose); progress lines in a log; --quiet prints nothing."""
    page = Path(__file__).parent / "data" / "pages" / "generic-blog-article.html"
    pages = []
    for n in range(GROUP_FROM + 1):
        copy = tmp_path / f"page-{n}.html"
        copy.write_text(page.read_text(encoding="utf-8").replace("</title>", f" {n}</title>", 1),
                        encoding="utf-8")
        pages.append(copy)
    monkeypatch.setattr(Steps, "LINE_EVERY", 0.0)
    code, out, err = run(capsys, "import", "article", *pages, "-o", tmp_path / "a" / "segments",
                         "--dry-run")
    assert out.count("from ") == len(pages), out
    grouped_lines = [line for line in err.splitlines() if line.startswith("not found in ")]
    assert grouped_lines and all(f" of {len(pages)} inputs: " in line for line in grouped_lines)
    assert "  not found: " not in err
    assert "importing pages: 1/" in err
    code, out, err = run(capsys, "import", "article", *pages, "-o", tmp_path / "b" / "segments",
                         "--dry-run", "--verbose")
    assert err.count("  not found: ") == len(grouped_lines) * len(pages)
    code, out, err = run(capsys, "import", "article", *pages, "-o", tmp_path / "c" / "segments",
                         "--quiet")
    assert code == 0 and out == "" and err == ""
    assert list((tmp_path / "c" / "segments").glob("*.md"))  # one page, imported then updated


def test_reading_many_manifests_in_workers_reports_progress(capsys, tmp_path: Path,
                                                            monkeypatch) -> None:
    from segment.parallel import PARALLEL_FROM

    items = {f"s{n:03d}": manifest(f"s{n:03d}", audio=LINK,
                                   extra="source: {url: 'https://n.example.org/a'}\n")
             for n in range(PARALLEL_FROM + 10)}
    show = write_show(tmp_path / "show", items)
    monkeypatch.setattr(Steps, "LINE_EVERY", 0.0)
    code, _, err = run(capsys, "build", show, "-o", tmp_path / "public", "--jobs", "2")
    assert code == 0, err
    lines = [line for line in err.splitlines() if line.startswith("reading manifests: ")]
    assert lines and re.fullmatch(rf"reading manifests: {len(items)}/{len(items)} in "
                                  r"\d+\.\d s", lines[-1]), err


def test_force_color_colours_codes_off_a_terminal(capsys, monkeypatch) -> None:
    from tests.conftest import EXAMPLE

    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    code, out, _ = run(capsys, "validate", EXAMPLE)
    assert code == 0 and SGR_COLOUR.search(out)
    monkeypatch.setenv("NO_COLOR", "1")  # NO_COLOR wins
    code, out, _ = run(capsys, "validate", EXAMPLE)
    assert not SGR_COLOUR.search(out)


def test_validate_an_audio_file_checks_the_manifests_that_use_it(capsys,
                                                                  example_show: Path) -> None:
    audio = next((example_show / "media").glob("*.mp3"))
    code, out, _ = run(capsys, "validate", "--json", audio)
    report = json.loads(out)
    assert code == 0 and report["files"] == 1
    assert {f["path"] for f in report["findings"]} == {
        str(next((example_show / "segments").glob("*.md")))}
    spare = example_show / "media" / "spare.png"
    spare.write_bytes(b"not used")
    code, out, _ = run(capsys, "validate", "--json", spare)
    assert code == 0 and json.loads(out)["files"] == 0


_THREADS_AT_FORK: list[set[int]] | None = None


def _note_threads() -> None:
    import threading

    if _THREADS_AT_FORK is not None:
        _THREADS_AT_FORK.append({t.ident for t in threading.enumerate()})


os.register_at_fork(before=_note_threads)


def test_the_build_bar_runs_no_thread_while_workers_fork(tmp_path: Path, monkeypatch) -> None:
    """The bar is drawn from the build's own thread: at every fork of the manifest workers,
    no thread started by the build (a bar's refresh thread, the syncer) is alive."""
    global _THREADS_AT_FORK
    import threading

    from segment import clikit
    from segment.parallel import PARALLEL_FROM

    monkeypatch.setattr("segment.progress.default_mode", lambda quiet=False: "bar")
    items = {f"s{n:03d}": manifest(f"s{n:03d}", audio=LINK) for n in range(PARALLEL_FROM + 10)}
    show = write_show(tmp_path / "show", items)
    before = {t.ident for t in threading.enumerate()}
    drawn: list[str] = []
    real = clikit.Reporter.progress

    def spy(self, step, done, total):
        real(self, step, done, total)
        drawn.append(f"{step} {done}/{total} {self.steps.progress is not None}")

    monkeypatch.setattr(clikit.Reporter, "progress", spy)
    _THREADS_AT_FORK = []
    try:
        assert main(["build", str(show), "-o", str(tmp_path / "public"), "--jobs", "2"]) == 0
        forks = list(_THREADS_AT_FORK)
    finally:
        _THREADS_AT_FORK = None
    assert len(forks) >= 2
    assert all(alive <= before for alive in forks), "a thread ran while workers forked"
    assert drawn[0] == f"reading manifests 0/{len(items)} True"  # a real bar was up
