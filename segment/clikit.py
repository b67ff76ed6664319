"""Small pieces every segpack command shares: lazy subcommands, one-line errors, JSON output.

Lives in `segment` (the bottom layer) so commands in `media` and `feeds` can use it too.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import click


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


def progress_wanted(count: int) -> bool:
    """Progress bars only for people: on a terminal, not under CI, and for enough work."""
    import os

    return count >= 50 and sys.stderr.isatty() and not os.environ.get("CI")
