"""The house rules that code review alone would miss: layers and start-up cost."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLE, ROOT

HEAVY = ("feedgen", "pydub", "mutagen", "lxml", "ruamel", "PIL")


def test_import_linter_layers_contract() -> None:
    exe = shutil.which("lint-imports")
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    done = subprocess.run([exe], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("argv", [["--help"], ["validate", str(EXAMPLE)]])
def test_fast_commands_do_not_import_heavy_libraries(argv) -> None:
    code = (f"import sys, json\nfrom segment.cli import main\nmain({argv!r})\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_no_change_build_imports_no_model_or_feed_library(tmp_path) -> None:
    """A no-change rebuild answers from file stats: it must not pay for pydantic (~100 ms, e.g.
    through a rule module importing segment.models), feedgen, lxml or mutagen."""
    output = tmp_path / "public"
    first = subprocess.run([sys.executable, "-m", "segment", "build", str(EXAMPLE), "-o",
                            str(output), "-q"], capture_output=True, text=True, timeout=120,
                           cwd=ROOT)
    assert first.returncode == 0, first.stderr
    code = (f"import sys, json\nfrom segment.cli import main\n"
            f"rc = main(['build', {str(EXAMPLE)!r}, '-o', {str(output)!r}, '-q'])\n"
            "print(rc, json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert "up to date" in done.stdout, done.stdout + done.stderr
    rc, modules = done.stdout.strip().splitlines()[-1].split(" ", 1)
    loaded = set(json.loads(modules))
    assert rc == "0"
    assert not loaded & {*HEAVY, "pydantic"}, loaded & {*HEAVY, "pydantic"}


def test_tag_imports_only_what_tagging_uses(example_show) -> None:
    """Re-tagging a few hundred files is mostly start-up: `segpack tag` must not pay for the
    feed side (feeds, feedgen, lxml), the manifest rewriter (ruamel), pydub, langcodes (for a
    language the quick table answers) or the worker pool (multiprocessing: tag runs here)."""
    manifest = example_show / "segments" / "momentum-against-isil-builds.md"
    audio = example_show / "media" / "momentum-against-isil-builds.mp3"
    code = (f"import sys, json\nfrom segment.cli import main\n"
            f"rc = main(['tag', {str(audio)!r}, '--from', {str(manifest)!r}, '-q'])\n"
            "print(rc, json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    rc, modules = done.stdout.strip().splitlines()[-1].split(" ", 1)
    loaded = set(json.loads(modules))
    assert rc == "0", done.stderr
    unused = {"feeds", "feedgen", "lxml", "ruamel", "pydub", "langcodes", "multiprocessing"}
    assert not loaded & unused, loaded & unused


def test_readme_documents_every_rule_and_ci_runs_its_test_command() -> None:
    from segment.rules import RULES

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [code for code in RULES if f"`{code}`" not in readme]
    assert not missing, f"add these rules to README's table: {missing}"
    blocks = [b.split("```", 1)[0].strip() for b in readme.split("```sh\n")[1:]]
    assert len(blocks) == 2, "README has exactly two set-up commands"
    assert blocks[1] in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
