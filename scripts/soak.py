"""Soak run: SIGKILL `segpack tag` and `segpack build` hundreds of times at random moments.

    python scripts/soak.py [--kills 200] [--files 40] [--segments 12] [--seed 1] [--keep DIR]

Uses the rig of tests/test_crash_safety.py: after every kill the next run replays journals and
every audio file must be the old or the new version (mutagen opens it, the audio stream's MD5
is unchanged, the tags are the old or the new set); public/feed.xml must be the previous or the
new complete feed. Prints the figures; exit status 1 when anything was corrupted.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.test_crash_safety import BuildRig, Figures, TagRig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=200, help="SIGKILLs in all (default 200)")
    parser.add_argument("--files", type=int, default=40, help="audio files per tag run")
    parser.add_argument("--segments", type=int, default=40, help="segments in the built show")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="segpack-soak-") as temp:
        work = args.keep or Path(temp)
        started = time.monotonic()
        tag_rig = TagRig.make(work / "tag", count=args.files)
        build_rig = BuildRig.make(work / "build", count=args.segments)
        print(f"set up in {time.monotonic() - started:.0f} s: {args.files} audio files "
              f"(uninterrupted tag run {tag_rig.duration:.2f} s), {args.segments} segments "
              f"(uninterrupted build {build_rig.duration:.2f} s); seed {args.seed}", flush=True)
        tag, build = Figures(), Figures()
        rounds = 0
        while tag.kills + build.kills < args.kills:
            rounds += 1
            if rounds % 2:
                tag_rig.restore()
                tag_rig.round(rng, tag, kills=rng.choice((1, 1, 2, 3)))
            else:
                build_rig.round(rng, build)
            if rounds % 20 == 0:
                print(f"[{time.monotonic() - started:5.0f} s] tag: {tag.line()}", flush=True)
                print(f"{'':9}build: {build.line()}", flush=True)
        elapsed = time.monotonic() - started
    print(f"\nsoak finished in {elapsed:.0f} s, seed {args.seed}")
    print("| run | kills | mid-write | finished first | files checked | feeds checked "
          "| corruptions |")
    print("|---|---|---|---|---|---|---|")
    for name, fig in (("segpack tag", tag), ("segpack build", build)):
        print(f"| {name} | {fig.kills} | {fig.kills_mid_write} | {fig.runs_finished_first} | "
              f"{fig.files_checked} | {fig.feeds_checked} | {len(fig.corruptions)} |")
    for problem in tag.corruptions + build.corruptions:
        print("CORRUPTION:", problem)
    return 1 if tag.corruptions or build.corruptions else 0


if __name__ == "__main__":
    sys.exit(main())
