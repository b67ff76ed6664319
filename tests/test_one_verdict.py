"""One verdict (issue 13 item 1): `segpack validate --media SHOW` and `segpack build SHOW --check`
run the same rules on the same inputs, so they report the same findings (code, file, line,
severity) and exit with the same status.

The cases: every show folder the bad-input corpus makes (tests/bad/*.yaml), the example show, and
a show made here for each directory rule."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from segment.cli import main
from tests.conftest import EXAMPLE
from tests.test_bad_inputs import CASES, make_file

Verdict = tuple[int, set[tuple[str, str, int, str]]]


def show_folders(case: dict) -> list[str]:
    """The show folders a corpus case makes: folders holding show.yaml or segments/."""
    found = set()
    for name in case.get("files", {}):
        parts = Path(name).parts
        for n in range(len(parts) - 1):
            if parts[n] == "segments" or parts[n + 1] == "show.yaml":
                found.add(str(Path(*parts[:n])) if parts[n] == "segments" else
                          str(Path(*parts[:n + 1])))
    return sorted(f for f in found if f not in ("", "."))


SHOW_CASES = [(case, folder) for case in CASES for folder in show_folders(case)
              if not any("fifo" in spec for spec in case.get("files", {}).values())]


def verdicts(capsys, show: str, output: str = "verdict-out",
             options: tuple[str, ...] = ()) -> tuple[Verdict, Verdict]:
    """(exit status, findings) of validate --media and of build --check on `show` (both
    with `options`, e.g. --ignore; validate --output when `output` holds a feed)."""
    capsys.readouterr()
    told = ["--output", output] if (Path(output) / "feed.xml").is_file() else []
    status = main(["validate", "--media", "--json", "--quiet", *told, *options, show])
    report = json.loads(capsys.readouterr().out)
    validated = (status, {_key(f) for f in report["findings"]})
    status = main(["build", show, "--check", "--json", "--quiet", "-o", output, "--jobs", "1",
                   *options])
    out = capsys.readouterr().out
    built = (status, {_key(f) for f in json.loads(out)["findings"]} if out.strip() else set())
    return validated, built


def _key(finding: dict) -> tuple[str, str, int, str]:
    return (finding["code"], finding["path"], finding["line"], finding["severity"])


def assert_one_verdict(capsys, show: str, output: str = "verdict-out",
                       options: tuple[str, ...] = ()) -> Verdict:
    validated, built = verdicts(capsys, show, output, options)
    only_validate = sorted(validated[1] - built[1])
    only_build = sorted(built[1] - validated[1])
    assert not only_validate and not only_build, \
        f"validate only: {only_validate}; build only: {only_build}"
    assert validated[0] == built[0], f"validate exits {validated[0]}, build {built[0]}"
    return validated


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("verdict-tones")


@pytest.mark.parametrize(("case", "folder"), SHOW_CASES,
                         ids=[f"{c['name']}:{f}" for c, f in SHOW_CASES])
def test_corpus_shows(case: dict, folder: str, tmp_path: Path, tones: Path, capsys,
                      monkeypatch) -> None:
    for name, spec in case.get("files", {}).items():
        make_file(tmp_path, name, spec, tones)
    monkeypatch.chdir(tmp_path)
    assert_one_verdict(capsys, folder)


def test_example_show(tmp_path: Path, capsys, monkeypatch) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "show")
    monkeypatch.chdir(tmp_path)
    assert assert_one_verdict(capsys, "show")[0] == 0


@pytest.mark.parametrize(("settings", "options"), [
    ('ignore = ["SEG301"]', ()), ('select = ["SEG5"]', ()), ("", ("--ignore", "SEG301")),
    ("", ("--select", "SEG2")), ('ignore = ["SEG3"]\nstrict = true', ())])
def test_select_and_ignore_hide_warnings_never_an_error(settings: str, options: tuple,
                                                        tmp_path: Path, capsys,
                                                        monkeypatch) -> None:
    """Review-final item 4: with the audio missing (SEG301, an error) and SEG301 ignored in
    [tool.segpack] or by --ignore, validate --media exited 0 and build --check 1. Both now
    hide warnings only: a green CI gate is a build that goes."""
    shutil.copytree(EXAMPLE, tmp_path / "show")
    manifest = tmp_path / "show" / "segments" / "momentum-against-isil-builds.md"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "file: media/momentum-against-isil-builds.mp3", "file: media/missing.mp3"),
        encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(f"[tool.segpack]\n{settings}\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    status, found = assert_one_verdict(capsys, "show", options=options)
    assert status == 1 and ("SEG301", str(manifest.relative_to(tmp_path)), "error") in {
        (code, path, severity) for code, path, _, severity in found}


def test_ignoring_seg416_does_not_hide_a_rename(tmp_path: Path, capsys, monkeypatch) -> None:
    """validate --media --output and build --check on a renamed episode, with --ignore
    SEG416: both refuse it."""
    shutil.copytree(EXAMPLE, tmp_path / "show")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "show", "-o", "pub", "-q", "--jobs", "1"]) == 0, capsys.readouterr()
    old = tmp_path / "show" / "segments" / "momentum-against-isil-builds.md"
    new = old.with_name("isil-momentum.md")
    new.write_text(old.read_text(encoding="utf-8").replace(
        "id: momentum-against-isil-builds\n", "id: isil-momentum\n"), encoding="utf-8")
    old.unlink()
    for options in ((), ("--ignore", "SEG416")):
        status, found = assert_one_verdict(capsys, "show", "pub", options)
        assert status == 1 and {f[0] for f in found if f[3] == "error"} == {"SEG416"}


LOCAL = {"  direct_link:": "  file: media/item.mp3\n  direct_link:"}
"""The good manifest with local audio (media/item.mp3, a 1 s tone unless a case says)."""

RULE_SHOWS: dict[str, tuple[dict[str, str], dict[str, str], str]] = {
    # code: (changes to the good show.yaml, to the good manifest, what is beside them)
    "SEG406": ({"feed_url: https://example.org/f.xml\n": ""}, {}, ""),
    "SEG407": ({"image: {url: https://example.org/cover.png}\n": ""}, {}, ""),
    "SEG407-media": ({"image: {url: https://example.org/cover.png}":
                      "image: {file: art/cover.png}"}, {}, "wide-art"),
    "SEG409": ({"categories: [News]": "categories: [Newz, News/Polittics]"}, {}, ""),
    "SEG410": ({"categories: [News]": "categories: [Government & Organizations]"}, {}, ""),
    "SEG411": ({"owner: {name: A Newsroom, email: podcasts@example.org}\n": ""}, {}, ""),
    "SEG412": ({"explicit: false\n": ""}, {}, ""),
    "SEG413": ({"explicit: false\n": "explicit: false\nlicense: All rights reserved\n"}, {}, ""),
    "SEG415": ({"image: {url: https://example.org/cover.png}":
                "image: {file: art/segpack-placeholder.png}"}, {}, "placeholder"),
    "SEG214": ({}, {"title: A Good Title": 'title: "A \\uFFFE Title"'}, ""),
    "SEG508": ({"explicit: false\n": "explicit: false\nsubtitle: " + "word " * 60 + "\n"},
               {"title: A Good Title": "title: A Good Title\nsubtitle: " + "word " * 60}, ""),
    "SEG215": ({}, {"source:": "persons: [{name: A, group: crew, role: producer}]\nsource:"}, ""),
    "SEG216": ({}, {"source:": "episode: 0\nsource:"}, ""),
    "SEG414": ({"explicit: false\n": "explicit: false\ntype: serial\n"}, {}, ""),
    "SEG307": ({}, {}, ""),
    "SEG308": ({}, {"  direct_link:": "  alternates: [https://x.example/a.m4a]\n  direct_link:"},
               ""),
    "SEG309": ({}, {"clips/x.mp3": "clips/x.ogg"}, ""),
    "SEG310": ({}, {"  direct_link: https://av.voanews.com/clips/x.mp3":
                    "  direct_link: https://av.voanews.com/clips/x.mp3\n  type: audio/mp4"}, ""),
    "SEG303": ({}, LOCAL, "tone"),
    "SEG305": ({}, {"  direct_link:": "  file: media/item.m4a\n  direct_link:",
                    '"0:40"': '"0:01"'}, "alac"),
    "SEG309-media": ({}, {"  direct_link:": "  file: media/item.wav\n  direct_link:",
                          '"0:40"': '"0:01"'}, "wav"),
    "SEG312": ({}, {"  direct_link:": "  file: media/item.mp3\n  alternates: [{file: "
                    "media/item.mp3, type: audio/ogg}]\n  direct_link:", '"0:40"': '"0:01"'},
               "tone"),
    "SEG306": ({}, {**LOCAL, '"0:40"': '"0:01"', "source:": "image: {file: art/ep.png}\nsource:"},
               "tone small-art"),
}


def rule_show(root: Path, tones: Path, name: str) -> Path:
    from tests.test_bad_inputs import GOOD_SHOW, png_header
    from tests.test_bad_inputs import make_file as make

    show_changes, manifest_changes, beside = RULE_SHOWS[name]
    make(root, "show/show.yaml", {"good_show": "", "replace": show_changes}, tones)
    make(root, "show/segments/item.md", {"good_manifest": manifest_changes}, tones)
    assert GOOD_SHOW  # the show every case starts from
    if "tone" in beside:
        make(root, "show/media/item.mp3", {"tone": ".mp3"}, tones)
    if "wav" in beside:
        make(root, "show/media/item.wav", {"tone": ".wav"}, tones)
    if "alac" in beside:  # an M4A (a type Apple lists) holding a codec not every app plays
        from media.ffmpeg import run_ffmpeg

        (root / "show" / "media").mkdir(exist_ok=True)
        run_ffmpeg(["-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "alac",
                    str(root / "show" / "media" / "item.m4a")])
    art = root / "show" / "art"
    art.mkdir(exist_ok=True)
    if "wide-art" in beside:
        (art / "cover.png").write_bytes(png_header(1600, 1200))
    if "placeholder" in beside:
        (art / "segpack-placeholder.png").write_bytes(png_header(1400, 1400))
    if "small-art" in beside:
        (art / "ep.png").write_bytes(png_header(500, 500))
    return root / "show"


@pytest.mark.parametrize("name", sorted(RULE_SHOWS))
def test_each_directory_and_media_rule(name: str, tmp_path: Path, tones: Path, capsys,
                                       monkeypatch) -> None:
    rule_show(tmp_path, tones, name)
    monkeypatch.chdir(tmp_path)
    _, found = assert_one_verdict(capsys, "show")
    assert name.split("-")[0] in {code for code, *_ in found}, found


@pytest.mark.parametrize("name", ["SEG305", "SEG309-media"])
def test_nothing_said_of_the_codec_when_the_show_encodes_to_mp3(
        name: str, tmp_path: Path, tones: Path, capsys, monkeypatch) -> None:
    """The published copy is then MP3, whatever the source: no SEG305, no SEG309."""
    show = rule_show(tmp_path, tones, name)
    with (show / "show.yaml").open("a", encoding="utf-8") as handle:
        handle.write("audio: {encode: mp3}\n")
    monkeypatch.chdir(tmp_path)
    status, found = assert_one_verdict(capsys, "show")
    assert status == 0 and not {"SEG305", "SEG309"} & {code for code, *_ in found}, found


def test_a_new_show_with_only_a_draft_validates_and_builds(tmp_path: Path, capsys,
                                                           monkeypatch) -> None:
    """SEG406 asks where episodes are published: none to publish (segpack new's draft), none
    asked, in validate and build alike. A draft's own findings are validate's alone (build
    publishes no draft and says nothing about it)."""
    monkeypatch.chdir(tmp_path)
    assert main(["new", "show"]) == 0
    validated, built = verdicts(capsys, "show")
    assert validated[0] == built[0] == 0
    assert built[1] <= validated[1]
    assert {code for code, *_ in validated[1] - built[1]} <= {"SEG210", "SEG211", "SEG213",
                                                               "SEG504"}
