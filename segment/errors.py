"""One error family for everything segpack reports to users.

Like mutagen's `MutagenError`, every error descends from one root and also from the builtin it
resembles, so callers may catch either. The CLI turns these into one line and a non-zero exit;
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from pathlib import Path


class SegpackError(Exception):
    """Root of every user-facing error. `str()` is the one line shown to the user."""

    exit_code = 1

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 field: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.field = field

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        what = f"{self.field}: " if self.field else ""
        return f"{where}{what}{self.message}"


class ManifestError(SegpackError, ValueError):
    """A manifest or show.yaml that cannot be read as one (syntax, encoding, size)."""

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None,
                 field: str | None = None, code: str = "SEG101"):
        super().__init__(message, path, line, field)
        self.code = code


class UsageError(SegpackError, ValueError):
    """The command line itself is wrong (exit status 2)."""

    exit_code = 2


class MediaError(SegpackError, OSError):
    """An audio or image file that cannot be read, probed or written."""


class PublishError(SegpackError, RuntimeError):
    """A build that would publish something wrong; the previous output is kept."""


class ToolError(SegpackError, RuntimeError):
    """A tool segpack runs (ffmpeg) is missing, cannot run, or lacks a feature: a problem of
    the machine's set-up, not of the user's files, so it stops the command (exit status 2)
    instead of being reported against each audio file."""

    exit_code = 2
