"""Outside readers of our feeds, for tests: nobody here wrote them.

- `w3c_check(feed)`: the W3C Feed Validation Service's checks, run offline by
  `../shared/tools/w3c-feedvalidator` (not copied here; it needs lxml, html5lib and rdflib, the
  test extra installs them). Skips when `../shared` or those libraries are absent.
- `partytime_read(feed)`: the `podcast-partytime` npm parser (the Podcasting 2.0 parser podcast
  apps use), run through node by `tests/partytime_read.js`. `.ci/run` installs it into `.node/`
  (gitignored); skips when node or the package is absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
W3C_TOOL = ROOT.parent / "shared" / "tools" / "w3c-feedvalidator"
NODE_MODULES = Path(os.environ.get("SEGPACK_NODE_MODULES", ROOT / ".node" / "node_modules"))
PARTYTIME_SCRIPT = Path(__file__).resolve().parent / "partytime_read.js"


def w3c_check(feed: Path) -> dict[str, list[str]]:
    """{"errors": [...], "warnings": [...]} as the W3C validator reports them for `feed`."""
    if not W3C_TOOL.is_file():
        pytest.skip(f"the W3C feed validator is not at {W3C_TOOL}")
    missing = [m for m in ("lxml", "html5lib", "rdflib") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"the W3C feed validator needs {', '.join(missing)} (pip install -e '.[test]')")
    done = subprocess.run([sys.executable, str(W3C_TOOL), str(feed), "--json"],
                          capture_output=True, text=True, timeout=120)
    if done.returncode not in (0, 1):
        raise AssertionError(f"w3c-feedvalidator failed: {done.stderr[-2000:]}")
    result = json.loads(done.stdout)[0]
    return {"errors": result["errors"], "warnings": result["warnings"]}


def partytime_read(feed: Path) -> dict[str, Any]:
    """What podcast-partytime's `parseFeed` makes of `feed`."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (.ci/run installs it with npm)")
    if not (NODE_MODULES / "podcast-partytime").is_dir():
        pytest.skip(f"podcast-partytime is not installed in {NODE_MODULES} (.ci/run: npm install "
                    "--prefix .node podcast-partytime)")
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES), "LOG": "silent"}
    done = subprocess.run([node, str(PARTYTIME_SCRIPT), str(feed)], capture_output=True,
                          text=True, env=env, timeout=120)
    if done.returncode != 0:
        raise AssertionError(f"partytime failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout)
