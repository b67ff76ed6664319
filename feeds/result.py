"""What `segpack build` is asked (`BuildOptions`) and what it says back (`BuildResult`, or
`BuildFailed` when it publishes nothing): plain records shared by the build, the command and
in-process callers, kept apart from the build's steps (`feeds.build`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.uptodate import FEED_FILE
from segment.errors import SegpackError
from segment.rules import Finding, Severity

if TYPE_CHECKING:
    from segment.executor import Executor


@dataclass
class BuildOptions:
    show_dir: Path
    output: Path
    jobs: int = 1
    check: bool = False
    strict: bool = False
    wait: float = 120.0
    overwrite: bool = False
    """Replace files in the output that segpack did not write where the build writes the
    same names (`feeds.output`); the user's other files are kept either way."""
    settings: dict[str, Any] = field(default_factory=dict)
    executor: Executor | None = None
    """Where the media jobs run (`segment.executor`; the caller closes it): None is `jobs`
    local processes."""
    progress: Progress | None = None
    """Told how far the long steps have got: `progress(step, done, total)`, `done == 0` when a
    step starts; called from the build's own thread (the CLI draws a bar or prints lines)."""


Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    output: Path
    episodes: int = 0
    drafts: int = 0
    media_made: int = 0
    media_cached: int = 0
    manifests_parsed: int = 0
    manifests_cached: int = 0
    episodes_reused: int = 0
    """Episodes published as the last build rendered them (their manifests unchanged)."""
    findings: list[Finding] = field(default_factory=list)
    up_to_date: bool = False
    cache_saved: bool = True
    """False when the build was published but its cache could not be saved (a full disk)."""
    checked_only: bool = False
    refused: str | None = None
    working_set: Any = field(default=None, repr=False)
    """What the build loaded and made, kept as long as the result: `segpack build` ends its
    process without freeing it (`segment.clikit.end_process`)."""

    @property
    def feed(self) -> Path:
        return self.output / FEED_FILE

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == Severity.WARNING]

    def counts(self) -> dict[str, Any]:
        return {"episodes": self.episodes, "drafts": self.drafts,
                "media_made": self.media_made, "media_cached": self.media_cached,
                "manifests_parsed": self.manifests_parsed,
                "manifests_cached": self.manifests_cached,
                "episodes_reused": self.episodes_reused}

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.refused is None, "refused": self.refused, "output": str(self.output),
                "feed": None if self.checked_only else str(self.feed),
                "up_to_date": self.up_to_date, "cache_saved": self.cache_saved,
                "check": self.checked_only, **self.counts(),
                "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [f.as_dict() for f in self.findings]}


class BuildFailed(SegpackError):
    """The input has errors (or warnings under --strict): nothing was published."""

    def __init__(self, message: str, result: BuildResult):
        super().__init__(message)
        self.result = result
        result.refused = message
