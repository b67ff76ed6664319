"""Soak run: kill `segpack tag` and `segpack build` hundreds of times at random moments.

    python scripts/soak.py [--kills 200] [--files 40] [--segments 40] [--seed 1] [--keep DIR]

Uses the rigs of tests/test_crash_safety.py. Four kinds of runs take turns:

* `segpack tag` over `--files` audio files, SIGKILLed: after every kill the next run replays
  journals and every audio file must be the old or the new version (mutagen opens it, the audio
  stream's MD5 is unchanged, the tags are the old or the new set);
* `segpack build` of `--segments` segments into its own folder, SIGKILLed (the swap whole);
* the same beside a user's files in the output (a gh-pages `CNAME` and `.git`; the update file
  by file): those stay byte-identical and every file segpack wrote is in `.segpack-files`;
* a build whose media work runs in worker processes (show.yaml asks to encode, `--jobs 2`),
  stopped by SIGKILL or SIGTERM to its PID alone, or SIGKILL or SIGINT (Ctrl-C) to its process
  group. Each run has a session of its own: once it ended, the processes still running in that
  session (workers, forkserver, resource tracker, ffmpeg) are counted; the count must be 0.

After each kill of a build, public/feed.xml must be the previous or the new complete feed; the
next build, run to the end, must publish the new one. Prints the figures; exit status 1 when
anything was corrupted or any process was left running.
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
    parser.add_argument("--kills", type=int, default=200, help="kills in all (default 200)")
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
        builds = {
            "segpack build": BuildRig.make(work / "build", count=args.segments),
            "segpack build beside user files": BuildRig.make(
                work / "beside", count=args.segments, user_files=True),
            "segpack build, media in workers": BuildRig.make(
                work / "workers", count=max(4, args.segments // 4), workers=True)}
        print(f"set up in {time.monotonic() - started:.0f} s: {args.files} audio files "
              f"(uninterrupted tag run {tag_rig.duration:.2f} s); builds: " + ", ".join(
                  f"{name} {rig.duration:.2f} s" for name, rig in builds.items())
              + f"; seed {args.seed}", flush=True)
        figures = {"segpack tag": Figures(), **{name: Figures() for name in builds}}
        rounds = 0
        while sum(fig.kills for fig in figures.values()) < args.kills:
            rounds += 1
            if rounds % 2:
                tag_rig.restore()
                tag_rig.round(rng, figures["segpack tag"], kills=rng.choice((1, 1, 2, 3)))
            else:
                name = list(builds)[(rounds // 2) % len(builds)]
                builds[name].round(rng, figures[name])
            if rounds % 20 == 0:
                for name, fig in figures.items():
                    print(f"[{time.monotonic() - started:5.0f} s] {name}: {fig.line()}",
                          flush=True)
        elapsed = time.monotonic() - started
    print(f"\nsoak finished in {elapsed:.0f} s, seed {args.seed}")
    print("| run | kills | mid-write | finished first | files checked | feeds checked "
          "| processes left | corruptions |")
    print("|---|---|---|---|---|---|---|---|")
    for name, fig in figures.items():
        print(f"| {name} | {fig.kills} | {fig.kills_mid_write} | {fig.runs_finished_first} | "
              f"{fig.files_checked} | {fig.feeds_checked} | {fig.leftovers} | "
              f"{len(fig.corruptions)} |")
    problems = [problem for fig in figures.values() for problem in fig.corruptions]
    for problem in problems:
        print("CORRUPTION:", problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
