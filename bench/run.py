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

from common import file_create_us, start_launcher, table  # noqa: E402

WORK_ROOTS = (HERE / "out", Path(tempfile.gettempdir()) / "segpack-bench",
              Path.home() / ".cache" / "segpack-bench")
"""Where benchmarks may work; each run takes the one where new files are cheapest to create
now (see `common.settle_file_system`: on some file systems a recent mass delete nearby makes
file creation 10x slower for minutes)."""


def work_root() -> Path:
    speeds = {}
    for root in WORK_ROOTS:
        try:
            root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=root) as probe:
                speeds[root] = file_create_us(Path(probe), 200)
        except OSError:
            continue
    return min(speeds, key=speeds.get)


def compiled_as_installed() -> None:
    """Byte-compile segpack's packages first, as `pip install` does: with
    PYTHONDONTWRITEBYTECODE set (as on CI machines) an editable checkout has no .pyc files, and
    every timed command would compile our 38 modules again (a fifth of a `segpack tag` run),
    which no installed segpack does."""
    import compileall

    for package in ("segment", "media", "feeds"):
        compileall.compile_dir(str(HERE.parent / package), quiet=1)


def main(argv: list[str]) -> int:
    wanted = set(argv)
    start_launcher()  # before this process grows: see `common.start_launcher`
    compiled_as_installed()
    rows = []
    for module_path in sorted(HERE.glob("bench_*.py")):
        topic = module_path.stem.removeprefix("bench_")
        if wanted and topic not in wanted:
            continue
        spec = importlib.util.spec_from_file_location(module_path.stem, module_path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        with tempfile.TemporaryDirectory(prefix=f"{topic}-", dir=work_root()) as work:
            print(f"# {topic} ...", file=sys.stderr, flush=True)
            rows.extend(module.rows(Path(work)))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
