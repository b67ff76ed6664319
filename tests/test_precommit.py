"""segpack's pre-commit hooks run by the real `pre-commit` in a temporary git repository.

The hooks are those of `.pre-commit-hooks.yaml` (entry, files, require_serial), declared as a
`repo: local` hook with `language: system` so that no environment is installed: the test checks
what pre-commit passes and what segpack does with it. `.ci/run` also runs the hook manifest as
users do (`repo:` + `rev:`, pre-commit installing segpack from the repository; see
`scripts/check_ci_recipes.py`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from segment.validate import REFERENCED
from tests.conftest import EXAMPLE, ROOT

PRE_COMMIT = shutil.which("pre-commit") or str(Path(sys.executable).parent / "pre-commit")
pytestmark = pytest.mark.skipif(not Path(PRE_COMMIT).exists(),
                                reason="pre-commit not installed (pip install '.[test]')")
HOOKS = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
MANIFEST = "show/segments/momentum-against-isil-builds.md"
AUDIO = "show/media/momentum-against-isil-builds.mp3"


def git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True,
                          env=_env(repo))


def _env(repo: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.org", PRE_COMMIT_HOME=str(repo.parent / "pc"),
               PYTHONPATH=str(ROOT), NO_COLOR="1")
    return env


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository holding the example show under show/, committed, with both hooks
    installed as a local, system-language copy of `.pre-commit-hooks.yaml`."""
    repo = tmp_path / "repo"
    repo.mkdir()
    shutil.copytree(EXAMPLE, repo / "show")
    hooks = []
    for hook in HOOKS.values():
        command = hook["entry"].replace("segpack", f"{sys.executable} -m segment", 1)
        hooks.append({"id": hook["id"], "name": hook["name"], "entry": command,
                      "language": "system", "files": hook["files"],
                      "require_serial": hook["require_serial"]})
    config = {"repos": [{"repo": "local", "hooks": hooks}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    assert git(repo, "init", "-q").returncode == 0
    assert git(repo, "add", "-A").returncode == 0
    assert git(repo, "commit", "-qm", "show", "--no-verify").returncode == 0
    done = subprocess.run([PRE_COMMIT, "install"], cwd=repo, capture_output=True, text=True,
                          env=_env(repo))
    assert done.returncode == 0, done.stderr
    return repo


def commit(repo: Path, *paths: str) -> subprocess.CompletedProcess[str]:
    git(repo, "add", *paths)
    return git(repo, "commit", "-m", "change")


def hook_lines(result: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """{hook name: Passed | Failed | (no files to check)Skipped}."""
    found = {}
    for line in (result.stdout + result.stderr).splitlines():
        match = re.match(r"^(segpack validate(?: --media)?)\.+(.*)$", line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_a_manifest_whose_duration_no_longer_matches_its_audio_is_refused(repo: Path) -> None:
    manifest = repo / MANIFEST
    manifest.write_text(manifest.read_text().replace('duration: "3:41"', 'duration: "2:00"'))
    result = commit(repo, MANIFEST)
    assert result.returncode != 0
    assert hook_lines(result) == {"segpack validate": "Passed",
                                  "segpack validate --media": "Failed"}
    shown = result.stdout + result.stderr  # git shows the hook's output on either
    assert f"{MANIFEST}:" in shown and "SEG303 duration is 2:00 but" in shown


def test_a_changed_audio_file_rechecks_the_manifests_that_use_it(repo: Path, tone) -> None:
    shutil.copyfile(tone(".mp3", seconds=2.0), repo / AUDIO)
    result = commit(repo, AUDIO)
    assert result.returncode != 0
    assert hook_lines(result) == {"segpack validate": "(no files to check)Skipped",
                                  "segpack validate --media": "Failed"}
    shown = result.stdout + result.stderr
    assert f"{MANIFEST}:" in shown and "SEG303 duration is 3:41 but" in shown


def test_an_audio_file_no_manifest_uses_passes(repo: Path, tone) -> None:
    shutil.copyfile(tone(".mp3", seconds=2.0), repo / "show" / "media" / "spare.mp3")
    result = commit(repo, "show/media/spare.mp3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert hook_lines(result)["segpack validate --media"] == "Passed"


def test_a_good_change_passes_both_hooks(repo: Path) -> None:
    manifest = repo / MANIFEST
    manifest.write_text(manifest.read_text().replace("published: null",
                                                     "published: 2016-03-28T14:00:00Z"))
    result = commit(repo, MANIFEST)
    assert result.returncode == 0, result.stdout + result.stderr
    assert set(hook_lines(result).values()) == {"Passed"}


def test_the_media_hook_triggers_on_every_file_kind_validate_follows() -> None:
    pattern = re.compile(HOOKS["segpack-validate-media"]["files"])
    for suffix in REFERENCED:
        assert pattern.search(f"show/media/x{suffix.upper()}"), suffix
        assert pattern.search(f"show/media/x{suffix}"), suffix
    assert pattern.search("show/segments/a.md") and pattern.search("show.yaml")
    assert not pattern.search("docs/notes.md") and not pattern.search("show/media/x.txt")
