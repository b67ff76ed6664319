"""README's CI recipes hang together (fast checks; `scripts/check_ci_recipes.py`, run by
`.ci/run`, runs them for real): the snippets exist, name hooks and inputs that exist, and the
action's steps use no expression a runner would not have."""

from __future__ import annotations

import importlib.util
import re

import yaml

from tests.conftest import ROOT

spec = importlib.util.spec_from_file_location("check_ci_recipes",
                                              ROOT / "scripts" / "check_ci_recipes.py")
assert spec and spec.loader
recipes = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recipes)

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))


def test_readme_has_each_recipe() -> None:
    assert set(recipes.readme_blocks()) == {".pre-commit-config.yaml",
                                            ".github/workflows/segpack.yml", ".gitlab-ci.yml"}
    assert recipes.readme_pip_line().startswith('pip install "segpack @ git+https://')


def test_the_pre_commit_recipe_names_our_hooks_and_no_invented_tag() -> None:
    config = yaml.safe_load(recipes.readme_blocks()[".pre-commit-config.yaml"])
    hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    [repo] = config["repos"]
    assert {h["id"] for h in repo["hooks"]} <= hooks
    assert "segpack-validate-media" in recipes.readme_blocks()[".pre-commit-config.yaml"]
    assert repo["rev"] == "<rev>"  # filled in by `pre-commit autoupdate`, never a made-up tag


def test_the_workflow_passes_only_inputs_the_action_has() -> None:
    workflow = yaml.safe_load(recipes.readme_blocks()[".github/workflows/segpack.yml"])
    [step] = [s for s in workflow["jobs"]["validate"]["steps"]
              if s.get("uses", "").startswith("<org>/segpack@")]
    assert set(step["with"]) <= set(ACTION["inputs"])


def test_the_action_is_composite_and_its_expressions_are_inputs_only() -> None:
    assert ACTION["runs"]["using"] == "composite"
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    for expression in re.findall(r"\$\{\{(.*?)\}\}", text):
        assert expression.strip().startswith("inputs."), expression
    runs = [s["run"] for s in ACTION["runs"]["steps"] if "run" in s]
    assert "segpack validate --format github" in runs[-1]
    assert all("${{" not in r for r in runs)  # inputs reach scripts through env, never inline
    inputs = {"paths": "a b", "args": "--strict"}
    assert recipes.substitute("x ${{ inputs.paths }} ${{inputs.args}}", inputs) == \
        "x a b --strict"
