"""`segpack validate` named as CI and pre-commit name things: from inside a show's segments
folder, by a media file, and with --strict annotations (issue 15 review C1-C3)."""

from __future__ import annotations

import re
from pathlib import Path

from segment.cli import main

MANIFEST = "momentum-against-isil-builds.md"
ANNOTATION = re.compile(r"^::(error|warning|notice) file=([^,]+),line=\d+,col=\d+,title=([^:]+)::")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def codes(out: str) -> list[str]:
    return sorted(m.group(3) for line in out.splitlines() if (m := ANNOTATION.match(line)))


def files(out: str) -> set[str]:
    return {m.group(2) for line in out.splitlines() if (m := ANNOTATION.match(line))}


def test_a_manifest_named_from_inside_its_segments_folder(capsys, example_show: Path,
                                                          monkeypatch) -> None:
    """`cd SHOW/segments && segpack validate item.md` checks the audio the manifest names
    relative to SHOW, as the absolute path does (it said SEG301 'media/...' not found)."""
    absolute = run(capsys, "validate", "--media", "--format", "github",
                   str(example_show / "segments" / MANIFEST))
    assert absolute[0] == 0 and "SEG301" not in absolute[1]
    monkeypatch.chdir(example_show / "segments")
    for name in (MANIFEST, f"./{MANIFEST}", f"../segments/{MANIFEST}", "."):
        code, out, err = run(capsys, "validate", "--media", "--format", "github", name)
        assert code == 0, out + err
        assert "SEG301" not in out and codes(out) == codes(absolute[1]), name


def test_manifests_found_for_a_media_file_are_named_relative(capsys, example_show: Path,
                                                             monkeypatch) -> None:
    """The pre-commit -media hook passes `my-show/media/x.mp3`: the manifests that use it are
    annotated as `my-show/segments/...`, like every other input, not by absolute path."""
    monkeypatch.chdir(example_show.parent)
    media = f"{example_show.name}/media/momentum-against-isil-builds.mp3"
    _, out, err = run(capsys, "validate", "--media", "--format", "github", media)
    assert files(out) == {f"{example_show.name}/segments/{MANIFEST}"}, out + err
    monkeypatch.chdir(example_show / "media")  # from inside the show: relative still
    _, out, _ = run(capsys, "validate", "--format", "github", media.rsplit("/", 1)[1])
    assert files(out) == {f"../segments/{MANIFEST}"}
    _, out, _ = run(capsys, "validate", "--format", "github", str(example_show.parent / media))
    assert files(out) == {str(example_show / "segments" / MANIFEST)}  # absolute in and out


def test_strict_github_annotations_are_errors(capsys, example_show: Path) -> None:
    """The example show has warnings only: without --strict the job passes with ::warning;
    with --strict it fails, and every annotation that fails it is an ::error saying so."""
    code, out, _ = run(capsys, "validate", "--format", "github", str(example_show))
    levels = {m.group(1) for line in out.splitlines() if (m := ANNOTATION.match(line))}
    assert code == 0 and levels == {"warning"}
    code, strict_out, _ = run(capsys, "validate", "--strict", "--format", "github",
                              str(example_show))
    found = [ANNOTATION.match(line) for line in strict_out.splitlines()]
    assert code == 1 and found and all(found)
    assert {m.group(1) for m in found if m} == {"error"}
    assert all(m.group(3).endswith(" (warning; --strict)") for m in found if m)
    assert len(found) == len(out.splitlines())
