#!/usr/bin/env python3
"""Run README's CI recipes as written, against a clone of this repository.

README tells a CI integrator how to install and run segpack: pip from the git repository, a
wheel and sdist from `python -m build`, the pre-commit hooks, the GitHub Action (`action.yml`)
with its workflow example, and a GitLab job. This script takes those snippets out of README
itself (the fenced yaml blocks headed `# .pre-commit-config.yaml`, `# .github/workflows/...`,
`# .gitlab-ci.yml`) and runs them, each in a fresh virtual environment, with a local clone
standing in for `https://github.com/<org>/segpack` and its HEAD for `<rev>`. The action's
`run:` steps are run by bash as a runner would (inputs substituted, `GITHUB_PATH` honoured);
its `uses: actions/setup-python` step is skipped: this machine has its Python.

Needs git, network access to the package index pip is set up with, and `build`, `twine` and
`pre-commit` (`.ci/run` installs them). Checks what is committed (the clone), not the work tree.
Exit status 0 when every recipe worked.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import venv
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
URL = "https://github.com/<org>/segpack"
EXAMPLE = "examples/momentum-against-isil"


class RecipeFailed(Exception):
    pass


def run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None,
        expect: int | None = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if expect is not None and done.returncode != expect:
        raise RecipeFailed(f"{' '.join(map(str, args))} exited {done.returncode} (expected "
                           f"{expect})\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done


def readme_blocks() -> dict[str, str]:
    """README's fenced yaml blocks whose first line names a file: {file name: text}."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(0)[len("```yaml\n"):-3]
            for m in re.finditer(r"```yaml\n# (\S+)\n.*?```", text, re.S)}


def readme_pip_line() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r'`(pip install "segpack @ git\+[^"`]+")`', text)
    if match is None:
        raise RecipeFailed("README has no pip install line for the git repository")
    return match.group(1)


class Recipes:
    def __init__(self, work: Path):
        self.work = work
        self.clone = work / "segpack"
        run(["git", "clone", "--quiet", str(ROOT), str(self.clone)])
        self.sha = run(["git", "rev-parse", "HEAD"], cwd=self.clone).stdout.strip()
        self.blocks = readme_blocks()

    def fresh_venv(self, name: str) -> Path:
        """A new virtual environment with pip: its bin folder."""
        folder = self.work / name
        venv.EnvBuilder(with_pip=True, clear=True).create(folder)
        return folder / "bin"

    def env_with(self, bin_dir: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
        return env

    def workspace(self, name: str) -> Path:
        """A git repository holding the example show as my-show/ (the recipes' path)."""
        folder = self.work / name
        shutil.copytree(self.clone / EXAMPLE, folder / "my-show")
        env = {**os.environ, "GIT_AUTHOR_NAME": "ci", "GIT_AUTHOR_EMAIL": "ci@example.org",
               "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.org"}
        run(["git", "init", "--quiet"], cwd=folder)
        run(["git", "add", "-A"], cwd=folder)
        run(["git", "commit", "--quiet", "-m", "show", "--no-verify"], cwd=folder, env=env)
        return folder

    def break_manifest(self, workspace: Path) -> None:
        manifest = next((workspace / "my-show" / "segments").glob("*.md"))
        text = manifest.read_text(encoding="utf-8")
        manifest.write_text(re.sub(r'^duration: .*$', "duration: 3m", text, count=1,
                                   flags=re.M), encoding="utf-8")

    # -- the recipes ----------------------------------------------------------------------------

    def wheel_and_sdist(self) -> str:
        dist = self.work / "dist"
        run([sys.executable, "-m", "build", "--outdir", str(dist), str(self.clone)])
        wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
        if len(wheels) != 1 or len(sdists) != 1:
            raise RecipeFailed(f"python -m build made {wheels + sdists}")
        run([sys.executable, "-m", "twine", "check", "--strict", *map(str, wheels + sdists)])
        for kind, archive in (("wheel", wheels[0]), ("sdist", sdists[0])):
            bin_dir = self.fresh_venv(f"venv-{kind}")
            run([str(bin_dir / "pip"), "install", "--quiet", str(archive)])
            self.works(bin_dir, build=kind == "wheel")
        return f"python -m build: {wheels[0].name} and {sdists[0].name}, twine check passed, " \
               "both installed and ran in fresh venvs"

    def works(self, bin_dir: Path, build: bool) -> None:
        """The installed segpack starts, validates the example and (once) builds it."""
        segpack = str(bin_dir / "segpack")
        out = self.work / f"public-{bin_dir.parent.name}"
        run([segpack, "--version"])
        run([segpack, "validate", str(self.clone / EXAMPLE)])
        if build:
            run([segpack, "build", str(self.clone / EXAMPLE), "-o", str(out)])
            if not (out / "feed.xml").is_file():
                raise RecipeFailed("segpack build wrote no feed.xml")
            self.new_show(segpack)

    def new_show(self, segpack: str) -> None:
        """README: a new show validates as it is (exit 0), its placeholder cover a warning
        (SEG415) that fails --strict; with the show's own artwork in its place, it does not."""
        import json

        from PIL import Image

        show = self.work / "new-show"
        run([segpack, "new", str(show)])
        done = run([segpack, "validate", "--media", "--json", str(show)])
        findings = json.loads(done.stdout)["findings"]
        errors = sorted(f["code"] for f in findings if f["severity"] == "error")
        if errors or "SEG415" not in {f["code"] for f in findings}:
            raise RecipeFailed(f"a new show's errors are {errors} and its warnings do not say "
                               "its artwork is the placeholder (SEG415)")
        run([segpack, "validate", "--strict", str(show)], expect=1)
        Image.new("RGB", (1400, 1400), "navy").save(show / "art" / "cover.png")
        text = (show / "show.yaml").read_text(encoding="utf-8")
        (show / "show.yaml").write_text(text.replace("art/segpack-placeholder.png",
                                                     "art/cover.png"), encoding="utf-8")
        done = run([segpack, "validate", "--media", "--json", str(show)])
        if "SEG415" in {f["code"] for f in json.loads(done.stdout)["findings"]}:
            raise RecipeFailed("SEG415 stays after the placeholder was replaced")

    def gitlab_job(self) -> str:
        job = yaml.safe_load(self.blocks[".gitlab-ci.yml"])["segpack"]
        workspace = self.workspace("gitlab")
        bin_dir = self.fresh_venv("venv-gitlab")
        env = self.env_with(bin_dir)
        pip_line = readme_pip_line()
        for line in job["script"]:
            if line.startswith("pip install") and line != pip_line:
                raise RecipeFailed(f"the GitLab job's pip line differs from README's: {line}")
            # pip takes a local repository as file://localhost/... (not file:///... after '@')
            line = line.replace(f"git+{URL}@<rev>",
                                f"git+file://localhost{self.clone}@{self.sha}")
            if "<" in line:
                raise RecipeFailed(f"a placeholder left in: {line}")
            run(["bash", "-eo", "pipefail", "-c", line], cwd=workspace, env=env)
        report = workspace / job["artifacts"]["reports"]["junit"]
        from lxml import etree

        cases = etree.parse(str(report)).getroot().findall(".//testcase")
        if len(cases) != 2:
            raise RecipeFailed(f"JUnit report has {len(cases)} testcases, not 2")
        return f"GitLab job (pip install from git, JUnit report with {len(cases)} testcases)"

    def pre_commit(self) -> str:
        workspace = self.workspace("pre-commit")
        config = self.blocks[".pre-commit-config.yaml"].replace(URL, str(self.clone))
        (workspace / ".pre-commit-config.yaml").write_text(config, encoding="utf-8")
        env = {**os.environ, "PRE_COMMIT_HOME": str(self.work / "pre-commit-home"),
               "NO_COLOR": "1"}
        run(["pre-commit", "autoupdate"], cwd=workspace, env=env)
        rev = yaml.safe_load((workspace / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"]
        tags = run(["git", "tag", "--points-at", "HEAD"], cwd=self.clone).stdout.split()
        if rev != self.sha and rev not in tags:
            raise RecipeFailed(f"pre-commit autoupdate set rev {rev!r}, not {self.sha}")
        run(["pre-commit", "run", "--all-files"], cwd=workspace, env=env)
        self.break_manifest(workspace)
        done = run(["pre-commit", "run", "--all-files"], cwd=workspace, env=env, expect=1)
        if "SEG202" not in done.stdout:
            raise RecipeFailed(f"the hook did not report the broken duration:\n{done.stdout}")
        return "pre-commit (autoupdate sets rev; the hook installs segpack from the repository, " \
               "passes the example, fails a broken manifest)"

    def github_action(self) -> str:
        workflow = yaml.safe_load(self.blocks[".github/workflows/segpack.yml"])
        [step] = [s for job in workflow["jobs"].values() for s in job["steps"]
                  if s.get("uses", "").startswith("<org>/segpack@")]
        action = yaml.safe_load((self.clone / "action.yml").read_text(encoding="utf-8"))
        inputs = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
        unknown = set(step.get("with", {})) - set(inputs)
        if unknown:
            raise RecipeFailed(f"the workflow passes inputs action.yml lacks: {unknown}")
        inputs.update({k: str(v) for k, v in step.get("with", {}).items()})
        workspace = self.workspace("github")
        good = self._run_action(action, inputs, workspace, expect=0)
        if not re.search(r"^::warning file=my-show/segments/[^,]+\.md,line=\d+", good, re.M):
            raise RecipeFailed(f"no pull-request annotations in:\n{good}")
        # the same job again with other inputs: only the validate step runs again
        self._run_action(action, {**inputs, "args": "--strict"}, workspace, expect=1,
                         again=True)
        self.break_manifest(workspace)
        bad = self._run_action(action, inputs, workspace, expect=1, again=True)
        if not re.search(r"^::error file=my-show/segments/.*title=SEG202::", bad, re.M):
            raise RecipeFailed(f"no error annotation for a broken manifest in:\n{bad}")
        return "GitHub Action (action.yml steps as the workflow example calls them: install, " \
               "annotations; warnings fail the job only with --strict, errors always)"

    def _run_action(self, action: dict, inputs: dict[str, str], workspace: Path,
                    expect: int, again: bool = False) -> str:
        """Run the composite action's steps like a runner: each must succeed but the last,
        whose exit status must be `expect`; returns the last step's output. `again`: the
        same runner once more, the last step only (segpack is installed already)."""
        if action["runs"]["using"] != "composite":
            raise RecipeFailed("action.yml is not a composite action")
        runner = self.work / "runner"
        github_path = runner / "github_path"
        if not again:
            shutil.rmtree(runner, ignore_errors=True)
            runner.mkdir()
            github_path.touch()
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env.update(GITHUB_ACTION_PATH=str(self.clone), RUNNER_TEMP=str(runner),
                   GITHUB_PATH=str(github_path), GITHUB_WORKSPACE=str(workspace), CI="true",
                   GITHUB_ACTIONS="true")
        steps = [s for s in action["runs"]["steps"] if "uses" not in s or _stand_in(s)]
        steps = steps[-1:] if again else steps
        output = ""
        for number, step in enumerate(steps, 1):
            step_env = {**env, **{k: substitute(str(v), inputs)
                                  for k, v in step.get("env", {}).items()}}
            added = [p for p in github_path.read_text().splitlines() if p]
            step_env["PATH"] = os.pathsep.join([*reversed(added), step_env["PATH"]])
            done = run([step.get("shell", "bash"), "--noprofile", "--norc", "-eo", "pipefail",
                        "-c", substitute(step["run"], inputs)], cwd=workspace, env=step_env,
                       expect=expect if number == len(steps) else 0)
            output = done.stdout
        return output


def _stand_in(step: dict) -> bool:
    """False for a `uses:` step this machine stands in for (it has Python); else an error."""
    if step["uses"].startswith("actions/setup-python@"):
        return False
    raise RecipeFailed(f"a step this script cannot stand in for: {step['uses']}")


def substitute(text: str, inputs: dict[str, str]) -> str:
    """`${{ inputs.NAME }}` replaced as the runner does; any other expression is an error."""
    def value(match: re.Match[str]) -> str:
        expression = match.group(1).strip()
        if not expression.startswith("inputs."):
            raise RecipeFailed(f"an expression this script cannot evaluate: {expression}")
        return inputs[expression[len("inputs."):]]

    return re.sub(r"\$\{\{(.*?)\}\}", value, text)


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="segpack-ci-recipes-"))
    failed = 0
    try:
        recipes = Recipes(work)
        checks: list[Callable[[], str]] = [recipes.wheel_and_sdist, recipes.gitlab_job,
                                           recipes.pre_commit, recipes.github_action]
        for check in checks:
            try:
                print(f"ci recipe ok: {check()}", flush=True)
            except RecipeFailed as exc:
                failed += 1
                print(f"ci recipe FAILED ({check.__name__}): {exc}", flush=True)
        print(f"ci recipes: {len(checks) - failed} of {len(checks)} worked")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
