"""Run the benchmarks and print `work | segpack | floor | ratio`.

    python bench/run.py              # every bench/bench_*.py
    python bench/run.py validate     # only bench_validate.py
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import table  # noqa: E402


def main(argv: list[str]) -> int:
    wanted = set(argv)
    rows = []
    for module_path in sorted(HERE.glob("bench_*.py")):
        topic = module_path.stem.removeprefix("bench_")
        if wanted and topic not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(module_path.stem, module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with tempfile.TemporaryDirectory(prefix=f"segpack-bench-{topic}-") as work:
            print(f"# {topic} ...", file=sys.stderr, flush=True)
            rows.extend(module.rows(Path(work)))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
