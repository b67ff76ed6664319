"""Small pieces every segpack command shares: lazy subcommands, one-line errors, JSON output.

Lives in `segment` (the bottom layer) so commands in `media` and `feeds` can use it too.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from segment.report import Line
    from segment.rules import Finding


class LazyGroup(click.Group):
    """A group whose heavier commands are imported only when run (or when help lists them).

    `segpack validate` must not pay for importing mutagen, pydub or feedgen; commands are named
    here as "module:attribute" and loaded on first use.
    """

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lazy = lazy or {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy:
            module, attr = self.lazy[name].split(":")
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List lazy commands by their one-line help without importing their modules."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:
                rows.append((name, LAZY_HELP.get(name, "")))
            else:
                cmd = super().get_command(ctx, name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=70)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


LAZY_HELP: dict[str, str] = {}


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def warn(message: str) -> None:
    click.echo(message, err=True)


_OWN_PROCESS = False
"""True when segpack runs as its own process (`segment.cli.run`), not inside a caller's."""


def own_process() -> None:
    """Mark this process as segpack's own: `end_process` may then end it at once."""
    global _OWN_PROCESS
    _OWN_PROCESS = True


def end_process(code: int = 0) -> None:
    """End a command that built a big working set, once its output is printed.

    In segpack's own process: flush the output and leave through `os._exit`, so the system
    takes the memory back whole instead of Python freeing the working set object by object and
    then finalising every module (~80 ms after a 10,000-episode build). The caller has closed
    what it wrote and joined its threads by then; nothing is left to atexit handlers. Called
    inside another program (tests, embedding), it does nothing and the command returns as
    usual."""
    if not _OWN_PROCESS:
        return
    import os

    for stream in (sys.stdout, sys.stderr):
        if stream is None:  # started with the descriptor closed
            continue
        try:
            stream.flush()
        except BrokenPipeError:  # as `segment.cli.main` treats it
            code = 1
        except (OSError, ValueError):  # nowhere to report it; the work itself is done
            pass
    os._exit(code)


def colour_wanted(err: bool = True) -> bool:
    """Colour on a terminal only; `NO_COLOR` (any value but empty, no-color.org) turns it off,
    `FORCE_COLOR` on (for CI logs that show ANSI colours)."""
    import os

    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    stream = sys.stderr if err else sys.stdout
    return stream is not None and stream.isatty() and os.environ.get("TERM") != "dumb"


STYLES: dict[str, dict[str, Any]] = {"error": {"fg": "red", "bold": True},
                                     "warning": {"fg": "yellow"}, "info": {"fg": "cyan"}}
"""How a finding's code looks on a terminal, by severity."""


def echo_lines(lines: Sequence[Line], err: bool = True) -> None:
    """Print report lines, the code coloured by severity where colour is wanted; one write."""
    if not lines:
        return
    if colour_wanted(err):
        text = "\n".join(line.before + click.style(line.code, **STYLES[line.severity.value])
                         + line.after for line in lines)
        click.echo(text, err=err, color=True)
    else:
        click.echo("\n".join(map(str, lines)), err=err)


def echo_findings(text: str, findings: Sequence[Finding]) -> None:
    """`validate`'s text report on standard output: as formatted, or coloured on a terminal."""
    if findings and colour_wanted(err=False):
        from segment.report import Line

        echo_lines([Line(f.severity, f"{f.path}:{f.line}:{f.column}: ", f.code, f" {f.message}")
                    for f in findings], err=False)
    else:
        click.echo(text, nl=False)


class Reporter:
    """What a long command (build, tag, import) tells the person running it, on standard
    error: progress of its long steps (`segment.progress`), then its findings grouped by code
    (`segment.report.grouped`), errors first.

    `quiet`: errors only, no progress. `verbose`: every finding on its own line.
    `progress(step, done, total)` is the hook a pipeline calls: `done == 0` starts a step."""

    def __init__(self, quiet: bool = False, verbose: bool = False, bar_from: int | None = None):
        from segment.progress import Steps, default_mode

        self.quiet, self.verbose = quiet, verbose
        self.steps = Steps(default_mode(quiet), bar_from)

    def progress(self, step: str, done: int, total: int) -> None:
        if done == 0 or step != self.steps.label:
            self.steps.start(step, total)
        if done > self.steps.done:
            self.steps.advance(done - self.steps.done)

    def stop(self) -> None:
        self.steps.stop()

    def findings(self, findings: Sequence[Finding]) -> None:
        from segment.report import grouped

        self.stop()
        shown = [f for f in findings if not self.quiet or f.severity.value == "error"]
        echo_lines(grouped(shown, self.verbose))

    def __enter__(self) -> Reporter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
