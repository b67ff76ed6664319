"""`segpack align` over many manifests on a real Dask cluster (issue 17): the captions and
manifests written are those of an alignment here, refusals included; this process writes them.

Skipped without Dask (`pip install -e '.[dask]'`) or espeak-ng (`.ci/run` installs both).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

pytest.importorskip("distributed")

from segment.cli import main
from tests import test_align
from tests.conftest import make_tone

made = test_align.made  # the session's programmes (a fixture), made once
SHOW, needs_espeak, programmes = test_align.SHOW, test_align.needs_espeak, test_align.programmes


def show(folder: Path, audio: Path, tone: Path) -> list[Path]:
    """Two manifests read by the programme and one whose audio is a tone (refused)."""
    (folder / "segments").mkdir(parents=True)
    (folder / "media").mkdir()
    (folder / "show.yaml").write_text(SHOW.format(lang="es"), encoding="utf-8")
    shutil.copyfile(audio, folder / "media" / "item.mp3")
    shutil.copyfile(tone, folder / "media" / "tone.mp3")
    text = programmes.transcript(test_align._paragraphs("es"))
    manifests = []
    for name, media in (("one", "item"), ("two", "item"), ("tone", "tone")):
        manifest = folder / "segments" / f"{name}.md"
        manifest.write_text(f"---\nid: {name}\ntitle: {name}\nlanguage: es  # kept\n"
                            f"audio:\n  file: media/{media}.mp3\n"
                            "chapters:\n  - {title: Two, at: 2}\n---\n" + text + "\n",
                            encoding="utf-8")
        manifests.append(manifest)
    return manifests


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted((folder / "segments").iterdir())}


@needs_espeak
def test_align_on_dask_writes_what_aligning_here_writes(dask_cluster, made, tmp_path, capsys):
    audio, _ = made("es")
    tone = make_tone(tmp_path / "tone.mp3", 8.0)
    reports = {}
    for where, extra in (("here", ["--jobs", "1"]),
                         ("dask", ["--scheduler", dask_cluster.address])):
        manifests = show(tmp_path / where, audio, tone)
        status = main(["align", *map(str, manifests), "--srt", "--json", *extra])
        out, err = capsys.readouterr()
        assert status == 1, err  # the tone's captions are refused; the others are written
        assert "Traceback" not in err
        assert err.count("captions refused") == 1 and "tone.md" in err
        reports[where] = json.loads(out.replace(str(tmp_path / where), "SHOW"))
    assert files(tmp_path / "here") == files(tmp_path / "dask")
    assert [r["status"] for r in reports["dask"]] == ["aligned", "aligned", "refused"]
    assert reports["here"] == reports["dask"]
    assert "captions: segments/one.vtt" in (tmp_path / "dask/segments/one.md").read_text()
    again = main(["align", *map(str, sorted((tmp_path / "dask/segments").glob("[ot]*.md"))),
                  "--srt", "--scheduler", dask_cluster.address])
    assert again == 1 and capsys.readouterr().out.count("up to date") == 2
