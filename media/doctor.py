"""`segpack doctor`: what segpack runs with — its own version, Python's, every library it
depends on, and which ffmpeg it uses, from where, and whether that binary can do all segpack
asks of it. The first thing to paste into a bug report, and a check a CI job can run (exit 1
when ffmpeg is missing or lacks something segpack needs)."""

from __future__ import annotations

import os
import re
import shutil
import sys
from importlib import metadata
from typing import Any

import click

from media import ffmpeg
from segment import __version__
from segment.clikit import print_json
from segment.errors import ToolError


def libraries() -> dict[str, str | None]:
    """{distribution: installed version or None} for every dependency segpack declares."""
    try:
        wanted = metadata.requires("segpack") or []
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        wanted = []
    found: dict[str, str | None] = {}
    for requirement in wanted:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[<>=!~;\s\[]", requirement, maxsplit=1)[0]
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            if ";" not in requirement:  # else a marker that does not apply to this Python
                found[name] = None
    return found


def ffmpeg_report() -> dict[str, Any]:
    """The ffmpeg in use and what it can do; `problem` says why it cannot be used."""
    try:
        binary, caps = ffmpeg.tool()
    except ToolError as exc:
        return {"path": None, "problem": str(exc), "others": others(None)}
    works = {work: caps.missing(work) for work in ffmpeg.NEEDS}
    notes = []
    if not caps.has_option("ebur128", "quiet"):
        notes.append("ebur128 has no framelog=quiet: its frame log is kept below ffmpeg's "
                     "default level instead (framelog=40)")
    if not caps.has_option("alimiter", "latency"):
        notes.append("alimiter has no latency option: where the limiter works, the audio "
                     "comes out 5 ms late")
    lacking = sorted({x for missing in works.values() for x in missing})
    return {"path": binary.path, "version": caps.version, "origin": binary.origin,
            "origin_text": binary.origin_text, "env": os.environ.get(ffmpeg.ENV) or None,
            "works": {work: not missing for work, missing in works.items()},
            "lacks": lacking, "notes": notes,
            "problem": (f"{ffmpeg.describe(binary, caps)} has no {', no '.join(lacking)}; "
                        f"{ffmpeg.pick_another_hint(binary.origin)}") if lacking else None,
            "others": others(binary.path),
            "cache": str(ffmpeg.cache_file()) if ffmpeg.cache_file() else None}


def others(used: str | None) -> list[dict[str, str | None]]:
    """The other ffmpeg binaries segpack would find (bundled, PATH) and their versions."""
    found = []
    for origin, path in (("bundled", ffmpeg.bundled_path()), ("PATH", shutil.which("ffmpeg"))):
        if not path or (used and os.path.realpath(path) == os.path.realpath(used)):
            continue
        try:
            version: str | None = ffmpeg.capabilities(path).version
        except ToolError:
            version = None
        found.append({"path": os.path.abspath(path), "origin": origin, "version": version})
    return found


def gather() -> dict[str, Any]:
    return {"segpack": __version__,
            "python": {"version": sys.version.split()[0], "executable": sys.executable},
            "libraries": libraries(), "ffmpeg": ffmpeg_report()}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable report.")
def doctor(as_json: bool) -> None:
    """Show segpack's, Python's and the libraries' versions, and which ffmpeg is used.

    Exit status 1 when ffmpeg is missing or lacks a feature segpack needs.
    """
    report = gather()
    problem = report["ffmpeg"]["problem"]
    if as_json:
        print_json(report)
    else:
        click.echo("\n".join(text_lines(report)))
    sys.exit(1 if problem else 0)


def text_lines(report: dict[str, Any]) -> list[str]:
    rows = [("segpack", report["segpack"]),
            ("python", f"{report['python']['version']} ({report['python']['executable']})")]
    rows += [(name, version or "not installed") for name, version in report["libraries"].items()]
    tool = report["ffmpeg"]
    lines = [f"{name:<18} {value}" for name, value in rows]
    if tool["path"]:
        lines += [f"{'ffmpeg':<18} {tool['version']}", f"{'  path':<18} {tool['path']}",
                  f"{'  origin':<18} {tool['origin_text']}"
                  + ("" if tool["env"] else f" ({ffmpeg.ENV} not set)")]
        can = [work for work, ok in tool["works"].items() if ok]
        lines.append(f"{'  can':<18} {', '.join(can)}")
        lines += [f"{'  note':<18} {note}" for note in tool["notes"]]
        lines.append(f"{'  probe cache':<18} {tool['cache'] or '(none: probed every run)'}")
    for other in tool["others"]:
        lines.append(f"{'  also found':<18} {other['path']} ({other['version'] or 'does not run'}"
                     f", {other['origin']}; not used)")
    lines.append(f"problem: {tool['problem']}" if tool["problem"] else
                 "ok: this ffmpeg can do everything segpack asks of it")
    return lines
